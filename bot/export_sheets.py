"""An export's sheets as data, before they are written (bot/export_xlsx.py as XLSX,
bot/export_csv.py as CSV): the columns with their kind (storage/export.py) and header key,
the texts in the reader's language (`Labels`), and the cell texts the tables share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from domain.framework import Framework
from domain.scoring import Reason
from storage.export import BOOL, DATE, INT, MONTH, NUM, PCT, STAMP, TEXT

FORMATS = {
    NUM: "0.0",
    PCT: "0%",
    DATE: "dd/mm/yyyy",
    MONTH: "mm/yyyy",
    STAMP: "dd/mm/yyyy hh:mm",
}
WIDTHS = {TEXT: 16, INT: 9, NUM: 9, PCT: 9, DATE: 12, MONTH: 10, STAMP: 17, BOOL: 8}
# Texts a secretary typed ("=HYPERLINK(...)" as the month's main tasks) must stay plain text:
# a text starting with one of xlsx_stream.FORMULA_STARTS is a formula to a spreadsheet (Excel
# and LibreOffice evaluate "+", "-", "@" and these when they open a CSV): bot/xlsx_stream.py
# writes them as strings, bot/export_csv.py quotes them.


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


def header_text(labels: Labels, column: Column) -> str:
    return column.key[1:] if column.key.startswith("!") else labels.t(column.key)


def yes_no(labels: Labels, value: bool | None) -> str | None:
    if value is None:
        return None
    return labels.t("common.yes") if value else labels.t("common.no")


def band_name(fw: Framework, labels: Labels, code: str | None, meeting: bool = False) -> str | None:
    if code is None:
        return None
    bands = fw.meeting_rubric.bands if meeting else fw.classification.bands
    return next((b.name.get(labels.lang) for b in bands if b.code == code), code)
