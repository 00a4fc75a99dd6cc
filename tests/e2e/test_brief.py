"""The chi ủy's pre-meeting brief (/brief), end to end on a seeded cell: the draft agenda,
last month's open tasks with owners, exactly the members at risk, the quarter's thematic plan,
the draft resolution DOCX (reopened with python-docx), the meeting notice reaching the parent
unit's supervisor through the outbox once, and the pre-meeting reminder's "📋" button."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain import clock
from domain.checkin_schema import PriorTask, TaskItem
from schedules.dispatcher import DispatchConfig, dispatch_due
from storage.db import SessionFactory
from storage.models import MeetingNotice, Member, OutboxMessage
from storage.tasks import prior_tasks
from storage.thematic import set_presenter, set_topic
from tests.e2e.meeting_data import add_submitted
from tests.factories import Org, members_of, onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, docx_text, texts

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SEC = TgUser(6101, "Hà", "Vi Thị", "vi")  # secretary of C01
SEC_EN = TgUser(6102, "Nam", "Lục Văn", "en")  # deputy of C01, in English
OTHER = TgUser(6103, "Lan", "Hoàng Thị", "vi")  # secretary of C02
SUP = TgUser(6104, "Minh", "Trần Văn", "vi")  # supervisor of Lục Hồn, C01's parent
SUP_DT = TgUser(6105, "Tú", "Lê Văn", "vi")  # supervisor of Đồng Tâm: not told
SUP_QN = TgUser(6106, "Bình", "Phạm Văn", "vi")  # province: not the direct parent
STRANGER = TgUser(6107, "Lạ", "Người", "vi")
CONFIG = DispatchConfig(default_language="vi", default_tz=HCM)
APRIL = dt.date(2026, 4, 1)
OPEN_TASKS = ("Vận động hộ nghèo vay vốn", "Sửa đường liên thôn")


def at(day: int, hour: int, minute: int = 0, month: int = 4) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=HCM).astimezone(dt.UTC)


async def submitted(
    sessions: SessionFactory,
    cell_id: int,
    month: dt.date,
    absences: dict[int, str],
    *,
    next_tasks: list[TaskItem] | None = None,
    prior: list[PriorTask] | None = None,
    review: dict[int, str] | None = None,
) -> None:
    """A submitted, held regular check-in of `month` with per-member absences and tasks,
    written as the submit writes it (answers, columns, attendance marks, meeting_tasks)."""
    members = await members_of(sessions, cell_id)
    async with sessions.begin() as session:
        values = {
            "official_members": len(members),
            "expected_ids": [m.id for m in members],
            "absences": absences,
            "prior_tasks": [p.model_dump() for p in prior or []],
            "task_review": review or {},
            "next_tasks": [t.model_dump() for t in next_tasks or []],
        }
        await add_submitted(session, cell_id, month, values)


async def seed(driver: Driver) -> tuple[Org, list[Member]]:
    """Lục Hồn's C01 before its April 2026 meeting (10/04 19:30):
    - February set 2 tasks, March reviewed them (one done) and set 2 new ones, not reviewed
      yet: the brief lists March's 2, with their owners;
    - B1 absent in February (no reason) and March (with a reason): 2 of the last 3 months;
    - C2 absent with a reason in January, February and March: 3 in a row;
    - D3 absent only in March, F5 exempt (not counted) absent in February and March: not
      listed;
    - E4 absent without a reason in December and January: not 2 of the last 3 months
      (December is out of that window), but the twelve months' warning: listed for that."""
    org = await small_org(driver.sessions)
    cell = org.cells["C01"]
    clock.set_clock(clock.FixedClock(at(1, 9)))
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, SEC_EN, "QN-BL-LH-C01", "deputy")
    await onboard(driver, OTHER, "QN-BL-LH-C02", "secretary")
    await onboard(driver, SUP, "QN-BL-LH", "supervisor")
    await onboard(driver, SUP_DT, "QN-BL-DT", "supervisor")
    await onboard(driver, SUP_QN, "QN", "supervisor")
    await driver.press(SEC, f"sc:save:{cell}:d10:1930")
    m = await members_of(driver.sessions, cell)
    async with driver.sessions.begin() as session:
        exempt = await session.get(Member, m[5].id)
        assert exempt is not None
        exempt.status = "exempt"
    await submitted(driver.sessions, cell, dt.date(2025, 12, 1), {m[4].id: "unexcused"})
    await submitted(
        driver.sessions, cell, dt.date(2026, 1, 1), {m[2].id: "excused", m[4].id: "unexcused"}
    )
    await submitted(
        driver.sessions,
        cell,
        dt.date(2026, 2, 1),
        {m[1].id: "unexcused", m[2].id: "excused", m[5].id: "excused"},
        next_tasks=[
            TaskItem(text="Thu đảng phí quý I", owner_id=m[6].id),
            TaskItem(text="Tổng vệ sinh thôn", owner_id=m[7].id),
        ],
    )
    async with driver.sessions() as session:
        prior = await prior_tasks(session, cell, dt.date(2026, 3, 1))
    assert len(prior) == 2
    await submitted(
        driver.sessions,
        cell,
        dt.date(2026, 3, 1),
        {m[1].id: "excused", m[2].id: "excused", m[3].id: "excused", m[5].id: "unexcused"},
        prior=prior,
        review={prior[0].id: "done", prior[1].id: "partly"},
        next_tasks=[
            TaskItem(text=OPEN_TASKS[0], owner_id=m[8].id),
            TaskItem(text=OPEN_TASKS[1], owner_id=None),
        ],
    )
    async with driver.sessions.begin() as session:
        await set_topic(session, cell, 2026, 2, "Chuyển đổi số ở thôn", actor=1)
        await set_presenter(session, cell, 2026, 2, m[9].id, actor=1)
    return org, m


def section(text: str, title: str) -> list[str]:
    """The "• " lines right after the line starting with `title`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    out = []
    for line in lines[start + 1 :]:
        if not line.startswith("• "):
            break
        out.append(line)
    return out


def button_data(calls: list[ApiCall], label: str) -> str:
    for call in reversed(calls):
        for text, data in call.buttons():
            if label in text:
                return data
    raise AssertionError(f"no button {label!r}")


async def test_the_brief_shows_open_tasks_members_at_risk_and_the_thematic_plan(
    driver: Driver,
) -> None:
    org, m = await seed(driver)
    calls = await driver.send(SEC, "/brief")
    text = texts(calls)
    assert "<b>Chuẩn bị sinh hoạt chi bộ tháng 04/2026</b> — Chi bộ thôn Bản Pắt" in text, text
    assert "Thời gian: 19:30 ngày 10/04/2026" in text and "Địa điểm: chưa rõ" in text
    assert section(text, "<b>Nhiệm vụ tháng trước chưa hoàn thành</b> (2)") == [
        f"• {OPEN_TASKS[0]} — đồng chí {m[8].full_name} (chưa đánh giá)",
        f"• {OPEN_TASKS[1]} — cả chi bộ (chưa đánh giá)",
    ]
    # One line per member, whichever rules they meet: the last 3 months, the last 12.
    assert section(text, "<b>Đảng viên cần lưu ý</b>") == [
        f"• {m[1].full_name}: vắng 2/3 tháng gần đây (1 lần không có lý do)",
        f"• {m[2].full_name}: vắng 3/3 tháng gần đây; vắng có lý do 3 lần liền",
        f"• {m[4].full_name}: vắng sinh hoạt không có lý do 2/12 tháng",
    ]
    assert "chưa ghi theo từng đảng viên" in text  # dues per member: said, not invented
    assert "<b>Sinh hoạt chuyên đề quý II/2026</b>: chưa tổ chức." in text
    assert f"Kế hoạch: Chuyển đổi số ở thôn — đồng chí {m[9].full_name} trình bày" in text
    agenda = text.split("<b>Dự kiến chương trình</b>\n")[1].split("\n\n")[0].splitlines()
    assert [line.split(". ", 1)[0] for line in agenda] == [str(i) for i in range(1, 13)]
    assert agenda[0].startswith("1. Khai mạc: thu đảng phí")
    assert (
        agenda[3] == "4. Kiểm điểm kết quả tháng qua, thực hiện nghị quyết tháng trước (2 nhiệm vụ)"
    )
    assert agenda[5] == (
        f"6. Sinh hoạt chuyên đề: Chuyển đổi số ở thôn (đồng chí {m[9].full_name} trình bày)"
    )
    assert agenda[6].startswith("7. Nhiệm vụ tháng tới") and agenda[-1].startswith("12. Thông qua")
    assert "Chưa gửi thông báo sinh hoạt" in text
    assert [d for _t, d in calls[-1].buttons()] == [
        f"bf:{org.cells['C01']}:d:2026-04",
        f"bf:{org.cells['C01']}:n:2026-04",
        f"tp:{org.cells['C01']}:v:2026",
    ]

    # The draft resolution: reopened, with the header, the title and the open tasks.
    calls = await driver.press(SEC, button_data(calls, "Dự thảo nghị quyết"))
    assert [c.method for c in calls].count("sendDocument") == 1, calls
    ((name, content),) = driver.uploads
    assert name == "du-thao-nghi-quyet-QN-BL-LH-C01-2026-04.docx"
    doc = docx_text(content)
    for expected in (
        "ĐẢNG BỘ XÃ LỤC HỒN",
        "CHI BỘ THÔN BẢN PẮT",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "ngày 10 tháng 04 năm 2026",
        "(DỰ THẢO)",
        "NGHỊ QUYẾT",
        "Sinh hoạt chi bộ tháng 04/2026",
        "I. KẾT QUẢ THỰC HIỆN NGHỊ QUYẾT THÁNG TRƯỚC",
        f"1. {OPEN_TASKS[0]} (đồng chí {m[8].full_name}): ……",
        f"2. {OPEN_TASKS[1]} (cả chi bộ): ……",
        "II. NHIỆM VỤ THÁNG TỚI",
        f"1. Tiếp tục: {OPEN_TASKS[0]} — đồng chí phụ trách: {m[8].full_name}",
        "3. Sinh hoạt chuyên đề: Chuyển đổi số ở thôn",
        "III. TỔ CHỨC THỰC HIỆN",
        "T/M CHI BỘ",
    ):
        assert expected in doc, (expected, doc)
    assert "Thu đảng phí quý I" not in doc  # February's tasks, reviewed in March


async def test_the_meeting_notice_reaches_the_parents_supervisor_once(driver: Driver) -> None:
    org, _m = await seed(driver)
    cell = org.cells["C01"]
    clock.set_clock(clock.FixedClock(at(6, 20)))
    calls = await driver.send(SEC, "/brief")
    calls = await driver.press(SEC, button_data(calls, "Gửi thông báo sinh hoạt"))
    text = texts(calls)
    assert "tới 1 đồng chí cấp ủy cấp trên (Đảng bộ xã Lục Hồn)" in text, text
    assert "Thời gian: 19:30 ngày 10/04/2026" in text  # the preview
    confirm = button_data(calls, "✅ Gửi")
    assert confirm == f"bf:{cell}:y:2026-04:0"
    calls = await driver.press(SEC, confirm)
    assert "✅ Đã gửi thông báo sinh hoạt tháng 04/2026 tới 1 đồng chí" in texts(calls)
    assert not [c for c in calls if c.chat_id == SUP.id]  # commit, then the dispatcher speaks
    calls = await driver.press(SEC, confirm)  # a double tap sends nothing more
    assert "vừa được gửi lúc 20:00 06/04/2026" in texts(calls)

    async with driver.sessions() as session:
        notices = list((await session.scalars(select(MeetingNotice))).all())
        rows = list(
            (
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.kind == "meeting_notice")
                )
            ).all()
        )
    assert [(n.cell_id, n.month, n.recipients) for n in notices] == [(cell, APRIL, 1)]
    assert [r.chat_id for r in rows] == [SUP.id]

    driver.request.calls.clear()
    await dispatch_due(driver.app, driver.sessions, at(6, 20, 1), config=CONFIG)
    sent = [c for c in driver.request.calls if c.method == "sendMessage"]
    assert [c.chat_id for c in sent] == [SUP.id], sent
    notice = sent[0].text
    for expected in (
        "Thông báo sinh hoạt chi bộ",
        "Chi bộ thôn Bản Pắt sinh hoạt thường kỳ tháng 04/2026",
        "Thời gian: 19:30 ngày 10/04/2026",
        "4. Kiểm điểm kết quả tháng qua",
        "Người gửi: Hà Vi Thị",
    ):
        assert expected in notice, (expected, notice)
    driver.request.calls.clear()
    await dispatch_due(driver.app, driver.sessions, at(6, 21), config=CONFIG)
    assert not [c for c in driver.request.calls if c.method == "sendMessage"]

    # The brief now says when it was sent; sending again asks first, with that time.
    calls = await driver.send(SEC, "/brief")
    assert "Đã gửi thông báo sinh hoạt cho cấp ủy cấp trên lúc 20:00 06/04/2026 (1 đồng chí)" in (
        texts(calls)
    )
    calls = await driver.press(SEC, button_data(calls, "Gửi thông báo sinh hoạt"))
    assert "đã gửi lúc 20:00 06/04/2026" in texts(calls)
    calls = await driver.press(SEC, button_data(calls, "Gửi lại"))
    async with driver.sessions() as session:
        assert len((await session.scalars(select(MeetingNotice))).all()) == 2


async def test_no_supervisor_in_the_bot_and_foreign_or_forged_buttons(driver: Driver) -> None:
    org, _m = await seed(driver)
    c01, c02 = org.cells["C01"], org.cells["C02"]
    for forged in (
        f"bf:{c01}:y:2026-04:0",  # not OTHER's cell
        f"bf:{c01}:o",
        f"bf:{c01}:d:2026-04",
    ):
        calls = await driver.press(OTHER, forged)
        assert [c.method for c in calls] == ["answerCallbackQuery"], calls
        assert calls[0].params.get("show_alert") is True
    for forged in (f"bf:{c01}:x:2026-04", f"bf:{c01}:y:2026-13:0", f"bf:{c01}:y:2026-04"):
        calls = await driver.press(SEC, forged)
        assert [c.method for c in calls] == ["answerCallbackQuery"], (forged, calls)
    # C02's own secretary gets C02's brief, not C01's; someone without a role gets none.
    calls = await driver.send(OTHER, "/brief")
    assert "Chi bộ thôn Khe Tiền" in texts(calls) and "Bản Pắt" not in texts(calls)
    assert f"bf:{c02}:n:2026-04" in [d for _t, d in calls[-1].buttons()]
    calls = await driver.send(STRANGER, "/brief")
    assert "Chuẩn bị sinh hoạt" not in texts(calls) and not calls[-1].buttons()
    async with driver.sessions() as session:
        assert not (await session.scalars(select(MeetingNotice))).all()
        assert not (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "meeting_notice")
            )
        ).all()


async def test_a_cell_whose_supervisors_do_not_use_the_bot(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=3)
    clock.set_clock(clock.FixedClock(at(1, 9)))
    await onboard(driver, SEC, "QN-BL-DT-C01", "secretary")
    calls = await driver.send(SEC, "/brief")
    text = texts(calls)
    assert "chưa đặt lịch sinh hoạt" in text and "không còn nhiệm vụ nào dở dang" in text
    assert "<b>Đảng viên cần lưu ý</b>: không có." in text
    assert "Chưa có kế hoạch chuyên đề cho quý này: /thematic" in text
    calls = await driver.press(SEC, f"bf:{org.cells['DT1']}:n:2026-04")
    assert "chưa có đồng chí nào dùng bot" in texts(calls)
    assert calls[-1].params.get("show_alert") is True


async def test_the_premeeting_reminder_opens_the_brief_in_english(driver: Driver) -> None:
    org, m = await seed(driver)
    cell = org.cells["C01"]
    driver.request.calls.clear()
    await dispatch_due(driver.app, driver.sessions, at(7, 8), config=CONFIG)
    reminders = [
        c for c in driver.request.calls if c.method == "sendMessage" and c.chat_id == SEC_EN.id
    ]
    assert len(reminders) == 1, reminders
    assert ("📋 Pre-meeting brief", f"bf:{cell}:r:2026-04") in reminders[0].buttons()
    calls = await driver.press(SEC_EN, f"bf:{cell}:r:2026-04")
    assert "sendMessage" in [c.method for c in calls]  # a new message: the reminder stays
    text = texts(calls)
    assert "<b>Preparing the cell meeting, April 2026</b>" in text, text
    assert f"• {OPEN_TASKS[0]} — comrade {m[8].full_name} (not reviewed yet)" in text
    assert f"• {m[2].full_name}: absent 3 of the last 3 months; absent with reason 3 times" in (
        text
    )


async def test_two_cells_pick_one(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=2)
    clock.set_clock(clock.FixedClock(at(1, 9)))
    await onboard(driver, SEC, "QN-BL-LH-C01", "deputy")
    await onboard(driver, SEC, "QN-BL-LH-C02", "deputy")
    calls = await driver.send(SEC, "/brief")
    assert [d for _t, d in calls[-1].buttons()] == [
        f"bf:{org.cells['C01']}:r",
        f"bf:{org.cells['C02']}:r",
    ]
    calls = await driver.press(SEC, f"bf:{org.cells['C02']}:r")
    assert "Chuẩn bị sinh hoạt chi bộ tháng 04/2026</b> — Chi bộ thôn Khe Tiền" in texts(calls)
