"""Supervisors read the substance (issue 16, part 5), end to end on the real Application:
/proposals lists the cells' recommendations newest first within the caller's scope (paged,
long texts opened in full), /cell and /summary show how the reviewed tasks were carried out
and the latest recommendations, and the export has a Tasks and a Recommendations sheet."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl

from bot.i18n import period_text
from domain import clock
from domain.periods import Period, add_months, month_label
from tests.e2e.meeting_data import Meeting, submit_meeting
from tests.factories import Org, onboard, small_org
from tests.harness import (
    ApiCall,
    Driver,
    TgUser,
    all_buttons,
    texts,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SEC = TgUser(5001, "Hà", "Vi Thị", "en")  # secretary of C01
SUP_UNIT = TgUser(5002, "Minh", "Hoàng Văn", "en")  # supervisor of Lục Hồn (C01, C02)
SUP_SIBLING = TgUser(5003, "Lan", "Nông Thị", "en")  # supervisor of Đồng Tâm (DT1)
SUP_ABOVE = TgUser(5004, "Tuấn", "Trần Văn", "en")  # supervisor of the district
SUP_VI = TgUser(5005, "Hùng", "Lý Văn", "vi")  # a second district supervisor, in Vietnamese

C01_EARLIER = "Đề nghị hỗ trợ kinh phí sửa nhà văn hóa thôn"
C01_LAST = "Xin bổ sung tài liệu học tập nghị quyết cho chi bộ"
DT1_LAST = "Đề nghị cấp thẻ đảng viên cho 2 đồng chí mới kết nạp"
TASKS = [("Sửa đường liên thôn", 0), ("Vận động tiêm chủng", 1), ("=Trồng rừng vụ xuân", None)]


@dataclass
class World:
    org: Org
    earlier: dt.date  # C01 sets 3 tasks and sends a recommendation
    last: dt.date  # C01 reviews them (done, partly, not); C02 sends none; DT1 sends one
    c01: Meeting
    c01_last: Meeting


def this_month() -> dt.date:
    return clock.today(TZ).replace(day=1)


def month(day: dt.date) -> Period:
    return Period("month", day.year, day.month)


async def world(driver: Driver) -> World:
    org = await small_org(driver.sessions, members_per_cell=5)
    last = add_months(this_month(), -1)
    earlier = add_months(last, -1)
    sessions = driver.sessions
    c01 = await submit_meeting(
        sessions, org.cells["C01"], earlier, tasks=TASKS, proposals=C01_EARLIER
    )
    c01_last = await submit_meeting(
        sessions,
        org.cells["C01"],
        last,
        review=["done", "partly", "not"],
        tasks=[("Hoàn thành tiêm chủng", 1)],
        carried=[c01.task_ids[1]],
        proposals=C01_LAST,
        submitted_at=clock.now() - dt.timedelta(hours=2),
    )
    await submit_meeting(sessions, org.cells["C02"], last, proposals="")
    await submit_meeting(sessions, org.cells["DT1"], last, proposals=DT1_LAST)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, SUP_UNIT, "QN-BL-LH", "supervisor")
    await onboard(driver, SUP_SIBLING, "QN-BL-DT", "supervisor")
    await onboard(driver, SUP_ABOVE, "QN-BL", "supervisor")
    return World(org, earlier, last, c01, c01_last)


def refused(calls: list[ApiCall]) -> bool:
    return [c.method for c in calls] == ["answerCallbackQuery"] and bool(
        calls[0].params.get("show_alert")
    )


# ---------------------------------------------------------------- /proposals


async def test_proposals_newest_first_and_only_in_scope(driver: Driver) -> None:
    w = await world(driver)
    label = month_label(w.last)
    text = texts(await driver.send(SUP_ABOVE, f"/proposals {label}"))
    assert "Recommendations from the cells — Huyện ủy Bình Liêu" in text
    assert "<b>2</b> recommendations" in text
    # DT1 submitted after C01: newest first.
    assert text.index(DT1_LAST) < text.index(C01_LAST)
    assert "<b>1. Chi bộ thôn Nà Làng</b> · " + period_text(label, "en") in text
    assert "<b>2. Chi bộ thôn Bản Pắt</b>" in text
    assert "Khe Tiền" not in text  # "" is "none", not an empty item

    unit = texts(await driver.send(SUP_UNIT, f"/proposals {label}"))
    assert C01_LAST in unit and DT1_LAST not in unit and "<b>1</b> recommendations" in unit
    sibling = texts(await driver.send(SUP_SIBLING, f"/proposals {label}"))
    assert DT1_LAST in sibling and C01_LAST not in sibling

    # Forged buttons for a unit or a check-in outside the caller's scope: the stale alert.
    lh = w.org.grassroots["LH"]
    calls = await driver.press(SUP_SIBLING, f"sv:prop:{lh}:{label}:0")
    assert refused(calls) and C01_LAST not in texts(calls)
    dt_unit = w.org.grassroots["DT"]
    calls = await driver.press(SUP_SIBLING, f"sv:propx:{w.c01_last.checkin_id}:{dt_unit}:{label}:0")
    assert refused(calls) and C01_LAST not in texts(calls)
    calls = await driver.press(SUP_SIBLING, f"sv:propx:999999:{dt_unit}:{label}:0")
    assert refused(calls)
    # A secretary is not a supervisor.
    assert "for supervising committees" in texts(await driver.send(SEC, "/proposals"))


async def test_paging_a_long_text_in_full_and_back(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=2)
    year = this_month().year - 1
    tail = "và cuối cùng là đoạn kết riêng của kiến nghị dài"
    long_text = "Đề nghị cấp trên xem xét " + "hỗ trợ kinh phí xây dựng đường bê tông " * 15 + tail
    for m in range(1, 13):
        text = long_text if m == 7 else f"Kiến nghị tháng {m:02d} của chi bộ"
        await submit_meeting(driver.sessions, org.cells["C01"], dt.date(year, m, 1), proposals=text)
    await onboard(driver, SUP_UNIT, "QN-BL-LH", "supervisor")
    calls = await driver.send(SUP_UNIT, f"/proposals {year}")
    text = texts(calls)
    assert "<b>12</b> recommendations" in text
    assert text.index("tháng 12 của") < text.index("tháng 11 của") < text.index("tháng 03 của")
    assert "tháng 02 của" not in text and "<b>10. " in text and "<b>11. " not in text
    assert tail not in text and "…" in text  # month 7, the 6th item, is shortened
    assert ("1/2", "noop") in all_buttons(calls)
    assert [b[0] for b in all_buttons(calls) if b[0].startswith("📄")] == ["📄 6"]

    following = await driver.tap(SUP_UNIT, calls, "▶")
    page2 = texts(following)
    assert "<b>11. Chi bộ thôn Bản Pắt</b>" in page2 and "tháng 01 của" in page2
    assert "tháng 12 của" not in page2 and following[-1].method == "editMessageText"

    full = await driver.tap(SUP_UNIT, calls, "📄 6")
    assert long_text in texts(full) and "QN-BL-LH-C01" in texts(full)
    back = await driver.tap(SUP_UNIT, full, "Back to the list")
    assert "tháng 12 của" in texts(back) and tail not in texts(back)


async def test_this_quarter_by_default_empty_state_and_bad_period(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=2)
    await onboard(driver, SUP_VI, "QN-BL", "supervisor")
    await onboard(driver, SUP_ABOVE, "QN-BL", "supervisor")
    quarter = Period.of("quarter", clock.today(TZ))
    calls = await driver.send(SUP_VI, "/proposals")
    text = texts(calls)
    assert f"Kỳ: {period_text(quarter, 'vi')}" in text
    assert "Chưa có chi bộ nào gửi kiến nghị, đề xuất trong kỳ này" in text
    assert any(b[0] == "Năm nay" for b in all_buttons(calls))

    await submit_meeting(
        driver.sessions, org.cells["C02"], this_month(), proposals="Xin thêm tài liệu"
    )
    text = texts(await driver.send(SUP_VI, "/proposals"))
    assert "Xin thêm tài liệu" in text
    assert f"Chi bộ thôn Khe Tiền</b> · {period_text(month(this_month()), 'vi')}" in text

    text = texts(await driver.send(SUP_VI, "/proposals quý hai"))
    assert "Không hiểu kỳ “quý hai”" in text and "<code>/proposals 2026-Q2</code>" in text
    text = texts(await driver.send(SUP_ABOVE, "/proposals 2026-13"))
    assert "not understood" in text and "<code>/proposals 2026</code>" in text


# ---------------------------------------------------------------- /cell and /summary


async def test_cell_and_summary_show_tasks_and_recommendations(driver: Driver) -> None:
    w = await world(driver)
    label = month_label(w.last)
    shown = period_text(label, "en")
    calls = await driver.press(SUP_UNIT, f"sv:cell:{w.org.cells['C01']}:{label}")
    text = texts(calls)
    assert (
        f"Tasks reviewed in {shown}: <b>1/3</b> done (33%); mostly done 0, partly done 1, "
        "not done 1." in text
    )
    assert "Latest recommendations:" in text
    assert text.index(C01_LAST) < text.index(C01_EARLIER)

    # The month the tasks were set: nothing reviewed yet, only the earlier recommendation.
    earlier = month_label(w.earlier)
    calls = await driver.press(SUP_UNIT, f"sv:cell:{w.org.cells['C01']}:{earlier}")
    text = texts(calls)
    assert f"No task was reviewed in {period_text(earlier, 'en')}." in text
    assert C01_EARLIER in text and C01_LAST not in text

    text = texts(await driver.send(SUP_UNIT, "/cell Khe Tiền"))
    assert "The cell has sent no recommendation." in text
    text = texts(await driver.send(SUP_UNIT, "/cell Bản Pắt"))
    assert C01_LAST in text
    # Another commune's supervisor cannot open it.
    calls = await driver.press(SUP_SIBLING, f"sv:cell:{w.org.cells['C01']}:{label}")
    assert refused(calls)

    text = texts(await driver.send(SUP_UNIT, f"/summary {label}"))
    assert f"Tasks reviewed in {shown}: <b>1/3</b> done (33%)" in text
    assert "Recommendations from the cells: <b>1</b>" in text
    bản_pắt = text[text.index("<b>Chi bộ thôn Bản Pắt</b>") :]
    assert "📌 Tasks: 1/3 done" in bản_pắt.split("▸")[0]
    khe_tiền = text[text.index("<b>Chi bộ thôn Khe Tiền</b>") :]
    assert "📌" not in khe_tiền.split("▸")[0]
    text = texts(await driver.send(SUP_SIBLING, f"/summary {label}"))
    assert f"No task was reviewed in {shown}." in text
    assert "Recommendations from the cells: <b>1</b>" in text
    text = texts(await driver.send(SUP_ABOVE, f"/summary {label}"))
    assert "Recommendations from the cells: <b>2</b>" in text
    lục_hồn = text[text.index("<b>Đảng bộ xã Lục Hồn</b>") :]
    assert "📌 Tasks: 1/3 done" in lục_hồn.split("▸")[0]


async def test_vietnamese_cell_view_uses_the_one_scale(driver: Driver) -> None:
    w = await world(driver)
    await onboard(driver, SUP_VI, "QN-BL", "supervisor")
    label = month_label(w.last)
    text = texts(await driver.press(SUP_VI, f"sv:cell:{w.org.cells['C01']}:{label}"))
    assert (
        f"Nhiệm vụ được kiểm điểm trong {period_text(label, 'vi')}: <b>1/3</b> hoàn thành "
        "(33%); cơ bản hoàn thành 0, hoàn thành một phần 1, chưa thực hiện 1." in text
    )
    assert "Kiến nghị, đề xuất gần nhất:" in text


# ---------------------------------------------------------------- /export


async def test_export_has_tasks_and_recommendations_sheets(driver: Driver) -> None:
    w = await world(driver)
    period = f"{w.earlier.year}" if w.earlier.year == w.last.year else month_label(w.earlier)
    await driver.send(SUP_ABOVE, f"/export {period}")
    book = openpyxl.load_workbook(io.BytesIO(driver.uploads[-1][1]))
    assert book.sheetnames[-2:] == ["Tasks", "Recommendations"]
    tasks = list(book["Tasks"].iter_rows(values_only=True))
    assert tasks[0] == (
        "Code",
        "Cell",
        "Month set",
        "Task",
        "Owner",
        "Status",
        "Reviewed in",
    )
    earlier = dt.datetime(w.earlier.year, w.earlier.month, 1)
    last = dt.datetime(w.last.year, w.last.month, 1)
    names = [m.full_name for m in w.c01.members]
    cell = ("QN-BL-LH-C01", "Chi bộ thôn Bản Pắt")
    expected: list[tuple[Any, ...]] = [
        (*cell, earlier, TASKS[0][0], names[0], "Fully carried out", last),
        (*cell, earlier, TASKS[1][0], names[1], "Partly carried out", last),
        (*cell, earlier, TASKS[2][0], "The whole cell", "Not carried out", last),
    ]
    if period != month_label(w.earlier):  # the year holds last month's task too
        expected.append((*cell, last, "Hoàn thành tiêm chủng", names[1], "Not reviewed yet", None))
    assert tasks[1:] == expected
    # A task typed like a formula stays text.
    assert book["Tasks"]["D4"].data_type == "s" and book["Tasks"]["D4"].quotePrefix

    recommendations = list(book["Recommendations"].iter_rows(values_only=True))
    assert recommendations[0] == ("Code", "Cell", "Month", "Recommendation")
    rows = recommendations[1:]
    assert ("QN-BL-LH-C01", "Chi bộ thôn Bản Pắt", earlier, C01_EARLIER) in rows
    assert all(r[0] != "QN-BL-LH-C02" for r in rows)  # "" is no recommendation
    if period != month_label(w.earlier):
        assert [r[0] for r in rows] == ["QN-BL-DT-C01", "QN-BL-LH-C01", "QN-BL-LH-C01"]
        assert rows[0][3] == DT1_LAST
