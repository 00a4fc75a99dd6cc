"""Writing an export (storage/export.py collects it) as an XLSX workbook (one sheet as CSV:
bot/export_csv.py).

Sheets: summary (the /summary figures), check-ins (one row per submitted meeting with all
answers), attendance (one row per absent member), initiatives, scores (one row per cell with
criteria and the reasons for lost points), tasks (one row per task a meeting set, with its
owner and how the next meeting found it) and recommendations (one row per check-in that sent
one to the higher committee).

The check-ins, absences, tasks and recommendations (a province's year: ~50,000 and ~90,000
rows for the first two; their rows: bot/export_rows.py) are streamed from the database in
chunks straight into the file (bot/xlsx_stream.py: constant memory, about a
microsecond a cell); writing is plain CPU work run in a worker thread chunk by chunk, so the
bot keeps answering others while a province is written. Texts come through `Labels`
(bot/export_sheets.py) so this module needs no i18n machinery of its own.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

from bot.export_rows import (
    attendance_columns,
    attendance_row,
    checkin_columns,
    checkin_row,
    proposal_row,
    proposals_columns,
    task_row,
    tasks_columns,
)
from bot.export_sheets import (
    FORMATS,
    WIDTHS,
    Column,
    Labels,
    Sheet,
    band_name,
    header_text,
    yes_no,
)
from bot.xlsx_stream import PLAIN, STYLE_FORMATS, SheetWriter, WorkbookWriter
from domain.classification import proposed_band, reference_band
from domain.framework import Framework
from domain.periods import Period
from domain.scoring import criterion_scores
from storage.export import (
    INT,
    NUM,
    PCT,
    TEXT,
    Chunks,
    ExportData,
)
from storage.scope import UnitRef
from storage.score_service import CellScore
from storage.supervision import Summary, UnitSummary

# ================================================================ tables


def _criteria_columns(fw: Framework, labels: Labels) -> list[Column]:
    # Criterion names come from the framework file, not the catalogs: mark them with "!".
    return [Column("!" + c.name.get(labels.lang), NUM, 14) for c in fw.criteria]


def summary_table(fw: Framework, labels: Labels, data: Summary) -> Sheet:
    """The /summary figures: the unit's totals, then one row per child unit."""
    columns = [
        Column("sv.x.col.code", TEXT, 18),
        Column("sv.x.col.unit", TEXT, 34),
        Column("sv.x.col.cells", INT),
        Column("sv.x.col.submitted", INT),
        Column("sv.x.col.expected", INT),
        Column("sv.x.col.meeting_score", NUM, 12),
        Column("sv.x.col.attendance", PCT, 11),
        *_criteria_columns(fw, labels),
        Column("sv.x.col.total", NUM),
        Column("sv.x.col.reference_band", TEXT, 20),
        Column("sv.x.col.four_good", TEXT, 10),
        Column("sv.x.col.four_good_cells", INT, 12),
        Column("sv.x.col.cells_with_data", INT, 12),
    ]

    def row(line: UnitSummary) -> list[Any]:
        return [
            line.code,
            line.name,
            line.cells,
            line.submitted,
            line.expected,
            line.meeting_score,
            line.attendance,
            *[line.criteria.get(c.code) for c in fw.criteria],
            line.total,
            # A unit's figure is an average of cells: a reference score, never a classification.
            band_name(fw, labels, reference_band(fw, line.total), meeting=True),
            yes_no(labels, line.four_good),
            line.four_good_cells,
            line.cells_with_data,
        ]

    return Sheet("sv.x.sheet.summary", columns, [row(data.total), *map(row, data.rows)])


def scores_table(fw: Framework, labels: Labels, data: ExportData) -> Sheet:
    """One row per cell: activity, criteria, total, band, verdict, cap flag, reasons."""
    columns = [
        Column("sv.x.col.code", TEXT, 18),
        Column("sv.x.col.cell", TEXT, 28),
        Column("sv.x.col.group", TEXT, 26),
        Column("sv.x.col.submitted", INT),
        Column("sv.x.col.expected", INT),
        Column("sv.x.col.meeting_score", NUM, 12),
        Column("sv.x.col.attendance", PCT, 11),
        *_criteria_columns(fw, labels),
        Column("sv.x.col.total", NUM),
        Column("sv.x.col.reference_band", TEXT, 20),
        Column("sv.x.col.proposed_band", TEXT, 22),
        Column("sv.x.col.four_good", TEXT, 10),
        Column("sv.x.col.cap_flag", TEXT, 10),
        Column("sv.x.col.reasons", TEXT, 80),
    ]
    months = data.summary.months_due

    # Rows made as they are written: a province's 4,971 cells' reasons are tens of megabytes.
    def rows() -> Iterator[list[Any]]:
        for cell in sorted(data.summary.cells, key=lambda c: c.cell.code):
            yield row(cell)

    def row(cell: CellScore) -> list[Any]:
        act = data.summary.activity.get(cell.cell.id)
        result = cell.result
        scores = dict(criterion_scores(result))
        return [
            cell.cell.code,
            cell.cell.name,
            cell.cell.group_name or "",
            act.submitted if act else 0,
            months,
            round(act.score_sum / act.scored, 1) if act and act.scored else None,
            act.present / act.expected if act and act.expected else None,
            *[scores.get(c.code) for c in fw.criteria],
            result.total,
            band_name(fw, labels, reference_band(fw, result.total), meeting=True),
            # Only one cell's quarter or year carries a proposed 366 classification.
            band_name(fw, labels, proposed_band(result)),
            yes_no(labels, result.four_good),
            yes_no(labels, cell.cap_flag) if cell.cap_flag else None,
            "; ".join(labels.reason(r) for r in result.reasons),
        ]

    return Sheet("sv.x.sheet.scores", columns, rows())


def initiatives_table(labels: Labels, data: ExportData) -> Sheet:
    """Initiative coverage and completion per cell for the period's year."""
    columns = [
        Column("sv.x.col.code", TEXT, 18),
        Column("sv.x.col.cell", TEXT, 28),
        Column("sv.x.col.group", TEXT, 26),
        Column("sv.x.col.active_members", INT, 12),
        Column("sv.x.col.covered_members", INT, 14),
        Column("sv.x.col.coverage", PCT, 11),
        Column("sv.x.col.completed_members", INT, 14),
        Column("sv.x.col.completion", PCT, 11),
        Column("sv.x.col.initiatives", INT, 12),
        Column("sv.x.col.completed_initiatives", INT, 14),
        Column("sv.x.col.realised_vnd", INT, 18),
    ]
    rows = []
    for cell, cov in sorted(data.initiatives, key=lambda item: item[0].cell.code):
        rows.append(
            [
                cell.cell.code,
                cell.cell.name,
                cell.cell.group_name or "",
                cov.active_members if cov else 0,
                cov.covered_members if cov else 0,
                cov.coverage if cov else None,
                cov.completed_members if cov else 0,
                cov.completion if cov else None,
                cov.initiatives if cov else 0,
                cov.completed_initiatives if cov else 0,
                cov.realised_vnd if cov else 0,
            ]
        )
    return Sheet("sv.x.sheet.initiatives", columns, rows)


def year_levels_table(labels: Labels, data: ExportData) -> Sheet:
    """The annual review's final list: each cell's line, then its members' (issue 17)."""
    columns = [
        Column("sv.x.col.code", TEXT, 18),
        Column("sv.x.col.cell", TEXT, 28),
        Column("review.x.col.member", TEXT, 28),
        Column("review.x.col.proposed", TEXT, 28),
        Column("review.x.col.confirmed", TEXT, 28),
        Column("review.x.col.note", TEXT, 40),
    ]

    def level(code: str | None) -> str | None:
        return labels.t(f"review.level.{code}") if code else None

    rows = [
        [ln.cell_code, ln.cell_name, ln.member or labels.t("review.x.whole_cell"),
         level(ln.proposed), level(ln.confirmed), ln.note]
        for ln in data.year_levels
    ]  # fmt: skip
    return Sheet("review.sv.export_sheet", columns, rows)


# ================================================================ writing


def _styles(columns: Sequence[Column]) -> list[int]:
    return [STYLE_FORMATS.get(FORMATS.get(c.kind, ""), PLAIN) for c in columns]


def _open_sheet(
    book: WorkbookWriter, labels: Labels, name_key: str, columns: Sequence[Column]
) -> SheetWriter:
    sheet = book.sheet(
        labels.t(name_key)[:31],
        [column.width or WIDTHS[column.kind] for column in columns],
        _styles(columns),
    )
    sheet.header([header_text(labels, column) for column in columns])
    return sheet


def _write_table(book: WorkbookWriter, labels: Labels, table: Callable[[], Sheet]) -> None:
    sheet = table()  # here, in the worker thread: the scores sheet builds each cell's reasons
    _open_sheet(book, labels, sheet.name_key, sheet.columns).append_rows(sheet.rows)


def _write_chunk(sheet: SheetWriter, convert: Callable[[Any], list[Any]], rows: Any) -> None:
    sheet.append_rows(map(convert, rows))


Streamed = tuple[tuple[str, list[Column], Callable[[Any], list[Any]], Chunks], ...]


async def _write_streamed(book: WorkbookWriter, labels: Labels, streamed: Streamed) -> None:
    """Sheets whose rows come from the database in chunks, each chunk written in a thread."""
    for name_key, columns, convert, chunks in streamed:
        sheet = await asyncio.to_thread(_open_sheet, book, labels, name_key, columns)
        async for chunk in chunks():
            await asyncio.to_thread(_write_chunk, sheet, convert, chunk)


async def write_workbook(fw: Framework, labels: Labels, data: ExportData) -> bytes:
    """The XLSX file: seven sheets, bold frozen header row, widths, real dates.

    The check-ins, absences, tasks and recommendations are read from the database in chunks
    while the file is written (constant memory); each chunk is written in a worker thread, so
    the bot keeps answering others while a province is written."""
    buffer = io.BytesIO()
    book = WorkbookWriter(buffer)
    await asyncio.to_thread(
        _write_table, book, labels, partial(summary_table, fw, labels, data.summary)
    )
    streamed = (
        ("sv.x.sheet.checkins", checkin_columns(), checkin_row(fw, labels, data), data.checkins),
        ("sv.x.sheet.attendance", attendance_columns(), attendance_row(labels), data.attendance),
    )
    await _write_streamed(book, labels, streamed)
    await asyncio.to_thread(_write_table, book, labels, partial(initiatives_table, labels, data))
    await asyncio.to_thread(_write_table, book, labels, partial(scores_table, fw, labels, data))
    # Last, so that the first five sheets keep their places for those who read them by place.
    substance = (
        ("sv.x.sheet.tasks", tasks_columns(), task_row(labels), data.tasks),
        ("sv.x.sheet.recommendations", proposals_columns(), proposal_row, data.proposals),
    )
    await _write_streamed(book, labels, substance)
    if data.year_levels:  # the annual review's final list, once a cell has submitted one
        await asyncio.to_thread(
            _write_table, book, labels, partial(year_levels_table, labels, data)
        )
    await asyncio.to_thread(book.finish)
    return buffer.getvalue()


def file_name(unit: UnitRef, period: Period, suffix: str) -> str:
    return f"cellbot-{unit.code}-{period.label}.{suffix}"
