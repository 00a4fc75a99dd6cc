"""A streaming XLSX writer for exports: rows go straight into a deflated zip entry, so a
province's year (60,000 check-ins, ~2.5 million cells) is written in constant memory.

Why not openpyxl's write-only mode: it builds a cell object and an lxml element per value,
~7 µs a cell, 20 s for the province's check-ins alone (issue 14's target is 10 s for the
whole export). The workbooks an export needs are simple — inline strings, numbers, dates,
one header style and five number formats — and SpreadsheetML for them is a few fixed parts;
each row here is one formatted string. Values are written as openpyxl writes them (numbers
"%.16g", dates as Excel serials via openpyxl's own `to_excel`), so a file read back with
openpyxl gives the same values as before; the tests read every file back with it.

Text is never a formula here (all strings are inline strings); a text that a spreadsheet
would take for one when edited gets the quote-prefix style, like openpyxl's `quotePrefix`.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

# The style ids of cellXfs below.
PLAIN, HEADER, ONE_DECIMAL, PERCENT, DAY, MONTH_YEAR, DAY_TIME, QUOTED = range(8)
STYLE_FORMATS = {
    "0.0": ONE_DECIMAL,
    "0%": PERCENT,
    "dd/mm/yyyy": DAY,
    "mm/yyyy": MONTH_YEAR,
    "dd/mm/yyyy hh:mm": DAY_TIME,
}
MAX_TEXT = 32_767  # Excel's limit for one cell (openpyxl truncates too)
# A text starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# XML normalises a raw CR to LF when read: keep it as a character reference.
_ENTITIES = {"\r": "&#13;"}
_TRIM = re.compile(r"^\s|\s$")

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_STYLES = f"""{_HEAD}<styleSheet xmlns="{_MAIN}">
<numFmts count="4"><numFmt numFmtId="164" formatCode="0.0"/>\
<numFmt numFmtId="165" formatCode="dd/mm/yyyy"/><numFmt numFmtId="166" formatCode="mm/yyyy"/>\
<numFmt numFmtId="167" formatCode="dd/mm/yyyy hh:mm"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="3"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="FFE8E8E8"/></patternFill></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="8"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" \
applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="9" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def clean_text(value: str) -> str:
    """A text as a cell can hold it: without the control characters XLSX forbids."""
    return str(ILLEGAL_CHARACTERS_RE.sub("", value))[:MAX_TEXT]


def is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_STARTS)


def _text_tail(value: str, style: int = PLAIN) -> str:
    """A text cell's XML after its reference."""
    value = clean_text(value)
    if not value:
        # An empty cell, as openpyxl writes "": it still counts in the row's length.
        return ' t="inlineStr"/>'
    if style == PLAIN and is_formula_like(value):
        style = QUOTED
    text = escape(value, _ENTITIES)
    space = ' xml:space="preserve"' if _TRIM.search(value) else ""
    s = f' s="{style}"' if style else ""
    return f'{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _date_tail(value: dt.date, style: int) -> str:
    if style not in (DAY, MONTH_YEAR, DAY_TIME):
        style = DAY_TIME if isinstance(value, dt.datetime) else DAY
    return f' s="{style}"><v>{to_excel(value):.16g}</v></c>'


class SheetWriter:
    """Rows of one worksheet, appended in order; `styles[i]` is column i's number style
    (PLAIN, or one of the number formats) for its numbers and dates."""

    # Most texts and dates of an export repeat (yes/no, labels, codes, names, months):
    # their XML is kept, up to this many values, so each is escaped once.
    CACHE = 50_000
    # Only short texts repeat (names, labels); a cell's reasons or a comment is written once,
    # and caching those would hold a second copy of the whole sheet's text.
    CACHED_TEXT = 200
    # Rows formatted before they are written out: one sheet's XML is never held whole.
    FLUSH = 500

    def __init__(self, out: IO[bytes], styles: Sequence[int]) -> None:
        self._out = out
        self._columns = [
            (get_column_letter(i), style, f' s="{style}"' if style else "")
            for i, style in enumerate(styles, start=1)
        ]
        self._texts: dict[str, str] = {}
        self._dates: dict[tuple[dt.date, int], str] = {}
        self.rows = 0

    def header(self, titles: Sequence[str]) -> None:
        """The bold, filled, wrapped first row (always text, even "=…" from a framework file)."""
        self.rows += 1
        n = self.rows
        cells = "".join(
            f'<c r="{letter}{n}"{_text_tail(title, HEADER)}'
            for (letter, _, _), title in zip(self._columns, titles, strict=True)
        )
        self._out.write(f'<row r="{n}">{cells}</row>'.encode())

    def append_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        texts, dates, columns = self._texts, self._dates, self._columns
        if len(texts) > self.CACHE:
            texts.clear()
        if len(dates) > self.CACHE:
            dates.clear()
        parts: list[str] = []
        n = self.rows
        out, cached, flush = self._out, self.CACHED_TEXT, self.FLUSH
        for row in rows:
            n += 1
            if n % flush == 0:
                out.write("".join(parts).encode())
                parts.clear()
            parts.append(f'<row r="{n}">')
            for (letter, style, s), value in zip(columns, row, strict=True):
                if value is None:
                    continue
                kind = type(value)
                if kind is str:
                    tail = texts.get(value)
                    if tail is None:
                        tail = _text_tail(value)
                        if len(value) <= cached:
                            texts[value] = tail
                    parts.append(f'<c r="{letter}{n}"{tail}')
                elif kind is int or kind is float:
                    parts.append(f'<c r="{letter}{n}"{s}><v>{value:.16g}</v></c>')
                elif kind is dt.date:
                    tail = dates.get((value, style))
                    if tail is None:
                        tail = dates[value, style] = _date_tail(value, style)
                    parts.append(f'<c r="{letter}{n}"{tail}')
                else:
                    parts.append(f'<c r="{letter}{n}"{self._other(value, style, s)}')
            parts.append("</row>")
        self.rows = n
        out.write("".join(parts).encode())

    @staticmethod
    def _other(value: Any, style: int, s: str) -> str:
        """The tail of a value of another type: a datetime, a bool, a str or number subclass
        (an enum), a Decimal."""
        if isinstance(value, str):
            return _text_tail(value)
        if isinstance(value, bool):
            return f' t="b"><v>{int(value)}</v></c>'
        if isinstance(value, dt.date):
            return _date_tail(value, style)
        return f"{s}><v>{value:.16g}</v></c>"


class WorkbookWriter:
    """The XLSX package, one sheet at a time: `sheet(...)` opens a sheet's zip entry,
    `end_sheet()` closes it, `finish()` writes the workbook parts and the zip's directory."""

    def __init__(self, target: IO[bytes], compresslevel: int = 1) -> None:
        # Level 1: several times faster than the default on this much XML, ~20 % bigger.
        self._zip = zipfile.ZipFile(
            target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._names: list[str] = []
        self._entry: IO[bytes] | None = None

    def sheet(self, name: str, widths: Sequence[float], styles: Sequence[int]) -> SheetWriter:
        """A new sheet with a frozen first row and these column widths."""
        self.end_sheet()
        self._names.append(name)
        entry = self._zip.open(f"xl/worksheets/sheet{len(self._names)}.xml", "w", force_zip64=True)
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{width:g}" customWidth="1"/>'
            for i, width in enumerate(widths, start=1)
        )
        entry.write(
            f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews>'
            '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
            'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'.encode()
        )
        self._entry = entry
        return SheetWriter(entry, styles)

    def end_sheet(self) -> None:
        if self._entry is not None:
            self._entry.write(b"</sheetData></worksheet>")
            self._entry.close()
            self._entry = None

    def finish(self) -> None:
        self.end_sheet()
        count = len(self._names)
        sheets = "".join(
            f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(self._names, start=1)
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, count + 1)
        )
        parts = {
            "[Content_Types].xml": f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>',
            "_rels/.rels": f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "xl/workbook.xml": f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>",
            "xl/_rels/workbook.xml.rels": f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{rels}'
            f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>",
            "xl/styles.xml": _STYLES,
        }
        for name, content in parts.items():
            self._zip.writestr(name, content)
        self._zip.close()
