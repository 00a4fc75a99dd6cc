"""Supervisor commands end to end: /summary with drill-down, /missing and "Remind them now",
/cell, /ranking, /export (XLSX opened back with openpyxl, CSV), /chart (PNG checked),
/broadcast, /review, /lock and /unlock, the supervisor side of /initiatives."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import func, select

from domain import clock
from domain.periods import add_months
from storage.db import SessionFactory
from storage.models import (
    AttendanceMark,
    Broadcast,
    Checkin,
    Initiative,
    Member,
    OutboxMessage,
    PeriodLock,
)
from tests.factories import Org, onboard, small_org
from tests.harness import (
    Driver,
    TgUser,
    all_buttons,
    make_settings,
    start_driver,
    stop_driver,
    texts,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
STRANGER = TgUser(3001, "Lạ", "Người", "en")
SEC_IN = TgUser(3002, "Hà", "Vi Thị", "en")  # secretary of C01, inside LH
SEC_OUT = TgUser(3003, "Nam", "Lục Văn", "en")  # secretary of DT1, outside LH
SUP_UNIT = TgUser(3004, "Minh", "Hoàng Văn", "en")  # supervisor of LH
SUP_SIBLING = TgUser(3005, "Lan", "Nông Thị", "en")  # supervisor of DT
SUP_ABOVE = TgUser(3006, "Tuấn", "Trần Văn", "en")  # supervisor of the district
ADMIN = TgUser(3007, "Admin", "Quản trị", "en")
SUP_VI = TgUser(3008, "Hùng", "Lý Văn", "vi")  # a second district supervisor, in Vietnamese


def this_month() -> dt.date:
    return clock.today(TZ).replace(day=1)


@dataclass
class World:
    org: Org
    this: dt.date
    last: dt.date
    checkins: dict[str, int]


@pytest.fixture
async def sv_driver(session_factory: SessionFactory, db_url: str) -> AsyncIterator[Driver]:
    """The real Application with ADMIN in ADMIN_TELEGRAM_IDS, and documents captured."""
    drv = await start_driver(make_settings(db_url, admin_telegram_ids=[ADMIN.id]), session_factory)
    files: list[dict[str, Any]] = []
    original = drv.request.do_request

    async def capture(*args: Any, **kwargs: Any) -> tuple[int, bytes]:
        data = kwargs.get("request_data")
        if data is not None and data.multipart_data:
            files.append(dict(data.multipart_data))
        return await original(*args, **kwargs)

    drv.request.do_request = capture  # type: ignore[method-assign]
    drv.files = files  # type: ignore[attr-defined]
    yield drv
    await stop_driver(drv)


def facts(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "held": True,
        "meeting_type": "regular",
        "duration_min": 100,
        "pre_meeting": True,
        "content_prepared": True,
        "draft_resolution": True,
        "expected_count": 20,
        "present_count": 19,
        "absent_excused": 1,
        "absent_unexcused": 0,
        "dues_status": "all",
        "current_affairs": True,
        "ho_chi_minh": True,
        "speakers": 7,
        "commended": 1,
        "criticised": 0,
        "assessed": True,
        "resolution_impl": "full",
        "resolution_adopted": True,
        "minutes_complete": True,
        "discipline": 0,
        "solidarity": 0,
    }
    base.update(over)
    return base


async def world(driver: Driver, *, onboard_all: bool = True, members: int = 20) -> World:
    org = await small_org(driver.sessions, members_per_cell=members)
    this = this_month()
    last = add_months(this, -1)
    now = clock.now()
    ids: dict[str, int] = {}
    async with driver.sessions.begin() as s:
        rows = {
            "c01_this": Checkin(
                cell_id=org.cells["C01"],
                month=this,
                status="submitted",
                submitted_at=now,
                meeting_date=this,
                answers={"main_tasks": "Thu hoạch chè"},
                **facts(proposals="Đề nghị hỗ trợ kinh phí sửa nhà văn hóa"),
            ),
            "c02_this": Checkin(
                cell_id=org.cells["C02"],
                month=this,
                status="submitted",
                submitted_at=now,
                **facts(present_count=13, pre_meeting=False, absent_unexcused=2),
            ),
            "c01_last": Checkin(
                cell_id=org.cells["C01"],
                month=last,
                status="submitted",
                submitted_at=now,
                **facts(present_count=15),
            ),
            "dt1_last": Checkin(
                cell_id=org.cells["DT1"],
                month=last,
                status="submitted",
                submitted_at=now,
                **facts(),
            ),
        }
        s.add_all(rows.values())
        await s.flush()
        ids = {k: v.id for k, v in rows.items()}
        member = await s.scalar(select(Member).where(Member.cell_id == org.cells["C02"]).limit(1))
        assert member is not None
        s.add(AttendanceMark(checkin_id=ids["c02_this"], member_id=member.id, status="unexcused"))
        s.add(
            Initiative(
                cell_id=org.cells["C01"],
                member_id=member.id,
                kind="technical_innovation",
                title="Cải tiến băng tải lò 7",
                year=this.year,
                status="completed",
                realised_amount_vnd=33_000_000_000,
            )
        )
    if onboard_all:
        await onboard(driver, SEC_IN, "QN-BL-LH-C01", "secretary")
        await onboard(driver, SEC_OUT, "QN-BL-DT-C01", "secretary")
        await onboard(driver, SUP_UNIT, "QN-BL-LH", "supervisor")
        await onboard(driver, SUP_SIBLING, "QN-BL-DT", "supervisor")
        await onboard(driver, SUP_ABOVE, "QN-BL", "supervisor")
    return World(org, this, last, ids)


def label(month: dt.date) -> str:
    return f"{month.year}-{month.month:02d}"


# ---------------------------------------------------------------- /summary


async def test_summary_totals_children_drill_down_and_back(sv_driver: Driver) -> None:
    w = await world(sv_driver)
    calls = await sv_driver.send(SUP_ABOVE, "/summary")
    text = texts(calls)
    assert "Huyện ủy Bình Liêu" in text
    assert "Reports: <b>2/3</b> (3 cells)" in text
    # Totals come before the child lines.
    assert text.index("Average reference score") < text.index("Đảng bộ xã Đồng Tâm")
    assert "Đảng bộ xã Lục Hồn" in text and "Criteria: " in text
    buttons = all_buttons(calls)
    period = label(w.this)
    assert ("Đảng bộ xã Lục Hồn", f"sv:sum:{w.org.grassroots['LH']}:{period}:0") in buttons
    assert any(b[0] == "Last month" for b in buttons) and any(b[0] == "This year" for b in buttons)
    assert not any("Up one level" in b[0] for b in buttons)  # the province is not theirs

    calls = await sv_driver.tap(SUP_ABOVE, calls, "Đảng bộ xã Lục Hồn")
    text = texts(calls)
    assert "Chi bộ thôn Bản Pắt" in text and "Chi bộ thôn Khe Tiền" in text
    assert "4-good ✅" in text or "not 4-good" in text
    assert calls[-1].method == "editMessageText"
    cell_button = ("Chi bộ thôn Bản Pắt", f"sv:cell:{w.org.cells['C01']}:{period}")
    assert cell_button in all_buttons(calls)
    calls = await sv_driver.tap(SUP_ABOVE, calls, "Up one level")
    assert "Huyện ủy Bình Liêu" in texts(calls)

    calls = await sv_driver.press(SUP_ABOVE, f"sv:cell:{w.org.cells['C01']}:{period}")
    assert "The last 12 months" in texts(calls)
    # A supervisor of the commune gets no "up" button above their unit.
    calls = await sv_driver.send(SUP_UNIT, "/summary")
    assert "Đảng bộ xã Lục Hồn" in texts(calls)
    assert not any("Up one level" in b[0] for b in all_buttons(calls))


async def test_summary_other_periods_and_bad_period(sv_driver: Driver) -> None:
    w = await world(sv_driver)
    calls = await sv_driver.send(SUP_ABOVE, f"/summary {label(w.last)}")
    assert "Reports: <b>2/3</b>" in texts(calls)  # C01 and DT1 last month
    calls = await sv_driver.tap(SUP_ABOVE, calls, "This year")
    assert f"Period: {w.this.year} ·" in texts(calls)
    calls = await sv_driver.send(SUP_ABOVE, "/summary yesterday")
    assert "Period not understood" in texts(calls)


async def test_summary_pages_ten_children_with_more(sv_driver: Driver) -> None:
    from storage.orgfile import UnitRow
    from storage.orgs import import_units

    await small_org(sv_driver.sessions, members_per_cell=1)
    async with sv_driver.sessions.begin() as s:
        rows = [
            UnitRow(i, f"QN-BL-LH-X{i:02d}", f"Chi bộ số {i:02d}", "cell", "QN-BL-LH")
            for i in range(1, 13)
        ]
        await import_units(s, rows)
    await onboard(sv_driver, SUP_UNIT, "QN-BL-LH", "supervisor")
    calls = await sv_driver.send(SUP_UNIT, "/summary")
    text = texts(calls)
    assert "Units below (14)" in text
    assert "Chi bộ số 08" in text and "Chi bộ số 09" not in text  # 10 lines: C01, C02, X01..X08
    assert ("1/2", "noop") in all_buttons(calls)
    calls = await sv_driver.tap(SUP_UNIT, calls, "▶")
    assert "Chi bộ số 12" in texts(calls) and "Chi bộ số 01" not in texts(calls)


async def test_supervisor_of_several_units_picks_one(sv_driver: Driver) -> None:
    w = await world(sv_driver)
    await onboard(sv_driver, SUP_SIBLING, "QN-BL-LH", "supervisor")  # now LH and DT
    calls = await sv_driver.send(SUP_SIBLING, "/summary")
    assert "supervise several units" in texts(calls)
    buttons = all_buttons(calls)
    assert {b[0] for b in buttons} == {"Đảng bộ xã Đồng Tâm", "Đảng bộ xã Lục Hồn"}
    calls = await sv_driver.tap(SUP_SIBLING, calls, "Lục Hồn")
    assert "Chi bộ thôn Bản Pắt" in texts(calls)
    assert w.org.cells["DT1"]


async def test_vietnamese_summary_reads_naturally(sv_driver: Driver) -> None:
    await world(sv_driver, onboard_all=False)
    await onboard(sv_driver, SUP_VI, "QN-BL", "supervisor")
    text = texts(await sv_driver.send(SUP_VI, "/summary"))
    assert "Báo cáo: <b>2/3</b> (3 chi bộ)" in text
    assert "Hoàn thành tốt nhiệm vụ chính trị" in text and "Đơn vị trực thuộc" in text


# ---------------------------------------------------------------- /missing


async def test_missing_lists_cells_and_reminds_once_a_day(sv_driver: Driver) -> None:
    w = await world(sv_driver)
    before = len(sv_driver.calls)
    listing = await sv_driver.send(SUP_ABOVE, "/missing")
    text = texts(listing)
    assert "Not reported" in text and "<b>1</b> cells" in text
    assert "Chi bộ thôn Nà Làng" in text and "Nam Lục Văn" in text
    assert "none sent" in text
    calls = await sv_driver.tap(SUP_ABOVE, listing, "Remind them now")
    assert "Reminders queued for 1 cells (1 messages)" in texts(calls)
    calls = await sv_driver.tap(SUP_ABOVE, listing, "Remind them now")
    assert "already reminded today" in texts(calls)
    async with sv_driver.sessions() as s:
        rows = (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge"))).all()
    assert [(r.chat_id, r.cell_id) for r in rows] == [(SEC_OUT.id, w.org.cells["DT1"])]
    # Nothing was sent directly: the dispatcher owns delivery.
    assert not any(
        c.method == "sendMessage" and c.chat_id == SEC_OUT.id for c in sv_driver.calls[before:]
    )
    calls = await sv_driver.send(SUP_ABOVE, f"/missing {label(w.last)}")
    assert "Chi bộ thôn Khe Tiền" in texts(calls)
    assert "waiting to send" not in texts(calls)  # that reminder was for another month's cell
    calls = await sv_driver.send(SUP_ABOVE, "/missing")
    assert "waiting to send" in texts(calls)
    calls = await sv_driver.send(SUP_ABOVE, "/missing 2026")
    assert "Give a month" in texts(calls)


# ---------------------------------------------------------------- /cell


async def test_cell_detail_and_search_scope(sv_driver: Driver) -> None:
    w = await world(sv_driver)
    calls = await sv_driver.send(SUP_UNIT, "/cell khe tiền")
    text = texts(calls)
    assert "Chi bộ thôn Khe Tiền" in text and "QN-BL-LH-C02" in text
    assert text.count("not reported") >= 10  # only this month reported in 12
    assert "Members at risk" in text or "No member at risk" in text
    assert "Initiatives" in text
    calls = await sv_driver.send(SUP_UNIT, "/cell Chi bộ thôn")
    assert "2 cells match" in texts(calls)
    calls = await sv_driver.tap(SUP_UNIT, calls, "Bản Pắt")
    assert "Bản Pắt" in texts(calls) and "✅" in texts(calls)
    # A cell of another commune is "not found", exactly like a cell that does not exist.
    outside = texts(await sv_driver.send(SUP_UNIT, "/cell Nà Làng"))
    nowhere = texts(await sv_driver.send(SUP_UNIT, "/cell Zzz Không Có"))
    assert outside.replace("Nà Làng", "X") == nowhere.replace("Zzz Không Có", "X")
    assert "Give" not in texts(await sv_driver.send(SUP_UNIT, "/cell")) and w


# ---------------------------------------------------------------- /ranking


async def test_ranking_with_movement_and_units(sv_driver: Driver) -> None:
    w = await world(sv_driver)
    calls = await sv_driver.send(SUP_ABOVE, "/ranking")
    text = texts(calls)
    assert "Cell ranking" in text
    first = text.index("1. Chi bộ thôn Bản Pắt")
    assert first < text.index("2. Chi bộ thôn Khe Tiền")
    assert "– Chi bộ thôn Nà Làng: no data" in text
    calls = await sv_driver.tap(SUP_ABOVE, calls, "Rank units")
    assert "Unit ranking" in texts(calls) and "1. Đảng bộ xã Lục Hồn" in texts(calls)
    calls = await sv_driver.send(SUP_ABOVE, f"/ranking {label(w.last)}")
    assert "1. " in texts(calls)


# ---------------------------------------------------------------- /export


def _document(driver: Driver) -> tuple[str, bytes]:
    files = driver.files  # type: ignore[attr-defined]
    assert files, "no document was uploaded"
    name, content, _mime = next(iter(files[-1].values()))
    return name, content


async def test_export_xlsx_opens_with_all_sheets(sv_driver: Driver) -> None:
    w = await world(sv_driver)
    calls = await sv_driver.send(SUP_ABOVE, f"/export {w.this.year}")
    assert any(c.method == "sendDocument" for c in calls)
    name, content = _document(sv_driver)
    assert name == f"cellbot-QN-BL-{w.this.year}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == [
        "Summary",
        "Check-ins",
        "Attendance",
        "Initiatives",
        "Scores",
        "Tasks",
        "Recommendations",
    ]
    summary = book["Summary"]
    assert summary.freeze_panes == "A2"
    header = [c.value for c in summary[1]]
    assert header[:5] == ["Code", "Unit", "Cells", "Reported", "Expected"]
    assert "Good execution of political tasks" in header
    assert summary["A2"].value == "QN-BL" and summary["C2"].value == 3
    assert summary.column_dimensions["B"].width >= 30
    checkins = book["Check-ins"]
    rows = list(checkins.iter_rows(values_only=True))
    head = rows[0]
    # Two meetings this month and two last month: in January, last month is last year's.
    assert len(rows) == 1 + (4 if w.last.year == w.this.year else 2)
    month_col = head.index("Month")
    assert all(isinstance(r[month_col], dt.datetime) for r in rows[1:])
    assert checkins.cell(row=2, column=month_col + 1).number_format == "mm/yyyy"
    assert "Main content" in head and "Thu hoạch chè" in [
        r[head.index("Main content")] for r in rows
    ]
    assert "Avg meeting score" in head
    attendance = list(book["Attendance"].iter_rows(values_only=True))
    assert attendance[1][-1] == "Without reason"
    initiatives = list(book["Initiatives"].iter_rows(values_only=True))
    assert initiatives[0][:4] == ("Code", "Cell", "Committee", "Active members")
    by_code = {row[0]: row for row in initiatives[1:]}
    # The initiative belongs to a C02 member, registered in C01's list (cell C01).
    assert by_code["QN-BL-LH-C01"][-1] == 33_000_000_000 and by_code["QN-BL-LH-C01"][-2] == 1
    scores = list(book["Scores"].iter_rows(values_only=True))
    assert len(scores) == 4 and scores[0][-1] == "Points lost"


async def test_export_csv_and_vietnamese_headers(sv_driver: Driver) -> None:
    w = await world(sv_driver, onboard_all=False)
    await onboard(sv_driver, SUP_VI, "QN-BL", "supervisor")
    await sv_driver.send(SUP_VI, "/export csv")
    name, content = _document(sv_driver)
    assert name == f"cellbot-QN-BL-{label(w.this)}.csv"
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mã", "Chi bộ", "Đảng bộ"]
    assert [r[0] for r in rows[1:]] == ["QN-BL-DT-C01", "QN-BL-LH-C01", "QN-BL-LH-C02"]
    await sv_driver.send(SUP_VI, "/export")
    book = openpyxl.load_workbook(io.BytesIO(_document(sv_driver)[1]))
    assert book.sheetnames[0] == "Tổng hợp" and book["Tổng hợp"]["A1"].value == "Mã"


# ---------------------------------------------------------------- /chart


async def test_chart_sends_two_pngs(sv_driver: Driver) -> None:
    await world(sv_driver)
    calls = await sv_driver.send(SUP_ABOVE, "/chart")
    photos = [c for c in calls if c.method == "sendPhoto"]
    assert len(photos) == 2
    assert "Criteria scores by unit" in photos[0].text
    pngs = [f for f in sv_driver.files if "photo" in f]  # type: ignore[attr-defined]
    assert len(pngs) == 2
    for upload in pngs:
        _name, content, mime = upload["photo"]
        assert content[:8] == b"\x89PNG\r\n\x1a\n" and mime == "image/png"
        width = int.from_bytes(content[16:20], "big")
        height = int.from_bytes(content[20:24], "big")
        assert width >= 1000 and height >= 600  # readable on a phone when zoomed


# ---------------------------------------------------------------- /broadcast


async def test_broadcast_compose_preview_confirm_report(sv_driver: Driver) -> None:
    await world(sv_driver)
    calls = await sv_driver.send(SUP_UNIT, "/broadcast")
    assert "Message every cell secretary" in texts(calls)
    calls = await sv_driver.send(SUP_UNIT, "Họp <khẩn> chiều nay lúc 14h")
    text = texts(calls)
    assert "Preview" in text and "to <b>1</b>" in text and "&lt;khẩn&gt;" in text
    calls = await sv_driver.tap(SUP_UNIT, calls, "Send (1)")
    assert "Queued for 1" in texts(calls)
    async with sv_driver.sessions() as s:
        item = await s.scalar(select(Broadcast))
        assert item is not None and item.recipients == 1
        rows = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.batch_id == item.id))
        ).all()
    assert [(r.kind, r.chat_id, r.payload["text"]) for r in rows] == [
        ("broadcast", SEC_IN.id, "Họp <khẩn> chiều nay lúc 14h")
    ]
    calls = await sv_driver.tap(SUP_UNIT, calls, "Delivery report")
    assert "Waiting: 1" in texts(calls) and "Sent: 0" in texts(calls)
    # The same confirm button twice does not send twice.
    again = await sv_driver.press(SUP_UNIT, f"sv:bcok:{item.unit_id}")
    assert "expired" in texts(again)
    calls = await sv_driver.send(SUP_UNIT, "/broadcast")
    assert "Recent messages" in texts(calls)
    calls = await sv_driver.send(SUP_UNIT, "/cancel")
    async with sv_driver.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 1


# ---------------------------------------------------------------- /review, /lock, /unlock


async def test_review_approve_and_has_issues(sv_driver: Driver) -> None:
    w = await world(sv_driver)
    calls = await sv_driver.send(SUP_UNIT, "/review")
    assert "awaiting review" in texts(calls) and "</b> 3" in texts(calls)
    calls = await sv_driver.press(
        SUP_UNIT, f"sv:rv:{w.org.grassroots['LH']}:{w.checkins['c02_this']}"
    )
    assert "Khe Tiền" in texts(calls) and "Approve" in str(all_buttons(calls))
    calls = await sv_driver.tap(SUP_UNIT, calls, "Has issues")
    assert "Type a comment" in texts(calls)
    calls = await sv_driver.send(SUP_UNIT, "Thiếu danh sách vắng mặt")
    assert "sent back to the secretary" in texts(calls)
    calls = await sv_driver.press(
        SUP_UNIT, f"sv:rva:{w.org.grassroots['LH']}:{w.checkins['c01_this']}"
    )
    assert "Approved" in texts(calls)
    async with sv_driver.sessions() as s:
        c02 = await s.get(Checkin, w.checkins["c02_this"])
        c01 = await s.get(Checkin, w.checkins["c01_this"])
        assert c02 is not None and c01 is not None
        assert (c02.review_status, c02.review_comment) == ("has_issues", "Thiếu danh sách vắng mặt")
        assert c01.review_status == "approved"
        notes = (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "review"))).all()
    # C01 has a secretary on the bot (C02 has none): one note, with a "fix" button.
    assert [n.chat_id for n in notes] == [SEC_IN.id]
    assert notes[0].payload["notice"] == "review_ok"
    calls = await sv_driver.send(SUP_UNIT, "/review")
    assert "</b> 1" in texts(calls)


async def test_lock_unlock_levels(sv_driver: Driver) -> None:
    w = await world(sv_driver)
    year = w.this.year
    calls = await sv_driver.send(SUP_ABOVE, f"/lock {year}")
    assert f"Lock the {year} reports" in texts(calls)
    calls = await sv_driver.tap(SUP_ABOVE, calls, "🔒 Lock")
    assert f"Locked {year} for" in texts(calls)
    calls = await sv_driver.press(SUP_ABOVE, f"sv:lockok:{w.org.district}:{year}")
    assert "already locked" in texts(calls)
    # The commune's supervisor sees no lock to lift: it was set above them.
    assert "No lock" in texts(await sv_driver.send(SUP_UNIT, "/unlock"))
    calls = await sv_driver.send(SUP_ABOVE, "/unlock")
    calls = await sv_driver.tap(SUP_ABOVE, calls, str(year))
    assert f"Unlocked {year}" in texts(calls)
    async with sv_driver.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(PeriodLock)) == 0
    assert "Give the period" in texts(await sv_driver.send(SUP_ABOVE, "/lock"))


# ---------------------------------------------------------------- /initiatives (supervisor side)


async def test_initiatives_overview(sv_driver: Driver) -> None:
    w = await world(sv_driver)
    # /initiatives belongs to the initiatives feature; a pure supervisor lands here.
    calls = await sv_driver.send(SUP_ABOVE, "/initiatives")
    text = texts(calls)
    assert f"Initiatives {w.this.year}" in text and "Đảng bộ xã Lục Hồn" in text
    assert "Cải tiến băng tải lò 7" in text and "33,000,000,000 đ" in text
    calls = await sv_driver.tap(SUP_ABOVE, calls, "Đảng bộ xã Lục Hồn")
    assert "Chi bộ thôn Bản Pắt" in texts(calls)
    assert "Give a year" in texts(await sv_driver.send(SUP_ABOVE, "/initiatives 20x6"))
