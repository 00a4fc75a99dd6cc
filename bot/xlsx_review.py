"""The committee's XLSX of a cell's annual review (openpyxl, write-only): one sheet of the
members (their year's figures and the proposed level) and the cell's own line first. Pure:
(report, language) -> bytes."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from bot.docx_review import ReviewReport
from bot.i18n import normalize_language, t
from bot.review_text import initiative_status, level_name
from bot.xlsx_stream import clean_text, is_formula_like

COLUMNS = (
    "name",
    "expected",
    "present",
    "excused",
    "unexcused",
    "dues_paid",
    "dues_recorded",
    "commended",
    "criticised",
    "tasks",
    "tasks_done",
    "tasks_not_done",
    "initiatives",
    "level",
    "note",
)


def _text(sheet: object, value: str | None) -> object:
    """A text cell that a spreadsheet never runs as a formula (a note may start with "=")."""
    if not value:
        return None
    text = clean_text(value)
    if not is_formula_like(text):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def review_xlsx(report: ReviewReport, language: str | None) -> bytes:
    lang = normalize_language(language)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(clean_text(t(lang, "review.xlsx.sheet"))[:31])
    bold = Font(bold=True)
    header = []
    for key in COLUMNS:
        cell = WriteOnlyCell(sheet, value=t(lang, f"review.xlsx.col_{key}"))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    total = report.cell.total
    sheet.append(
        [
            _text(sheet, report.cell_name),
            *([None] * 12),
            clean_text(level_name(lang, report.proposed_level)),
            _text(
                sheet,
                t(lang, "review.xlsx.cell_line", total="—" if total is None else f"{total:.1f}")
                + (f" — {report.note}" if report.note else ""),
            ),
        ]
    )
    for line in report.members:
        y = line.year
        initiatives = "; ".join(
            f"{title} ({initiative_status(lang, status)})" for title, status in y.initiatives
        )
        sheet.append(
            [
                _text(sheet, y.name),
                y.expected,
                y.present,
                y.excused,
                y.unexcused,
                y.dues_paid,
                y.dues_recorded,
                y.commended,
                y.criticised,
                y.tasks,
                y.tasks_done,
                y.tasks_not_done,
                _text(sheet, initiatives),
                clean_text(level_name(lang, line.proposed)),
                _text(sheet, line.note),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
