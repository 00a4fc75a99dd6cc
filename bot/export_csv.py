"""Writing one export sheet (bot/export_sheets.py) as CSV: the plain-text twin of
the workbook for those who open exports in a text editor or a script."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from bot.export_sheets import Labels, Sheet, header_text
from bot.xlsx_stream import FORMULA_STARTS
from storage.export import MONTH, PCT


def csv_bytes(labels: Labels, sheet: Sheet) -> bytes:
    """One sheet as CSV, UTF-8 with a BOM so that Excel reads Vietnamese letters right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_text(header_text(labels, c)) for c in sheet.columns])
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
