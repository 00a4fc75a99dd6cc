"""Per-member metrics over a cell's meetings: members at risk of being struck off (absences
without reason in a window) and members absent with reason too many times in a row (12-HD/BTCTW).
compute_metrics (storage.metrics) counts them per cell; /cell lists them by name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Subquery, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.framework import Standards
from domain.periods import Period
from storage.metrics_sql import (
    CellFilter,
    MemberAtRisk,
    RowsQuery,
    active_member,
    risk_window,
    scope_filter,
)
from storage.models import (
    AttendanceMark,
    Checkin,
    CheckinStatus,
    Member,
    OrgUnit,
)

# ---------------------------------------------------------------- members at risk


def absences_query(
    within: CellFilter, window: tuple[dt.date, dt.date], standards: Standards, *, few: bool = False
) -> Subquery:
    """(cell_id, member_id, months) of the active members of the cells `within` with an unexcused
    absence in `risk_months` or more distinct months of `window`, as a subquery (`few`: see
    `_active_member`)."""
    months = func.count(func.distinct(Checkin.month))
    return (
        select(
            Checkin.cell_id.label("cell_id"),
            AttendanceMark.member_id.label("member_id"),
            months.label("months"),
        )
        .join(Checkin, Checkin.id == AttendanceMark.checkin_id)
        .where(
            within(Checkin.cell_id),
            AttendanceMark.status == "unexcused",
            Checkin.status == CheckinStatus.SUBMITTED.value,
            Checkin.month >= window[0],
            Checkin.month < window[1],
            active_member(AttendanceMark.member_id, few=few),
        )
        .group_by(Checkin.cell_id, AttendanceMark.member_id)
        .having(months >= standards.risk_months)
        .subquery("absent")
    )


def at_risk_count_query(
    within: CellFilter, window: tuple[dt.date, dt.date], standards: Standards, *, few: bool = False
) -> RowsQuery:
    absent = absences_query(within, window, standards, few=few)
    return select(absent.c.cell_id, func.count()).group_by(absent.c.cell_id)


async def members_at_risk(
    session: AsyncSession, cell: OrgUnit, *, as_of: dt.date, standards: Standards
) -> list[MemberAtRisk]:
    """Active members of `cell` with an unexcused absence in `risk_months` or more of the
    `risk_window_months` months up to `as_of` (early warning before being struck off)."""
    window = risk_window(Period.of("month", as_of), as_of, standards.risk_window_months)
    absent = absences_query(scope_filter(cell.path, None), window, standards, few=True)
    rows = await session.execute(
        select(absent.c.member_id, Member.full_name, absent.c.months)
        .join(Member, Member.id == absent.c.member_id)
        .order_by(absent.c.months.desc(), Member.sort_key)
    )
    return [MemberAtRisk(int(r[0]), str(r[1]), int(r[2])) for r in rows.all()]


# ---------------------------------------------------------------- excused absences in a row


def excused_crossings_query(
    within: CellFilter, year: int, max_run: int, *, few: bool = False
) -> Subquery:
    """(cell_id, member_id, month): for each run of more than `max_run` excused absences in
    a row of an active member over the cell's held meetings of `year`, the month of the
    meeting that took it over (the run's `max_run + 1`-th). A period ending at E counts the
    members with such a month before E, so one query serves every period of the year.

    "In a row" is over the cell's held meetings in order (any type), so a meeting the member
    attended, or missed without reason, ends a run. Gaps and islands: a member's excused
    meetings numbered within the cell's meetings, minus their own numbering, are constant
    along a run. Window functions: SQLite 3.25+ and PostgreSQL alike."""
    c = Checkin
    # NULLs sort first on SQLite and last on PostgreSQL: order by values that are never NULL.
    meetings = (
        select(
            c.id.label("checkin_id"),
            c.cell_id.label("cell_id"),
            c.month.label("month"),
            func.row_number()
            .over(
                partition_by=c.cell_id,
                order_by=(c.month, func.coalesce(c.meeting_date, c.month), c.slot, c.id),
            )
            .label("seq"),
        )
        .where(
            within(c.cell_id),
            c.status == CheckinStatus.SUBMITTED.value,
            c.held.is_(True),
            c.month >= dt.date(year, 1, 1),
            c.month < dt.date(year + 1, 1, 1),
        )
        .subquery("meetings")
    )
    mark = AttendanceMark
    excused = (
        select(
            meetings.c.cell_id.label("cell_id"),
            mark.member_id.label("member_id"),
            meetings.c.month.label("month"),
            meetings.c.seq.label("seq"),
            (
                meetings.c.seq
                - func.row_number().over(
                    partition_by=(meetings.c.cell_id, mark.member_id), order_by=meetings.c.seq
                )
            ).label("run"),
        )
        .join(meetings, meetings.c.checkin_id == mark.checkin_id)
        .where(mark.status == "excused", active_member(mark.member_id, few=few))
        .subquery("excused")
    )
    e = excused.c
    ranked = select(
        e.cell_id,
        e.member_id,
        e.month,
        func.row_number()
        .over(partition_by=(e.cell_id, e.member_id, e.run), order_by=e.seq)
        .label("nth"),
    ).subquery("ranked")
    return (
        select(ranked.c.cell_id, ranked.c.member_id, ranked.c.month)
        .where(ranked.c.nth == max_run + 1)
        .subquery("crossings")
    )


Crossings = dict[int, list[tuple[int, dt.date]]]


async def excused_crossings(
    session: AsyncSession, query: RowsQuery, params: dict[str, Any] | None = None
) -> Crossings:
    """The rows of `select(excused_crossings_query(…))` (`query`) by cell: [(member id,
    month)]."""
    found: Crossings = {}
    for cell_id, member_id, month in await session.execute(query, params or {}):
        found.setdefault(int(cell_id), []).append((int(member_id), month))
    return found


def excused_in_a_row(crossings: Crossings, cell_id: int, period: Period) -> int:
    """Members of the cell over the limit in the period's year up to its end."""
    return len({member for member, month in crossings.get(cell_id, ()) if month < period.end})


async def members_excused_in_a_row(
    session: AsyncSession, cell: OrgUnit, period: Period, *, standards: Standards
) -> list[tuple[int, str]]:
    """(id, name) of the active members of `cell` absent with reason more than
    `excused_streak_max` meetings in a row in the period's year, up to its end."""
    crossings = excused_crossings_query(
        scope_filter(cell.path, None), period.start.year, standards.excused_streak_max
    )
    over = select(crossings.c.member_id).where(crossings.c.month < period.end)
    rows = await session.execute(
        select(Member.id, Member.full_name).where(Member.id.in_(over)).order_by(Member.sort_key)
    )
    return [(int(r[0]), str(r[1])) for r in rows.all()]
