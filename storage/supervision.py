"""What supervisors read: summaries per child unit, ranking, the monthly trend and one cell's
history (the read-only views; initiatives per child unit are storage.supervision_initiatives,
the scope is storage.scope, the actions are storage.locks, storage.reviews and
storage.broadcasts).

Performance: cells' results and activity are read from the read model (storage.read_model:
one row per cell shown, computed once when facts change), then folded into child units in
Python by the cell's path. Meeting scores are the ones stored with each check-in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import (
    and_,
    case,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.framework import (
    Framework,
)
from domain.periods import Period, add_months, month_start
from domain.scoring import band_for
from storage.gc_pause import gc_paused
from storage.metrics_sql import CellInfo
from storage.models import (
    Checkin,
    CheckinStatus,
    UnitKind,
)
from storage.read_model import ensure_meeting_scores
from storage.scope import UnitRef, children, group_by_child
from storage.score_service import (
    CellScore,
    cap_flag,
    cell_totals,
    committee_scores,
    score_tree_rows,
    stored_tree,
)
from storage.stored_results import StoredRow
from storage.tree import checkins_under

# ================================================================ summary


@dataclass
class Activity:
    submitted: int = 0
    score_sum: float = 0.0
    scored: int = 0
    present: int = 0
    expected: int = 0


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


def _activity(rows: dict[int, StoredRow], cells: Sequence[CellInfo]) -> dict[int, Activity]:
    """Submitted reports, meeting scores and attendance of the months due, per cell with a
    submitted check-in in them (as stored in the read model)."""
    activity = {}
    for cell in cells:
        row = rows[cell.id]
        if row.meetings:
            activity[cell.id] = Activity(
                row.reports, row.score_sum, row.scored, row.present, row.expected
            )
    return activity


class _Cell(NamedTuple):
    """A cell as the lines of /summary read it: its stored columns, and its cap flag (read
    only where the line is the cell itself). A tuple: a province has 5,000."""

    id: int
    path: str
    no_data: bool
    total: float | None
    band: str | None
    four_good: bool | None
    scores: list[float | None] | None  # criterion scores in framework order (None: no data)
    cap_flag: bool
    row: StoredRow  # the activity of the months due: meetings, reports, score sum …


def _cells(
    shown: Sequence[CellInfo], rows: dict[int, StoredRow], flags: dict[int, bool]
) -> list[_Cell]:
    picked = [rows[cell.id] for cell in shown]
    # The criterion scores of every row in one parse (5,000 small parses cost ten times more).
    scores = json.loads("[" + ",".join(row.criteria for row in picked) + "]")
    return [
        _Cell(
            cell.id,
            cell.path,
            bool(row.no_data) or row.total is None,
            row.total,
            row.band,
            row.four_good,
            score,
            flags.get(cell.id, False),
            row,
        )
        for cell, row, score in zip(shown, picked, scores, strict=True)
    ]


def _average(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _fold(
    fw: Framework,
    ref: UnitRef,
    cells: Sequence[_Cell],
    months: int,
    committee_four_good: bool | None = None,
) -> UnitSummary:
    # The cells with a submitted check-in in the months due, summed in cell order.
    active = [c.row for c in cells if c.row.meetings]
    act = Activity(
        sum(r.reports for r in active),
        sum((r.score_sum for r in active), 0.0),
        sum(r.scored for r in active),
        sum(r.present for r in active),
        sum(r.expected for r in active),
    )
    with_data = [c for c in cells if not c.no_data]
    # Each criterion's scores in cell order (the order the sums were always made in).
    codes = [criterion.code for criterion in fw.criteria]
    columns = list(zip(*(c.scores for c in with_data), strict=True)) or [()] * len(codes)
    criteria = {
        code: _average([score for score in column if score is not None])
        for code, column in zip(codes, columns, strict=True)
    }
    totals = [c.total for c in with_data if c.total is not None]
    total = _average(totals)
    single = cells[0] if ref.kind == UnitKind.CELL.value and len(cells) == 1 else None
    return UnitSummary(
        unit_id=ref.id,
        code=ref.code,
        name=ref.name,
        kind=ref.kind,
        cells=len(cells),
        submitted=act.submitted,
        expected=len(cells) * months,
        meeting_score=round(act.score_sum / act.scored, 1) if act.scored else None,
        attendance=act.present / act.expected if act.expected else None,
        criteria=criteria,
        total=single.total if single else total,
        band=single.band if single else band_for(fw.classification.bands, total),
        four_good=single.four_good if single else committee_four_good,
        four_good_cells=sum(1 for c in with_data if c.four_good),
        cells_with_data=len(with_data),
        cap_flag=single.cap_flag if single else False,
    )


async def summary(
    session: AsyncSession,
    fw: Framework,
    unit: UnitRef,
    period: Period,
    as_of: dt.date,
    *,
    cells: bool = True,
) -> Summary:
    """Totals of `unit` and one line per child unit, for `period` as of `as_of`. Without
    `cells` (what /summary and `cellbot report` show) only the stored columns are read and
    `Summary.cells` and `.activity` are empty; with them (the export) each cell's full
    result and activity are there."""
    months = due_months(period, as_of)
    kids = await children(session, unit.id) if unit.kind != UnitKind.CELL.value else []
    if cells:
        report, rows = await score_tree_rows(session, fw, unit.code, period, as_of=as_of)
        shown = [c.cell for c in report.cells]
        flags = {c.cell.id: c.cap_flag for c in report.cells}
        verdicts = {c.unit_id: c.result.four_good for c in report.committees}
        scores = report.cells
        return _summary(fw, unit, period, as_of, kids, months, shown, rows, flags, verdicts, scores)
    with gc_paused():
        tree = await stored_tree(session, fw, unit.code, period, as_of, metrics=False)
        rows, shown, scores = tree.rows, tree.cells, []
        # A line of one cell shows its cap flag; a line of a grassroots committee its
        # verdict: only those committees are scored (a province has hundreds).
        singles = {k.id for k in kids if k.kind == UnitKind.CELL.value}
        if unit.kind == UnitKind.CELL.value:
            singles.add(unit.id)
        needed: set[int | None] = {k.id for k in kids}
        needed.add(unit.id)
        needed |= {c.group_id for c in shown if c.id in singles}
        committees = committee_scores(fw, period, tree, needed & {c.group_id for c in shown})
        flags = {c.id: cap_flag(committees[c.group_id], c.id) for c in shown if c.id in singles}
        verdicts = {g: c.result.four_good for g, c in committees.items()}
        return _summary(fw, unit, period, as_of, kids, months, shown, rows, flags, verdicts, [])


def _summary(
    fw: Framework,
    unit: UnitRef,
    period: Period,
    as_of: dt.date,
    kids: Sequence[UnitRef],
    months: Sequence[dt.date],
    shown: Sequence[CellInfo],
    rows: dict[int, StoredRow],
    flags: dict[int, bool],
    verdicts: Mapping[int | None, bool | None],
    scores: list[CellScore],
) -> Summary:
    """The lines of `summary` from the cells shown and their stored rows (`scores`: the
    cells' full results, when read)."""
    lines = _cells(shown, rows, flags)
    activity = _activity(rows, shown) if scores else {}
    by_child = group_by_child(unit, lines, lambda c: c.path)
    rows_out = [
        _fold(fw, kid, by_child.get(kid.id, []), len(months), verdicts.get(kid.id)) for kid in kids
    ]
    total = _fold(fw, unit, lines, len(months), verdicts.get(unit.id))
    return Summary(unit, period, as_of, total, rows_out, scores, activity, len(months))


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
    session: AsyncSession,
    fw: Framework,
    unit: UnitRef,
    periods: Sequence[Period],
    as_of: dt.date,
    by: str,
) -> tuple[list[dict[int, float | None]], dict[int, tuple[str, str]]]:
    """The totals to rank for each of `periods` (cells', or child units' averages), and the
    (code, name) of what is ranked."""
    cells, totals = await cell_totals(session, fw, unit.code, periods, as_of=as_of)
    if by == "cells":
        return totals, {cell.id: (cell.code, cell.name) for cell in cells}
    kids = await children(session, unit.id)
    grouped = group_by_child(unit, cells, lambda cell: cell.path)

    def average(kid: UnitRef, of: dict[int, float | None]) -> float | None:
        return _average([t for c in grouped.get(kid.id, []) if (t := of[c.id]) is not None])

    return (
        [{k.id: average(k, of) for k in kids} for of in totals],
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
    with gc_paused():
        (totals, before), names = await _unit_totals(
            session, fw, unit, [period, period.previous()], as_of, by
        )
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
    """Average meeting score and attendance per month in [start, end): one query over the
    stored meeting scores."""
    c = Checkin
    where = (checkins_under(unit.path), c.month >= start, c.month < end)
    await ensure_meeting_scores(session, fw, *where)
    known = and_(c.held.is_(True), c.expected_count.is_not(None), c.present_count.is_not(None))
    rows = await session.execute(
        select(
            c.month,
            func.sum(c.meeting_score),
            func.count(c.meeting_score),
            func.coalesce(func.sum(case((known, c.present_count), else_=0)), 0),
            func.coalesce(func.sum(case((known, c.expected_count), else_=0)), 0),
            func.count(),
        )
        .where(c.status == CheckinStatus.SUBMITTED.value, *where)
        .group_by(c.month)
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
    where = (Checkin.cell_id == cell_id, Checkin.month >= start, Checkin.month < end)
    await ensure_meeting_scores(session, fw, *where)
    query = select(Checkin.month, Checkin.slot, Checkin.held, Checkin.meeting_score).where(
        Checkin.status == CheckinStatus.SUBMITTED.value, *where
    )
    regular: dict[dt.date, tuple[bool, float | None]] = {}
    thematic: set[dt.date] = set()
    for month, slot, held, score in (await session.execute(query)).all():
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
