"""Reading the read model: the stored results of the cells a view shows, with the ones that
are missing or not current computed now by the write side's code (storage.read_model) and
stored for the next view. Views of many cells read only the stored columns (no metrics)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import null, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.framework import Framework
from domain.periods import Period, PeriodKind
from domain.scoring import CellMetrics, PeriodResult, stored_results
from storage.metrics_sql import CellInfo, scope_filter
from storage.models import CellResult, OrgUnit
from storage.read_model import (
    ONLY_LIMIT,
    compute_rows,
    framework_version,
    seen_from,
    store_for_later,
)

# ================================================================ reading


class StoredRow(NamedTuple):
    """One cell's stored result for a period, as views read it (a tuple: a province reads
    5,000 of them)."""

    cell_id: int
    period_kind: PeriodKind
    no_data: bool
    total: float | None
    band: str | None
    four_good: bool | None
    criteria: str  # JSON: criterion scores in framework order, or null (no check-in)
    metrics_json: str | None  # None: not read (views of many cells, see `read_results`)
    meetings: int  # submitted check-ins in the months due (0: no activity to show)
    reports: int
    score_sum: float
    scored: int
    present: int
    expected: int
    # The reasons as stored (domain.scoring.reasons_text: parsed only when a reason is not
    # rendered yet); None: not read, or not stored (a row of before revision 0009: rebuilt
    # from the metrics).
    reasons_text: str | None = None

    def metrics(self) -> CellMetrics:
        if self.metrics_json is None:
            raise LookupError(f"cell {self.cell_id}: its metrics were not read")
        return CellMetrics(*json.loads(self.metrics_json))


def results_of(
    fw: Framework, period_kind: PeriodKind, rows: Sequence[StoredRow]
) -> list[PeriodResult]:
    """The `PeriodResult`s scoring gave for `rows` (in their order); the criteria's
    indicators are rebuilt from the stored metrics when read, the reasons from their stored
    keys (from the metrics in rows without them)."""
    stored = []
    # The criterion scores of every row in one parse (a committee of hundreds of cells: many
    # small parses cost several times more).
    parsed = json.loads("[" + ",".join(row.criteria for row in rows) + "]")
    for row, scores in zip(rows, parsed, strict=True):
        if scores is not None:
            stored.append(
                ((row.total, row.band, row.four_good, scores), row.metrics, row.reasons_text)
            )
    with_data = iter(stored_results(fw, period_kind, stored))
    return [
        PeriodResult(period_kind, no_data=True, total=None, band=None, four_good=None)
        if row.criteria == "null"
        else next(with_data)
        for row in rows
    ]


_COLUMNS = (
    CellResult.cell_id,
    CellResult.period_kind,
    CellResult.no_data,
    CellResult.total,
    CellResult.band,
    CellResult.four_good,
    CellResult.criteria,
    CellResult.metrics,
    CellResult.meetings,
    CellResult.reports,
    CellResult.score_sum,
    CellResult.scored,
    CellResult.present,
    CellResult.expected,
    CellResult.reasons,
)
_FIELDS = StoredRow._fields


def _columns(metrics: bool, reasons: bool) -> tuple[Any, ...]:
    # Views of many cells read every column but the metrics and the reasons (a province:
    # 5,000 blobs to send and parse for nothing: only one cell's view rebuilds its indicators,
    # only a report of every cell, or one cell's view, shows reasons).
    return tuple(
        null().label(column.key)
        if (column is CellResult.metrics and not metrics)
        or (column is CellResult.reasons and not reasons)
        else column
        for column in _COLUMNS
    )


_SELECTS = {(m, r): _columns(m, r) for m in (True, False) for r in (True, False)}


def _from_dict(row: dict[str, Any]) -> StoredRow:
    return StoredRow._make(
        row[name]
        for name in (
            "cell_id",
            "period_kind",
            "no_data",
            "total",
            "band",
            "four_good",
            "criteria",
            "metrics",
            *_FIELDS[8:-1],
            "reasons",
        )
    )


@dataclass
class ReadStats:
    """What reads computed (cells, per call): tests see that a view of current rows computes
    nothing; `rescore` reports it."""

    computed_cells: int = 0
    computations: int = 0


STATS = ReadStats()


async def read_results(
    session: AsyncSession,
    fw: Framework,
    scope: OrgUnit,
    cells: Sequence[CellInfo],
    period: Period,
    as_of: dt.date,
    *,
    metrics: bool = True,
    reasons: bool | None = None,
) -> dict[int, StoredRow]:
    """The results of `cells` (all under `scope`) for `period` seen on `as_of`: the stored
    rows that are current, the others computed now with the existing code and stored.
    Without `metrics` the stored rows do not carry them (`StoredRow.metrics` refuses);
    without `reasons` (default: as `metrics`) not their reasons (rebuilt from the metrics
    if read)."""
    version, seen = framework_version(fw), seen_from(period, as_of)
    wanted = {c.id for c in cells}
    # On the connection: plain rows, without the ORM's per-row work (5,000 rows a province).
    connection = await session.connection()
    rows = await connection.execute(
        select(*_SELECTS[metrics, metrics if reasons is None else reasons]).where(
            CellResult.period_kind == period.kind,
            CellResult.period_start == period.start,
            CellResult.framework_version == version,
            CellResult.as_of_month == seen,
            scope_filter(scope.path, None if len(wanted) > ONLY_LIMIT else sorted(wanted))(
                CellResult.cell_id
            ),
        )
    )
    found: dict[int, StoredRow] = {
        int(r[0]): StoredRow._make(r) for r in rows.all() if r[0] in wanted
    }
    missing = [c for c in cells if c.id not in found]
    if missing:
        # A few cells: just those; many (a first view, a framework change): one pass over
        # the scope, as the views computed everything before the read model.
        only = len(missing) <= ONLY_LIMIT
        batch = missing if only else list(cells)
        computed = await compute_rows(session, fw, scope, batch, period, as_of, only=only)
        await store_for_later(session, computed)
        found.update((r["cell_id"], _from_dict(r)) for r in computed)
        STATS.computations += 1
        STATS.computed_cells += len(batch)
    return found
