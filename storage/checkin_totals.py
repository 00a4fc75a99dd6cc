"""The check-ins' aggregates a cell's result is built from: what its meetings add up to over
a period (`checkin_query`, one row per cell), and the activity /summary shows (`activity_columns`).

Every column is a sum or a count over check-in rows, so it adds up over months: a period's
totals are the sum of its months'. A submit's refresh reads its cell's months once for the
year (`months_query`) and sums them per period in Python (`totals_between`), one statement
instead of two per period; a view of many cells asks SQL for each period's totals directly.
Both give the same integers. The meeting scores (one decimal) are summed as whole tenths, so
their sum does not depend on the order rows are added in (on SQLite a float sum did).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, or_, select

from domain.framework import Standards
from domain.periods import Period
from storage.metrics_sql import (
    BOOL_FACTS,
    THEMATIC_TYPES,
    CellFilter,
    RowsQuery,
    as_of_month,
    count_if,
    sum_if,
)
from storage.models import Checkin, CheckinStatus

# A cell's totals: column label -> sum (the labels of `checkin_columns` and `ACTIVITY`).
Totals = dict[str, int]
# A cell's totals per month (first day of the month -> totals).
MonthTotals = Mapping[dt.date, Mapping[str, int]]

# (meetings, regular reports, meeting score sum, scored meetings, present, expected)
Activity = tuple[int, int, float, int, int, int]
NO_ACTIVITY: Activity = (0, 0, 0.0, 0, 0, 0)


def _thematic_held() -> ColumnElement[bool]:
    return and_(Checkin.held.is_(True), Checkin.meeting_type.in_(THEMATIC_TYPES))


def checkin_columns(as_of: dt.date, standards: Standards) -> list[ColumnElement[int]]:
    """The sums and counts the check-in metrics are computed from (storage.metrics)."""
    c = Checkin
    held = c.held.is_(True)
    thematic = _thematic_held()
    impl_points = case(
        *[(c.resolution_impl == k, v) for k, v in standards.resolution_impl_percent.items()],
        else_=0,
    )
    duration_ok = or_(
        and_(c.meeting_type == "combined", c.duration_min >= standards.min_duration_combined_min),
        and_(
            or_(c.meeting_type.is_(None), c.meeting_type != "combined"),
            c.duration_min >= standards.min_duration_min,
        ),
    )
    attendance_known = and_(held, c.expected_count.is_not(None), c.present_count.is_not(None))
    speakers_known = and_(held, c.expected_count.is_not(None), c.speakers.is_not(None))
    columns: list[ColumnElement[int]] = [
        func.count(c.id).label("checkins"),
        count_if(and_(c.slot == "regular", held)).label("regular_held"),
        count_if(and_(c.slot == "regular", c.month == as_of_month(as_of))).label("current_rows"),
        count_if(held).label("held"),
        count_if(thematic).label("thematic"),
        sum_if(attendance_known, c.expected_count).label("expected"),
        sum_if(attendance_known, c.present_count).label("present"),
        sum_if(held, func.coalesce(c.absent_unexcused, 0)).label("unexcused"),
        count_if(and_(held, c.absent_unexcused == 0)).label("no_unexcused_yes"),
        count_if(and_(held, c.absent_unexcused.is_not(None))).label("no_unexcused_known"),
        count_if(and_(held, c.duration_min.is_not(None), duration_ok)).label("duration_yes"),
        count_if(and_(held, c.duration_min.is_not(None))).label("duration_known"),
        sum_if(speakers_known, c.speakers).label("speakers"),
        sum_if(speakers_known, c.expected_count).label("speakers_expected"),
        count_if(
            and_(held, func.coalesce(c.commended, 0) + func.coalesce(c.criticised, 0) > 0)
        ).label("commend_yes"),
        count_if(and_(held, or_(c.commended.is_not(None), c.criticised.is_not(None)))).label(
            "commend_known"
        ),
        sum_if(held, impl_points).label("impl_points"),
        count_if(and_(held, c.resolution_impl.in_(list(standards.resolution_impl_percent)))).label(
            "impl_known"
        ),
        count_if(and_(held, c.dues_status == "all")).label("dues_yes"),
        count_if(and_(held, c.dues_status.is_not(None))).label("dues_known"),
        sum_if(c.id.is_not(None), func.coalesce(c.discipline, 0)).label("discipline"),
        sum_if(c.id.is_not(None), func.coalesce(c.solidarity, 0)).label("solidarity"),
        sum_if(c.id.is_not(None), func.coalesce(c.candidates, 0)).label("candidates"),
        sum_if(c.id.is_not(None), func.coalesce(c.admitted, 0)).label("admitted"),
    ]
    for name in BOOL_FACTS:
        column = getattr(c, name)
        columns.append(count_if(and_(held, column.is_(True))).label(f"{name}_yes"))
        columns.append(count_if(and_(held, column.is_not(None))).label(f"{name}_known"))
    return columns


def activity_columns() -> list[ColumnElement[int]]:
    """The activity of `Activity`, labelled as `ACTIVITY`."""
    c = Checkin
    known = and_(c.held.is_(True), c.expected_count.is_not(None), c.present_count.is_not(None))
    scored = c.meeting_score.is_not(None)
    tenths = cast(func.round(c.meeting_score * 10), Integer)
    return [
        func.count().label("a_meetings"),
        count_if(c.slot == "regular").label("a_reports"),
        sum_if(scored, tenths).label("a_tenths"),
        func.count(c.meeting_score).label("a_scored"),
        sum_if(known, c.present_count).label("a_present"),
        sum_if(known, c.expected_count).label("a_expected"),
    ]


# The labels of `activity_columns`, in order.
ACTIVITY = tuple(column.name for column in activity_columns())


def activity_of(values: Sequence[Any]) -> Activity:
    """An `Activity` from the values of `activity_columns`, in order."""
    meetings, reports, tenths, scored, present, expected = (int(v or 0) for v in values)
    return (meetings, reports, tenths / 10, scored, present, expected)


def _submitted(within: CellFilter, start: dt.date, end: dt.date) -> list[ColumnElement[bool]]:
    c = Checkin
    return [
        within(c.cell_id),
        c.status == CheckinStatus.SUBMITTED.value,
        c.month >= start,
        c.month < end,
    ]


def thematic_quarters(period: Period) -> list[Period]:
    """The quarters whose thematic meetings a period's result counts one by one."""
    return period.quarters() if period.kind != "month" else []


def checkin_query(
    within: CellFilter, period: Period, as_of: dt.date, standards: Standards
) -> RowsQuery:
    """The totals of each cell over `period`, with `thematic_q{i}` per `thematic_quarters`."""
    c = Checkin
    thematic = _thematic_held()
    columns = checkin_columns(as_of, standards)
    for i, quarter in enumerate(thematic_quarters(period)):
        in_quarter = and_(thematic, c.month >= quarter.start, c.month < quarter.end)
        columns.append(count_if(in_quarter).label(f"thematic_q{i}"))
    return (
        select(c.cell_id, *columns)
        .where(*_submitted(within, period.start, period.end))
        .group_by(c.cell_id)
    )


def activity_query(within: CellFilter, start: dt.date, end: dt.date) -> RowsQuery:
    """The activity of each cell over the months [start, end)."""
    c = Checkin
    return (
        select(c.cell_id, *activity_columns())
        .where(*_submitted(within, start, end))
        .group_by(c.cell_id)
    )


def months_query(
    within: CellFilter, start: dt.date, end: dt.date, as_of: dt.date, standards: Standards
) -> RowsQuery:
    """The totals and the activity of each cell and month in [start, end)."""
    c = Checkin
    return (
        select(c.cell_id, c.month, *checkin_columns(as_of, standards), *activity_columns())
        .where(*_submitted(within, start, end))
        .group_by(c.cell_id, c.month)
    )


def totals_between(months: MonthTotals, start: dt.date, end: dt.date) -> Totals | None:
    """The sum of the months in [start, end); None when there is none (no check-in)."""
    inside = [totals for month, totals in months.items() if start <= month < end]
    if not inside:
        return None
    return {name: sum(totals[name] for totals in inside) for name in inside[0]}


def period_totals(months: MonthTotals, period: Period) -> Totals | None:
    """What `checkin_query` gives for one cell over `period`, from its months."""
    totals = totals_between(months, period.start, period.end)
    if totals is not None:
        for i, quarter in enumerate(thematic_quarters(period)):
            in_quarter = totals_between(months, quarter.start, quarter.end)
            totals[f"thematic_q{i}"] = in_quarter["thematic"] if in_quarter else 0
    return totals
