"""Initiatives and practical commitments of members: registration, follow-up, coverage.

A commitment registered for several members at once is one row per member sharing a
`group_key`, because each member carries it out (and completes or drops it) on their own.

Coverage (the yearly target is 100 %): among a cell's *active* members — official or
probationary; exempt and left members are not counted, as in storage.metrics — the share with
at least one initiative of the year that was not dropped ("covered") and with at least one
completed. The queries aggregate in SQL, one GROUP BY for any number of cells, and return
only integer counts and sums so both databases give the same answer.
"""

from __future__ import annotations

import datetime as dt
import enum
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, read_model
from storage.members import ACTIVE_STATUSES
from storage.models import Initiative, Member, MemberStatus, OrgUnit, utcnow
from storage.tree import under

MAX_TITLE = 200
MAX_TEXT = 2000  # description, benefit, result, reason: a few paragraphs, not a report
MAX_GROUP = 200  # members in one group registration


class InitiativeKind(enum.StrEnum):
    TECHNICAL_INNOVATION = "technical_innovation"
    RATIONALISATION = "rationalisation"
    UNCLE_HO_COMMITMENT = "uncle_ho_commitment"
    ADMISSION_CANDIDATE = "admission_candidate"
    ENVIRONMENT_SECURITY = "environment_security"
    OTHER = "other"


class InitiativeStatus(enum.StrEnum):
    REGISTERED = "registered"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DROPPED = "dropped"


S = InitiativeStatus
# Forward moves, plus two undo moves for mistakes: reopen a completed one, restore a dropped one.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REGISTERED: frozenset({S.IN_PROGRESS, S.COMPLETED, S.DROPPED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.DROPPED}),
    S.COMPLETED: frozenset({S.IN_PROGRESS}),
    S.DROPPED: frozenset({S.REGISTERED}),
}
ATTACHMENT_KINDS = ("photo", "document")


class InitiativeError(ValueError):
    """A request the rules refuse (wrong cell, bad transition, invalid field)."""


def clean_text(text: str | None, limit: int = MAX_TEXT) -> str | None:
    """NFC, trimmed, inner whitespace runs on a line collapsed; None when empty or too long."""
    if text is None:
        return None
    lines = [" ".join(line.split()) for line in unicodedata.normalize("NFC", text).splitlines()]
    cleaned = "\n".join(lines).strip()
    return cleaned if 0 < len(cleaned) <= limit else None


def clean_title(text: str | None) -> str | None:
    return clean_text(" ".join((text or "").split()), MAX_TITLE)


def attachment_value(kind: str, file_id: str) -> str:
    """`attachment_file_id` stores "<photo|document>:<Telegram file id>": the kind picks the
    Bot API method that can send it again (a photo id is refused by sendDocument)."""
    if kind not in ATTACHMENT_KINDS or not file_id or len(kind) + 1 + len(file_id) > 200:
        raise InitiativeError("bad attachment")
    return f"{kind}:{file_id}"


def split_attachment(value: str | None) -> tuple[str, str] | None:
    if not value or ":" not in value:
        return None
    kind, file_id = value.split(":", 1)
    return (kind, file_id) if kind in ATTACHMENT_KINDS and file_id else None


@dataclass(frozen=True)
class NewInitiative:
    kind: InitiativeKind
    title: str
    year: int
    description: str | None = None
    expected_benefit: str | None = None
    expected_amount_vnd: int | None = None
    target_date: dt.date | None = None


def _snapshot(ini: Initiative) -> dict[str, Any]:
    return {
        "cell_id": ini.cell_id,
        "member_id": ini.member_id,
        "group_key": ini.group_key,
        "kind": ini.kind,
        "title": ini.title,
        "description": ini.description,
        "year": ini.year,
        "expected_benefit": ini.expected_benefit,
        "expected_amount_vnd": ini.expected_amount_vnd,
        "target_date": ini.target_date.isoformat() if ini.target_date else None,
        "status": ini.status,
        "result": ini.result,
        "realised_amount_vnd": ini.realised_amount_vnd,
        "attachment_file_id": ini.attachment_file_id,
        "drop_reason": ini.drop_reason,
    }


async def registrable_members(
    session: AsyncSession, cell_id: int, member_ids: Sequence[int]
) -> list[Member]:
    """The members among `member_ids` who are in `cell_id` and have not left."""
    if not member_ids:
        return []
    rows = await session.scalars(
        select(Member)
        .where(
            Member.id.in_(list(member_ids)),
            Member.cell_id == cell_id,
            Member.status != MemberStatus.LEFT.value,
        )
        .order_by(Member.sort_key, Member.id)
    )
    return list(rows.all())


async def register(
    session: AsyncSession,
    cell_id: int,
    member_ids: Sequence[int],
    data: NewInitiative,
    *,
    actor_account_id: int | None,
) -> list[Initiative]:
    """One initiative per member (sharing a group key when several); all or nothing."""
    unique_ids = list(dict.fromkeys(member_ids))
    if not unique_ids or len(unique_ids) > MAX_GROUP:
        raise InitiativeError("no members or too many")
    members = await registrable_members(session, cell_id, unique_ids)
    if len(members) != len(unique_ids):
        raise InitiativeError("a member is not in this cell")
    title = clean_title(data.title)
    if title is None:
        raise InitiativeError("bad title")
    if data.expected_amount_vnd is not None and data.expected_amount_vnd < 0:
        raise InitiativeError("negative amount")
    group_key = uuid.uuid4().hex if len(unique_ids) > 1 else None
    created = [
        Initiative(
            cell_id=cell_id,
            member_id=member_id,
            group_key=group_key,
            kind=InitiativeKind(data.kind).value,
            title=title,
            description=clean_text(data.description),
            year=data.year,
            expected_benefit=clean_text(data.expected_benefit),
            expected_amount_vnd=data.expected_amount_vnd,
            target_date=data.target_date,
            status=S.REGISTERED.value,
            created_by=actor_account_id,
        )
        for member_id in unique_ids
    ]
    session.add_all(created)
    await session.flush()
    await read_model.mark_year_stale(session, [cell_id], data.year)  # coverage of the year
    for ini in created:
        audit.record(
            session,
            actor_account_id=actor_account_id,
            entity="initiative",
            entity_id=ini.id,
            action="create",
            after=_snapshot(ini),
        )
    return created


async def initiative_of_cell(
    session: AsyncSession, cell_id: int, initiative_id: int
) -> Initiative | None:
    """The initiative only if it belongs to `cell_id`: guards against forged callback data."""
    ini = await session.get(Initiative, initiative_id)
    return ini if ini is not None and ini.cell_id == cell_id else None


async def change_status(
    session: AsyncSession,
    ini: Initiative,
    status: InitiativeStatus,
    *,
    actor_account_id: int | None,
    result: str | None = None,
    realised_amount_vnd: int | None = None,
    attachment_file_id: str | None = None,
    drop_reason: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Move `ini` to `status` with the details that status carries; audited."""
    if status.value not in TRANSITIONS.get(ini.status, frozenset()):
        raise InitiativeError(f"cannot go from {ini.status} to {status.value}")
    if realised_amount_vnd is not None and realised_amount_vnd < 0:
        raise InitiativeError("negative amount")
    reason = clean_text(drop_reason)
    if status is S.DROPPED and reason is None:
        raise InitiativeError("a reason is required")
    before = _snapshot(ini)
    ini.status = status.value
    await read_model.mark_year_stale(session, [ini.cell_id], ini.year)  # coverage, realised
    if status is S.COMPLETED:
        ini.result = clean_text(result)
        ini.realised_amount_vnd = realised_amount_vnd
        ini.attachment_file_id = attachment_file_id
        ini.completed_at = at or utcnow()
        ini.drop_reason = None
    elif status is S.DROPPED:
        ini.drop_reason = reason
    else:
        # Reopened or restored: it is no longer completed; the old result stays in the audit.
        ini.completed_at = None
        if status is S.REGISTERED:
            ini.drop_reason = None
    ini.updated_at = utcnow()
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="initiative",
        entity_id=ini.id,
        action="status",
        before=before,
        after=_snapshot(ini),
    )


# ---------------------------------------------------------------- lists


@dataclass(frozen=True)
class InitiativeRow:
    id: int
    member_id: int
    member_name: str
    group_key: str | None
    kind: str
    title: str
    year: int
    status: str
    expected_amount_vnd: int | None
    realised_amount_vnd: int | None


async def list_initiatives(
    session: AsyncSession,
    cell_id: int,
    *,
    year: int | None = None,
    status: InitiativeStatus | None = None,
    member_id: int | None = None,
    page: int = 0,
    page_size: int = 10,
) -> tuple[list[InitiativeRow], int]:
    """One page of a cell's initiatives (newest first) and the total matching the filters."""
    where: list[ColumnElement[bool]] = [Initiative.cell_id == cell_id]
    if year is not None:
        where.append(Initiative.year == year)
    if status is not None:
        where.append(Initiative.status == status.value)
    if member_id is not None:
        where.append(Initiative.member_id == member_id)
    total = await session.scalar(select(func.count()).select_from(Initiative).where(*where)) or 0
    rows = await session.execute(
        select(
            Initiative.id,
            Initiative.member_id,
            Member.full_name.label("member_name"),
            Initiative.group_key,
            Initiative.kind,
            Initiative.title,
            Initiative.year,
            Initiative.status,
            Initiative.expected_amount_vnd,
            Initiative.realised_amount_vnd,
        )
        .join(Member, Member.id == Initiative.member_id)
        .where(*where)
        .order_by(Initiative.year.desc(), Initiative.id.desc())
        .offset(max(page, 0) * page_size)
        .limit(page_size)
    )
    return [InitiativeRow(**row._asdict()) for row in rows.all()], int(total)


async def group_size(session: AsyncSession, group_key: str | None) -> int:
    if group_key is None:
        return 1
    count = await session.scalar(
        select(func.count()).select_from(Initiative).where(Initiative.group_key == group_key)
    )
    return int(count or 1)


# ---------------------------------------------------------------- coverage


def _sum_if(cond: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, value), else_=0)), 0)


_NOT_DROPPED = Initiative.status != S.DROPPED.value
_COMPLETED = Initiative.status == S.COMPLETED.value


@dataclass(frozen=True)
class MemberCoverage:
    member_id: int
    full_name: str
    status: str
    initiatives: int  # not dropped, this year
    completed: int

    @property
    def covered(self) -> bool:
        return self.initiatives > 0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


async def member_coverage(session: AsyncSession, cell_id: int, year: int) -> list[MemberCoverage]:
    """Every current (not left) member of the cell with their counts for `year`, by name."""
    rows = await session.execute(
        select(
            Member.id,
            Member.full_name,
            Member.status,
            _sum_if(_NOT_DROPPED, 1),
            _sum_if(_COMPLETED, 1),
        )
        .outerjoin(
            Initiative,
            and_(
                Initiative.member_id == Member.id,
                Initiative.cell_id == cell_id,
                Initiative.year == year,
            ),
        )
        .where(Member.cell_id == cell_id, Member.status != MemberStatus.LEFT.value)
        .group_by(Member.id, Member.full_name, Member.status, Member.sort_key)
        .order_by(Member.sort_key, Member.id)
    )
    return [MemberCoverage(int(a), b, c, int(d), int(e)) for a, b, c, d, e in rows.all()]


@dataclass(frozen=True)
class Coverage:
    """Coverage of one cell (or a whole subtree) for one year."""

    unit_id: int
    year: int
    active_members: int
    covered_members: int  # active members with >= 1 initiative not dropped
    completed_members: int  # active members with >= 1 completed
    initiatives: int  # every initiative of the year not dropped, whoever registered it
    completed_initiatives: int
    realised_vnd: int  # sum over completed initiatives

    @property
    def coverage(self) -> float | None:
        return self.covered_members / self.active_members if self.active_members else None

    @property
    def completion(self) -> float | None:
        return self.completed_members / self.active_members if self.active_members else None

    @property
    def uncovered_members(self) -> int:
        return self.active_members - self.covered_members


async def _coverage_rows(
    session: AsyncSession, root_path: str, year: int
) -> dict[int, dict[str, int]]:
    """Per cell under `root_path`: the member counts and the initiative totals (2 queries).

    Both are flat GROUP BYs over joins (no aggregate subquery joined back), so that even with
    stale planner statistics — right after a bulk import — PostgreSQL cannot pick a plan that
    re-runs an aggregate per member (measured: minutes instead of milliseconds).
    """
    subtree = under(root_path)
    result: dict[int, dict[str, int]] = {}
    members = await session.execute(
        select(Member.cell_id, func.count(Member.id))
        .join(OrgUnit, OrgUnit.id == Member.cell_id)
        .where(subtree, Member.status.in_(ACTIVE_STATUSES))
        .group_by(Member.cell_id)
    )
    for cell_id, active in members.all():
        result[int(cell_id)] = {"active": int(active)}
    active_member = Member.status.in_(ACTIVE_STATUSES)
    totals = await session.execute(
        select(
            Initiative.cell_id,
            func.count(func.distinct(case((and_(_NOT_DROPPED, active_member), Member.id)))),
            func.count(func.distinct(case((and_(_COMPLETED, active_member), Member.id)))),
            _sum_if(_NOT_DROPPED, 1),
            _sum_if(_COMPLETED, 1),
            _sum_if(_COMPLETED, func.coalesce(Initiative.realised_amount_vnd, 0)),
        )
        .join(OrgUnit, OrgUnit.id == Initiative.cell_id)
        .join(Member, Member.id == Initiative.member_id)
        .where(subtree, Initiative.year == year)
        .group_by(Initiative.cell_id)
    )
    for cell_id, covered, done, count, completed, realised in totals.all():
        row = result.setdefault(int(cell_id), {"active": 0})
        row.update(
            covered=int(covered),
            done=int(done),
            initiatives=int(count),
            completed=int(completed),
            realised=int(realised),
        )
    return result


def _coverage(unit_id: int, year: int, row: dict[str, int] | None) -> Coverage:
    row = row or {}
    return Coverage(
        unit_id=unit_id,
        year=year,
        active_members=row.get("active", 0),
        covered_members=row.get("covered", 0),
        completed_members=row.get("done", 0),
        initiatives=row.get("initiatives", 0),
        completed_initiatives=row.get("completed", 0),
        realised_vnd=row.get("realised", 0),
    )


async def coverage_by_cell(session: AsyncSession, unit_id: int, year: int) -> dict[int, Coverage]:
    """Coverage of every cell in `unit_id`'s subtree (the unit itself if it is a cell).

    Cells without members or initiatives are included with zeros. Two aggregate queries and
    one for the cell list, whatever the size of the subtree.
    """
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        return {}
    cell_ids = await session.scalars(
        select(OrgUnit.id).where(under(unit.path), OrgUnit.kind == "cell")
    )
    rows = await _coverage_rows(session, unit.path, year)
    return {cid: _coverage(cid, year, rows.get(cid)) for cid in cell_ids.all()}


async def subtree_coverage(session: AsyncSession, unit_id: int, year: int) -> Coverage:
    """Totals over `unit_id`'s subtree (a cell, a grassroots committee, a district...)."""
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        return _coverage(unit_id, year, None)
    rows = await _coverage_rows(session, unit.path, year)
    keys = ("active", "covered", "done", "initiatives", "completed", "realised")
    summed = {k: sum(r.get(k, 0) for r in rows.values()) for k in keys}
    return _coverage(unit_id, year, summed)


async def cell_coverage(session: AsyncSession, cell_id: int, year: int) -> Coverage:
    return await subtree_coverage(session, cell_id, year)
