"""The annual review's facts (issue 17): each member's year read from the cell's records
(attendance marks, member_dues, initiatives, commendations and criticisms in the check-ins'
answers, the meeting tasks they own) and the scores of the cell's regular meetings.

Reads its tables itself (the per-member ledger of storage/ledger.py is not needed).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.framework import Framework
from domain.periods import add_months
from domain.year_review_rules import MemberYear
from storage.models import (
    AttendanceMark,
    Checkin,
    CheckinStatus,
    Initiative,
    MeetingTask,
    Member,
    MemberDues,
    MemberStatus,
)
from storage.read_model import ensure_meeting_scores

NOT_DONE = ("partly", "not")


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


async def reviewed_members(session: AsyncSession, cell_id: int, year: int) -> list[Member]:
    """The members a year review lists: on the roll now, or who left during or after it."""
    start, _ = _year_bounds(year)
    rows = await session.scalars(
        select(Member)
        .where(
            Member.cell_id == cell_id,
            (Member.status != MemberStatus.LEFT.value) | (Member.left_on >= start),
            func.coalesce(Member.admitted_on, start) < dt.date(year + 1, 1, 1),
        )
        .order_by(Member.sort_key, Member.id)
    )
    return list(rows.all())


async def _submitted_checkins(session: AsyncSession, cell_id: int, year: int) -> list[Checkin]:
    start, end = _year_bounds(year)
    rows = await session.scalars(
        select(Checkin).where(
            Checkin.cell_id == cell_id,
            Checkin.status == CheckinStatus.SUBMITTED.value,
            Checkin.month >= start,
            Checkin.month < end,
        )
    )
    return list(rows.all())


async def member_years(session: AsyncSession, cell_id: int, year: int) -> list[MemberYear]:
    """Each reviewed member's year, in roll order (a few queries for the whole cell)."""
    members = await reviewed_members(session, cell_id, year)
    ids = [m.id for m in members]
    start, end = _year_bounds(year)
    checkins = await _submitted_checkins(session, cell_id, year)
    held = [c for c in checkins if c.held]
    marks: dict[tuple[int, int], str] = {}
    if held:
        for checkin_id, member_id, status in await session.execute(
            select(
                AttendanceMark.checkin_id, AttendanceMark.member_id, AttendanceMark.status
            ).where(AttendanceMark.checkin_id.in_([c.id for c in held]))
        ):
            marks[(checkin_id, member_id)] = status
    expected: Counter[int] = Counter()
    absent: dict[str, Counter[int]] = {"excused": Counter(), "unexcused": Counter()}
    commended: Counter[int] = Counter()
    criticised: Counter[int] = Counter()
    for checkin in held:
        answers = checkin.answers or {}
        listed = answers.get("expected_ids")
        # Without the list (an older check-in), every member then on the roll was expected.
        for member in members:
            if (listed is None and member.status != MemberStatus.EXEMPT.value) or (
                listed is not None and member.id in listed
            ):
                expected[member.id] += 1
            mark = marks.get((checkin.id, member.id))
            if mark is not None and mark in absent:
                absent[mark][member.id] += 1
        commended.update(i for i in answers.get("commended") or () if isinstance(i, int))
        criticised.update(i for i in answers.get("criticised") or () if isinstance(i, int))
    dues: dict[int, tuple[int, int]] = {}
    for member_id, paid, recorded in await session.execute(
        select(
            MemberDues.member_id,
            func.count(func.distinct(MemberDues.month)).filter(MemberDues.paid.is_(True)),
            func.count(func.distinct(MemberDues.month)),
        )
        .join(Checkin, Checkin.id == MemberDues.checkin_id)
        .where(
            MemberDues.member_id.in_(ids) if ids else MemberDues.id.is_(None),
            Checkin.status == CheckinStatus.SUBMITTED.value,
            MemberDues.month >= start,
            MemberDues.month < end,
        )
        .group_by(MemberDues.member_id)
    ):
        dues[member_id] = (int(paid), int(recorded))
    initiatives: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for member_id, title, status in await session.execute(
        select(Initiative.member_id, Initiative.title, Initiative.status)
        .where(Initiative.cell_id == cell_id, Initiative.year == year)
        .order_by(Initiative.id)
    ):
        initiatives[member_id].append((title, status))
    tasks: dict[int, Counter[str]] = defaultdict(Counter)
    for owner, task_status in await session.execute(
        select(MeetingTask.owner_member_id, MeetingTask.status)
        .join(Checkin, Checkin.id == MeetingTask.checkin_id)
        .where(
            MeetingTask.cell_id == cell_id,
            MeetingTask.month >= start,
            MeetingTask.month < end,
            Checkin.status == CheckinStatus.SUBMITTED.value,
            MeetingTask.owner_member_id.is_not(None),
        )
    ):
        if owner is not None:
            tasks[owner][task_status or "open"] += 1
    years = []
    for m in members:
        paid, recorded = dues.get(m.id, (0, 0))
        owned = tasks.get(m.id, Counter())
        excused, unexcused = absent["excused"][m.id], absent["unexcused"][m.id]
        years.append(
            MemberYear(
                member_id=m.id,
                name=m.full_name,
                expected=expected[m.id],
                present=max(0, expected[m.id] - excused - unexcused),
                excused=excused,
                unexcused=unexcused,
                dues_paid=paid,
                dues_recorded=recorded,
                initiatives=tuple(initiatives.get(m.id, ())),
                commended=commended[m.id],
                criticised=criticised[m.id],
                tasks=sum(owned.values()),
                tasks_done=owned["done"],
                tasks_not_done=sum(owned[s] for s in NOT_DONE),
            )
        )
    return years


def months_due(year: int, today: dt.date) -> list[dt.date]:
    """The months of `year` whose regular meeting is due by `today` (all twelve for a past
    year; up to last month for the current one, this month included in December)."""
    start = dt.date(year, 1, 1)
    months = [add_months(start, i) for i in range(12)]
    if today.year > year:
        return months
    last = dt.date(today.year, today.month, 1)
    return [m for m in months if m < last or (m == last and today.month == 12)]


async def regular_meeting_scores(
    session: AsyncSession, fw: Framework, cell_id: int, months: Sequence[dt.date]
) -> list[float | None]:
    """The stored score of each month's held regular meeting (None: none held or scored)."""
    if not months:
        return []
    await ensure_meeting_scores(
        session,
        fw,
        Checkin.cell_id == cell_id,
        Checkin.month >= months[0],
        Checkin.month <= months[-1],
    )
    rows = await session.execute(
        select(Checkin.month, Checkin.meeting_score).where(
            Checkin.cell_id == cell_id,
            Checkin.slot == "regular",
            Checkin.status == CheckinStatus.SUBMITTED.value,
            Checkin.held.is_(True),
            Checkin.month >= months[0],
            Checkin.month <= months[-1],
        )
    )
    scores = {month: score for month, score in rows}
    return [scores.get(m) for m in months]
