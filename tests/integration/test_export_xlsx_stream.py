"""The streaming XLSX writer of exports (bot/xlsx_stream.py): a file read back with openpyxl
gives the values, types and formats openpyxl's own writer gave for the same rows, with the
header row styled and frozen, and the column widths set."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from bot.xlsx_stream import (
    DAY,
    DAY_TIME,
    MONTH_YEAR,
    ONE_DECIMAL,
    PERCENT,
    PLAIN,
    STYLE_FORMATS,
    WorkbookWriter,
)

STYLES = [PLAIN, PLAIN, ONE_DECIMAL, PERCENT, DAY, MONTH_YEAR, DAY_TIME, PLAIN]
FORMAT_OF = {style: fmt for fmt, style in STYLE_FORMATS.items()}
ROWS: list[list[Any]] = [
    [
        "QN-BL-001",
        3,
        87.5,
        0.8571428571428571,
        dt.date(2026, 5, 24),
        dt.date(2026, 5, 1),
        dt.datetime(2026, 5, 24, 21, 7, 13, 250_000),
        "Có",
    ],
    [
        "  lề trái & <phải>  ",
        -3,
        90.0,
        1.0,
        dt.date(1900, 2, 1),  # before Excel's 1900 leap-year bug
        None,
        None,
        "dòng 1\r\ndòng 2\tcột",
    ],
    ["", 0, None, 0.0, None, dt.date(2026, 12, 1), None, "x" * 40_000],
    [None, 33_000_000_000, 1 / 3, None, None, None, None, True],
    # An empty text is an empty cell that still counts in the row's length (read-only mode
    # pads a row up to its last cell); so is a text of control characters only.
    ["tail", None, None, None, None, None, None, ""],
    ["\x01", None, None, None, None, None, None, None],
]


def _ours() -> bytes:
    buffer = io.BytesIO()
    book = WorkbookWriter(buffer)
    sheet = book.sheet("Tổng hợp", [18, 9, 9, 9, 12, 10, 17, 8], STYLES)
    sheet.header(["Mã", "Số", "Điểm", "Tỉ lệ", "Ngày", "Tháng", "Lúc", "=Tiêu chí"])
    sheet.append_rows(ROWS[:2])
    sheet.append_rows(ROWS[2:])
    book.sheet("Second", [10], [PLAIN]).append_rows([["only"]])
    book.finish()
    return buffer.getvalue()


def _openpyxl() -> bytes:
    """The same rows as openpyxl's write-only mode writes them (the writer before)."""
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("Tổng hợp")
    ws.append(["Mã", "Số", "Điểm", "Tỉ lệ", "Ngày", "Tháng", "Lúc", "'=Tiêu chí"])
    for row in ROWS:
        out: list[Any] = []
        for value, style in zip(row, STYLES, strict=True):
            if isinstance(value, str):  # as bot/export_xlsx.py did
                value = ILLEGAL_CHARACTERS_RE.sub("", value)[:32_767]
            if value is not None and style != PLAIN:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = FORMAT_OF[style]
                value = cell
            out.append(value)
        ws.append(out)
    book.create_sheet("Second").append(["only"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _values(content: bytes, read_only: bool) -> list[list[list[Any]]]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=read_only)
    try:
        return [
            [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
            for sheet in book.worksheets
        ]
    finally:
        book.close()


def test_values_are_those_openpyxl_wrote() -> None:
    ours, before = _ours(), _openpyxl()
    for read_only in (True, False):
        assert _values(ours, read_only) == _values(before, read_only)
    values = _values(ours, False)[0]
    assert values[1][0] == "  lề trái & <phải>  "
    assert values[1][7] == "dòng 1\r\ndòng 2\tcột"
    assert values[0][6] == dt.datetime(2026, 5, 24, 21, 7, 13, 250_000)
    assert len(values[2][7]) == 32_767
    assert values[3][1] == 33_000_000_000 and values[3][7] is True
    assert _values(ours, True)[0][4] == ["tail", *[None] * 7]


def test_header_formats_widths_and_frozen_row() -> None:
    book = openpyxl.load_workbook(io.BytesIO(_ours()))
    assert book.sheetnames == ["Tổng hợp", "Second"]
    ws = book["Tổng hợp"]
    assert ws.freeze_panes == "A2"
    header = ws[1]
    assert all(c.font.b and c.fill.fgColor.rgb == "FFE8E8E8" for c in header)
    assert all(c.alignment.wrap_text for c in header)
    assert header[7].value == "=Tiêu chí" and header[7].data_type == "s"
    assert ws.column_dimensions["A"].width == 18
    assert ws.column_dimensions["G"].width == 17
    row = ws[2]
    assert [c.number_format for c in row[2:7]] == [FORMAT_OF[s] for s in STYLES[2:7]]
    assert row[4].is_date and row[6].is_date
