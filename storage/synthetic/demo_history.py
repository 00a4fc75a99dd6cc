"""A year of history for the small demo (idempotent): what a new user's first /summary, /chart
and `cellbot report` read.

The 12 months before today's month (by domain.clock, so a pinned clock moves it): submitted
check-ins with absences (excused and not, a member who keeps missing), thematic and combined
meetings, a month or two not held or not reported; meeting schedules for the communes and the
company, one cell with its own, and this month's meeting of one cell moved. In today's month
only the cells whose meeting day has passed have reported; the others' meetings are ahead, so
their reminders are pending (`cellbot reminders preview --unit QN-LH`).

The check-ins are written like the province seed's (storage/synthetic/province.py), from the
same habits, so that both demos read alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from domain.periods import month_start
from storage import audit
from storage.models import Checkin, MeetingOverride, MeetingSchedule, Member, OrgUnit, UnitKind
from storage.synthetic.meetings import CellHabits, CellMember
from storage.synthetic.province import ProvinceSeeder, bump_sequences, history_months, next_ids

MONTHS = 12
# (unit code, rule) of the demo's meeting schedules; a cell without one inherits its
# committee's. rule: ("day", day) or ("weekday", nth, weekday 0=Monday), and the start time.
SCHEDULES: list[tuple[str, tuple[int, ...], str]] = [
    ("QN-LH", (5,), "08:00"),  # the 5th of every month
    ("QN-LH-C02", (20,), "19:30"),  # a village that meets in the evening
    ("QN-BLI", (1, 0), "14:00"),  # the first Monday
    ("QN-THAN-HL", (10,), "14:00"),
]
MOVED_CELL, MOVED_DAY, MOVED_REASON = "QN-LH-C03", 15, "Trùng lịch công tác của xã"


@dataclass
class HistoryReport:
    months: list[dt.date]
    checkins: int
    absences: int
    schedules: int

    @property
    def span(self) -> str:
        return f"{self.months[0]:%Y-%m}..{self.months[-1]:%Y-%m}"


def _meeting_day(rule: tuple[int, ...]) -> int:
    return rule[0] if len(rule) == 1 else 4  # a first Monday falls on the 1st..7th


async def seed_demo_history(session: AsyncSession, root_code: str, seed: int) -> HistoryReport:
    """The demo cells' year of check-ins and their schedules; nothing when they have any."""
    months = history_months(MONTHS, None)
    root = await session.scalar(select(OrgUnit).where(OrgUnit.code == root_code))
    assert root is not None
    cells = list(
        (
            await session.scalars(
                select(OrgUnit)
                .where(OrgUnit.kind == UnitKind.CELL.value, OrgUnit.path.startswith(root.path))
                .order_by(OrgUnit.code)
            )
        ).all()
    )
    ids = [c.id for c in cells]
    existing = await session.scalar(
        select(func.count()).select_from(Checkin).where(Checkin.cell_id.in_(ids))
    )
    if existing:
        return HistoryReport(months, 0, 0, 0)

    days = _days(cells)
    rng = random.Random(seed * 31 + 1)
    seeder = ProvinceSeeder(session, rng, await next_ids(session), months, chunk=500)
    # This month: the cells whose meeting day has passed have met and reported (so that
    # /summary, which opens on this month, has figures after the first week); the others,
    # and the cell whose meeting was moved, are still ahead, with their reminders pending.
    today = clock.today()
    this_month = ProvinceSeeder(session, rng, seeder.ids, [month_start(today)], chunk=500)
    for cell in cells:
        members = (
            await session.scalars(
                select(Member).where(Member.cell_id == cell.id).order_by(Member.id)
            )
        ).all()
        roster = [CellMember(m.id, m.full_name, m.status) for m in members]
        habits = dataclasses.replace(CellHabits.draw(rng), meeting_day=days[cell.id])
        await seeder.history(cell.id, roster, habits, None)
        met = habits.meeting_day + 2 < today.day  # meeting_record moves a day by up to 2
        if met and cell.code != MOVED_CELL:
            await this_month.history(cell.id, roster, habits, None)
    await seeder.writer.flush()
    await this_month.writer.flush()
    await bump_sequences(session)
    schedules = await _schedules(session)
    counts = {k: n + this_month.writer.counts[k] for k, n in seeder.writer.counts.items()}
    if this_month.writer.counts["checkins"]:
        months = [*months, month_start(today)]
    audit.record(
        session,
        actor_account_id=None,
        actor_label="demo seed",
        entity="org_unit",
        entity_id=root.id,
        action="seed_demo_history",
        after={"first": months[0].isoformat(), "checkins": counts["checkins"]},
    )
    return HistoryReport(months, counts["checkins"], counts["attendance_marks"], schedules)


def _days(cells: list[OrgUnit]) -> dict[int, int]:
    """Each cell's usual meeting day: its own schedule's, else its committee's."""
    by_code = {code: _meeting_day(rule) for code, rule, _ in SCHEDULES}
    days = {}
    for cell in cells:
        committee = cell.code.rsplit("-C", 1)[0]
        days[cell.id] = by_code.get(cell.code, by_code.get(committee, 10))
    return days


async def _schedules(session: AsyncSession) -> int:
    added = 0
    for code, rule, start in SCHEDULES:
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.code == code))
        if unit is None or await session.scalar(
            select(MeetingSchedule.id).where(MeetingSchedule.unit_id == unit.id)
        ):
            continue  # a schedule someone set is kept
        by_day = len(rule) == 1
        session.add(
            MeetingSchedule(
                unit_id=unit.id,
                rule_kind="day" if by_day else "weekday",
                day=rule[0] if by_day else None,
                nth=None if by_day else rule[0],
                weekday=None if by_day else rule[1],
                start_time=start,
            )
        )
        added += 1
    moved = await session.scalar(select(OrgUnit).where(OrgUnit.code == MOVED_CELL))
    month = month_start(clock.today())
    if moved is not None and not await session.scalar(
        select(MeetingOverride.id).where(
            MeetingOverride.cell_id == moved.id, MeetingOverride.month == month
        )
    ):
        local = dt.datetime(month.year, month.month, MOVED_DAY, 8, tzinfo=clock.DEFAULT_TZ)
        session.add(
            MeetingOverride(
                cell_id=moved.id,
                month=month,
                moved_to=local.astimezone(dt.UTC),
                reason=MOVED_REASON,
            )
        )
    await session.flush()
    return added
