"""Metrics of cells over a period, aggregated in SQL (GROUP BY cell), never a query per cell.

`compute_metrics` runs a fixed number of queries whatever the number of cells: the units of
the subtree, one aggregate over the check-ins, one over members, one over initiatives and one
for members at risk. To give the same numbers on SQLite and PostgreSQL:

* the SQL returns only integer sums and counts; ratios are divided in Python;
* month and quarter bounds are computed in Python (storage.periods) and bound as parameters,
  no dialect date functions;
* booleans are compared with ``IS true`` / ``IS NOT NULL``, which both dialects render.

Only submitted check-ins count. "Active" members are official or probationary: exempt members
(miễn sinh hoạt) are not expected at meetings and left members are gone, so neither counts in
initiative coverage or members at risk (as the initiatives issue defines coverage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.framework import Standards
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
from storage.periods import Period, add_months, month_start
from storage.scoring import CellMetrics, MeetingFacts

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


@dataclass(frozen=True)
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
    return func.count().filter(cond)


def _sum(cond: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(value).filter(cond), 0)


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _in_subtree(path: str) -> ColumnElement[bool]:
    return OrgUnit.path.startswith(path, autoescape=True)


def _as_of_month(as_of: dt.date) -> dt.date:
    return month_start(as_of)


def risk_window(period: Period, as_of: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The `months` months ending with the period's last month (or as_of's, if earlier)."""
    end = min(period.end, add_months(_as_of_month(as_of), 1))
    return add_months(end, -months), end


# ---------------------------------------------------------------- units


async def cells_in_scope(session: AsyncSession, root: OrgUnit) -> list[CellInfo]:
    """The cells in `root`'s subtree, each with its grassroots committee (one query)."""
    ancestor_ids = [int(part) for part in root.path.strip("/").split("/") if part]
    rows = (
        await session.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.kind, OrgUnit.path).where(
                or_(_in_subtree(root.path), OrgUnit.id.in_(ancestor_ids))
            )
        )
    ).all()
    by_id = {row.id: row for row in rows}
    cells = []
    for row in rows:
        if row.kind != UnitKind.CELL.value:
            continue
        chain = [int(p) for p in row.path.strip("/").split("/") if p][:-1]
        group = next(
            (by_id[i] for i in reversed(chain) if i in by_id and by_id[i].kind == "grassroots"),
            by_id.get(chain[-1]) if chain else None,
        )
        cells.append(
            CellInfo(
                id=row.id,
                code=row.code,
                name=row.name,
                path=row.path,
                group_id=group.id if group else None,
                group_code=group.code if group else None,
                group_name=group.name if group else None,
            )
        )
    cells.sort(key=lambda c: c.path)
    return cells


# ---------------------------------------------------------------- the aggregate queries


def _flag(cond: ColumnElement[bool]) -> ColumnElement[int]:
    """1 when `cond` holds, 0 when not, NULL when unknown: SUM counts it, COUNT knows it."""
    return cast(cond, Integer)


def _when_known(value: Any, *other: Any) -> ColumnElement[int]:
    """`value`, or NULL when any of `other` is NULL (``x + 0 * y``: SUM then skips the row)."""
    expr = value
    for column in other:
        expr = expr + 0 * column
    return expr  # type: ignore[no-any-return]


def _checkin_query(
    root_path: str, period: Period, as_of: dt.date, standards: Standards
) -> tuple[RowsQuery, list[Period]]:
    """Per cell AND per value of `held` (true, false, unanswered): sums and counts.

    Grouping by `held` instead of testing it in every aggregate, and counting with plain
    SUM/COUNT over 0/1/NULL expressions instead of ``SUM(CASE …)``, makes this 3-4x cheaper
    on SQLite (a CASE per aggregate per row was most of the cost). `_merge_held` folds the
    rows back into one per cell: the meeting facts count only in the held row.
    """
    c = Checkin
    quarters = period.quarters() if period.kind != "month" else []
    thematic = c.meeting_type.in_(THEMATIC_TYPES)
    # NULL for an unknown level: SUM adds the points, COUNT counts the known answers.
    impl_points = case(
        *[(c.resolution_impl == k, v) for k, v in standards.resolution_impl_percent.items()]
    )
    minimum = case(
        (c.meeting_type == "combined", standards.min_duration_combined_min),
        else_=standards.min_duration_min,
    )
    columns: list[ColumnElement[Any]] = [
        func.count().label("checkins"),
        func.sum(_flag(c.slot == "regular")).label("regular"),
        func.sum(_flag(and_(c.slot == "regular", c.month == _as_of_month(as_of)))).label(
            "current_rows"
        ),
        func.sum(_flag(thematic)).label("thematic"),
        func.sum(_when_known(c.expected_count, c.present_count)).label("expected"),
        func.sum(_when_known(c.present_count, c.expected_count)).label("present"),
        func.sum(c.absent_unexcused).label("unexcused"),
        func.sum(_flag(c.absent_unexcused == 0)).label("no_unexcused_yes"),
        func.count(c.absent_unexcused).label("no_unexcused_known"),
        func.sum(_flag(c.duration_min >= minimum)).label("duration_yes"),
        func.count(c.duration_min).label("duration_known"),
        func.sum(_when_known(c.speakers, c.expected_count)).label("speakers"),
        func.sum(_when_known(c.expected_count, c.speakers)).label("speakers_expected"),
        func.sum(_flag(func.coalesce(c.commended, 0) + func.coalesce(c.criticised, 0) > 0)).label(
            "commend_yes"
        ),
        func.count(func.coalesce(c.commended, c.criticised)).label("commend_known"),
        func.sum(impl_points).label("impl_points"),
        func.count(impl_points).label("impl_known"),
        func.sum(_flag(c.dues_status == "all")).label("dues_yes"),
        func.count(c.dues_status).label("dues_known"),
        func.sum(c.discipline).label("discipline"),
        func.sum(c.solidarity).label("solidarity"),
        func.sum(c.candidates).label("candidates"),
        func.sum(c.admitted).label("admitted"),
    ]
    for name in BOOL_FACTS:
        column = getattr(c, name)
        columns.append(func.sum(cast(column, Integer)).label(f"{name}_yes"))
        columns.append(func.count(column).label(f"{name}_known"))
    for i, quarter in enumerate(quarters):
        in_quarter = and_(thematic, c.month >= quarter.start, c.month < quarter.end)
        columns.append(func.sum(_flag(in_quarter)).label(f"thematic_q{i}"))
    query = (
        select(c.cell_id, c.held, *columns)
        .join(OrgUnit, OrgUnit.id == c.cell_id)
        .where(
            _in_subtree(root_path),
            c.status == CheckinStatus.SUBMITTED.value,
            c.month >= period.start,
            c.month < period.end,
        )
        .group_by(c.cell_id, c.held)
    )
    return query, quarters


# Sums over every submitted check-in, held or not; everything else counts held meetings only.
_ALL_ROWS = ("checkins", "current_rows", "discipline", "solidarity", "candidates", "admitted")


def _merge_held(rows: Sequence[Any]) -> dict[int, dict[str, int]]:
    """One dict of integer sums per cell from `_checkin_query`'s rows (one per held value)."""
    merged: dict[int, dict[str, int]] = {}
    for row in rows:
        values = row._mapping
        cell_id = int(values["cell_id"])
        held = values["held"] is True
        target = merged.get(cell_id)
        if target is None:
            target = merged[cell_id] = {"held": 0, "regular_held": 0}
        for name, value in values.items():
            if name in ("cell_id", "held"):
                continue
            if name in _ALL_ROWS:
                target[name] = target.get(name, 0) + int(value or 0)
            elif held:
                target[name] = int(value or 0)
            else:
                target.setdefault(name, 0)
        if held:
            target["held"] = int(values["checkins"])
            target["regular_held"] = int(values["regular"] or 0)
    return merged


async def compute_metrics(
    session: AsyncSession,
    root: OrgUnit,
    period: Period,
    *,
    standards: Standards,
    as_of: dt.date,
    cells: Sequence[CellInfo] | None = None,
) -> dict[int, CellMetrics]:
    """Metrics of every cell under `root` (or `root` itself, if a cell) for `period`.

    `as_of` decides which months and quarters are due: those that have ended, plus the
    current one if the cell already reported it (a meeting later this month is not missed).
    """
    if cells is None:
        cells = await cells_in_scope(session, root)
    query, quarters = _checkin_query(root.path, period, as_of, standards)
    checkin_rows = _merge_held((await session.execute(query)).all())

    member_rows: dict[int, int] = {
        int(cell_id): int(active)
        for cell_id, active in await session.execute(
            select(Member.cell_id, _count(Member.status.in_(ACTIVE_STATUSES)))
            .join(OrgUnit, OrgUnit.id == Member.cell_id)
            .where(_in_subtree(root.path))
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
                .join(OrgUnit, OrgUnit.id == i.cell_id)
                .join(Member, Member.id == i.member_id)
                .where(
                    _in_subtree(root.path),
                    i.year == period.year,
                    Member.status.in_(ACTIVE_STATUSES),
                )
                .group_by(i.cell_id)
            )
        ).all()
    }

    window = risk_window(period, as_of, standards.risk_window_months)
    at_risk_rows: dict[int, int] = {
        int(cell_id): int(n)
        for cell_id, n in await session.execute(_at_risk_count_query(root.path, window, standards))
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
        covered = int(ini.covered) if ini else 0
        completed_members = int(ini.completed) if ini else 0
        initiative_fields: dict[str, Any] = {
            "active_members": active,
            "initiatives": int(ini.initiatives) if ini else 0,
            "initiative_members": covered,
            "initiative_completed_members": completed_members,
            "initiative_coverage": _ratio(covered, active),
            "initiative_completion": _ratio(completed_members, active),
            "initiative_realised_vnd": int(ini.realised) if ini else 0,
            "members_at_risk": int(at_risk_rows.get(cell.id, 0)),
        }
        if row is None:
            result[cell.id] = CellMetrics(cell_id=cell.id, **initiative_fields)
            continue
        result[cell.id] = _cell_metrics(
            cell.id,
            row,
            initiative_fields,
            months_required=len(ended_months)
            + (1 if current_in_period and row["current_rows"] else 0),
            quarters_ended=quarters_ended,
        )
    return result


def _cell_metrics(
    cell_id: int,
    row: Mapping[str, int],
    extra: Mapping[str, Any],
    *,
    months_required: int,
    quarters_ended: list[bool],
) -> CellMetrics:
    v = row.__getitem__

    def rate(name: str) -> float | None:
        return _ratio(v(f"{name}_yes"), v(f"{name}_known"))

    # A quarter is due when it has ended, or earlier if its thematic meeting is already held.
    quarter_due = [ended or v(f"thematic_q{i}") > 0 for i, ended in enumerate(quarters_ended)]
    quarters_required = sum(quarter_due)
    quarters_held = sum(1 for i, due in enumerate(quarter_due) if due and v(f"thematic_q{i}") > 0)
    held_regular = v("regular_held")
    return CellMetrics(
        cell_id=cell_id,
        checkins=v("checkins"),
        months_required=months_required,
        meetings_held=held_regular,
        meetings_missed=max(0, months_required - held_regular),
        meetings_held_ratio=_ratio(min(held_regular, months_required), months_required),
        held_meetings=v("held"),
        thematic_meetings=v("thematic"),
        thematic_quarters_required=quarters_required,
        thematic_quarters_held=quarters_held,
        thematic_quarter_ratio=_ratio(quarters_held, quarters_required),
        expected_total=v("expected"),
        present_total=v("present"),
        attendance_rate=_ratio(v("present"), v("expected")),
        unexcused_absences=v("unexcused"),
        no_unexcused_rate=rate("no_unexcused"),
        pre_meeting_rate=rate("pre_meeting"),
        content_prepared_rate=rate("content_prepared"),
        draft_resolution_rate=rate("draft_resolution"),
        duration_ok_rate=rate("duration"),
        current_affairs_rate=rate("current_affairs"),
        ho_chi_minh_rate=rate("ho_chi_minh"),
        speakers_rate=_ratio(v("speakers"), v("speakers_expected")),
        assessed_rate=rate("assessed"),
        commend_criticise_rate=rate("commend"),
        resolution_impl_score=_ratio(v("impl_points"), 100 * v("impl_known")),
        resolution_adopted_rate=rate("resolution_adopted"),
        minutes_complete_rate=rate("minutes_complete"),
        dues_full_rate=rate("dues"),
        discipline_cases=v("discipline"),
        solidarity_problems=v("solidarity"),
        admission_candidates=v("candidates"),
        admitted=v("admitted"),
        **extra,
    )


# ---------------------------------------------------------------- members at risk


def _at_risk_members_query(
    root_path: str, window: tuple[dt.date, dt.date], standards: Standards
) -> RowsQuery:
    months = func.count(func.distinct(Checkin.month))
    return (
        select(
            Checkin.cell_id.label("cell_id"),
            AttendanceMark.member_id.label("member_id"),
            months.label("months"),
        )
        .join(Checkin, Checkin.id == AttendanceMark.checkin_id)
        .join(Member, Member.id == AttendanceMark.member_id)
        .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
        .where(
            _in_subtree(root_path),
            AttendanceMark.status == "unexcused",
            Checkin.status == CheckinStatus.SUBMITTED.value,
            Checkin.month >= window[0],
            Checkin.month < window[1],
            Member.status.in_(ACTIVE_STATUSES),
        )
        .group_by(Checkin.cell_id, AttendanceMark.member_id)
        .having(months >= standards.risk_months)
    )


def _at_risk_count_query(
    root_path: str, window: tuple[dt.date, dt.date], standards: Standards
) -> RowsQuery:
    members = _at_risk_members_query(root_path, window, standards).subquery()
    return select(members.c.cell_id, func.count()).group_by(members.c.cell_id)


async def members_at_risk(
    session: AsyncSession, cell: OrgUnit, *, as_of: dt.date, standards: Standards
) -> list[MemberAtRisk]:
    """Active members of `cell` with an unexcused absence in `risk_months` or more of the
    `risk_window_months` months up to `as_of` (early warning before being struck off)."""
    window = risk_window(Period.of("month", as_of), as_of, standards.risk_window_months)
    sub = _at_risk_members_query(cell.path, window, standards).subquery()
    rows = await session.execute(
        select(sub.c.member_id, Member.full_name, sub.c.months)
        .join(Member, Member.id == sub.c.member_id)
        .order_by(sub.c.months.desc(), Member.full_name)
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
