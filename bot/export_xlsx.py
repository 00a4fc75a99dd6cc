"""Writing an export (storage/export.py collects it) as an XLSX workbook (openpyxl) or CSV.

Sheets: summary (the /summary figures), check-ins (one row per submitted meeting with all
answers), attendance (one row per absent member), initiatives, scores (one row per cell with
criteria and the reasons for lost points).

Writing is plain CPU work that the handler runs in a thread, so the bot keeps answering
others while a province is written. The workbook is written in openpyxl's write-only mode
(streaming, constant memory); texts come through `Labels` so this module needs no i18n
machinery of its own.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

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
    ExportData,
)
from storage.scope import UnitRef
from storage.supervision import Summary, UnitSummary

FORMATS = {
    NUM: "0.0",
    PCT: "0%",
    DATE: "dd/mm/yyyy",
    MONTH: "mm/yyyy",
    STAMP: "dd/mm/yyyy hh:mm",
}
WIDTHS = {TEXT: 16, INT: 9, NUM: 9, PCT: 9, DATE: 12, MONTH: 10, STAMP: 17, BOOL: 8}
# A text starting with one of these is a formula to a spreadsheet (openpyxl writes "=..." as
# one; Excel and LibreOffice evaluate "+", "-", "@" and these when they open a CSV). Texts a
# secretary typed ("=HYPERLINK(...)" as the month's main tasks) must stay plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Text answers kept only in the versioned answers JSON (domain.checkin_schema, v1 keys).
TEXT_ANSWERS = ("start_time", "not_held_reason", "main_tasks", "thematic_topic", "resolution_text")


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
    rows: list[list[Any]]


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
        Column("sv.x.col.band", TEXT, 20),
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
            _band(fw, labels, line.band),
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
        Column("sv.x.col.band", TEXT, 20),
        Column("sv.x.col.four_good", TEXT, 10),
        Column("sv.x.col.cap_flag", TEXT, 10),
        Column("sv.x.col.reasons", TEXT, 80),
    ]
    months = data.summary.months_due
    rows = []
    for cell in sorted(data.summary.cells, key=lambda c: c.cell.code):
        act = data.summary.activity.get(cell.cell.id)
        result = cell.result
        scores = dict(criterion_scores(result))
        rows.append(
            [
                cell.cell.code,
                cell.cell.name,
                cell.cell.group_name or "",
                act.submitted if act else 0,
                months,
                round(act.score_sum / act.scored, 1) if act and act.scored else None,
                act.present / act.expected if act and act.expected else None,
                *[scores.get(c.code) for c in fw.criteria],
                result.total,
                _band(fw, labels, result.band),
                _yes_no(labels, result.four_good),
                _yes_no(labels, cell.cap_flag) if cell.cap_flag else None,
                "; ".join(labels.reason(r) for r in result.reasons),
            ]
        )
    return Sheet("sv.x.sheet.scores", columns, rows)


def checkins_table(fw: Framework, labels: Labels, data: ExportData) -> Sheet:
    columns = [
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
    choice = {
        "meeting_type": "sv.x.meeting_type.",
        "dues_status": "sv.x.dues.",
        "resolution_impl": "sv.x.impl.",
    }
    bools = {name for name, kind in FACT_COLUMNS if kind == BOOL}
    names = [name for name, _ in FACT_COLUMNS]
    rows = []
    for r in data.checkins:
        code, name, parent_id, month, slot, submitted_at = r[:6]
        facts = r[6 : 6 + len(names)]
        score, review, comment, answers = r[6 + len(names) :]
        values: list[Any] = []
        for fact, value in zip(names, facts, strict=True):
            if fact in bools:
                values.append(_yes_no(labels, value))
            elif fact in choice and value is not None:
                values.append(labels.t(choice[fact] + str(value)))
            else:
                values.append(value)
        answers = answers if isinstance(answers, dict) else {}
        texts = [_text(answers.get(key)) for key in TEXT_ANSWERS]
        rounded = None if score is None else round(float(score), 1)
        rows.append(
            [
                code,
                name,
                data.groups.get(parent_id, ""),
                month,
                labels.t(f"sv.x.slot.{slot}"),
                _local(submitted_at, data.tz),
                *values,
                *texts,
                rounded,
                _band(fw, labels, _meeting_band(fw, rounded), meeting=True),
                labels.t(f"sv.x.review.{review}") if review else None,
                comment,
            ]
        )
    return Sheet("sv.x.sheet.checkins", columns, rows)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _meeting_band(fw: Framework, score: float | None) -> str | None:
    return band_for(fw.meeting_rubric.bands, score)


def _local(value: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    # Excel has no time zones: write the reader's local time, without tzinfo.
    return None if value is None else value.astimezone(tz).replace(tzinfo=None)


def attendance_table(labels: Labels, data: ExportData) -> Sheet:
    columns = [
        Column("sv.x.col.code", TEXT, 18),
        Column("sv.x.col.cell", TEXT, 28),
        Column("sv.x.col.month", MONTH),
        Column("sv.x.fact.meeting_date", DATE),
        Column("sv.x.col.member", TEXT, 26),
        Column("sv.x.col.absence", TEXT, 18),
    ]
    rows = [
        [code, name, month, day, member, labels.t(f"sv.x.absence.{status}")]
        for code, name, month, day, member, status in data.attendance
    ]
    return Sheet("sv.x.sheet.attendance", columns, rows)


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


def workbook_bytes(fw: Framework, labels: Labels, data: ExportData) -> bytes:
    """The XLSX file: five sheets, bold frozen header row, widths, real dates."""
    sheets = [
        summary_table(fw, labels, data.summary),
        checkins_table(fw, labels, data),
        attendance_table(labels, data),
        initiatives_table(labels, data),
        scores_table(fw, labels, data),
    ]
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFE8E8E8")
    wrap = Alignment(wrap_text=True, vertical="top")
    for sheet in sheets:
        ws = book.create_sheet(labels.t(sheet.name_key)[:31])
        # Write-only sheets take widths and panes before the first row.
        ws.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = (
                column.width or WIDTHS[column.kind]
            )
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(ws, value=_header(labels, column))
            if cell.data_type == "f":  # a criterion name from the framework file
                cell.data_type = "s"
            cell.font, cell.fill, cell.alignment = bold, fill, wrap
            header.append(cell)
        ws.append(header)
        formatted = [(i, FORMATS[c.kind]) for i, c in enumerate(sheet.columns) if c.kind in FORMATS]
        for row in sheet.rows:
            out = [_text_cell(ws, v) if isinstance(v, str) else v for v in row]
            for i, number_format in formatted:
                if out[i] is not None and not isinstance(out[i], Cell):
                    cell = WriteOnlyCell(ws, value=out[i])
                    cell.number_format = number_format
                    out[i] = cell
            ws.append(out)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text_cell(ws: WriteOnlyWorksheet, value: str) -> str | Cell:
    """A text that is never a formula, whatever it starts with (most stay plain strings:
    a cell object per value would slow a province's export down)."""
    # Control characters are invalid in XLSX (openpyxl raises on them): drop them.
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith(FORMULA_STARTS):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # openpyxl took "=..." for a formula
    cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell


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
