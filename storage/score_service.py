"""Scoring as a service: what the CLI, the check-in handler and supervisor views call.

Cells' results come from the read model (storage.read_model): stored rows for the cells
shown (computed by the SQL metrics and the pure scoring when missing or not current), then
the committees' aggregates and the "excellent" cap in Python over those rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
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
from storage.metrics import CellInfo, cells_in_scope, meeting_facts
from storage.models import OrgUnit, UnitKind
from storage.read_model import StoredRow, read_results, results_of


class UnknownUnitError(LookupError):
    """No unit has the given code."""


@dataclass(frozen=True)
class CellScore:
    cell: CellInfo
    period: str
    result: PeriodResult
    # In the capped ("excellent") band while its grassroots committee has more such cells
    # than the cap allows: for the committee to decide; the band is not changed.
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


async def _rows(
    session: AsyncSession, framework: Framework, unit_code: str, period: Period, as_of: dt.date
) -> tuple[OrgUnit, list[CellInfo], dict[int, StoredRow]]:
    """The unit, the cells of its committee scope, and their stored rows by cell id."""
    unit = await _unit(session, unit_code)
    scope = await _committee_scope(session, unit)
    cells = await cells_in_scope(session, scope)
    return unit, cells, await read_results(session, framework, scope, cells, period, as_of)


async def _scored(
    session: AsyncSession, framework: Framework, unit_code: str, period: Period, as_of: dt.date
) -> tuple[OrgUnit, list[CellInfo], dict[int, StoredRow], dict[int, PeriodResult]]:
    """`_rows`, and the cells' results by cell id."""
    unit, cells, rows = await _rows(session, framework, unit_code, period, as_of)
    results = results_of(framework, period.kind, [rows[c.id] for c in cells])
    return unit, cells, rows, {c.id: r for c, r in zip(cells, results, strict=True)}


async def score_tree(
    session: AsyncSession,
    framework: Framework,
    unit_code: str,
    period: Period,
    *,
    as_of: dt.date | None = None,
) -> ScoreReport:
    """Scores of every cell under `unit_code` (or of that cell) and of their committees."""
    return (await score_tree_rows(session, framework, unit_code, period, as_of=as_of))[0]


async def score_tree_rows(
    session: AsyncSession,
    framework: Framework,
    unit_code: str,
    period: Period,
    *,
    as_of: dt.date | None = None,
) -> tuple[ScoreReport, dict[int, StoredRow]]:
    """`score_tree`, and the stored rows of its cells (the activity /summary shows)."""
    as_of = as_of or clock.today()
    unit, cells, rows, results = await _scored(session, framework, unit_code, period, as_of)

    by_group: dict[int | None, list[CellInfo]] = defaultdict(list)
    for cell in cells:
        by_group[cell.group_id].append(cell)
    committees: dict[int | None, CommitteeScore] = {}
    for group_id, members in by_group.items():
        aggregate = score_grassroots(framework, [results[c.id] for c in members])
        first = members[0]
        committees[group_id] = CommitteeScore(
            group_id, first.group_code, first.group_name, aggregate
        )

    wanted = [c for c in cells if c.path.startswith(unit.path)]
    cell_scores = []
    for cell in wanted:
        cap = committees[cell.group_id].result.cap
        flagged = cap is not None and cap.exceeded and results[cell.id].band == cap.band
        cell_scores.append(
            CellScore(cell, period.label, results[cell.id], flagged, rows[cell.id].metrics)
        )
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
    period: Period,
    *,
    as_of: dt.date | None = None,
) -> list[tuple[CellInfo, float | None]]:
    """The total of every cell under `unit_code` (`score_tree`'s cells, in tree order), for
    a ranking: without the committees' aggregates and the cap flags it does not show."""
    as_of = as_of or clock.today()
    unit, cells, rows = await _rows(session, framework, unit_code, period, as_of)
    return [(c, rows[c.id].total) for c in cells if c.path.startswith(unit.path)]


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
