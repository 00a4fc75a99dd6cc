"""The streaming XLSX writer (bot/xlsx_stream.py) writes a long sheet in batches of rows and
keeps only short texts' XML (issue 14: the province's export under 300 MB): the file's sheet
is byte for byte the one written in a single batch with every text kept."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import openpyxl
import pytest

from bot.xlsx_stream import DAY, PLAIN, SheetWriter, WorkbookWriter

STYLES = [PLAIN, PLAIN, PLAIN, DAY]


def _rows(count: int) -> list[list[Any]]:
    return [
        [
            f"QN-{i % 7}",  # short and repeated
            # long and written once, like a cell's reasons
            f"lý do {i}: " + "chưa thực hiện & <đủ> " * (i % 40),
            i * 1.5 if i % 3 else None,
            dt.date(2026, 1 + i % 12, 1),
        ]
        for i in range(count)
    ]


def _sheet_xml(rows: list[list[Any]], batches: int) -> tuple[bytes, bytes]:
    buffer = io.BytesIO()
    book = WorkbookWriter(buffer)
    sheet = book.sheet("Điểm", [18, 40, 9, 12], STYLES)
    sheet.header(["Mã", "Lý do", "Điểm", "Ngày"])
    size = -(-len(rows) // batches)
    for start in range(0, len(rows), size):
        sheet.append_rows(iter(rows[start : start + size]))
    book.finish()
    content = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read("xl/worksheets/sheet1.xml"), content


def test_batches_write_the_sheet_written_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    flush = SheetWriter.FLUSH
    rows = _rows(2 * flush + 234)
    batched, content = _sheet_xml(rows, 3)
    monkeypatch.setattr(SheetWriter, "FLUSH", 10**9)
    monkeypatch.setattr(SheetWriter, "CACHED_TEXT", 10**9)
    whole, _ = _sheet_xml(rows, 1)
    assert batched == whole
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    try:
        values = [list(r) for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    finally:
        book.close()
    assert len(values) == len(rows)
    assert values[-1][:3] == rows[-1][:3]
    assert values[flush - 1][1] == rows[flush - 1][1]
