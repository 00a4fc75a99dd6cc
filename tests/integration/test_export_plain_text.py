"""Spreadsheet formula injection: text a secretary typed is written as text, never a formula,
in the XLSX workbook and in CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl

from bot.export_csv import csv_bytes
from bot.export_sheets import Column, Labels, Sheet
from bot.export_xlsx import write_workbook
from bot.i18n import t
from bot.render_scores import reason_text
from bot.xlsx_stream import PLAIN, WorkbookWriter
from domain.framework import load_framework
from domain.periods import Period
from storage.db import SessionFactory
from storage.export import INT, NUM, TEXT, collect
from storage.models import Checkin, OrgUnit
from storage.scope import UnitRef
from tests.factories import small_org

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FORMULA = '=HYPERLINK("http://x","y")'
RISKY = [FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=1\x01"]


def labels() -> Labels:
    fw = load_framework(None)
    return Labels("en", lambda key: t("en", key), lambda r: reason_text(fw, r, "en"))


async def test_typed_formula_is_text_in_the_workbook(session_factory: SessionFactory) -> None:
    org = await small_org(session_factory, members_per_cell=3)
    today = dt.datetime.now(TZ).date()
    month = today.replace(day=1)
    async with session_factory.begin() as session:
        session.add(
            Checkin(
                cell_id=org.cells["C01"],
                month=month,
                status="submitted",
                submitted_at=dt.datetime.now(dt.UTC),
                held=True,
                meeting_type="regular",
                meeting_date=month,
                answers={"main_tasks": FORMULA, "resolution_text": "- Tiếp tục thu hoạch chè"},
            )
        )
    fw = load_framework(None)
    async with session_factory() as session:
        district = await session.get(OrgUnit, org.district)
        assert district is not None
        data = await collect(
            session, fw, UnitRef.of(district), Period("year", today.year, 1), today, TZ
        )
        content = await write_workbook(fw, labels(), data)  # streamed: in the session
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["Check-ins"]
    head = [c.value for c in sheet[1]]
    row = sheet[2]
    main = row[head.index("Main content")]
    assert main.value == FORMULA and main.data_type == "s"
    assert main.quotePrefix
    bullet = next(c for c in row if c.value == "- Tiếp tục thu hoạch chè")
    assert bullet.data_type == "s"
    # No formula anywhere in the file.
    for ws in book.worksheets:
        for cells in ws.iter_rows():
            assert all(c.data_type != "f" for c in cells), ws.title


def test_every_risky_text_is_plain_in_xlsx_and_csv() -> None:
    sheet = Sheet(
        "sv.x.sheet.scores",
        [
            Column("sv.x.col.code", TEXT),
            Column("sv.x.col.cells", INT),
            Column("sv.x.col.total", NUM),
        ],
        [[text, -3, -1.5] for text in RISKY] + [["Chi bộ thôn Bản Pắt", 2, 0.5]],
    )
    rows = list(csv.reader(io.StringIO(csv_bytes(labels(), sheet).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [*("'" + text for text in RISKY), "Chi bộ thôn Bản Pắt"]
    assert {(r[1], r[2]) for r in rows[1:-1]} == {("-3", "-1.5")}  # numbers stay numbers

    # The same rows through the XLSX writer of every export sheet.
    buffer = io.BytesIO()
    book = WorkbookWriter(buffer)
    book.sheet("x", [10, 10], [PLAIN, PLAIN]).append_rows([text, -3] for text in RISKY)
    book.finish()
    read = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["x"]
    cells = list(read["A"])
    assert [(c.value, c.data_type) for c in cells] == [
        (text.replace("\x01", ""), "s") for text in RISKY
    ]
    assert all(c.quotePrefix for c in cells)  # Excel keeps them text when edited
    assert [c.value for c in read["B"]] == [-3] * len(RISKY)
