"""What the minutes (*biên bản*) and the resolution (*nghị quyết*) of a month are written from.

One submitted check-in of a held meeting, its cell and the cell's parent unit, the expected
members by name with their attendance marks, the names of the members commended and
criticised, last month's tasks with how this meeting found each, next month's tasks with
their owners (in the order the meeting set them), the recommendations to the higher
committee, and who submitted it; since the opening is asked (issue 16 part 1): the place,
the chair and the thư ký, the guest, absence notes, documents conveyed, the speakers and who
had not paid by name, and the vote. Read in the caller's transaction; plain data out (the DOCX
is written by bot/docx_minutes.py, with the texts of the catalogs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkin_schema import Absence, CheckinAnswers, TaskStatus, parse_answers
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
    note: str | None = None  # why, when the secretary said


@dataclass(frozen=True)
class TaskLine:
    """One task as the papers list it: its text and owner's name (None: the whole cell)."""

    text: str
    owner: str | None
    # Last month's task: how this meeting found it (None: not reviewed).
    status: TaskStatus | None = None
    # Next month's task: it continues one of last month's unfinished tasks.
    carried: bool = False


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
    # Last month's tasks as this meeting reviewed them, and next month's tasks, in order.
    reviewed_tasks: list[TaskLine] = field(default_factory=list)
    next_tasks: list[TaskLine] = field(default_factory=list)
    # Recommendations to the higher committee: "" none, None not asked (an older check-in).
    proposals: str | None = None
    # By name (None: not asked on this check-in, the line stays dotted).
    chair: str | None = None
    clerk: str | None = None
    speakers: list[str] | None = None
    unpaid: list[str] | None = None
    converted: list[str] = field(default_factory=list)
    admitted: list[str] = field(default_factory=list)

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
    listed |= {p.owner_id for p in answers.prior_tasks if p.owner_id is not None}
    listed |= {t.owner_id for t in answers.next_tasks or [] if t.owner_id is not None}
    listed |= {m for m in (answers.chair_id, answers.clerk_id) if m is not None}
    listed |= set(answers.speaker_ids or []) | set(answers.unpaid_ids or [])
    listed |= set(answers.converted_ids or [])
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
            note=(answers.absence_notes or {}).get(member_id) or None,
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
        reviewed_tasks=[
            TaskLine(p.text, _name(names, p.owner_id), answers.task_review.get(p.id))
            for p in answers.prior_tasks
        ],
        next_tasks=[
            TaskLine(t.text, _name(names, t.owner_id), carried=t.carried_from is not None)
            for t in answers.next_tasks or []
        ],
        proposals=answers.proposals,
        chair=_name(names, answers.chair_id),
        clerk=_name(names, answers.clerk_id),
        speakers=_names(names, answers.speaker_ids if answers.speakers is not None else None),
        unpaid=_names(names, answers.unpaid_ids if "dues_paid" in answers.lists_done else None),
        converted=_names(names, answers.converted_ids) or [],
        admitted=[c.name for c in answers.dossier if c.id in set(answers.admission_ids or [])],
    )


def _name(names: dict[int, str], member_id: int | None) -> str | None:
    return None if member_id is None else names.get(member_id)


def _names(names: dict[int, str], ids: list[int] | None) -> list[str] | None:
    """In roster order (`names` was read sorted)."""
    if ids is None:
        return None
    wanted = set(ids)
    return [name for member_id, name in names.items() if member_id in wanted]


async def facts_of_month(
    session: AsyncSession, cell_id: int, month: dt.date
) -> MinutesFacts | None:
    checkin_id = await checkin_of_month(session, cell_id, month)
    return None if checkin_id is None else await read_facts(session, checkin_id)
