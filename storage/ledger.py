"""The member ledger: twelve months of attendance and dues per member, the warnings drawn
from them (domain.member_rules), the member's dates and monthly dues amount, and the members
whose probation the reminders planner watches.

A month's attendance comes from the cell's submitted, held regular meeting of that month: a
member expected at it (``expected_ids`` in its answers) is present unless an
``attendance_marks`` row says excused or unexcused; a member not expected was exempt. A
month's dues come from ``member_dues`` rows; for meetings reported before those rows existed,
"everyone paid" and "nobody paid" still say it for each expected member, "some paid" does not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.member_rules import (
    Attendance,
    Dues,
    MemberWarnings,
    MonthEntry,
    RecentAbsences,
    recent_absences,
    warnings_of,
    window,
)
from domain.periods import add_months
from storage import audit
from storage.models import (
    AttendanceMark,
    Checkin,
    CheckinStatus,
    Member,
    MemberDues,
    MemberStatus,
    OutboxMessage,
    OutboxStatus,
)

# Exempt members and those who left the roll are not warned about.
WATCHED = (MemberStatus.OFFICIAL.value, MemberStatus.PROBATIONARY.value)


@dataclass(frozen=True)
class Warned:
    member_id: int
    name: str
    sort_key: str
    warnings: MemberWarnings  # over the twelve months
    recent: RecentAbsences  # over the last three (the brief's early warning)


@dataclass(frozen=True)
class _Meeting:
    checkin_id: int
    month: dt.date
    expected: frozenset[int] | None  # None: the check-in did not record who was expected
    dues_status: str | None


async def _meetings(session: AsyncSession, cell_id: int, months: list[dt.date]) -> list[_Meeting]:
    rows = await session.execute(
        select(Checkin.id, Checkin.month, Checkin.answers, Checkin.dues_status).where(
            Checkin.cell_id == cell_id,
            Checkin.slot == "regular",
            Checkin.status == CheckinStatus.SUBMITTED.value,
            Checkin.held.is_(True),
            Checkin.month >= months[0],
            Checkin.month < add_months(months[-1], 1),
        )
    )
    out = []
    for checkin_id, month, answers, dues_status in rows.all():
        ids = answers.get("expected_ids") if isinstance(answers, dict) else None
        expected = frozenset(int(i) for i in ids) if isinstance(ids, list) else None
        out.append(_Meeting(checkin_id, month, expected, dues_status))
    return out


async def _ledgers(
    session: AsyncSession, cell_id: int, members: list[Member], months: list[dt.date]
) -> dict[int, list[MonthEntry]]:
    meetings = {m.month: m for m in await _meetings(session, cell_id, months)}
    ids = [m.id for m in members]
    marks: dict[tuple[int, int], str] = {}
    paid: dict[tuple[dt.date, int], bool] = {}
    if meetings and ids:
        for checkin_id, member_id, status in (
            await session.execute(
                select(
                    AttendanceMark.checkin_id, AttendanceMark.member_id, AttendanceMark.status
                ).where(
                    AttendanceMark.checkin_id.in_([m.checkin_id for m in meetings.values()]),
                    AttendanceMark.member_id.in_(ids),
                )
            )
        ).all():
            marks[(checkin_id, member_id)] = status
    if ids:
        for member_id, month, was_paid in (
            await session.execute(
                select(MemberDues.member_id, MemberDues.month, MemberDues.paid).where(
                    MemberDues.member_id.in_(ids),
                    MemberDues.month >= months[0],
                    MemberDues.month < add_months(months[-1], 1),
                )
            )
        ).all():
            # Two rows of one month (a regular and a thematic check-in): unpaid wins.
            key = (month.replace(day=1), member_id)
            paid[key] = paid.get(key, True) and bool(was_paid)
    out: dict[int, list[MonthEntry]] = {}
    for member in members:
        entries = []
        for month in months:
            meeting = meetings.get(month)
            attendance = _attendance(meeting, member, marks)
            dues = _dues(meeting, member.id, month, attendance, paid)
            entries.append(MonthEntry(month, attendance, dues))
        out[member.id] = entries
    return out


def _attendance(
    meeting: _Meeting | None, member: Member, marks: dict[tuple[int, int], str]
) -> Attendance:
    if meeting is None:
        return Attendance.NO_MEETING
    mark = marks.get((meeting.checkin_id, member.id))
    if mark is not None:
        return Attendance.UNEXCUSED if mark == "unexcused" else Attendance.EXCUSED
    if meeting.expected is None:
        exempt = member.status == MemberStatus.EXEMPT.value
        return Attendance.EXEMPT if exempt else Attendance.PRESENT
    return Attendance.PRESENT if member.id in meeting.expected else Attendance.EXEMPT


def _dues(
    meeting: _Meeting | None,
    member_id: int,
    month: dt.date,
    attendance: Attendance,
    paid: dict[tuple[dt.date, int], bool],
) -> Dues:
    recorded = paid.get((month, member_id))
    if recorded is not None:
        return Dues.PAID if recorded else Dues.UNPAID
    if meeting is None or attendance in (Attendance.EXEMPT, Attendance.NO_MEETING):
        return Dues.UNKNOWN
    if meeting.dues_status == "all":
        return Dues.PAID
    if meeting.dues_status == "none":
        return Dues.UNPAID
    return Dues.UNKNOWN


async def member_ledger(
    session: AsyncSession, member: Member, last_month: dt.date
) -> list[MonthEntry]:
    """The member's twelve months ending with `last_month`, oldest first."""
    months = window(last_month)
    return (await _ledgers(session, member.cell_id, [member], months))[member.id]


async def _watched(session: AsyncSession, cell_id: int, last_month: dt.date) -> list[Warned]:
    """Every watched member of the cell with the warnings of the twelve months ending with
    `last_month`, in the roster's (Vietnamese) order."""
    members = list(
        (
            await session.scalars(
                select(Member)
                .where(Member.cell_id == cell_id, Member.status.in_(WATCHED))
                .order_by(Member.sort_key, Member.id)
            )
        ).all()
    )
    ledgers = await _ledgers(session, cell_id, members, window(last_month))
    return [
        Warned(
            member.id,
            member.full_name,
            member.sort_key,
            warnings_of(ledgers[member.id]),
            recent_absences(ledgers[member.id]),
        )
        for member in members
    ]


async def warned_members(session: AsyncSession, cell_id: int, last_month: dt.date) -> list[Warned]:
    """Watched members of the cell with a warning over the twelve months ending with
    `last_month`, in the roster's (Vietnamese) order."""
    return [w for w in await _watched(session, cell_id, last_month) if w.warnings.any]


async def members_to_watch(
    session: AsyncSession, cell_id: int, last_month: dt.date
) -> list[Warned]:
    """The brief's members to watch: a twelve months' warning, or absent from 2 of the last
    3 months (domain.member_rules), one entry per member."""
    return [
        w for w in await _watched(session, cell_id, last_month) if w.warnings.any or w.recent.warned
    ]


async def dues_recorded(session: AsyncSession, cell_id: int, last_month: dt.date) -> bool:
    """Whether any dues per member are recorded in the twelve months (for the brief, which
    otherwise says they are not, rather than reporting no one as unpaid)."""
    months = window(last_month)
    found = await session.scalar(
        select(MemberDues.id)
        .join(Checkin, Checkin.id == MemberDues.checkin_id)
        .where(
            Checkin.cell_id == cell_id,
            MemberDues.month >= months[0],
            MemberDues.month < add_months(months[-1], 1),
        )
        .limit(1)
    )
    return found is not None


# ---------------------------------------------------------------- the member's dates and dues


async def set_admitted_on(
    session: AsyncSession, member: Member, day: dt.date, *, actor_account_id: int | None
) -> None:
    before = member.admitted_on
    member.admitted_on = day
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="member",
        entity_id=member.id,
        action="admitted_on",
        before={"admitted_on": before.isoformat() if before else None},
        after={"admitted_on": day.isoformat()},
    )


async def set_monthly_dues(
    session: AsyncSession, member: Member, amount: int | None, *, actor_account_id: int | None
) -> None:
    before = member.monthly_dues
    member.monthly_dues = amount
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="member",
        entity_id=member.id,
        action="monthly_dues",
        before={"monthly_dues": before},
        after={"monthly_dues": amount},
    )


async def make_official(
    session: AsyncSession, member: Member, day: dt.date, *, actor_account_id: int | None
) -> None:
    """A probationary member becomes official (chuyển đảng chính thức) on `day`. Both
    statuses are active, so no period's figures change."""
    before = {"status": member.status, "official_on": None}
    if member.official_on is not None:
        before["official_on"] = member.official_on.isoformat()
    member.status = MemberStatus.OFFICIAL.value
    member.official_on = day
    # The probation reminder is no longer wanted: stop it now rather than at the next plan
    # (schedules/planner.py keys it "pb:<cell>:<member>:…").
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedup_key.startswith(f"pb:{member.cell_id}:{member.id}:"),
            OutboxMessage.status == OutboxStatus.PENDING.value,
        )
        .values(status=OutboxStatus.CANCELLED.value)
    )
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="member",
        entity_id=member.id,
        action="official",
        before=before,
        after={"status": member.status, "official_on": day.isoformat()},
    )


# ---------------------------------------------------------------- probation (the planner's facts)


@dataclass(frozen=True)
class OnProbation:
    member_id: int
    name: str
    admitted_on: dt.date


async def on_probation(
    session: AsyncSession, cell_ids: Iterable[int]
) -> dict[int, list[OnProbation]]:
    """Probationary members with an admission date, by cell."""
    ids = list(cell_ids)
    out: dict[int, list[OnProbation]] = defaultdict(list)
    if not ids:
        return out
    rows = await session.execute(
        select(Member.cell_id, Member.id, Member.full_name, Member.admitted_on)
        .where(
            Member.cell_id.in_(ids),
            Member.status == MemberStatus.PROBATIONARY.value,
            Member.admitted_on.is_not(None),
        )
        .order_by(Member.cell_id, Member.id)
    )
    for cell_id, member_id, name, admitted_on in rows.all():
        if admitted_on is not None:  # filtered in SQL; for the type checker
            out[cell_id].append(OnProbation(member_id, name, admitted_on))
    return out
