"""Metrics of cells over a period, aggregated in SQL (GROUP BY cell), never a query per cell.

`compute_metrics` runs a fixed number of queries whatever the number of cells: the units of
the subtree, one aggregate over the check-ins, one over members, one over initiatives and one
for members at risk. To give the same numbers on SQLite and PostgreSQL:

* the SQL returns only integer sums and counts; ratios are divided in Python;
* month and quarter bounds are computed in Python (domain.periods) and bound as parameters,
  no dialect date functions;
* booleans are compared with ``IS true`` / ``IS NOT NULL``, which both dialects render.

Only submitted check-ins count. "Active" members are official or probationary: exempt members
(miễn sinh hoạt) are not expected at meetings and left members are gone, so neither counts in
initiative coverage or members at risk (as the initiatives issue defines coverage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from domain.framework import Standards
from domain.orgpath import path_ids
from domain.periods import Period, add_months, month_start
from domain.scoring import CellMetrics, MeetingFacts
from storage.models import (
    AttendanceMark,
    Checkin,
    CheckinStatus,
    Initiative,
    Member,
    MemberStatus,
    OrgUnit,
    UnitKind,
)
from storage.tree import cell_under, under

RowsQuery = Select[*tuple[Any, ...]]
ACTIVE_STATUSES = (MemberStatus.OFFICIAL.value, MemberStatus.PROBATIONARY.value)
THEMATIC_TYPES = ("thematic", "combined")
BOOL_FACTS = (
    "pre_meeting",
    "content_prepared",
    "draft_resolution",
    "current_affairs",
    "ho_chi_minh",
    "assessed",
    "resolution_adopted",
    "minutes_complete",
)
FACT_COLUMNS = tuple(MeetingFacts.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class CellInfo:
    id: int
    code: str
    name: str
    path: str
    group_id: int | None  # the grassroots committee above (or the parent when there is none)
    group_code: str | None
    group_name: str | None


@dataclass(frozen=True)
class MemberAtRisk:
    member_id: int
    full_name: str
    months: int  # distinct months with an unexcused absence in the window


# ---------------------------------------------------------------- helpers


def _count(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _sum(cond: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, value), else_=0)), 0)


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


CellFilter = Callable[[InstrumentedAttribute[int]], ColumnElement[bool]]


def _scope(root_path: str, only: Sequence[int] | None) -> CellFilter:
    """The cells the aggregates read: `root_path`'s subtree, or just the cells `only` lists
    (the read model recomputes a few cells without reading their whole subtree)."""
    if only is None:
        return lambda cell_id: cell_under(cell_id, root_path)
    ids = sorted(only)
    return lambda cell_id: cell_id.in_(ids)


def _active_member(member_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """The member is active, as "not among the few inactive members": the databases then
    look up ~5,000 ids instead of reading (or hashing) all ~100,000 members. The same rows
    as joining `members` on an active status: `member_id` is a foreign key, never NULL here."""
    inactive = select(Member.id).where(Member.status.not_in(ACTIVE_STATUSES))
    return member_id.not_in(inactive.scalar_subquery())


def _as_of_month(as_of: dt.date) -> dt.date:
    return month_start(as_of)


def risk_window(period: Period, as_of: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The `months` months ending with the period's last month (or as_of's, if earlier)."""
    end = min(period.end, add_months(_as_of_month(as_of), 1))
    return add_months(end, -months), end


# ---------------------------------------------------------------- units


async def cells_in_scope(session: AsyncSession, root: OrgUnit) -> list[CellInfo]:
    """The cells in `root`'s subtree, each with its grassroots committee (one query)."""
    ancestor_ids = path_ids(root.path)
    rows = (
        await session.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.kind, OrgUnit.path).where(
                or_(under(root.path), OrgUnit.id.in_(ancestor_ids))
            )
        )
    ).all()
    by_id = {row[0]: row for row in rows}
    # Siblings share their committee: look it up once per parent path.
    groups: dict[str, Any] = {}
    cells = []
    for unit_id, code, name, kind, path in rows:
        if kind != UnitKind.CELL.value:
            continue
        parent_path = path[: path.rindex("/", 0, len(path) - 1) + 1]
        if parent_path not in groups:
            groups[parent_path] = _committee(by_id, parent_path)
        group = groups[parent_path]
        cells.append(
            CellInfo(
                id=unit_id,
                code=code,
                name=name,
                path=path,
                group_id=group[0] if group else None,
                group_code=group[1] if group else None,
                group_name=group[2] if group else None,
            )
        )
    cells.sort(key=lambda c: c.path)
    return cells


def _committee(by_id: Mapping[int, Any], parent_path: str) -> Any:
    """The nearest grassroots unit on `parent_path` (the parent itself when there is none)."""
    chain = path_ids(parent_path)
    return next(
        (by_id[i] for i in reversed(chain) if i in by_id and by_id[i][3] == "grassroots"),
        by_id.get(chain[-1]) if chain else None,
    )


# ---------------------------------------------------------------- the aggregate queries


def _checkin_query(
    within: CellFilter, period: Period, as_of: dt.date, standards: Standards
) -> tuple[RowsQuery, list[Period]]:
    c = Checkin
    held = c.held.is_(True)
    thematic = and_(held, c.meeting_type.in_(THEMATIC_TYPES))
    quarters = period.quarters() if period.kind != "month" else []
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
        _count(and_(c.slot == "regular", held)).label("regular_held"),
        _count(and_(c.slot == "regular", c.month == _as_of_month(as_of))).label("current_rows"),
        _count(held).label("held"),
        _count(thematic).label("thematic"),
        _sum(attendance_known, c.expected_count).label("expected"),
        _sum(attendance_known, c.present_count).label("present"),
        _sum(held, func.coalesce(c.absent_unexcused, 0)).label("unexcused"),
        _count(and_(held, c.absent_unexcused == 0)).label("no_unexcused_yes"),
        _count(and_(held, c.absent_unexcused.is_not(None))).label("no_unexcused_known"),
        _count(and_(held, c.duration_min.is_not(None), duration_ok)).label("duration_yes"),
        _count(and_(held, c.duration_min.is_not(None))).label("duration_known"),
        _sum(speakers_known, c.speakers).label("speakers"),
        _sum(speakers_known, c.expected_count).label("speakers_expected"),
        _count(
            and_(held, func.coalesce(c.commended, 0) + func.coalesce(c.criticised, 0) > 0)
        ).label("commend_yes"),
        _count(and_(held, or_(c.commended.is_not(None), c.criticised.is_not(None)))).label(
            "commend_known"
        ),
        _sum(held, impl_points).label("impl_points"),
        _count(and_(held, c.resolution_impl.in_(list(standards.resolution_impl_percent)))).label(
            "impl_known"
        ),
        _count(and_(held, c.dues_status == "all")).label("dues_yes"),
        _count(and_(held, c.dues_status.is_not(None))).label("dues_known"),
        _sum(c.id.is_not(None), func.coalesce(c.discipline, 0)).label("discipline"),
        _sum(c.id.is_not(None), func.coalesce(c.solidarity, 0)).label("solidarity"),
        _sum(c.id.is_not(None), func.coalesce(c.candidates, 0)).label("candidates"),
        _sum(c.id.is_not(None), func.coalesce(c.admitted, 0)).label("admitted"),
    ]
    for name in BOOL_FACTS:
        column = getattr(c, name)
        columns.append(_count(and_(held, column.is_(True))).label(f"{name}_yes"))
        columns.append(_count(and_(held, column.is_not(None))).label(f"{name}_known"))
    for i, quarter in enumerate(quarters):
        in_quarter = and_(thematic, c.month >= quarter.start, c.month < quarter.end)
        columns.append(_count(in_quarter).label(f"thematic_q{i}"))
    query = (
        select(c.cell_id, *columns)
        .where(
            within(c.cell_id),
            c.status == CheckinStatus.SUBMITTED.value,
            c.month >= period.start,
            c.month < period.end,
        )
        .group_by(c.cell_id)
    )
    return query, quarters


async def compute_metrics(
    session: AsyncSession,
    root: OrgUnit,
    period: Period,
    *,
    standards: Standards,
    as_of: dt.date,
    cells: Sequence[CellInfo] | None = None,
    only: Sequence[int] | None = None,
) -> dict[int, CellMetrics]:
    """Metrics of every cell under `root` (or `root` itself, if a cell) for `period`; with
    `only`, of just those cells (then `cells` must be given and list them).

    `as_of` decides which months and quarters are due: those that have ended, plus the
    current one if the cell already reported it (a meeting later this month is not missed).
    """
    if cells is None:
        cells = await cells_in_scope(session, root)
    within = _scope(root.path, only)
    query, quarters = _checkin_query(within, period, as_of, standards)
    checkin_result = await session.execute(query)
    names = list(checkin_result.keys())
    # Plain dicts of ints: reading ~45 named columns of ~5,000 Row objects by attribute
    # cost more than the scoring itself.
    checkin_rows = {
        int(row[0]): dict(zip(names, map(int, row), strict=True)) for row in checkin_result.all()
    }

    member_rows: dict[int, int] = {
        int(cell_id): int(active)
        for cell_id, active in await session.execute(
            select(Member.cell_id, _count(Member.status.in_(ACTIVE_STATUSES)))
            .where(within(Member.cell_id))
            .group_by(Member.cell_id)
        )
    }

    i = Initiative
    not_dropped = i.status != "dropped"
    completed = i.status == "completed"
    initiative_rows = {
        row.cell_id: row
        for row in (
            await session.execute(
                select(
                    i.cell_id,
                    func.count(i.id).label("initiatives"),
                    func.count(func.distinct(case((not_dropped, i.member_id)))).label("covered"),
                    func.count(func.distinct(case((completed, i.member_id)))).label("completed"),
                    _sum(completed, func.coalesce(i.realised_amount_vnd, 0)).label("realised"),
                )
                .where(
                    within(i.cell_id),
                    i.year == period.year,
                    _active_member(i.member_id),
                )
                .group_by(i.cell_id)
            )
        ).all()
    }

    window = risk_window(period, as_of, standards.risk_window_months)
    at_risk_rows: dict[int, int] = {
        int(cell_id): int(n)
        for cell_id, n in await session.execute(_at_risk_count_query(within, window, standards))
    }

    ended_months = [m for m in period.months() if add_months(m, 1) <= as_of]
    current_month = _as_of_month(as_of)
    current_in_period = period.contains(current_month)
    quarters_ended = [q.end <= as_of for q in quarters]
    result: dict[int, CellMetrics] = {}
    for cell in cells:
        row = checkin_rows.get(cell.id)
        active = int(member_rows.get(cell.id, 0))
        ini = initiative_rows.get(cell.id)
        covered, completed_members = (int(ini[2]), int(ini[3])) if ini else (0, 0)
        fields: dict[str, Any] = {
            "cell_id": cell.id,
            "active_members": active,
            "initiatives": int(ini[1]) if ini else 0,
            "initiative_members": covered,
            "initiative_completed_members": completed_members,
            "initiative_coverage": _ratio(covered, active),
            "initiative_completion": _ratio(completed_members, active),
            "initiative_realised_vnd": int(ini[4]) if ini else 0,
            "members_at_risk": int(at_risk_rows.get(cell.id, 0)),
        }
        if row is not None:
            months_required = len(ended_months) + (
                1 if current_in_period and row["current_rows"] else 0
            )
            _add_checkin_metrics(fields, row, months_required, quarters_ended)
        result[cell.id] = CellMetrics(**fields)
    return result


# (metric, aggregate): the metric is the aggregate's `_yes` count over its `_known` count.
_RATES = tuple(
    (metric, f"{name}_yes", f"{name}_known")
    for metric, name in (
        ("no_unexcused_rate", "no_unexcused"),
        ("pre_meeting_rate", "pre_meeting"),
        ("content_prepared_rate", "content_prepared"),
        ("draft_resolution_rate", "draft_resolution"),
        ("duration_ok_rate", "duration"),
        ("current_affairs_rate", "current_affairs"),
        ("ho_chi_minh_rate", "ho_chi_minh"),
        ("assessed_rate", "assessed"),
        ("commend_criticise_rate", "commend"),
        ("resolution_adopted_rate", "resolution_adopted"),
        ("minutes_complete_rate", "minutes_complete"),
        ("dues_full_rate", "dues"),
    )
)


def _add_checkin_metrics(
    fields: dict[str, Any],
    row: Mapping[str, int],
    months_required: int,
    quarters_ended: Sequence[bool],
) -> None:
    """The check-in metrics of one cell, from its row of `_checkin_query`, into `fields`."""
    # A quarter is due when it has ended, or earlier if its thematic meeting is already held.
    thematic = [row[f"thematic_q{i}"] for i in range(len(quarters_ended))]
    quarter_due = [ended or held > 0 for ended, held in zip(quarters_ended, thematic, strict=True)]
    quarters_required = sum(quarter_due)
    quarters_held = sum(
        1 for due, held in zip(quarter_due, thematic, strict=True) if due and held > 0
    )
    held_regular = row["regular_held"]
    for metric, yes, known in _RATES:
        fields[metric] = _ratio(row[yes], row[known])
    fields.update(
        checkins=row["checkins"],
        months_required=months_required,
        meetings_held=held_regular,
        meetings_missed=max(0, months_required - held_regular),
        meetings_held_ratio=_ratio(min(held_regular, months_required), months_required),
        held_meetings=row["held"],
        thematic_meetings=row["thematic"],
        thematic_quarters_required=quarters_required,
        thematic_quarters_held=quarters_held,
        thematic_quarter_ratio=_ratio(quarters_held, quarters_required),
        expected_total=row["expected"],
        present_total=row["present"],
        attendance_rate=_ratio(row["present"], row["expected"]),
        unexcused_absences=row["unexcused"],
        speakers_rate=_ratio(row["speakers"], row["speakers_expected"]),
        resolution_impl_score=_ratio(row["impl_points"], 100 * row["impl_known"]),
        discipline_cases=row["discipline"],
        solidarity_problems=row["solidarity"],
        admission_candidates=row["candidates"],
        admitted=row["admitted"],
    )


# ---------------------------------------------------------------- members at risk


def _absences_query(
    within: CellFilter, window: tuple[dt.date, dt.date], standards: Standards
) -> Subquery:
    """(cell_id, member_id, months) of the active members of the cells `within` with an unexcused
    absence in `risk_months` or more distinct months of `window`, as a subquery."""
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
            _active_member(AttendanceMark.member_id),
        )
        .group_by(Checkin.cell_id, AttendanceMark.member_id)
        .having(months >= standards.risk_months)
        .subquery("absent")
    )


def _at_risk_count_query(
    within: CellFilter, window: tuple[dt.date, dt.date], standards: Standards
) -> RowsQuery:
    absent = _absences_query(within, window, standards)
    return select(absent.c.cell_id, func.count()).group_by(absent.c.cell_id)


async def members_at_risk(
    session: AsyncSession, cell: OrgUnit, *, as_of: dt.date, standards: Standards
) -> list[MemberAtRisk]:
    """Active members of `cell` with an unexcused absence in `risk_months` or more of the
    `risk_window_months` months up to `as_of` (early warning before being struck off)."""
    window = risk_window(Period.of("month", as_of), as_of, standards.risk_window_months)
    absent = _absences_query(_scope(cell.path, None), window, standards)
    rows = await session.execute(
        select(absent.c.member_id, Member.full_name, absent.c.months)
        .join(Member, Member.id == absent.c.member_id)
        .order_by(absent.c.months.desc(), Member.full_name)
    )
    return [MemberAtRisk(int(r[0]), str(r[1]), int(r[2])) for r in rows.all()]


# ---------------------------------------------------------------- per-meeting facts


def facts_of(checkin: Checkin) -> MeetingFacts:
    return MeetingFacts(**{name: getattr(checkin, name) for name in FACT_COLUMNS})


async def meeting_facts(session: AsyncSession, checkin_id: int) -> MeetingFacts | None:
    checkin = await session.get(Checkin, checkin_id)
    return None if checkin is None else facts_of(checkin)


async def meeting_facts_for_month(
    session: AsyncSession, cell_id: int, month: dt.date, *, submitted_only: bool = True
) -> list[tuple[int, str, MeetingFacts]]:
    """(check-in id, slot, facts) of a cell's meetings in one month, regular first."""
    query = select(Checkin).where(Checkin.cell_id == cell_id, Checkin.month == month_start(month))
    if submitted_only:
        query = query.where(Checkin.status == CheckinStatus.SUBMITTED.value)
    rows = (await session.scalars(query.order_by(Checkin.slot))).all()
    return [(c.id, c.slot, facts_of(c)) for c in rows]
