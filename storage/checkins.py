"""Meeting check-ins: drafts saved one answer at a time, submit, edit after submit, discard.

The caller owns the transaction (one per Telegram update). Answers are stored twice on every
save, in the same UPDATE: the validated JSON (domain.checkin_schema) and the denormalised
columns that the SQL metrics read. Edits after submit are audited with the fields that
changed, before and after; attendance marks (absent members only) follow every submitted
save.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, Update, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain.checkin_questions import is_complete, open_questions
from domain.checkin_schema import CheckinAnswers, parse_answers
from domain.framework import Framework
from domain.periods import Period, month_start
from storage import audit, member_dues, member_matters, read_model, tasks
from storage.locks import is_locked, month_locked, periods_covering
from storage.members import ACTIVE_STATUSES
from storage.models import (
    AttendanceMark,
    Checkin,
    CheckinStatus,
    Member,
    MemberStatus,
    OrgUnit,
    PeriodLock,
    utcnow,
)
from storage.tree import under

ENTITY = "checkin"


@dataclass(frozen=True)
class CheckinRecord:
    """A check-in with its answers parsed: what reports and scoring read."""

    id: int
    cell_id: int
    month: dt.date
    slot: str
    status: str
    locked: bool
    submitted_at: dt.datetime | None
    answers: CheckinAnswers

    @classmethod
    def of(cls, checkin: Checkin) -> CheckinRecord:
        return cls(
            id=checkin.id,
            cell_id=checkin.cell_id,
            month=checkin.month,
            slot=checkin.slot,
            status=checkin.status,
            locked=checkin.locked,
            submitted_at=checkin.submitted_at,
            answers=answers_of(checkin),
        )


def answers_of(checkin: Checkin) -> CheckinAnswers:
    return parse_answers(checkin.answers, checkin.schema_version)


# ---------------------------------------------------------------- queries


async def get_checkin(
    session: AsyncSession, checkin_id: int, *, for_update: bool = False
) -> Checkin | None:
    """FOR UPDATE (PostgreSQL) serialises the read-modify-write of one answer, so that the
    secretary and the deputy writing different answers at once both keep theirs."""
    query = select(Checkin).where(Checkin.id == checkin_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


@functools.cache
def _to_answer(dialect: str) -> Select[Checkin, bool]:
    """Built once per dialect: constructing it (and its cache key) cost more than running it."""
    return (
        select(Checkin, month_locked(Checkin.month, bindparam("unit_ids", expanding=True), dialect))
        .where(Checkin.id == bindparam("checkin_id"))
        .with_for_update(of=Checkin)
        .execution_options(populate_existing=True)
    )


async def get_checkin_to_answer(
    session: AsyncSession, checkin_id: int, unit_ids: list[int]
) -> tuple[Checkin, bool] | None:
    """`get_checkin(for_update=True)` and whether it is frozen (`is_frozen`, with the cell and
    its ancestors given as `unit_ids`), in one statement: this runs for every answer."""
    params = {"checkin_id": checkin_id, "unit_ids": unit_ids}
    query = _to_answer(session.get_bind().dialect.name)
    row = (await session.execute(query, params)).first()
    if row is None:
        return None
    checkin, period_locked = row
    return checkin, bool(checkin.locked or period_locked)


async def checkins_of_month(session: AsyncSession, cell_id: int, month: dt.date) -> list[Checkin]:
    """The cell's check-ins of one month (drafts too), regular slot first."""
    rows = await session.scalars(
        select(Checkin)
        .where(Checkin.cell_id == cell_id, Checkin.month == month_start(month))
        .order_by(Checkin.slot)
    )
    return list(rows.all())


async def latest_draft(session: AsyncSession, cell_id: int) -> Checkin | None:
    return await session.scalar(
        select(Checkin)
        .where(Checkin.cell_id == cell_id, Checkin.status == CheckinStatus.DRAFT.value)
        .order_by(Checkin.updated_at.desc(), Checkin.id.desc())
        .limit(1)
    )


async def records_for_cell_month(
    session: AsyncSession, cell_id: int, month: dt.date, *, submitted_only: bool = True
) -> list[CheckinRecord]:
    rows = await checkins_of_month(session, cell_id, month)
    return [
        CheckinRecord.of(c)
        for c in rows
        if not submitted_only or c.status == CheckinStatus.SUBMITTED.value
    ]


async def records_in_subtree(
    session: AsyncSession, unit: OrgUnit, period: Period, *, submitted_only: bool = True
) -> list[CheckinRecord]:
    """Check-ins of every cell under `unit` (a materialised-path prefix) in `period`."""
    query = (
        select(Checkin)
        .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
        .where(
            under(unit.path),
            Checkin.month >= period.start,
            Checkin.month < period.end,
        )
        .order_by(OrgUnit.path, Checkin.month, Checkin.slot)
    )
    if submitted_only:
        query = query.where(Checkin.status == CheckinStatus.SUBMITTED.value)
    return [CheckinRecord.of(c) for c in (await session.scalars(query)).all()]


async def count_active_members(session: AsyncSession, cell_id: int) -> int:
    """Members expected at meetings (official and probationary; exempt ones are not)."""
    total = await session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.cell_id == cell_id, Member.status.in_(ACTIVE_STATUSES))
    )
    return total or 0


async def count_official_members(session: AsyncSession, cell_id: int) -> int:
    """Official members (status official): from 9 a cell elects a chi ủy."""
    total = await session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.cell_id == cell_id, Member.status == MemberStatus.OFFICIAL.value)
    )
    return total or 0


async def period_locked(session: AsyncSession, unit_ids: list[int], month: dt.date) -> bool:
    """Whether a lock on any of `unit_ids` (a cell and its ancestors) covers `month`."""
    found = await session.scalar(
        select(PeriodLock.id)
        .where(PeriodLock.unit_id.in_(unit_ids), PeriodLock.period.in_(periods_covering(month)))
        .limit(1)
    )
    return found is not None


async def is_frozen(session: AsyncSession, checkin: Checkin) -> bool:
    """Locked by a supervisor, on the check-in itself or on its period."""
    return checkin.locked or await is_locked(session, checkin.cell_id, checkin.month)


# ---------------------------------------------------------------- changes


async def create_draft(
    session: AsyncSession,
    cell_id: int,
    month: dt.date,
    answers: CheckinAnswers,
    *,
    actor_account_id: int | None,
) -> tuple[Checkin, bool]:
    """A new draft for the answers' slot, or the existing check-in of that slot (created by
    the deputy meanwhile, say). Returns (check-in, created)."""
    month = month_start(month)
    slot = answers.slot()
    existing = await session.scalar(
        select(Checkin).where(
            Checkin.cell_id == cell_id, Checkin.month == month, Checkin.slot == slot
        )
    )
    if existing is not None:
        return existing, False
    checkin = Checkin(
        cell_id=cell_id,
        month=month,
        slot=slot,
        status=CheckinStatus.DRAFT.value,
        answers=answers.as_json(),
        created_by=actor_account_id,
        updated_by=actor_account_id,
        version=1,
        **answers.to_columns(),
    )
    try:
        async with session.begin_nested():
            session.add(checkin)
    except IntegrityError:
        # Someone created it between our SELECT and INSERT: theirs wins, we resume it.
        again = await session.scalar(
            select(Checkin).where(
                Checkin.cell_id == cell_id, Checkin.month == month, Checkin.slot == slot
            )
        )
        assert again is not None
        return again, False
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity=ENTITY,
        entity_id=checkin.id,
        action="create",
        after={"cell_id": cell_id, "month": month.isoformat(), "slot": slot},
    )
    return checkin, True


def _changed(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@functools.lru_cache(maxsize=256)
def _update_statement(columns: tuple[str, ...]) -> Update:
    """Built once per set of changed columns (a question changes one or two)."""
    table = Checkin.__table__
    assert isinstance(table, Table)
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns})
    )


async def _save_draft(session: AsyncSession, checkin: Checkin, values: dict[str, Any]) -> None:
    """A draft's answer as one prebuilt UPDATE rather than through the ORM's unit of work
    (which costs more than the statement itself); the loaded object is told the new values."""
    params = {f"v_{name}": value for name, value in values.items()}
    await session.execute(_update_statement(tuple(values)), {"b_id": checkin.id, **params})
    for name, value in values.items():
        set_committed_value(checkin, name, value)


async def save_answers(
    session: AsyncSession,
    checkin: Checkin,
    answers: CheckinAnswers,
    *,
    actor_account_id: int | None,
    framework: Framework | None = None,
) -> bool:
    """Store the answers and their columns. After a first submit: audit the change, rewrite
    the attendance marks, go back to draft while the answers are incomplete and be submitted
    again when they are complete, and update the scores (storage.read_model; without a
    `framework` the cell's stored results are only dropped). Returns False when nothing
    changed."""
    new = answers.as_json()
    old = dict(checkin.answers or {})
    if new == old:
        return False
    values: dict[str, Any] = {"answers": new}
    values.update(
        (column, value)
        for column, value in answers.to_columns().items()
        if getattr(checkin, column) != value
    )
    values["version"] = (checkin.version or 0) + 1
    values["updated_by"] = actor_account_id
    values["updated_at"] = utcnow()
    # `submitted_at` stays set when an edit reopens a check-in: it was submitted before.
    if checkin.submitted_at is None:
        await _save_draft(session, checkin, values)
        return True
    for column, value in values.items():
        setattr(checkin, column, value)
    before, after = _changed(old, new)
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity=ENTITY,
        entity_id=checkin.id,
        action="edit",
        before=before,
        after=after,
    )
    complete = is_complete(answers)
    if checkin.status == CheckinStatus.SUBMITTED.value and not complete:
        # Mid-edit (an absent member's reason not given yet, a meeting first reported as not
        # held): out of the scores until the answers are complete again.
        await reopen(session, checkin, actor_account_id=actor_account_id)
    elif checkin.status == CheckinStatus.DRAFT.value and complete:
        checkin.status = CheckinStatus.SUBMITTED.value
        audit.record(
            session,
            actor_account_id=actor_account_id,
            entity=ENTITY,
            entity_id=checkin.id,
            action="resubmit",
            after={"status": CheckinStatus.SUBMITTED.value},
        )
    if checkin.status == CheckinStatus.SUBMITTED.value:
        await write_rows(session, checkin, answers, actor_account_id)
    # Submitted before (and maybe reopened now) or now: the cell's scores change.
    await read_model.checkin_changed(session, framework, checkin)
    return True


async def write_rows(
    session: AsyncSession,
    checkin: Checkin,
    answers: CheckinAnswers,
    actor: int | None,
    *,
    first: bool = False,
) -> None:
    """What a submitted check-in's answers say per member and per task, rewritten; the
    conversions and admissions it records, applied to the roster. `first`: a check-in never
    submitted before has no such rows to replace (they are written only on submit, and its
    marks and dues only live while it stays submitted), so none are read or deleted."""
    await write_attendance(session, checkin, answers, first=first)
    await tasks.write_tasks(session, checkin, answers, first=first)
    await member_dues.write_dues(session, checkin, answers, first=first)
    await member_matters.write_matters(session, checkin, answers, actor=actor)


async def write_attendance(
    session: AsyncSession, checkin: Checkin, answers: CheckinAnswers, *, first: bool = False
) -> None:
    if not first:
        marks_of = AttendanceMark.checkin_id == checkin.id
        await session.execute(delete(AttendanceMark).where(marks_of))
    if answers.held is not True:
        return
    marks = [
        {"checkin_id": checkin.id, "member_id": member_id, "status": reason}
        for member_id in answers.absent_ids
        if (reason := answers.absences.get(member_id)) is not None
    ]
    if marks:
        await session.execute(insert(AttendanceMark), marks)  # one statement, not one a member


async def submit(
    session: AsyncSession,
    checkin: Checkin,
    *,
    actor_account_id: int | None,
    framework: Framework | None = None,
) -> list[str]:
    """Submit a complete draft; returns the open questions instead when it is not complete.
    Its meeting score and its cell's results are updated in the same transaction
    (storage.read_model; without a `framework` the cell's stored results are only dropped)."""
    answers = answers_of(checkin)
    missing = open_questions(answers)
    if missing:
        return missing
    if checkin.status == CheckinStatus.SUBMITTED.value:
        return []
    first = checkin.submitted_at is None
    checkin.status = CheckinStatus.SUBMITTED.value
    checkin.submitted_at = utcnow()
    checkin.version = (checkin.version or 0) + 1
    checkin.updated_by = actor_account_id
    # Scored now, the score goes out in the status's UPDATE rather than one of its own.
    await read_model.store_meeting_score(framework, checkin)
    await write_rows(session, checkin, answers, actor_account_id, first=first)
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity=ENTITY,
        entity_id=checkin.id,
        action="submit",
        after={"answers": checkin.answers},
    )
    await read_model.checkin_changed(session, framework, checkin)
    return []


async def reopen(session: AsyncSession, checkin: Checkin, *, actor_account_id: int | None) -> None:
    """Back to draft (its attendance marks go until it is submitted again). The next save
    that completes the answers submits it again."""
    if checkin.status != CheckinStatus.SUBMITTED.value:
        return
    checkin.status = CheckinStatus.DRAFT.value
    await session.execute(delete(AttendanceMark).where(AttendanceMark.checkin_id == checkin.id))
    await member_dues.clear_dues(session, checkin.id)
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity=ENTITY,
        entity_id=checkin.id,
        action="reopen",
        before={"status": CheckinStatus.SUBMITTED.value},
        after={"status": CheckinStatus.DRAFT.value},
    )


async def discard(session: AsyncSession, checkin: Checkin, *, actor_account_id: int | None) -> bool:
    """Delete a draft (a submitted check-in is never discarded); the audit keeps its answers."""
    if checkin.status != CheckinStatus.DRAFT.value or checkin.submitted_at is not None:
        return False  # a check-in reopened by an edit was submitted once: it stays
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity=ENTITY,
        entity_id=checkin.id,
        action="discard",
        before={
            "cell_id": checkin.cell_id,
            "month": checkin.month.isoformat(),
            "slot": checkin.slot,
            "answers": checkin.answers,
        },
    )
    await session.execute(delete(AttendanceMark).where(AttendanceMark.checkin_id == checkin.id))
    await member_dues.clear_dues(session, checkin.id)
    await session.delete(checkin)
    await session.flush()
    return True
