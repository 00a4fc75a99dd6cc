"""Scoring as a service: what the CLI, the check-in handler and supervisor views call.

Cells' results come from the read model (storage.read_model): stored rows for the cells
shown (computed by the SQL metrics and the pure scoring when missing or not current), then
the committees' aggregates and the "excellent" cap in Python over those rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from domain.framework import Framework
from domain.orgpath import path_ids
from domain.periods import Period
from domain.scoring import (
    CellMetrics,
    GrassrootsResult,
    MeetingScore,
    PeriodResult,
    score_grassroots,
    score_meeting,
)
from storage.metrics import cells_in_scope, meeting_facts
from storage.metrics_sql import CellInfo
from storage.models import OrgUnit, UnitKind
from storage.stored_results import StoredRow, read_results, results_of


class UnknownUnitError(LookupError):
    """No unit has the given code."""


@dataclass(frozen=True)
class CellScore:
    cell: CellInfo
    period: str
    result: PeriodResult
    # A proposal beyond the "excellent" cap of its group of like units (by score): for the
    # committee to decide; the band is not changed.
    cap_flag: bool = False
    # The stored metrics, parsed when `metrics` is first read (one cell's view, JSON output):
    # a province's summary never reads them.
    load_metrics: Callable[[], CellMetrics] = field(
        default=lambda: CellMetrics(0), repr=False, compare=False
    )

    @cached_property
    def metrics(self) -> CellMetrics:
        return self.load_metrics()


@dataclass(frozen=True)
class CommitteeScore:
    unit_id: int | None
    code: str | None
    name: str | None
    result: GrassrootsResult


@dataclass(frozen=True)
class ScoreReport:
    unit_code: str
    unit_name: str
    unit_kind: str
    period: str
    as_of: dt.date
    cells: list[CellScore] = field(default_factory=list)
    committees: list[CommitteeScore] = field(default_factory=list)


async def _unit(session: AsyncSession, code: str) -> OrgUnit:
    unit = await session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        raise UnknownUnitError(code)
    return unit


async def _committee_scope(session: AsyncSession, unit: OrgUnit) -> OrgUnit:
    """The unit whose subtree holds whole grassroots committees around `unit`.

    The "excellent" cap is a share of a committee's cells, so scoring one cell still needs
    its sibling cells (a few dozen at most).
    """
    if unit.kind != UnitKind.CELL.value:
        return unit
    ancestor_ids = path_ids(unit.path)[:-1]
    if not ancestor_ids:
        return unit
    ancestors = {
        a.id: a
        for a in (await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ancestor_ids))))
    }
    for ancestor_id in reversed(ancestor_ids):
        ancestor = ancestors.get(ancestor_id)
        if ancestor is not None and ancestor.kind == UnitKind.GRASSROOTS.value:
            return ancestor
    return ancestors.get(ancestor_ids[-1], unit)


@dataclass(frozen=True)
class StoredTree:
    """A unit, the cells of its committee scope (whole grassroots committees around it) and
    their stored rows by cell id."""

    unit: OrgUnit
    scope: list[CellInfo]
    rows: dict[int, StoredRow]

    @property
    def cells(self) -> list[CellInfo]:
        """The cells under the unit (or the unit itself), in tree order."""
        return [c for c in self.scope if c.path.startswith(self.unit.path)]


async def stored_tree(
    session: AsyncSession,
    framework: Framework,
    unit_code: str,
    period: Period,
    as_of: dt.date,
    *,
    metrics: bool = True,
    reasons: bool | None = None,
) -> StoredTree:
    """The stored results of the cells around `unit_code` (see `StoredTree`); views of many
    cells read them without `metrics` (the stored columns only), and without `reasons`
    (default: as `metrics`) unless they show them."""
    unit = await _unit(session, unit_code)
    scope = await _committee_scope(session, unit)
    cells = await cells_in_scope(session, scope)
    rows = await read_results(
        session, framework, scope, cells, period, as_of, metrics=metrics, reasons=reasons
    )
    return StoredTree(unit, cells, rows)


def committee_scores(
    framework: Framework,
    period: Period,
    tree: StoredTree,
    groups: Collection[int | None] | None = None,
    results: dict[int, PeriodResult] | None = None,
) -> dict[int | None, CommitteeScore]:
    """The aggregate of each grassroots committee of the tree (or of those in `groups`),
    from its cells' stored results (`results` by cell id when already built)."""
    by_group: dict[int | None, list[CellInfo]] = defaultdict(list)
    for cell in tree.scope:
        if groups is None or cell.group_id in groups:
            by_group[cell.group_id].append(cell)
    committees: dict[int | None, CommitteeScore] = {}
    for group_id, members in by_group.items():
        if results is None:
            of_members = results_of(framework, period.kind, [tree.rows[c.id] for c in members])
        else:
            of_members = [results[c.id] for c in members]
        aggregate = score_grassroots(framework, of_members, [(c.id, c.sort) for c in members])
        first = members[0]
        committees[group_id] = CommitteeScore(
            group_id, first.group_code, first.group_name, aggregate
        )
    return committees


def cap_flag(committee: CommitteeScore, cell_id: int) -> bool:
    """Whether the cell is proposed beyond the "excellent" cap of its committee's groups."""
    return any(cell_id in cap.over for cap in committee.result.caps)


async def score_tree(
    session: AsyncSession,
    framework: Framework,
    unit_code: str,
    period: Period,
    *,
    as_of: dt.date | None = None,
    metrics: bool = True,
) -> ScoreReport:
    """Scores of every cell under `unit_code` (or of that cell) and of their committees.
    Without `metrics` the cells' metrics are not read (`CellScore.metrics` refuses): a text
    report shows scores and reasons, which the stored rows hold."""
    return (
        await score_tree_rows(session, framework, unit_code, period, as_of=as_of, metrics=metrics)
    )[0]


async def score_tree_rows(
    session: AsyncSession,
    framework: Framework,
    unit_code: str,
    period: Period,
    *,
    as_of: dt.date | None = None,
    metrics: bool = True,
) -> tuple[ScoreReport, dict[int, StoredRow]]:
    """`score_tree`, and the stored rows of its cells (the activity /summary shows)."""
    as_of = as_of or clock.today()
    tree = await stored_tree(
        session, framework, unit_code, period, as_of, metrics=metrics, reasons=True
    )
    unit, rows = tree.unit, tree.rows
    built = results_of(framework, period.kind, [rows[c.id] for c in tree.scope])
    results = {c.id: r for c, r in zip(tree.scope, built, strict=True)}
    committees = committee_scores(framework, period, tree, results=results)
    wanted = tree.cells
    cell_scores = [
        CellScore(
            cell,
            period.label,
            results[cell.id],
            cap_flag(committees[cell.group_id], cell.id),
            rows[cell.id].metrics,
        )
        for cell in wanted
    ]
    wanted_groups = list(dict.fromkeys(c.group_id for c in wanted))
    report = ScoreReport(
        unit_code=unit.code,
        unit_name=unit.name,
        unit_kind=unit.kind,
        period=period.label,
        as_of=as_of,
        cells=cell_scores,
        committees=[committees[g] for g in wanted_groups],
    )
    return report, rows


async def cell_totals(
    session: AsyncSession,
    framework: Framework,
    unit_code: str,
    periods: Sequence[Period],
    *,
    as_of: dt.date | None = None,
) -> tuple[list[CellInfo], list[dict[int, float | None]]]:
    """The cells under `unit_code` (or that cell), in tree order, and the stored total of
    each for every one of `periods` (by cell id), for a ranking: without the committees'
    aggregates and cap flags it does not show, the cells read once for all periods."""
    as_of = as_of or clock.today()
    unit = await _unit(session, unit_code)
    cells = await cells_in_scope(session, unit)
    totals = []
    for period in periods:
        rows = await read_results(session, framework, unit, cells, period, as_of, metrics=False)
        totals.append({c.id: rows[c.id].total for c in cells})
    return cells, totals


async def score_units(
    session: AsyncSession,
    framework: Framework,
    unit_code: str,
    period: Period,
    *,
    as_of: dt.date | None = None,
) -> list[CellScore]:
    """Scores of every cell under `unit_code` (or of that one cell), in tree order."""
    return (await score_tree(session, framework, unit_code, period, as_of=as_of)).cells


async def score_meeting_for_checkin(
    session: AsyncSession, framework: Framework, checkin_id: int
) -> MeetingScore | None:
    """The rubric score of one check-in (None when it does not exist)."""
    facts = await meeting_facts(session, checkin_id)
    return None if facts is None else score_meeting(framework, facts)
