"""Metrics of cells over a period, aggregated in SQL (GROUP BY cell), never a query per cell.

`compute_metrics` runs a fixed number of queries whatever the number of cells: the units of
the subtree, one aggregate over the check-ins, one over members, one over initiatives, one
for members at risk and one for members absent with reason too many times in a row. To give
the same numbers on SQLite and PostgreSQL:

* the SQL returns only integer sums and counts; ratios are divided in Python;
* month and quarter bounds are computed in Python (domain.periods) and bound as parameters,
  no dialect date functions;
* booleans are compared with ``IS true`` / ``IS NOT NULL``, which both dialects render.

Only submitted check-ins count. "Active" members are official or probationary: exempt members
(miễn sinh hoạt) are not expected at meetings and left members are gone, so neither counts in
initiative coverage or members at risk (as the initiatives issue defines coverage).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, bindparam, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.framework import Standards
from domain.orgpath import path_ids
from domain.periods import Period, add_months, month_start
from domain.scoring import CellMetrics, MeetingFacts
from storage.checkin_totals import (
    MonthTotals,
    Totals,
    checkin_query,
    months_query,
    period_totals,
    thematic_quarters,
)
from storage.member_metrics import (
    Crossings,
    at_risk_count_query,
    excused_crossings,
    excused_crossings_query,
    excused_in_a_row,
)
from storage.metrics_sql import (
    ACTIVE_STATUSES,
    FACT_COLUMNS,
    CellFilter,
    CellInfo,
    RowsQuery,
    active_member,
    as_of_month,
    count_if,
    ratio,
    risk_window,
    scope_filter,
    sum_if,
)
from storage.models import (
    Checkin,
    CheckinStatus,
    Initiative,
    Member,
    OrgUnit,
    UnitKind,
)
from storage.tree import under

_T = TypeVar("_T")


# ---------------------------------------------------------------- units


async def cells_in_scope(session: AsyncSession, root: OrgUnit) -> list[CellInfo]:
    """The cells in `root`'s subtree, each with its grassroots committee (one query)."""
    ancestor_ids = path_ids(root.path)
    # On the connection: plain rows, without the ORM's per-row work (a province: 5,000 rows,
    # an organisation of four: 20,000; it cost two thirds of the read). Pending changes are
    # flushed first, as the session's own execute would.
    if session.sync_session.autoflush:
        await session.flush()
    connection = await session.connection()
    rows = (
        await connection.execute(
            select(
                OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.kind, OrgUnit.path, OrgUnit.sort
            ).where(or_(under(root.path), OrgUnit.id.in_(ancestor_ids)))
        )
    ).all()
    by_id = {row[0]: row for row in rows}
    # Siblings share their committee: look it up once per parent path.
    groups: dict[str, Any] = {}
    cells = []
    for unit_id, code, name, kind, path, sort in rows:
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
                sort=sort,
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


FEW_CELLS = "few_cells"
_few_queries: dict[tuple[Any, ...], Any] = {}
_Q = TypeVar("_Q")


def few_cells(cell_id: Any) -> ColumnElement[bool]:
    """The cells bound at execution as `FEW_CELLS` (a submit's refresh of its cell)."""
    return cast(ColumnElement[bool], cell_id.in_(bindparam(FEW_CELLS, expanding=True)))


def few_cells_query(key: tuple[Any, ...], build: Callable[[], _Q]) -> _Q:
    """A query of the cells bound as `FEW_CELLS` (`few_cells`), built once per `key` (what
    else it depends on): building the checkin aggregate's ~50 columns and the window queries
    (and their cache keys) cost more per submit than running them, for queries that differ
    only by their cells."""
    if key not in _few_queries:
        if len(_few_queries) >= 256:
            _few_queries.clear()
        _few_queries[key] = build()
    return cast(_Q, _few_queries[key])


class MetricsCache:
    """The aggregates of `compute_metrics` that do not depend on the whole period, kept
    for the next periods of one rebuild (storage.rescore): active members (any period),
    initiatives (per year), members at risk (per window), excused runs (per year).
    The 53 periods of 36 months otherwise read them 53 times. Keyed by everything the query
    reads; valid while the facts do not change, so only for one rebuild. Periods computed at
    the same time share one reading: the second waits for the first's."""

    def __init__(self) -> None:
        self._found: dict[tuple[Any, ...], asyncio.Future[Any]] = {}

    async def get(self, key: tuple[Any, ...], compute: Callable[[], Awaitable[_T]]) -> _T:
        found = self._found.get(key)
        if found is not None:
            return cast(_T, await asyncio.shield(found))
        found = self._found[key] = asyncio.get_running_loop().create_future()
        try:
            value = await compute()
        except BaseException as exc:
            del self._found[key]  # a later period reads it again
            if isinstance(exc, asyncio.CancelledError):
                found.cancel()
            else:
                found.set_exception(exc)
                found.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        found.set_result(value)
        return value


async def checkin_months(
    session: AsyncSession,
    ids: Sequence[int],
    period: Period,
    as_of: dt.date,
    standards: Standards,
    memo: MetricsCache,
) -> dict[int, MonthTotals]:
    """The check-in totals per month of the few cells `ids` over the year of `period`: read
    once through `memo`, as a submit's month, quarter and year (and their activity) sum the
    same months (storage.checkin_totals)."""
    year = Period.of("year", period.start)
    shape = ("months", year.start, as_of_month(as_of), standards.model_dump_json())

    async def read() -> dict[int, MonthTotals]:
        query = few_cells_query(
            shape, lambda: months_query(few_cells, year.start, year.end, as_of, standards)
        )
        result = await session.execute(query, {FEW_CELLS: list(ids)})
        names = list(result.keys())[2:]
        found: dict[int, dict[dt.date, Totals]] = {}
        for row in result.all():
            totals = dict(zip(names, map(int, row[2:]), strict=True))
            found.setdefault(int(row[0]), {})[row[1]] = totals
        return dict(found)

    return await memo.get((*shape, tuple(ids)), read)


async def compute_metrics(
    session: AsyncSession,
    root: OrgUnit,
    period: Period,
    *,
    standards: Standards,
    as_of: dt.date,
    cells: Sequence[CellInfo] | None = None,
    only: Sequence[int] | None = None,
    cache: MetricsCache | None = None,
) -> dict[int, CellMetrics]:
    """Metrics of every cell under `root` (or `root` itself, if a cell) for `period`; with
    `only`, of just those cells (then `cells` must be given and list them). With `cache`,
    the aggregates other periods share are read once (see `MetricsCache`).

    `as_of` decides which months and quarters are due: those that have ended, plus the
    current one if the cell already reported it (a meeting later this month is not missed).
    """
    if cells is None:
        cells = await cells_in_scope(session, root)
    ids = sorted(only) if only is not None else None
    few = ids is not None
    within: CellFilter = few_cells if few else scope_filter(root.path, None)
    params = {FEW_CELLS: ids} if few else {}
    standards_key = standards.model_dump_json() if few else ""

    def built(key: tuple[Any, ...], build: Callable[[], _Q]) -> _Q:
        return few_cells_query((*key, standards_key), build) if few else build()

    memo = cache if cache is not None else MetricsCache()
    scope_key = (root.path, tuple(ids) if ids is not None else None)
    quarters = thematic_quarters(period)
    checkin_rows: dict[int, Totals]
    if ids is not None:
        months = await checkin_months(session, ids, period, as_of, standards, memo)
        checkin_rows = {}
        for cell_id, by_month in months.items():
            totals = period_totals(by_month, period)
            if totals is not None:
                checkin_rows[cell_id] = totals
    else:
        checkin_result = await session.execute(checkin_query(within, period, as_of, standards))
        names = list(checkin_result.keys())
        # Plain dicts of ints: reading ~45 named columns of ~5,000 Row objects by attribute
        # cost more than the scoring itself.
        checkin_rows = {
            int(row[0]): dict(zip(names, map(int, row), strict=True))
            for row in checkin_result.all()
        }

    async def members() -> dict[int, int]:
        query = built(
            ("members",),
            lambda: (
                select(Member.cell_id, count_if(Member.status.in_(ACTIVE_STATUSES)))
                .where(within(Member.cell_id))
                .group_by(Member.cell_id)
            ),
        )
        return {
            int(cell_id): int(active) for cell_id, active in await session.execute(query, params)
        }

    member_rows = await memo.get(("members", scope_key), members)

    def initiatives_query() -> RowsQuery:
        i = Initiative
        not_dropped = i.status != "dropped"
        completed = i.status == "completed"
        return (
            select(
                i.cell_id,
                func.count(i.id).label("initiatives"),
                func.count(func.distinct(case((not_dropped, i.member_id)))).label("covered"),
                func.count(func.distinct(case((completed, i.member_id)))).label("completed"),
                sum_if(completed, func.coalesce(i.realised_amount_vnd, 0)).label("realised"),
            )
            .where(
                within(i.cell_id),
                i.year == period.year,
                active_member(i.member_id, few=few),
            )
            .group_by(i.cell_id)
        )

    async def initiatives() -> dict[int, Any]:
        query = built(("initiatives", period.year), initiatives_query)
        return {row.cell_id: row for row in (await session.execute(query, params)).all()}

    initiative_rows = await memo.get(("initiatives", scope_key, period.year), initiatives)

    window = risk_window(period, as_of, standards.risk_window_months)

    async def at_risk() -> dict[int, int]:
        query = built(
            ("at_risk", window), lambda: at_risk_count_query(within, window, standards, few=few)
        )
        return {int(cell_id): int(n) for cell_id, n in await session.execute(query, params)}

    at_risk_key = ("at_risk", scope_key, window, standards.risk_months)
    at_risk_rows = await memo.get(at_risk_key, at_risk)

    async def excused() -> Crossings:
        year, limit = period.start.year, standards.excused_streak_max
        query = built(
            ("excused", year),
            lambda: select(excused_crossings_query(within, year, limit, few=few)),
        )
        return await excused_crossings(session, query, params)

    # Read once a year: each period counts the crossings before its end.
    excused_key = ("excused", scope_key, period.start.year, standards.excused_streak_max)
    crossings = await memo.get(excused_key, excused)

    ended_months = [m for m in period.months() if add_months(m, 1) <= as_of]
    current_month = as_of_month(as_of)
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
            "initiative_coverage": ratio(covered, active),
            "initiative_completion": ratio(completed_members, active),
            "initiative_realised_vnd": int(ini[4]) if ini else 0,
            "members_at_risk": int(at_risk_rows.get(cell.id, 0)),
            "excused_streak_members": excused_in_a_row(crossings, cell.id, period),
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
    """The check-in metrics of one cell, from its totals (storage.checkin_totals), into
    `fields`."""
    # A quarter is due when it has ended, or earlier if its thematic meeting is already held.
    thematic = [row[f"thematic_q{i}"] for i in range(len(quarters_ended))]
    quarter_due = [ended or held > 0 for ended, held in zip(quarters_ended, thematic, strict=True)]
    quarters_required = sum(quarter_due)
    quarters_held = sum(
        1 for due, held in zip(quarter_due, thematic, strict=True) if due and held > 0
    )
    held_regular = row["regular_held"]
    for metric, yes, known in _RATES:
        fields[metric] = ratio(row[yes], row[known])
    fields.update(
        checkins=row["checkins"],
        months_required=months_required,
        meetings_held=held_regular,
        meetings_missed=max(0, months_required - held_regular),
        meetings_held_ratio=ratio(min(held_regular, months_required), months_required),
        held_meetings=row["held"],
        thematic_meetings=row["thematic"],
        thematic_quarters_required=quarters_required,
        thematic_quarters_held=quarters_held,
        thematic_quarter_ratio=ratio(quarters_held, quarters_required),
        expected_total=row["expected"],
        present_total=row["present"],
        attendance_rate=ratio(row["present"], row["expected"]),
        unexcused_absences=row["unexcused"],
        speakers_rate=ratio(row["speakers"], row["speakers_expected"]),
        resolution_impl_score=ratio(row["impl_points"], 100 * row["impl_known"]),
        discipline_cases=row["discipline"],
        solidarity_problems=row["solidarity"],
        admission_candidates=row["candidates"],
        admitted=row["admitted"],
    )


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
