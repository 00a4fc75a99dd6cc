"""What the minutes (*biên bản*) and the resolution (*nghị quyết*) of a month are written from.

One submitted check-in of a held meeting, its cell and the cell's parent unit, the expected
members by name with their attendance marks, the names of the members commended and
criticised, and who submitted it. Read in the caller's transaction; plain data out (the DOCX
is written by bot/docx_minutes.py, with the texts of the catalogs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkin_schema import Absence, CheckinAnswers, parse_answers
from storage.models import (
    Account,
    AttendanceMark,
    AuditEntry,
    Checkin,
    CheckinStatus,
    Member,
    OrgUnit,
)

# The regular meeting's check-in is the month's minutes when there are two.
SLOT_ORDER = ("regular", "thematic")


@dataclass(frozen=True)
class MemberMark:
    """One member expected at the meeting: absent (with the kind of absence) or present."""

    id: int
    name: str
    absence: Absence | None  # None: present


@dataclass(frozen=True)
class MinutesFacts:
    checkin_id: int
    cell_code: str
    cell_name: str
    parent_name: str | None
    month: dt.date
    answers: CheckinAnswers
    members: list[MemberMark]
    commended: list[str]
    criticised: list[str]
    # The account that submitted the check-in (its display name), None when unknown.
    submitter: str | None

    @property
    def present(self) -> list[MemberMark]:
        return [m for m in self.members if m.absence is None]

    @property
    def absent(self) -> list[MemberMark]:
        return [m for m in self.members if m.absence is not None]


def _held_submitted() -> list[ColumnElement[bool]]:
    return [Checkin.status == CheckinStatus.SUBMITTED.value, Checkin.held.is_(True)]


async def latest_month(session: AsyncSession, cell_id: int) -> dt.date | None:
    """The latest month with a submitted check-in of a held meeting."""
    month: dt.date | None = await session.scalar(
        select(Checkin.month)
        .where(Checkin.cell_id == cell_id, *_held_submitted())
        .order_by(Checkin.month.desc())
        .limit(1)
    )
    return month


async def checkin_of_month(session: AsyncSession, cell_id: int, month: dt.date) -> int | None:
    """The month's submitted check-in of a held meeting (the regular one first)."""
    rows = (
        await session.execute(
            select(Checkin.id, Checkin.slot).where(
                Checkin.cell_id == cell_id,
                Checkin.month == month,
                *_held_submitted(),
            )
        )
    ).all()
    ranked = sorted(rows, key=lambda r: SLOT_ORDER.index(r.slot) if r.slot in SLOT_ORDER else 9)
    return ranked[0].id if ranked else None


def _absence(status: str | None) -> Absence | None:
    """An attendance mark's status as the check-in's kind of absence."""
    if status == "excused":
        return "excused"
    if status == "unexcused":
        return "unexcused"
    return None


async def _submitter(session: AsyncSession, checkin: Checkin) -> str | None:
    actor = await session.scalar(
        select(AuditEntry.actor_account_id)
        .where(
            AuditEntry.entity == "checkin",
            AuditEntry.entity_id == checkin.id,
            AuditEntry.action == "submit",
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    account_id = actor or checkin.updated_by or checkin.created_by
    if account_id is None:
        return None
    name = await session.scalar(select(Account.display_name).where(Account.id == account_id))
    return name or None


async def read_facts(session: AsyncSession, checkin_id: int) -> MinutesFacts | None:
    """The facts of one submitted check-in of a held meeting; None for anything else."""
    checkin = await session.get(Checkin, checkin_id)
    if checkin is None or checkin.status != CheckinStatus.SUBMITTED.value or not checkin.held:
        return None
    answers = parse_answers(checkin.answers, checkin.schema_version)
    cell = await session.get(OrgUnit, checkin.cell_id)
    assert cell is not None
    parent = await session.get(OrgUnit, cell.parent_id) if cell.parent_id else None
    marks = {
        member_id: status
        for member_id, status in (
            await session.execute(
                select(AttendanceMark.member_id, AttendanceMark.status).where(
                    AttendanceMark.checkin_id == checkin.id
                )
            )
        ).all()
    }
    listed = set(answers.expected_ids or []) | set(marks)
    listed |= set(answers.commended or []) | set(answers.criticised or [])
    names: dict[int, str] = {}
    order: list[int] = []
    if listed:
        for member_id, full_name in (
            await session.execute(
                select(Member.id, Member.full_name)
                .where(Member.id.in_(listed))
                .order_by(Member.sort_key, Member.id)
            )
        ).all():
            names[member_id] = full_name
            order.append(member_id)
    expected = set(answers.expected_ids or [])
    members = [
        MemberMark(
            id=member_id,
            name=names[member_id],
            absence=_absence(marks.get(member_id)) or answers.absences.get(member_id),
        )
        for member_id in order
        if member_id in expected
    ]
    return MinutesFacts(
        checkin_id=checkin.id,
        cell_code=cell.code,
        cell_name=cell.name,
        parent_name=parent.name if parent is not None else None,
        month=checkin.month,
        answers=answers,
        members=members,
        commended=[names[m] for m in answers.commended or [] if m in names],
        criticised=[names[m] for m in answers.criticised or [] if m in names],
        submitter=await _submitter(session, checkin),
    )


async def facts_of_month(
    session: AsyncSession, cell_id: int, month: dt.date
) -> MinutesFacts | None:
    checkin_id = await checkin_of_month(session, cell_id, month)
    return None if checkin_id is None else await read_facts(session, checkin_id)
