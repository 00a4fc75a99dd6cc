"""The minutes (biên bản) and resolution (nghị quyết) as DOCX, end to end: sent after a
check-in is submitted, and on /minutes [YYYY-MM]; reopened with python-docx and checked
against what the database holds (cell, parent, date, absent members by name with the kind of
absence, main tasks, resolution, signature blocks). Rendered to PDF where LibreOffice is
installed."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from sqlalchemy import select

from domain import clock
from domain.checkin_schema import CheckinAnswers
from domain.periods import add_months, month_label
from storage.db import SessionFactory
from storage.models import AttendanceMark, Checkin, Member
from tests.e2e.checkin_helpers import last_keyboard
from tests.e2e.checkin_walk import DOCUMENTS, MAIN_TASKS, NEXT_TASK, NOTE, PLACE, PROPOSALS, WALK
from tests.e2e.meeting_data import submit_meeting
from tests.factories import onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, docx_text, texts

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SEC = TgUser(4001, "Hà", "Vi Thị", "vi")  # secretary of C01
SEC_EN = TgUser(4002, "Nam", "Lục Văn", "en")  # secretary of C01, in English
TWO_CELLS = TgUser(4003, "Lan", "Hoàng Thị", "vi")  # deputy of C01 and of C02
STRANGER = TgUser(4004, "Lạ", "Người", "vi")
RESOLUTION = "Hoàn thành thu hoạch chè trước ngày 20\nSửa đường liên thôn"
KIND_VI = {"excused": "vắng có lý do", "unexcused": "vắng không có lý do"}


def signature_cells(content: bytes) -> list[str]:
    doc = Document(io.BytesIO(content))
    return [cell.text for cell in doc.tables[-1].rows[0].cells]


def this_month() -> dt.date:
    return clock.today(TZ).replace(day=1)


async def walk_to_submit(driver: Driver, user: TgUser) -> list[ApiCall]:
    """The shared whole check-in (tests/e2e/checkin_walk.py), with a second member absent
    without a reason; returns the calls of the submit."""
    calls = await driver.send(user, "/checkin")
    for step in WALK:
        if step.typed is not None:
            calls = await driver.send(user, step.typed(clock.today(TZ)))
        else:
            calls = await driver.press(user, step.button(last_keyboard(calls)))
        if step.name == "attendance: one member absent":
            toggles = [d for _t, d in last_keyboard(calls) if re.fullmatch(r"ci:t:.*:0", d)]
            calls = await driver.press(user, toggles[1])  # the next member on the page
        if step.name == "absence note (typed)":  # the second: without reason, no note
            second = [d for _t, d in last_keyboard(calls) if d.endswith(":absence:u")]
            calls = await driver.press(user, second[0])
            skip = [d for _t, d in last_keyboard(calls) if d.endswith(":absence:skip")]
            calls = await driver.press(user, skip[0])
    return calls


async def facts_names(driver: Driver, checkin_id: int) -> dict[str, str]:
    """The names of the chair, the thư ký, the one speaker and the one who did not pay."""
    async with driver.sessions() as session:
        checkin = await session.get(Checkin, checkin_id)
        assert checkin is not None
        a = CheckinAnswers.model_validate(checkin.answers)
        ids: dict[str, int | None] = {
            "chair": a.chair_id,
            "clerk": a.clerk_id,
            "speaker": next(iter(a.speaker_ids or []), None),
            "unpaid": next(iter(a.unpaid_ids or []), None),
        }
        names = {}
        for key, member_id in ids.items():
            member = await session.get(Member, member_id)
            assert member is not None, key
            names[key] = member.full_name
        return names


async def absences(driver: Driver, checkin_id: int) -> dict[str, str]:
    async with driver.sessions() as session:
        rows = await session.execute(
            select(Member.full_name, AttendanceMark.status)
            .join(Member, Member.id == AttendanceMark.member_id)
            .where(AttendanceMark.checkin_id == checkin_id)
        )
        return {name: status for name, status in rows.all()}


async def insert_submitted(
    sessions: SessionFactory, cell_id: int, month: dt.date, absent: int = 3
) -> dict[str, str]:
    """A submitted check-in of `month` written directly (with a resolution text, which the
    check-in does not ask yet); returns the absent members' names and kinds of absence."""
    async with sessions.begin() as session:
        members = list(
            await session.scalars(
                select(Member).where(Member.cell_id == cell_id).order_by(Member.id)
            )
        )
        kinds = ["excused", "unexcused"]
        away = {m.id: kinds[i % 2] for i, m in enumerate(members[:absent])}
        answers = CheckinAnswers.model_validate(
            {
                "held": True,
                "meeting_type": "combined",
                "official_members": len(members),
                "meeting_date": month.replace(day=12),
                "start_time": "08:00",
                "duration_min": 120,
                "pre_meeting": True,
                "content_prepared": True,
                "draft_resolution": True,
                "attendance_done": True,
                "expected_ids": [m.id for m in members],
                "absences": away,
                "dues_status": "all",
                "main_tasks": "Trồng rừng vụ xuân\nVận động tiêm chủng",
                "current_affairs": True,
                "ho_chi_minh": True,
                "thematic_topic": "Chuyển đổi số ở thôn",
                "speakers": 6,
                "commended": [members[-1].id],
                "criticised": [],
                "lists_done": ["commended", "criticised"],
                "assessed": True,
                "resolution_impl": "full",
                "resolution_adopted": True,
                "resolution_text": RESOLUTION,
                "minutes_complete": True,
                "candidates": 1,
                "admitted": 0,
                "discipline": 0,
                "solidarity": 0,
            }
        )
        checkin = Checkin(
            cell_id=cell_id,
            month=month,
            slot="regular",
            status="submitted",
            submitted_at=clock.now(),
            answers=answers.as_json(),
            **answers.to_columns(),
        )
        session.add(checkin)
        await session.flush()
        for member_id, kind in away.items():
            session.add(AttendanceMark(checkin_id=checkin.id, member_id=member_id, status=kind))
        return {m.full_name: away[m.id] for m in members if m.id in away}


# ---------------------------------------------------------------- after submit


async def test_submit_sends_minutes_and_resolution(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    calls = await walk_to_submit(driver, SEC)
    methods = [c.method for c in calls]
    assert methods.count("sendDocument") == 2, methods
    confirmation = next(i for i, c in enumerate(calls) if "Đã nộp báo cáo sinh hoạt" in c.text)
    assert confirmation < methods.index("sendDocument"), methods
    captions = [c.text for c in calls if c.method == "sendDocument"]
    assert "Biên bản sinh hoạt chi bộ tháng" in captions[0] and "Nghị quyết" in captions[1]

    async with driver.sessions() as session:
        checkin = (await session.scalars(select(Checkin))).one()
    day = checkin.meeting_date
    assert checkin.status == "submitted" and day is not None
    away = await absences(driver, checkin.id)
    assert sorted(away.values()) == ["excused", "unexcused"], away

    (m_name, minutes), (r_name, resolution) = driver.uploads
    month = month_label(checkin.month)
    assert (m_name, r_name) == (
        f"bien-ban-QN-BL-LH-C01-{month}.docx",
        f"nghi-quyet-QN-BL-LH-C01-{month}.docx",
    )
    text = docx_text(minutes)
    for expected in (
        "ĐẢNG BỘ XÃ LỤC HỒN",
        "CHI BỘ THÔN BẢN PẮT",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        f"ngày {day:%d} tháng {day:%m} năm {day.year}",
        "BIÊN BẢN",
        f"Sinh hoạt chi bộ thường kỳ tháng {day:%m}/{day.year}",
        f"bắt đầu lúc 19:30, ngày {day:%d/%m/%Y}",
        "tổng số đảng viên phải dự 20 đồng chí; có mặt 18 đồng chí; vắng mặt 2 đồng chí "
        "(có lý do 1, không có lý do 1)",
        f"- {MAIN_TASKS}",  # last month's results, as told
        f"- {NEXT_TASK} — đồng chí ",  # next month's task with its owner
        PROPOSALS,
        "có 1 lượt đồng chí phát biểu",
        "Biểu quyết: tán thành 18/18 đồng chí; không tán thành 0/18 đồng chí.",
        "kết thúc lúc 21:00",
        f"2. Địa điểm: {PLACE}",
        "1. Thu đảng phí: đã thu 19/20 đồng chí.",
        "Đại biểu cấp trên dự (nếu có): không có",
        f"- {DOCUMENTS}",
    ):
        assert expected in text, (expected, text)
    names = await facts_names(driver, checkin.id)
    assert f"Chủ trì: đồng chí {names['chair']}" in text, text
    assert f"Thư ký: đồng chí {names['clerk']}" in text, text
    assert f"Các đồng chí phát biểu: {names['speaker']}." in text, text
    assert f"Chưa nộp: {names['unpaid']}." in text, text
    for name, kind in away.items():
        line = f"Đồng chí {name}: {KIND_VI[kind]}"
        assert (line + f" ({NOTE})" if kind == "excused" else line) in text, (name, text)
    present = next(line for line in text.splitlines() if line.startswith("Đảng viên có mặt"))
    assert not any(name in present for name in away), present
    clerk, chair = signature_cells(minutes)
    assert clerk.startswith("THƯ KÝ") and "(Ký, ghi rõ họ tên)" in clerk
    assert chair.startswith("CHỦ TRÌ") and "(Ký, ghi rõ họ tên)" in chair
    assert clerk.rstrip().endswith(names["clerk"]) and chair.rstrip().endswith(names["chair"])
    captions = [c.text for c in calls if c.method == "sendDocument"]
    assert "địa điểm, chủ trì, thư ký, biểu quyết" not in captions[0], captions

    text = docx_text(resolution)
    for expected in (
        "ĐẢNG BỘ XÃ LỤC HỒN",
        "CHI BỘ THÔN BẢN PẮT",
        "NGHỊ QUYẾT",
        f"Chi bộ tháng {day:%m}/{day.year}",
        f"Ngày {day:%d/%m/%Y}, Chi bộ thôn Bản Pắt đã sinh hoạt thường kỳ",
        "I. KẾT QUẢ THÁNG QUA",
        "Cơ bản hoàn thành",
        "II. NHIỆM VỤ THÁNG TỚI",
        f"- {MAIN_TASKS}",
        f"1. {NEXT_TASK} — đồng chí ",  # the task the walk set, with its owner
        "III. TỔ CHỨC THỰC HIỆN",
    ):
        assert expected in text, (expected, text)
    _recipients, signature = signature_cells(resolution)
    assert signature.split("\n")[:2] == ["T/M CHI BỘ", "BÍ THƯ"]
    assert signature.rstrip().endswith("Hà Vi Thị"), signature  # who submitted it
    assert org.cells["C01"] == checkin.cell_id


# ---------------------------------------------------------------- /minutes


async def test_minutes_of_an_earlier_month_and_of_a_month_without_one(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    earlier = add_months(this_month(), -2)
    away = await insert_submitted(driver.sessions, org.cells["C01"], earlier)

    calls = await driver.send(SEC, "/minutes")  # the latest month with minutes
    assert [c.method for c in calls].count("sendDocument") == 2, calls
    calls = await driver.send(SEC, f"/minutes {month_label(earlier)}")
    assert [c.method for c in calls].count("sendDocument") == 2, calls
    (_, minutes), (_, resolution) = driver.uploads[-2:]
    text = docx_text(minutes)
    assert f"Sinh hoạt chi bộ thường kỳ kết hợp chuyên đề tháng {earlier:%m}/{earlier.year}" in (
        text
    )
    assert "Chuyên đề: Chuyển đổi số ở thôn" in text
    for line in RESOLUTION.splitlines():
        assert line in text
        assert line in docx_text(resolution)
    for name, kind in away.items():
        assert f"Đồng chí {name}: {KIND_VI[kind]}" in text
    assert "kết thúc lúc 10:00" in text
    assert "Vận động tiêm chủng" in docx_text(resolution)

    none = add_months(this_month(), -1)
    calls = await driver.send(SEC, f"/minutes {month_label(none)}")
    assert "sendDocument" not in [c.method for c in calls]
    assert f"chưa gửi báo cáo sinh hoạt tháng {none:%m}/{none.year}" in texts(calls)
    calls = await driver.send(SEC, "/minutes tháng mười")
    assert "<code>/minutes 2026-10</code>" in texts(calls)


async def test_no_minutes_at_all_and_no_role(driver: Driver) -> None:
    await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    calls = await driver.send(SEC, "/minutes")
    assert "chưa gửi báo cáo sinh hoạt nào" in texts(calls)
    calls = await driver.send(STRANGER, "/minutes")
    assert "sendDocument" not in [c.method for c in calls] and texts(calls)


async def test_two_cells_pick_and_a_foreign_cell_is_refused(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, TWO_CELLS, "QN-BL-LH-C01", "deputy")
    await onboard(driver, TWO_CELLS, "QN-BL-LH-C02", "deputy")
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    month = add_months(this_month(), -1)
    await insert_submitted(driver.sessions, org.cells["C02"], month)
    await insert_submitted(driver.sessions, org.cells["DT1"], month)

    calls = await driver.send(TWO_CELLS, f"/minutes {month_label(month)}")
    choices = last_keyboard(calls)
    assert [d for _t, d in choices] == [
        f"mn:{org.cells['C01']}:{month_label(month)}",
        f"mn:{org.cells['C02']}:{month_label(month)}",
    ], choices
    calls = await driver.press(TWO_CELLS, choices[1][1])
    assert [c.method for c in calls].count("sendDocument") == 2, calls
    assert "CHI BỘ THÔN KHE TIỀN" in docx_text(driver.uploads[-2][1])

    before = len(driver.uploads)
    for cell in ("C02", "DT1"):  # not SEC's cells: the same refusal, whether minutes exist
        calls = await driver.press(SEC, f"mn:{org.cells[cell]}:{month_label(month)}")
        assert [c.method for c in calls] == ["answerCallbackQuery"], calls
        assert calls[0].params.get("show_alert") is True
    calls = await driver.press(SEC, f"mn:{org.cells['C01']}:2026-13")
    assert [c.method for c in calls] == ["answerCallbackQuery"], calls
    assert len(driver.uploads) == before


async def test_english(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC_EN, "QN-BL-LH-C01", "secretary")
    month = add_months(this_month(), -1)
    away = await insert_submitted(driver.sessions, org.cells["C01"], month)
    calls = await driver.send(SEC_EN, "/minutes")
    assert [c.method for c in calls].count("sendDocument") == 2, calls
    (m_name, minutes), (r_name, resolution) = driver.uploads
    assert m_name.startswith("minutes-QN-BL-LH-C01-") and r_name.startswith("resolution-")
    text = docx_text(minutes)
    assert "COMMUNIST PARTY OF VIET NAM" in text and "MINUTES" in text
    assert f"{month:%B} {month.year}" in text
    labels = {"excused": "absent with a reason (excused)", "unexcused": "absent without a reason"}
    for name, kind in away.items():
        assert f"- {name}: {labels[kind]}" in text
    assert "CHAIR" in signature_cells(minutes)[1]
    assert "ON BEHALF OF THE CELL" in docx_text(resolution)


# ---------------------------------------------------------------- LibreOffice


async def test_libreoffice_renders_both(driver: Driver, tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice is not installed here: the PDF rendering check did not run")
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await insert_submitted(driver.sessions, org.cells["C01"], add_months(this_month(), -1))
    await driver.send(SEC, "/minutes")
    for name, content in driver.uploads:
        (tmp_path / name).write_bytes(content)
        subprocess.run(
            [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), name],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            timeout=180,
        )
        pdf = tmp_path / name.replace(".docx", ".pdf")
        assert pdf.exists() and pdf.stat().st_size > 0, name


# ---------------------------------------------------------------- tasks and recommendations


async def test_minutes_carry_the_tasks_and_the_recommendations(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=4)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    last = add_months(this_month(), -1)
    earlier = add_months(last, -1)
    cell = org.cells["C01"]
    set_before = [("Sửa đường liên thôn", 0), ("Vận động tiêm chủng", 1), ("Trồng rừng", None)]
    first = await submit_meeting(driver.sessions, cell, earlier, tasks=set_before)
    names = [m.full_name for m in first.members]
    await submit_meeting(
        driver.sessions,
        cell,
        last,
        review=["done", "mostly", "not"],
        tasks=[("Trồng rừng", 3), ("Hoàn thành tiêm chủng", 1), ("Dọn vệ sinh nhà văn hóa", None)],
        carried=[first.task_ids[2], first.task_ids[1]],
        proposals="Đề nghị hỗ trợ cây giống\nXin thêm tài liệu học tập",
    )
    calls = await driver.send(SEC, f"/minutes {month_label(last)}")
    assert [c.method for c in calls].count("sendDocument") == 2, calls
    (_, minutes), (_, resolution) = driver.uploads[-2:]
    text = docx_text(minutes)
    reviewed = [
        f"- Sửa đường liên thôn — đồng chí {names[0]} phụ trách: Hoàn thành.",
        f"- Vận động tiêm chủng — đồng chí {names[1]} phụ trách: Cơ bản hoàn thành.",
        "- Trồng rừng — cả chi bộ thực hiện: Chưa thực hiện.",
    ]
    upcoming = [
        f"- Trồng rừng — đồng chí {names[3]} phụ trách (chuyển từ tháng trước)",
        f"- Hoàn thành tiêm chủng — đồng chí {names[1]} phụ trách (chuyển từ tháng trước)",
        "- Dọn vệ sinh nhà văn hóa — cả chi bộ thực hiện",
    ]
    lines = text.splitlines()
    for line in ["Kiểm điểm 3 nhiệm vụ của nghị quyết tháng trước:", *reviewed, *upcoming]:
        assert line in lines, (line, text)
    # In the order of the meeting: last month's review, Hồ Chí Minh, next month's tasks (in
    # the order set), the discussion; the recommendations after the resolution.
    at = [lines.index(line) for line in [*reviewed, *upcoming]]
    assert at == sorted(at)
    assert "- Thu hoạch chè vụ thu" in lines[: at[0]]  # the results as told
    assert lines.index(reviewed[-1]) < next(i for i, x in enumerate(lines) if x.startswith("4."))
    assert at[-1] < next(i for i, x in enumerate(lines) if x.startswith("6. Thảo luận"))
    # The indicator follows from the review (done, mostly, not: levels 3, 2, 0, the mean 5/3
    # rounded half down is 2).
    assert "Kết quả thực hiện nghị quyết tháng trước: Cơ bản hoàn thành." in lines
    head = lines.index("Kiến nghị, đề xuất với cấp ủy cấp trên:")
    assert lines[head + 1 : head + 3] == [
        "- Đề nghị hỗ trợ cây giống",
        "- Xin thêm tài liệu học tập",
    ]
    assert head > lines.index("III. KẾT LUẬN, NGHỊ QUYẾT")

    lines = docx_text(resolution).splitlines()
    numbered = [line for line in lines if re.match(r"\d+\. ", line)]
    assert numbered == [f"{n}. {item[2:]}" for n, item in enumerate(upcoming, start=1)]
    assert lines.index("II. NHIỆM VỤ THÁNG TỚI") < lines.index(f"1. {upcoming[0][2:]}")
    for line in reviewed:  # section I reviews last month's resolution item by item
        assert (
            lines.index("I. KẾT QUẢ THÁNG QUA")
            < lines.index(line)
            < lines.index("II. NHIỆM VỤ THÁNG TỚI")
        )

    # The month that set the first tasks: reviewed nothing, sent no recommendation ("").
    await submit_meeting(driver.sessions, org.cells["C02"], last, proposals="")
    await onboard(driver, SEC_EN, "QN-BL-LH-C01", "secretary")
    await driver.send(SEC_EN, f"/minutes {month_label(earlier)}")
    (_, minutes), (_, resolution) = driver.uploads[-2:]
    text = docx_text(minutes)
    assert "Recommendations to the higher committee: ……………………." in text  # not asked
    assert "one by one" not in text
    assert f"- Sửa đường liên thôn — comrade {names[0]} responsible" in text
    assert "- Trồng rừng — the whole cell" in text
    assert "1. Sửa đường liên thôn — comrade" in docx_text(resolution)


async def test_no_recommendation_reads_none(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=3)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    month = add_months(this_month(), -1)
    await submit_meeting(driver.sessions, org.cells["C01"], month, proposals="")
    await driver.send(SEC, f"/minutes {month_label(month)}")
    (_, minutes), (_, resolution) = driver.uploads[-2:]
    assert "Kiến nghị, đề xuất với cấp ủy cấp trên: không có." in docx_text(minutes)
    # No tasks set item by item: the main tasks text is next month's tasks, as before.
    assert "1. Thu hoạch chè vụ thu" in docx_text(resolution)
