"""Writing an export (storage/export.py collects it) as an XLSX workbook or CSV.

Sheets: summary (the /summary figures), check-ins (one row per submitted meeting with all
answers), attendance (one row per absent member), initiatives, scores (one row per cell with
criteria and the reasons for lost points).

The check-ins and absences (a province's year: ~50,000 and ~90,000 rows) are streamed from
the database in chunks straight into the file (bot/xlsx_stream.py: constant memory, about a
microsecond a cell); writing is plain CPU work run in a worker thread chunk by chunk, so the
bot keeps answering others while a province is written. Texts come through `Labels` so this
module needs no i18n machinery of its own.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from bot.xlsx_stream import FORMULA_STARTS, PLAIN, STYLE_FORMATS, SheetWriter, WorkbookWriter
from domain.classification import proposed_band, reference_band
from domain.framework import Framework
from domain.periods import Period
from domain.scoring import Reason, band_for, criterion_scores
from storage.export import (
    BOOL,
    DATE,
    FACT_COLUMNS,
    INT,
    MONTH,
    NUM,
    PCT,
    STAMP,
    TEXT,
    TEXT_ANSWERS,
    ExportData,
)
from storage.scope import UnitRef
from storage.score_service import CellScore
from storage.supervision import Summary, UnitSummary

FORMATS = {
    NUM: "0.0",
    PCT: "0%",
    DATE: "dd/mm/yyyy",
    MONTH: "mm/yyyy",
    STAMP: "dd/mm/yyyy hh:mm",
}
WIDTHS = {TEXT: 16, INT: 9, NUM: 9, PCT: 9, DATE: 12, MONTH: 10, STAMP: 17, BOOL: 8}
# Texts a secretary typed ("=HYPERLINK(...)" as the month's main tasks) must stay plain text:
# a text starting with one of FORMULA_STARTS is a formula to a spreadsheet (Excel and
# LibreOffice evaluate "+", "-", "@" and these when they open a CSV).


@dataclass(frozen=True)
class Labels:
    """Texts in the reader's language, supplied by the caller (bot layer)."""

    lang: str
    t: Callable[[str], str]  # catalog key -> text
    reason: Callable[[Reason], str]  # a lost point -> text


@dataclass(frozen=True)
class Column:
    key: str  # catalog key of the header
    kind: str
    width: float | None = None


@dataclass
class Sheet:
    name_key: str
    columns: list[Column]
    rows: Iterable[Sequence[Any]]


# ================================================================ tables


def _yes_no(labels: Labels, value: bool | None) -> str | None:
    if value is None:
        return None
    return labels.t("common.yes") if value else labels.t("common.no")


def _band(fw: Framework, labels: Labels, code: str | None, meeting: bool = False) -> str | None:
    if code is None:
        return None
    bands = fw.meeting_rubric.bands if meeting else fw.classification.bands
    return next((b.name.get(labels.lang) for b in bands if b.code == code), code)


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
            _band(fw, labels, reference_band(fw, line.total), meeting=True),
            _yes_no(labels, line.four_good),
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
            _band(fw, labels, reference_band(fw, result.total), meeting=True),
            # Only one cell's quarter or year carries a proposed 366 classification.
            _band(fw, labels, proposed_band(result)),
            _yes_no(labels, result.four_good),
            _yes_no(labels, cell.cap_flag) if cell.cap_flag else None,
            "; ".join(labels.reason(r) for r in result.reasons),
        ]

    return Sheet("sv.x.sheet.scores", columns, rows())


def checkin_columns() -> list[Column]:
    return [
        Column("sv.x.col.code", TEXT, 18),
        Column("sv.x.col.cell", TEXT, 28),
        Column("sv.x.col.group", TEXT, 26),
        Column("sv.x.col.month", MONTH),
        Column("sv.x.col.slot", TEXT, 11),
        Column("sv.x.col.submitted_at", STAMP),
        *[Column(f"sv.x.fact.{name}", kind, None) for name, kind in FACT_COLUMNS],
        *[Column(f"sv.x.fact.{name}", TEXT, 30) for name in TEXT_ANSWERS],
        Column("sv.x.col.meeting_score", NUM, 12),
        Column("sv.x.col.meeting_band", TEXT, 14),
        Column("sv.x.col.review", TEXT, 12),
        Column("sv.x.col.review_comment", TEXT, 30),
    ]


def checkin_row(fw: Framework, labels: Labels, data: ExportData) -> Callable[[Any], list[Any]]:
    """A function from one streamed check-in row (storage.export) to the sheet's row."""
    choice = {
        "meeting_type": "sv.x.meeting_type.",
        "dues_status": "sv.x.dues.",
        "resolution_impl": "sv.x.impl.",
    }
    # The same few labels and bands on every row: looked up once each (a province's year
    # has ~50,000 rows of 26 facts).
    yes_no = {True: _yes_no(labels, True), False: _yes_no(labels, False), None: None}
    texts: dict[str, str] = {}

    def text(key: str) -> str:
        found = texts.get(key)
        if found is None:
            found = texts[key] = labels.t(key)
        return found

    bands: dict[float | None, str | None] = {}

    def band(score: float | None) -> str | None:
        if score not in bands:
            bands[score] = _band(fw, labels, _meeting_band(fw, score), meeting=True)
        return bands[score]

    kinds = ["bool" if kind == BOOL else choice.get(name, "") for name, kind in FACT_COLUMNS]
    facts_end = 6 + len(kinds)

    def row(r: Any) -> list[Any]:
        code, name, parent_id, month, slot, submitted_at = r[:6]
        values: list[Any] = []
        for kind, value in zip(kinds, r[6:facts_end], strict=True):
            if not kind:
                values.append(value)
            elif kind == "bool":
                values.append(yes_no[value])
            else:
                values.append(None if value is None else text(kind + str(value)))
        score, review, comment = r[facts_end : facts_end + 3]
        rounded = None if score is None else round(float(score), 1)
        return [
            code,
            name,
            data.groups.get(parent_id, ""),
            month,
            text(f"sv.x.slot.{slot}"),
            _local(submitted_at, data.tz),
            *values,
            *[_text(value) for value in r[facts_end + 3 :]],
            rounded,
            band(rounded),
            text(f"sv.x.review.{review}") if review else None,
            comment,
        ]

    return row


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _meeting_band(fw: Framework, score: float | None) -> str | None:
    return band_for(fw.meeting_rubric.bands, score)


def _local(value: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    # Excel has no time zones: write the reader's local time, without tzinfo.
    return None if value is None else value.astimezone(tz).replace(tzinfo=None)


def attendance_columns() -> list[Column]:
    return [
        Column("sv.x.col.code", TEXT, 18),
        Column("sv.x.col.cell", TEXT, 28),
        Column("sv.x.col.month", MONTH),
        Column("sv.x.fact.meeting_date", DATE),
        Column("sv.x.col.member", TEXT, 26),
        Column("sv.x.col.absence", TEXT, 18),
    ]


def attendance_row(labels: Labels) -> Callable[[Any], list[Any]]:
    """A function from one streamed absence row (storage.export) to the sheet's row."""

    statuses: dict[str, str] = {}

    def row(r: Any) -> list[Any]:
        code, name, month, day, member, status = r
        text = statuses.get(status)
        if text is None:
            text = statuses[status] = labels.t(f"sv.x.absence.{status}")
        return [code, name, month, day, member, text]

    return row


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


# ================================================================ writing


def _header(labels: Labels, column: Column) -> str:
    return column.key[1:] if column.key.startswith("!") else labels.t(column.key)


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
    sheet.header([_header(labels, column) for column in columns])
    return sheet


def _write_table(book: WorkbookWriter, labels: Labels, table: Callable[[], Sheet]) -> None:
    sheet = table()  # here, in the worker thread: the scores sheet builds each cell's reasons
    _open_sheet(book, labels, sheet.name_key, sheet.columns).append_rows(sheet.rows)


def _write_chunk(sheet: SheetWriter, convert: Callable[[Any], list[Any]], rows: Any) -> None:
    sheet.append_rows(map(convert, rows))


async def write_workbook(fw: Framework, labels: Labels, data: ExportData) -> bytes:
    """The XLSX file: five sheets, bold frozen header row, widths, real dates.

    The check-ins and absences are read from the database in chunks while the file is
    written (constant memory); each chunk is written in a worker thread, so the bot keeps
    answering others while a province is written."""
    buffer = io.BytesIO()
    book = WorkbookWriter(buffer)
    await asyncio.to_thread(
        _write_table, book, labels, partial(summary_table, fw, labels, data.summary)
    )
    streamed = (
        ("sv.x.sheet.checkins", checkin_columns(), checkin_row(fw, labels, data), data.checkins),
        ("sv.x.sheet.attendance", attendance_columns(), attendance_row(labels), data.attendance),
    )
    for name_key, columns, convert, chunks in streamed:
        sheet = await asyncio.to_thread(_open_sheet, book, labels, name_key, columns)
        async for chunk in chunks():
            await asyncio.to_thread(_write_chunk, sheet, convert, chunk)
    await asyncio.to_thread(_write_table, book, labels, partial(initiatives_table, labels, data))
    await asyncio.to_thread(_write_table, book, labels, partial(scores_table, fw, labels, data))
    await asyncio.to_thread(book.finish)
    return buffer.getvalue()


def csv_bytes(labels: Labels, sheet: Sheet) -> bytes:
    """One sheet as CSV, UTF-8 with a BOM so that Excel reads Vietnamese letters right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_text(_header(labels, c)) for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_value(v, c.kind) for v, c in zip(row, sheet.columns, strict=True)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == MONTH and isinstance(value, dt.date):
        return f"{value.year}-{value.month:02d}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if kind == PCT and isinstance(value, float):
        return f"{value * 100:.1f}"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, str):
        return _csv_text(value)
    return str(value)  # numbers: "-3" stays a number


def _csv_text(value: str) -> str:
    # The usual defence (OWASP "CSV injection"): a leading quote makes the cell text.
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def file_name(unit: UnitRef, period: Period, suffix: str) -> str:
    return f"cellbot-{unit.code}-{period.label}.{suffix}"
