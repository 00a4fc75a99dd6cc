"""What supervisors see: their scope, summaries per child unit, missing reports, ranking,
period locks, reviews and broadcasts.

Scope: a supervisor of unit U sees U's subtree (a materialised-path prefix) and nothing else;
an admin sees everything. Every function that takes a unit id from a caller goes through
`visible_unit`, which answers None both for "not yours" and "does not exist", so callers
cannot tell the two apart.

Performance: everything is aggregated in SQL grouped by cell (a few queries whatever the
number of cells), then folded into child units in Python by the cell's path. The meeting
rubric score of every check-in is computed IN SQL by `meeting_score_sql`, compiled from the
framework: scoring 60,000 meetings one by one in Python costs ~90 µs each (5 s); the SQL
form is tested against `storage.scoring.score_meeting` on both databases.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from storage import audit
from storage.accounts import CELL_ROLES, Grant
from storage.framework import (
    ChoiceRule,
    Framework,
    LinearRule,
    PenaltyRule,
    Rule,
    ThresholdRule,
    YesNoRule,
)
from storage.initiatives import Coverage, coverage_by_cell
from storage.metrics import CellInfo
from storage.models import (
    Account,
    Broadcast,
    Checkin,
    CheckinStatus,
    Initiative,
    Member,
    OrgUnit,
    OutboxMessage,
    PeriodLock,
    Role,
    RoleGrant,
    UnitKind,
)
from storage.outbox import enqueue
from storage.periods import Period, add_months, month_start
from storage.score_service import CellScore, cell_totals, score_tree
from storage.scoring import band_for, criterion_scores

_T = TypeVar("_T")
SUPERVISOR_ROLES = (Role.SUPERVISOR.value, Role.ADMIN.value)
# Outbox kinds that are not reminders about a cell's report (excluded from "was reminded").
NOT_REMINDER_KINDS = ("broadcast", "review", "overdue_digest")
NUDGE_KIND = "nudge"
REVIEW_KIND = "review"
BROADCAST_KIND = "broadcast"
REVIEW_APPROVED = "approved"
REVIEW_HAS_ISSUES = "has_issues"
REVIEW_STATUSES = (REVIEW_APPROVED, REVIEW_HAS_ISSUES)


# ================================================================ scope


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    kind: str
    path: str
    parent_id: int | None

    @classmethod
    def of(cls, unit: OrgUnit) -> UnitRef:
        return cls(unit.id, unit.code, unit.name, unit.kind, unit.path, unit.parent_id)


def is_supervisor(grants: Sequence[Grant], is_admin: bool) -> bool:
    return is_admin or any(g.role in SUPERVISOR_ROLES for g in grants)


def _outermost(units: Iterable[UnitRef]) -> list[UnitRef]:
    """Drop units that lie inside another unit of the list (their subtree is covered)."""
    ordered = sorted({u.id: u for u in units}.values(), key=lambda u: (len(u.path), u.path))
    kept: list[UnitRef] = []
    for unit in ordered:
        if not any(unit.path.startswith(k.path) for k in kept):
            kept.append(unit)
    return sorted(kept, key=lambda u: u.code)


async def scope_roots(
    session: AsyncSession, grants: Sequence[Grant], is_admin: bool
) -> list[UnitRef]:
    """The units whose subtrees the caller may see: the tree's roots for an admin."""
    if is_admin:
        roots = (await session.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))).all()
        return _outermost(UnitRef.of(u) for u in roots)
    return _outermost(
        UnitRef(g.unit_id, g.unit_code, g.unit_name, g.unit_kind, g.unit_path, None)
        for g in grants
        if g.role in SUPERVISOR_ROLES
    )


def in_scope(path: str, roots: Sequence[UnitRef]) -> bool:
    return any(path.startswith(r.path) for r in roots)


async def visible_unit(
    session: AsyncSession, roots: Sequence[UnitRef], unit_id: int | None
) -> UnitRef | None:
    """The unit if it exists AND lies in the caller's scope; None otherwise (same answer)."""
    if unit_id is None or not roots:
        return None
    unit = await session.get(OrgUnit, unit_id)
    if unit is None or not in_scope(unit.path, roots):
        return None
    return UnitRef.of(unit)


async def find_cells(
    session: AsyncSession, roots: Sequence[UnitRef], text: str, limit: int = 10
) -> list[UnitRef]:
    """Cells in scope whose code equals `text` or whose name or code contains it."""
    needle = text.strip()
    if not needle or not roots:
        return []
    in_roots = or_(*[OrgUnit.path.startswith(r.path, autoescape=True) for r in roots])
    lowered = needle.lower()
    query = (
        select(OrgUnit)
        .where(
            in_roots,
            OrgUnit.kind == UnitKind.CELL.value,
            or_(
                func.lower(OrgUnit.code) == lowered,
                func.lower(OrgUnit.name).contains(lowered, autoescape=True),
                func.lower(OrgUnit.code).contains(lowered, autoescape=True),
            ),
        )
        # An exact code match first, then by code.
        .order_by((func.lower(OrgUnit.code) == lowered).desc(), OrgUnit.code)
        .limit(limit)
    )
    return [UnitRef.of(u) for u in (await session.scalars(query)).all()]


async def children(session: AsyncSession, unit_id: int) -> list[UnitRef]:
    rows = await session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == unit_id).order_by(OrgUnit.code)
    )
    return [UnitRef.of(u) for u in rows.all()]


def _path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def _child_finder(unit: UnitRef) -> Callable[[str], int | None]:
    """Which child of `unit` the unit at a path lies under (None: the unit itself), for many
    paths under one unit (the unit's depth is computed once)."""
    depth = len(_path_ids(unit.path))

    def child(path: str) -> int | None:
        parts = path.strip("/").split("/")
        return int(parts[depth]) if len(parts) > depth and parts[depth] else None

    return child


def _by_child(
    unit: UnitRef, items: Iterable[_T], path_of: Callable[[_T], str]
) -> dict[int, list[_T]]:
    """`items` grouped by the child of `unit` their path lies under, in their order."""
    child_of_path = _child_finder(unit)
    grouped: dict[int, list[_T]] = defaultdict(list)
    for item in items:
        child = child_of_path(path_of(item))
        if child is not None:
            grouped[child].append(item)
    return grouped


def _subtree(path: str) -> ColumnElement[bool]:
    return OrgUnit.path.startswith(path, autoescape=True)


def checkins_under(path: str) -> ColumnElement[bool]:
    """The check-in's cell lies under `path` (``IN (SELECT id …)``: no join, and SQLite
    reads the check-ins in cell order, which made the activity query ~25% cheaper)."""
    return Checkin.cell_id.in_(select(OrgUnit.id).where(_subtree(path)).scalar_subquery())


# ================================================================ meeting score in SQL


def _num(value: float) -> ColumnElement[float]:
    # Framework numbers are validated finite floats: inline them instead of hundreds of
    # bound parameters (repr of a float is valid SQL on both databases).
    return literal_column(repr(float(value)), Float)


def _bool01(column: Any) -> ColumnElement[Any]:
    return case((column.is_(True), 1), (column.is_(False), 0))


def _meeting_metric_columns(fw: Framework) -> dict[str, Any]:
    """The meeting metrics of `storage.scoring.meeting_metric_values` as SQL (NULL = no data)."""
    c = Checkin
    std = fw.standards
    expected_ok = and_(c.expected_count.is_not(None), c.expected_count != 0)
    combined = func.coalesce(c.meeting_type, "") == "combined"
    return {
        **{
            name: _bool01(getattr(c, name))
            for name in (
                "pre_meeting",
                "content_prepared",
                "draft_resolution",
                "current_affairs",
                "ho_chi_minh",
                "assessed",
                "resolution_adopted",
                "minutes_complete",
            )
        },
        "attendance_rate": case(
            (
                and_(expected_ok, c.present_count.is_not(None)),
                cast(c.present_count, Float) / c.expected_count,
            )
        ),
        "no_unexcused": case((c.absent_unexcused == 0, 1), (c.absent_unexcused.is_not(None), 0)),
        "unexcused_absences": c.absent_unexcused,
        "dues_status": c.dues_status,
        "duration_ok": case(
            (c.duration_min.is_(None), None),
            (and_(combined, c.duration_min >= std.min_duration_combined_min), 1),
            (and_(~combined, c.duration_min >= std.min_duration_min), 1),
            else_=0,
        ),
        "duration_min": c.duration_min,
        "speakers_ratio": case(
            (
                and_(expected_ok, c.speakers.is_not(None)),
                cast(c.speakers, Float) / c.expected_count,
            )
        ),
        "commend_or_criticise": case(
            (and_(c.commended.is_(None), c.criticised.is_(None)), None),
            (func.coalesce(c.commended, 0) + func.coalesce(c.criticised, 0) > 0, 1),
            else_=0,
        ),
        "resolution_impl": c.resolution_impl,
    }


def _earned_sql(rule: Rule, value: Any, points: float) -> ColumnElement[Any]:
    """`storage.scoring.earned_points` as SQL, for a value that is not NULL."""
    full, zero = _num(points), _num(0)
    if isinstance(rule, YesNoRule):
        truthy = value != 0
        return case((truthy, full if rule.expect else zero), else_=zero if rule.expect else full)
    if isinstance(rule, ChoiceRule):
        return case(
            *[(value == key, _num(points * share)) for key, share in rule.values.items()],
            else_=zero,
        )
    if isinstance(rule, ThresholdRule):
        target = _num(rule.target)
        ok = {
            ">=": value >= target,
            ">": value > target,
            "<=": value <= target,
            "<": value < target,
        }[rule.op]
        return case((ok, full), else_=zero)
    if isinstance(rule, LinearRule):
        share = (value - _num(rule.zero_at)) / _num(rule.full_at - rule.zero_at)
        return case((share >= 1, full), (share <= 0, zero), else_=share * full)
    if isinstance(rule, PenaltyRule):
        left = full - _num(rule.per_unit) * (value - _num(rule.allowance))
        return case((value <= rule.allowance, full), (left <= 0, zero), else_=left)
    raise TypeError(rule)


def _section_sums(fw: Framework, metrics: Any) -> list[ColumnElement[Any]]:
    """Per rubric section, the points of the items with data (``a<i>``) and the points they
    earned (``e<i>``), for one check-in of `metrics` (a selectable of meeting metrics)."""
    columns: list[ColumnElement[Any]] = []
    for index, section in enumerate(fw.meeting_rubric.sections):
        earned: list[ColumnElement[Any]] = []
        applicable: list[ColumnElement[Any]] = []
        for item in section.items:
            value = metrics.c[item.metric]
            known = value.is_not(None)
            earned.append(case((known, _earned_sql(item.rule, value, item.points)), else_=_num(0)))
            applicable.append(case((known, _num(item.points)), else_=_num(0)))
        columns.append(sum(applicable[1:], applicable[0]).label(f"a{index}"))
        columns.append(sum(earned[1:], earned[0]).label(f"e{index}"))
    return columns


def meeting_score_sql(fw: Framework, sums: Any) -> ColumnElement[Any]:
    """The rubric score (0..100, NULL when not held or nothing answered) of one check-in.

    `sums` is a selectable with a `held` column (0/1) and the section sums `a<i>`, `e<i>` of
    `_section_sums`, as `meeting_rows_query` builds. Mirrors `score_meeting`: an item without
    data is left out and its section scaled over the items that remain; the total is scaled
    over the sections with data. Only rounding differs (Python rounds sections to 0.1).
    """
    numerator: list[ColumnElement[Any]] = []
    denominator: list[ColumnElement[Any]] = []
    for index, section in enumerate(fw.meeting_rubric.sections):
        applicable, earned = sums.c[f"a{index}"], sums.c[f"e{index}"]
        # NULLIF: a section without data contributes nothing (x / NULL is NULL).
        numerator.append(
            func.coalesce(earned * _num(section.max_points) / func.nullif(applicable, 0), 0)
        )
        denominator.append(case((applicable > 0, _num(section.max_points)), else_=_num(0)))
    top = sum(numerator[1:], numerator[0])
    bottom = sum(denominator[1:], denominator[0])
    return case((sums.c.held == 1, top * _num(100) / func.nullif(bottom, 0)))


def _barrier(query: Any) -> Any:
    """Keep a subquery from being merged into the query around it.

    Both databases inline a simple subquery's expressions wherever the outer query names its
    columns, so the score (which names each section sum several times, each naming each
    metric several times) grew to thousands of nodes evaluated per check-in. An OFFSET makes
    PostgreSQL and SQLite evaluate the subquery's columns once per row instead.
    """
    return query.offset(0)


def meeting_rows_query(fw: Framework, *where: ColumnElement[bool]) -> Any:
    """A subquery of the submitted check-ins that match `where` (conditions on `Checkin`;
    `checkins_under` for a subtree), with each one's `score`.

    Columns: id, cell_id, month, slot, held (0/1), present, expected (held meetings with
    both counts known, else NULL), score.
    """
    c = Checkin
    metric_columns = _meeting_metric_columns(fw)
    attendance_known = and_(
        c.held.is_(True), c.expected_count.is_not(None), c.present_count.is_not(None)
    )
    plain = ("id", "cell_id", "month", "slot", "held", "present", "expected")
    metrics = _barrier(
        select(
            c.id.label("id"),
            c.cell_id.label("cell_id"),
            c.month.label("month"),
            c.slot.label("slot"),
            case((c.held.is_(True), 1), else_=0).label("held"),
            case((attendance_known, c.present_count)).label("present"),
            case((attendance_known, c.expected_count)).label("expected"),
            *[column.label(name) for name, column in metric_columns.items()],
        ).where(c.status == CheckinStatus.SUBMITTED.value, *where)
    ).subquery("m")
    sums = _barrier(
        select(*[metrics.c[name] for name in plain], *_section_sums(fw, metrics))
    ).subquery("t")
    return select(
        *[sums.c[name] for name in plain],
        meeting_score_sql(fw, sums).label("score"),
    ).subquery("s")


# ================================================================ summary


@dataclass
class Activity:
    submitted: int = 0
    score_sum: float = 0.0
    scored: int = 0
    present: int = 0
    expected: int = 0

    def add(self, other: Activity) -> None:
        self.submitted += other.submitted
        self.score_sum += other.score_sum
        self.scored += other.scored
        self.present += other.present
        self.expected += other.expected


@dataclass(frozen=True)
class UnitSummary:
    """One line of /summary: a child unit (or the total, or one cell)."""

    unit_id: int
    code: str
    name: str
    kind: str
    cells: int
    submitted: int  # submitted regular check-ins in the months due so far
    expected: int  # cells x months of the period that have started
    meeting_score: float | None  # average rubric score of held meetings
    attendance: float | None  # present / expected over held meetings, 0..1
    criteria: dict[str, float | None]  # average criterion score over cells with data
    total: float | None  # average total over cells with data
    band: str | None
    four_good: bool | None  # a cell's verdict, or a grassroots committee's
    four_good_cells: int
    cells_with_data: int
    cap_flag: bool = False


@dataclass(frozen=True)
class Summary:
    unit: UnitRef
    period: Period
    as_of: dt.date
    total: UnitSummary
    rows: list[UnitSummary]
    cells: list[CellScore] = field(default_factory=list)
    activity: dict[int, Activity] = field(default_factory=dict)  # by cell id
    months_due: int = 0


def due_months(period: Period, as_of: dt.date) -> list[dt.date]:
    """Months of the period that have started by `as_of` (a report is expected for each)."""
    return [m for m in period.months() if m <= month_start(as_of)]


async def activity_by_cell(
    session: AsyncSession, fw: Framework, root_path: str, start: dt.date, end: dt.date
) -> dict[int, Activity]:
    """Submitted reports, meeting scores and attendance per cell in [start, end): one query."""
    if end <= start:
        return {}
    s = meeting_rows_query(
        fw, checkins_under(root_path), Checkin.month >= start, Checkin.month < end
    )
    rows = await session.execute(
        select(
            s.c.cell_id,
            func.coalesce(func.sum(case((s.c.slot == "regular", 1), else_=0)), 0),
            func.sum(s.c.score),
            func.count(s.c.score),
            func.coalesce(func.sum(s.c.present), 0),
            func.coalesce(func.sum(s.c.expected), 0),
        ).group_by(s.c.cell_id)
    )
    return {
        int(r[0]): Activity(int(r[1]), float(r[2] or 0.0), int(r[3]), int(r[4]), int(r[5]))
        for r in rows.all()
    }


def _average(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _fold(
    fw: Framework,
    ref: UnitRef,
    scores: Sequence[CellScore],
    activity: dict[int, Activity],
    months: int,
    committee_four_good: bool | None = None,
) -> UnitSummary:
    act = Activity()
    for cell in scores:
        cell_activity = activity.get(cell.cell.id)
        if cell_activity is not None:
            act.add(cell_activity)
    with_data = [c for c in scores if not c.result.no_data and c.result.total is not None]
    # One pass over the cells, each criterion's scores in cell order (as the sums were).
    by_code: dict[str, list[float]] = {criterion.code: [] for criterion in fw.criteria}
    for c in with_data:
        for code, score in criterion_scores(c.result):
            if score is not None and code in by_code:
                by_code[code].append(score)
    criteria = {code: _average(values) for code, values in by_code.items()}
    totals = [c.result.total for c in with_data if c.result.total is not None]
    total = _average(totals)
    single = scores[0] if ref.kind == UnitKind.CELL.value and len(scores) == 1 else None
    return UnitSummary(
        unit_id=ref.id,
        code=ref.code,
        name=ref.name,
        kind=ref.kind,
        cells=len(scores),
        submitted=act.submitted,
        expected=len(scores) * months,
        meeting_score=round(act.score_sum / act.scored, 1) if act.scored else None,
        attendance=act.present / act.expected if act.expected else None,
        criteria=criteria,
        total=single.result.total if single else total,
        band=single.result.band if single else band_for(fw.classification.bands, total),
        four_good=single.result.four_good if single else committee_four_good,
        four_good_cells=sum(1 for c in with_data if c.result.four_good),
        cells_with_data=len(with_data),
        cap_flag=single.cap_flag if single else False,
    )


async def summary(
    session: AsyncSession, fw: Framework, unit: UnitRef, period: Period, as_of: dt.date
) -> Summary:
    """Totals of `unit` and one line per child unit, for `period` as of `as_of`."""
    report = await score_tree(session, fw, unit.code, period, as_of=as_of)
    months = due_months(period, as_of)
    end = add_months(months[-1], 1) if months else period.start
    activity = await activity_by_cell(session, fw, unit.path, period.start, end)
    kids = await children(session, unit.id) if unit.kind != UnitKind.CELL.value else []
    by_child = _by_child(unit, report.cells, lambda c: c.cell.path)
    committee_verdict = {c.unit_id: c.result.four_good for c in report.committees}
    rows = [
        _fold(
            fw, kid, by_child.get(kid.id, []), activity, len(months), committee_verdict.get(kid.id)
        )
        for kid in kids
    ]
    total = _fold(fw, unit, report.cells, activity, len(months), committee_verdict.get(unit.id))
    return Summary(unit, period, as_of, total, rows, report.cells, activity, len(months))


# ================================================================ ranking


@dataclass(frozen=True)
class RankLine:
    unit_id: int
    code: str
    name: str
    total: float | None
    band: str | None
    rank: int | None  # None: no data this period
    previous_rank: int | None

    @property
    def movement(self) -> int | None:
        """Places gained since the previous period (negative: lost); None when unknown."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


def _ranks(totals: dict[int, float | None]) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4) of the ids with a total, highest first."""
    ordered = sorted(((t, i) for i, t in totals.items() if t is not None), key=lambda x: -x[0])
    ranks: dict[int, int] = {}
    for position, (total, unit_id) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        same = previous is not None and previous[0] == total
        ranks[unit_id] = ranks[previous[1]] if same and previous else position
    return ranks


async def _unit_totals(
    session: AsyncSession, fw: Framework, unit: UnitRef, period: Period, as_of: dt.date, by: str
) -> tuple[dict[int, float | None], dict[int, tuple[str, str]]]:
    totals = await cell_totals(session, fw, unit.code, period, as_of=as_of)
    if by == "cells":
        return (
            {cell.id: total for cell, total in totals},
            {cell.id: (cell.code, cell.name) for cell, _ in totals},
        )
    kids = await children(session, unit.id)
    grouped = _by_child(unit, totals, lambda cell_total: cell_total[0].path)

    def average(kid: UnitRef) -> float | None:
        return _average([t for _, t in grouped.get(kid.id, []) if t is not None])

    return (
        {k.id: average(k) for k in kids},
        {k.id: (k.code, k.name) for k in kids},
    )


async def ranking(
    session: AsyncSession,
    fw: Framework,
    unit: UnitRef,
    period: Period,
    as_of: dt.date,
    by: str = "cells",
) -> list[RankLine]:
    """Cells (by="cells") or child units (by="units") by total score, with movement."""
    totals, names = await _unit_totals(session, fw, unit, period, as_of, by)
    before, _ = await _unit_totals(session, fw, unit, period.previous(), as_of, by)
    now_ranks, old_ranks = _ranks(totals), _ranks(before)
    lines = [
        RankLine(
            unit_id=i,
            code=names[i][0],
            name=names[i][1],
            total=totals[i],
            band=band_for(fw.classification.bands, totals[i]),
            rank=now_ranks.get(i),
            previous_rank=old_ranks.get(i),
        )
        for i in totals
    ]
    lines.sort(key=lambda r: (r.rank is None, r.rank or 0, r.code))
    return lines


# ================================================================ missing reports


@dataclass(frozen=True)
class MissingCell:
    cell_id: int
    code: str
    name: str
    group_name: str | None
    secretaries: list[str]  # display names
    reminders: dict[str, int]  # outbox status -> count, this month

    @property
    def reminder_state(self) -> str:
        """none | pending | sent | undeliverable | failed: the most telling status."""
        for status in ("undeliverable", "sent", "failed", "pending", "claimed"):
            if self.reminders.get(status):
                return "pending" if status == "claimed" else status
        return "none"


async def missing_cells(
    session: AsyncSession, unit: UnitRef, month: dt.date, tz: dt.tzinfo = clock.DEFAULT_TZ
) -> list[MissingCell]:
    """Cells under `unit` without a submitted check-in for `month` (three queries), with the
    reminders about that month: those whose occurrence lies in the month where the cell is
    (1 May 06:00 in Viet Nam is still 30 April in UTC)."""
    month = month_start(month)
    reported = exists().where(
        Checkin.cell_id == OrgUnit.id,
        Checkin.month == month,
        Checkin.status == CheckinStatus.SUBMITTED.value,
    )
    cells = (
        await session.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.parent_id)
            .where(_subtree(unit.path), OrgUnit.kind == UnitKind.CELL.value, ~reported)
            .order_by(OrgUnit.code)
        )
    ).all()
    if not cells:
        return []
    ids = [int(r.id) for r in cells]
    parent_ids = {int(r.parent_id) for r in cells if r.parent_id is not None}
    parents = dict(
        (
            await session.execute(
                select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(parent_ids))
            )
        ).all()
    )
    secretaries: dict[int, list[str]] = defaultdict(list)
    for cell_id, name in (
        await session.execute(
            select(RoleGrant.unit_id, Account.display_name)
            .join(Account, Account.id == RoleGrant.account_id)
            .where(RoleGrant.unit_id.in_(ids), RoleGrant.role.in_(CELL_ROLES))
            .order_by(RoleGrant.unit_id, RoleGrant.role.desc(), Account.display_name)
        )
    ).all():
        secretaries[int(cell_id)].append(name)
    statuses: dict[int, dict[str, int]] = defaultdict(dict)
    start = dt.datetime.combine(month, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(add_months(month, 1), dt.time(), tz).astimezone(dt.UTC)
    about = func.coalesce(OutboxMessage.occurrence, OutboxMessage.due_at)
    for outbox_cell, status, count in (
        await session.execute(
            select(OutboxMessage.cell_id, OutboxMessage.status, func.count())
            .where(
                OutboxMessage.cell_id.in_(ids),
                OutboxMessage.kind.not_in(NOT_REMINDER_KINDS),
                about >= start,
                about < end,
            )
            .group_by(OutboxMessage.cell_id, OutboxMessage.status)
        )
    ).all():
        statuses[int(outbox_cell or 0)][str(status)] = int(count)
    return [
        MissingCell(
            cell_id=int(r.id),
            code=r.code,
            name=r.name,
            group_name=parents.get(r.parent_id) if r.parent_id is not None else None,
            secretaries=secretaries.get(int(r.id), []),
            reminders=statuses.get(int(r.id), {}),
        )
        for r in cells
    ]


async def remind_missing(
    session: AsyncSession,
    unit: UnitRef,
    month: dt.date,
    *,
    now: dt.datetime,
    local_day: dt.date,
    actor_account_id: int,
    tz: dt.tzinfo = clock.DEFAULT_TZ,
) -> tuple[int, int]:
    """Queue a "please report" message to the secretaries of every missing cell.

    The dedup key holds the local day, so each cell's secretaries get at most one such
    message per day however often supervisors tap the button. Returns (cells, queued).
    """
    month = month_start(month)
    missing = await missing_cells(session, unit, month, tz)
    if not missing:
        return 0, 0
    ids = [m.cell_id for m in missing]
    names = {m.cell_id: m.name for m in missing}
    rows = (
        await session.execute(
            select(RoleGrant.unit_id, Account.id, Account.telegram_id)
            .join(Account, Account.id == RoleGrant.account_id)
            .where(RoleGrant.unit_id.in_(ids), RoleGrant.role.in_(CELL_ROLES))
        )
    ).all()
    queued = 0
    cells: set[int] = set()
    label = f"{month.year}-{month.month:02d}"
    for cell_id, account_id, telegram_id in rows:
        inserted = await enqueue(
            session,
            dedup_key=f"nudge:{cell_id}:{local_day.isoformat()}:{account_id}",
            kind=NUDGE_KIND,
            chat_id=int(telegram_id),
            # Filed under the month it is about, where the cell is (not the UTC month).
            occurrence=dt.datetime.combine(month, dt.time(), tz).astimezone(dt.UTC),
            due_at=now,
            expires_at=now + dt.timedelta(days=1),
            cell_id=int(cell_id),
            account_id=int(account_id),
            payload={
                "key": "sv.nudge.text",
                # Catalog texts are HTML and the dispatcher sends values as they are.
                "values": {
                    "cell": html.escape(names[int(cell_id)]),
                    "month": f"{month.month:02d}/{month.year}",
                },
                "buttons": [[["sv.nudge.btn_start", f"ci:start:{cell_id}:{label}"]]],
            },
        )
        if inserted:
            queued += 1
            cells.add(int(cell_id))
    if queued:
        audit.record(
            session,
            actor_account_id=actor_account_id,
            entity="org_unit",
            entity_id=unit.id,
            action="remind_missing",
            after={"month": label, "cells": len(cells), "messages": queued},
        )
    return len(cells), queued


# ================================================================ period locks


async def lock_period(
    session: AsyncSession, unit: UnitRef, period: Period, *, actor_account_id: int
) -> bool:
    """Freeze `period` for every cell under `unit`; False when already locked there."""
    existing = await session.scalar(
        select(PeriodLock.id).where(
            PeriodLock.unit_id == unit.id, PeriodLock.period == period.label
        )
    )
    if existing is not None:
        return False
    session.add(PeriodLock(unit_id=unit.id, period=period.label, locked_by=actor_account_id))
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="period_lock",
        entity_id=unit.id,
        action="lock",
        after={"unit": unit.code, "period": period.label},
    )
    return True


@dataclass(frozen=True)
class LockInfo:
    id: int
    unit_id: int
    unit_code: str
    unit_name: str
    period: str
    locked_at: dt.datetime


async def locks_in_scope(session: AsyncSession, roots: Sequence[UnitRef]) -> list[LockInfo]:
    """Locks set on units inside the caller's scope: the ones the caller may lift.

    A lock on an ancestor of the caller's unit is out of reach: only that level or above
    unlocks it.
    """
    if not roots:
        return []
    in_roots = or_(*[OrgUnit.path.startswith(r.path, autoescape=True) for r in roots])
    rows = await session.execute(
        select(PeriodLock, OrgUnit.code, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == PeriodLock.unit_id)
        .where(in_roots)
        .order_by(PeriodLock.period.desc(), OrgUnit.code)
    )
    return [
        LockInfo(lock.id, lock.unit_id, code, name, lock.period, lock.locked_at)
        for lock, code, name in rows.all()
    ]


async def unlock(
    session: AsyncSession, roots: Sequence[UnitRef], lock_id: int, *, actor_account_id: int
) -> LockInfo | None:
    """Lift a lock the caller may lift; None when it does not exist or is out of reach."""
    lock = next((x for x in await locks_in_scope(session, roots) if x.id == lock_id), None)
    if lock is None:
        return None
    row = await session.get(PeriodLock, lock_id)
    if row is None:
        return None
    await session.delete(row)
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="period_lock",
        entity_id=lock.unit_id,
        action="unlock",
        before={"unit": lock.unit_code, "period": lock.period},
    )
    return lock


# ================================================================ review


@dataclass(frozen=True)
class ReviewItem:
    checkin_id: int
    cell_id: int
    cell_code: str
    cell_name: str
    month: dt.date
    slot: str
    submitted_at: dt.datetime | None
    review_status: str | None


async def review_queue(
    session: AsyncSession, unit: UnitRef, page: int, page_size: int
) -> tuple[list[ReviewItem], int]:
    """Submitted, not yet reviewed check-ins under `unit`, newest first."""
    where = (
        _subtree(unit.path),
        Checkin.status == CheckinStatus.SUBMITTED.value,
        Checkin.review_status.is_(None),
    )
    total = int(
        await session.scalar(
            select(func.count())
            .select_from(Checkin)
            .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
            .where(*where)
        )
        or 0
    )
    rows = await session.execute(
        select(Checkin, OrgUnit.code, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
        .where(*where)
        .order_by(Checkin.submitted_at.desc(), Checkin.id.desc())
        .offset(page * page_size)
        .limit(page_size)
    )
    items = [
        ReviewItem(c.id, c.cell_id, code, name, c.month, c.slot, c.submitted_at, c.review_status)
        for c, code, name in rows.all()
    ]
    return items, total


async def checkin_in_scope(
    session: AsyncSession, roots: Sequence[UnitRef], checkin_id: int | None
) -> tuple[Checkin, UnitRef] | None:
    """A submitted check-in of a cell in scope; None otherwise (same answer for all)."""
    if checkin_id is None:
        return None
    checkin = await session.get(Checkin, checkin_id)
    if checkin is None or checkin.status != CheckinStatus.SUBMITTED.value:
        return None
    cell = await visible_unit(session, roots, checkin.cell_id)
    return None if cell is None else (checkin, cell)


async def set_review(
    session: AsyncSession,
    checkin: Checkin,
    cell: UnitRef,
    status: str,
    comment: str | None,
    *,
    actor_account_id: int,
    now: dt.datetime,
) -> int:
    """Record a review, audit it and queue a note to the cell's secretaries (count queued)."""
    if status not in REVIEW_STATUSES:
        raise ValueError(status)
    before = {"review_status": checkin.review_status, "review_comment": checkin.review_comment}
    checkin.review_status = status
    checkin.review_comment = comment
    checkin.reviewed_by = actor_account_id
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="checkin",
        entity_id=checkin.id,
        action="review",
        before=before,
        after={"review_status": status, "review_comment": comment},
    )
    recipients = (
        await session.execute(
            select(Account.id, Account.telegram_id)
            .join(RoleGrant, RoleGrant.account_id == Account.id)
            .where(RoleGrant.unit_id == checkin.cell_id, RoleGrant.role.in_(CELL_ROLES))
            .distinct()
        )
    ).all()
    month = f"{checkin.month.month:02d}/{checkin.month.year}"
    label = f"{checkin.month.year}-{checkin.month.month:02d}"
    key = "sv.review.notify_ok" if status == REVIEW_APPROVED else "sv.review.notify_issues"
    buttons = (
        [[["sv.review.btn_fix", f"ci:start:{checkin.cell_id}:{label}"]]]
        if status == REVIEW_HAS_ISSUES
        else []
    )
    queued = 0
    stamp = int(now.timestamp())
    for account_id, telegram_id in recipients:
        payload: dict[str, Any] = {
            "key": key,
            # Catalog texts are HTML and the dispatcher sends values as they are.
            "values": {
                "cell": html.escape(cell.name),
                "month": month,
                "comment": html.escape(comment or ""),
            },
        }
        if buttons:
            payload["buttons"] = buttons
        queued += await enqueue(
            session,
            dedup_key=f"review:{checkin.id}:{stamp}:{account_id}",
            kind=REVIEW_KIND,
            chat_id=int(telegram_id),
            due_at=now,
            cell_id=checkin.cell_id,
            account_id=int(account_id),
            payload=payload,
        )
    return queued


# ================================================================ broadcast


async def broadcast_recipients(session: AsyncSession, unit: UnitRef) -> list[tuple[int, int]]:
    """(account id, Telegram id) of every secretary and deputy under `unit`, once each."""
    rows = await session.execute(
        select(Account.id, Account.telegram_id)
        .join(RoleGrant, RoleGrant.account_id == Account.id)
        .join(OrgUnit, OrgUnit.id == RoleGrant.unit_id)
        .where(_subtree(unit.path), RoleGrant.role.in_(CELL_ROLES))
        .distinct()
        .order_by(Account.id)
    )
    return [(int(a), int(t)) for a, t in rows.all()]


async def create_broadcast(
    session: AsyncSession, unit: UnitRef, text: str, *, actor_account_id: int, now: dt.datetime
) -> Broadcast:
    """Store the broadcast and queue one outbox row per recipient (batch_id = its id)."""
    recipients = await broadcast_recipients(session, unit)
    item = Broadcast(
        unit_id=unit.id, text=text, created_by=actor_account_id, recipients=len(recipients)
    )
    session.add(item)
    await session.flush()
    for account_id, telegram_id in recipients:
        await enqueue(
            session,
            dedup_key=f"broadcast:{item.id}:{account_id}",
            kind=BROADCAST_KIND,
            chat_id=telegram_id,
            due_at=now,
            account_id=account_id,
            batch_id=item.id,
            payload={"text": text},
        )
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="broadcast",
        entity_id=item.id,
        action="create",
        after={"unit": unit.code, "recipients": len(recipients)},
    )
    return item


async def broadcast_in_scope(
    session: AsyncSession, roots: Sequence[UnitRef], broadcast_id: int | None
) -> Broadcast | None:
    if broadcast_id is None:
        return None
    item = await session.get(Broadcast, broadcast_id)
    if item is None or await visible_unit(session, roots, item.unit_id) is None:
        return None
    return item


async def delivery_report(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.batch_id == broadcast_id, OutboxMessage.kind == BROADCAST_KIND)
        .group_by(OutboxMessage.status)
    )
    return {str(s): int(n) for s, n in rows.all()}


async def recent_broadcasts(
    session: AsyncSession, unit: UnitRef, limit: int = 5
) -> list[Broadcast]:
    rows = await session.scalars(
        select(Broadcast)
        .where(Broadcast.unit_id == unit.id)
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
        .limit(limit)
    )
    return list(rows.all())


# ================================================================ trend and initiatives


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    meeting_score: float | None
    attendance: float | None  # 0..1
    reports: int


async def monthly_trend(
    session: AsyncSession, fw: Framework, unit: UnitRef, start: dt.date, end: dt.date
) -> list[TrendPoint]:
    """Average meeting score and attendance per month in [start, end): one query."""
    s = meeting_rows_query(
        fw, checkins_under(unit.path), Checkin.month >= start, Checkin.month < end
    )
    rows = await session.execute(
        select(
            s.c.month,
            func.sum(s.c.score),
            func.count(s.c.score),
            func.coalesce(func.sum(s.c.present), 0),
            func.coalesce(func.sum(s.c.expected), 0),
            func.count(),
        ).group_by(s.c.month)
    )
    found = {}
    for month, score_sum, scored, present, expected, reports in rows.all():
        found[month] = TrendPoint(
            month,
            round(float(score_sum) / int(scored), 1) if scored else None,
            int(present) / int(expected) if expected else None,
            int(reports),
        )
    points = []
    month = month_start(start)
    while month < end:
        points.append(found.get(month, TrendPoint(month, None, None, 0)))
        month = add_months(month, 1)
    return points


@dataclass(frozen=True)
class InitiativeLine:
    unit_id: int
    code: str
    name: str
    active_members: int
    covered: int  # active members with a non-dropped initiative this year
    completed: int  # active members with a completed initiative this year
    initiatives: int
    realised_vnd: int

    @property
    def coverage(self) -> float | None:
        return self.covered / self.active_members if self.active_members else None

    @property
    def completion(self) -> float | None:
        return self.completed / self.active_members if self.active_members else None


@dataclass(frozen=True)
class TopInitiative:
    id: int
    title: str
    cell_name: str
    member_name: str
    realised_vnd: int


async def initiative_overview(
    session: AsyncSession, unit: UnitRef, year: int
) -> tuple[InitiativeLine, list[InitiativeLine]]:
    """Coverage and completion of the unit and of each child unit for `year`.

    Per-cell figures come from the initiatives feature (storage.initiatives, two aggregate
    queries); here they are folded into child units by the cells' paths.
    """
    per_cell = await coverage_by_cell(session, unit.id, year)
    paths = dict(
        (
            await session.execute(
                select(OrgUnit.id, OrgUnit.path).where(
                    _subtree(unit.path), OrgUnit.kind == UnitKind.CELL.value
                )
            )
        ).all()
    )
    kids = await children(session, unit.id) if unit.kind != UnitKind.CELL.value else []

    def fold(ref: UnitRef, cells: Sequence[Coverage]) -> InitiativeLine:
        return InitiativeLine(
            ref.id,
            ref.code,
            ref.name,
            sum(c.active_members for c in cells),
            sum(c.covered_members for c in cells),
            sum(c.completed_members for c in cells),
            sum(c.initiatives for c in cells),
            sum(c.realised_vnd for c in cells),
        )

    grouped = _by_child(unit, per_cell, lambda cell_id: paths.get(cell_id, ""))
    return fold(unit, list(per_cell.values())), [
        fold(k, [per_cell[c] for c in grouped.get(k.id, [])]) for k in kids
    ]


async def top_initiatives(
    session: AsyncSession, unit: UnitRef, year: int, limit: int = 5
) -> list[TopInitiative]:
    """Completed initiatives with the largest realised benefit under `unit` in `year`."""
    rows = await session.execute(
        select(
            Initiative.id,
            Initiative.title,
            OrgUnit.name,
            Member.full_name,
            Initiative.realised_amount_vnd,
        )
        .join(OrgUnit, OrgUnit.id == Initiative.cell_id)
        .join(Member, Member.id == Initiative.member_id)
        .where(
            _subtree(unit.path),
            Initiative.year == year,
            Initiative.status == "completed",
            Initiative.realised_amount_vnd > 0,
        )
        .order_by(Initiative.realised_amount_vnd.desc(), Initiative.id)
        .limit(limit)
    )
    return [TopInitiative(int(i), t, c, m, int(v or 0)) for i, t, c, m, v in rows.all()]


def cell_infos(scores: Sequence[CellScore]) -> list[CellInfo]:
    return [s.cell for s in scores]


# ================================================================ one cell


@dataclass(frozen=True)
class MonthLine:
    month: dt.date
    reported: bool  # a submitted regular check-in exists
    held: bool | None
    score: float | None  # the regular meeting's rubric score
    thematic: bool  # a separate thematic meeting was reported too


async def cell_history(
    session: AsyncSession, fw: Framework, cell_id: int, last_month: dt.date, months: int = 12
) -> list[MonthLine]:
    """The cell's last `months` months up to `last_month`, newest first (one query)."""
    end = add_months(month_start(last_month), 1)
    start = add_months(end, -months)
    s = meeting_rows_query(
        fw, Checkin.cell_id == cell_id, Checkin.month >= start, Checkin.month < end
    )
    regular: dict[dt.date, tuple[bool, float | None]] = {}
    thematic: set[dt.date] = set()
    for month, slot, held, score in (
        await session.execute(select(s.c.month, s.c.slot, s.c.held, s.c.score))
    ).all():
        if slot == "regular":
            regular[month] = (bool(held), None if score is None else round(float(score), 1))
        else:
            thematic.add(month)
    lines = []
    for i in range(months):
        month = add_months(end, -1 - i)
        held, score = regular.get(month, (None, None))
        lines.append(MonthLine(month, month in regular, held, score, month in thematic))
    return lines
