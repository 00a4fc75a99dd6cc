"""/review_year and /reviews (issue 17): a seeded cell's year is pre-filled as the database
holds it; the proposals are saved one tap at a time (and all suggestions at once); bad input
stays with a message; the submit sends a DOCX with every member and level and an XLSX; the
review survives a restart; the committee's view flags a cap overrun on a worked example,
records the confirmation (audited) and refuses a foreign or forged button."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from domain import clock
from storage.models import (
    AttendanceMark,
    AuditEntry,
    Checkin,
    OrgUnit,
    YearReview,
    YearReviewMember,
)
from storage.orgfile import UnitRow
from storage.orgs import import_units
from tests.e2e.review_year_data import YEAR, seed_year
from tests.factories import onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, docx_text, start_driver, stop_driver, texts

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SEC = TgUser(7301, "Hà", "Vi Thị", "vi")  # secretary of C01
SUP = TgUser(7302, "Minh", "Hoàng Văn", "vi")  # supervisor of Lục Hồn (C01, C02)
FAR = TgUser(7303, "Lan", "Đinh Thị", "vi")  # supervisor of Đồng Tâm
NOW = dt.datetime(2027, 1, 8, 9, tzinfo=HCM).astimezone(dt.UTC)
LEVEL_VI = {
    "xuat_sac": "Hoàn thành xuất sắc nhiệm vụ",
    "tot": "Hoàn thành tốt nhiệm vụ",
    "hoan_thanh": "Hoàn thành nhiệm vụ",
    "khong_hoan_thanh": "Không hoàn thành nhiệm vụ",
}


def button_data(calls: list[ApiCall], label: str) -> str:
    for call in reversed(calls):
        for shown, data in call.buttons():
            if label in shown:
                return data
    raise AssertionError(f"no button {label!r} in {[c.buttons() for c in calls]}")


def alert_of(calls: list[ApiCall]) -> str:
    alerts = [
        str(c.params.get("text"))
        for c in calls
        if c.method == "answerCallbackQuery" and c.params.get("show_alert")
    ]
    assert alerts, [c.method for c in calls]
    return alerts[-1]


async def proposals(driver: Driver, cell: int) -> dict[int, tuple[str | None, str | None]]:
    async with driver.sessions() as session:
        rows = await session.execute(
            select(YearReviewMember.member_id, YearReviewMember.proposed_level,
                   YearReviewMember.confirmed_level)
            .join(YearReview, YearReview.id == YearReviewMember.review_id)
            .where(YearReview.cell_id == cell, YearReview.year == YEAR)
        )  # fmt: skip
        return {m: (p, c) for m, p, c in rows}


async def test_review_year_and_the_committees_confirmation(driver: Driver) -> None:
    fixture = driver  # the conftest's: it stops the application running at the end
    clock.set_clock(clock.FixedClock(NOW))
    org = await small_org(driver.sessions, members_per_cell=4)
    cell, other = org.cells["C01"], org.cells["C02"]
    members = await seed_year(driver.sessions, org)
    m = [x.id for x in members]
    names = [x.full_name for x in members]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")

    calls = await driver.send(SEC, "/review_year 2031")
    assert "Năm cần là một năm đã qua" in texts(calls)
    calls = await driver.send(SEC, "/review_year")  # January: the year just ended
    text = texts(calls)
    assert f"Kiểm điểm, xếp loại năm {YEAR}</b> — Chi bộ thôn Bản Pắt" in text, text
    assert "Đảng viên đã có đề xuất xếp loại: 0/4" in text
    assert "Chất lượng sinh hoạt cả năm" in text and "Tổng điểm cả năm" in text

    calls = await driver.press(SEC, f"ry:{cell}:m:{YEAR}:0")
    assert [shown for shown, d in calls[-1].buttons() if ":o:" in d] == names

    # Member 1's year as the database holds it (the 2025 absence not counted).
    async with driver.sessions() as session:
        unexcused = await session.scalar(
            select(func.count())
            .select_from(AttendanceMark)
            .join(Checkin, Checkin.id == AttendanceMark.checkin_id)
            .where(
                AttendanceMark.member_id == m[1],
                AttendanceMark.status == "unexcused",
                Checkin.month >= dt.date(YEAR, 1, 1),
                Checkin.month < dt.date(YEAR + 1, 1, 1),
            )
        )
    assert unexcused == 2
    calls = await driver.press(SEC, f"ry:{cell}:o:{YEAR}:{m[1]}")
    text = texts(calls)
    assert (
        f"Sinh hoạt: 12 buổi phải dự, có mặt 9, vắng có lý do 1, vắng không lý do {unexcused}"
    ) in text, text
    assert "Đảng phí: đã đóng 12/12 tháng có ghi nhận" in text
    assert "Được biểu dương 0 lần, bị phê bình 1 lần" in text
    assert "Nhiệm vụ được giao: 1, hoàn thành 0, chưa đạt 1" in text
    assert "Gợi ý: <b>Hoàn thành nhiệm vụ</b> — vắng sinh hoạt không lý do 2 lần" in text

    # One tap proposes (here above the suggestion); the next member without one follows.
    calls = await driver.tap(SEC, calls, LEVEL_VI["tot"])
    assert "✓ Đã lưu." in texts(calls)
    text = texts(calls)
    assert f"<b>{names[0]}</b> — năm {YEAR}" in text, text
    assert "Đường bê tông liên thôn (đã hoàn thành)" in text
    assert "Được biểu dương 2 lần" in text and "Nhiệm vụ được giao: 2, hoàn thành 2" in text
    assert "Gợi ý: <b>Hoàn thành xuất sắc nhiệm vụ</b>" in text
    assert await proposals(driver, cell) == {m[1]: ("tot", None)}
    calls = await driver.press(SEC, f"ry:{cell}:o:{YEAR}:{m[3]}")
    assert "Đảng phí: đã đóng 9/12 tháng có ghi nhận" in texts(calls)

    # Submit refuses what is missing, saying what.
    calls = await driver.press(SEC, f"ry:{cell}:s:{YEAR}")
    assert alert_of(calls) == "Còn 3 đồng chí chưa có đề xuất xếp loại."
    calls = await driver.press(SEC, f"ry:{cell}:a:{YEAR}")
    assert "✓ Đã nhận 3 mức gợi ý." in texts(calls)
    assert await proposals(driver, cell) == {
        m[0]: ("xuat_sac", None),
        m[1]: ("tot", None),
        m[2]: ("tot", None),
        m[3]: ("khong_hoan_thanh", None),
    }
    calls = await driver.press(SEC, f"ry:{cell}:s:{YEAR}")
    assert alert_of(calls) == "Đồng chí trả lời hai câu hỏi điều kiện trước khi gửi."
    calls = await driver.press(SEC, f"ry:{cell}:t:{YEAR}:1")
    calls = await driver.press(SEC, f"ry:{cell}:d:{YEAR}:0")
    assert "Hoàn thành mọi nhiệm vụ đúng hạn: Có" in texts(calls)
    assert "bị kỷ luật: Không" in texts(calls)
    # The score (about 54) does not allow "excellent"; the highest level it allows is shown.
    assert "Mức theo điểm: Hoàn thành nhiệm vụ" in texts(calls)
    assert "Chi bộ đề xuất: <b>Hoàn thành nhiệm vụ</b>" in texts(calls)
    calls = await driver.press(SEC, f"ry:{cell}:c:{YEAR}:0")
    assert alert_of(calls) == "Mức này không đề xuất được với điểm và điều kiện hiện có."

    # A note: too long is refused and the question stays; then saved.
    await driver.press(SEC, f"ry:{cell}:n:{YEAR}:0")
    calls = await driver.send(SEC, "x" * 501)
    assert "Ghi chú cần là chữ, từ 1 đến 500 ký tự" in texts(calls)
    calls = await driver.send(SEC, "Chi bộ đoàn kết, hoàn thành chỉ tiêu thu hoạch chè")
    assert "Ghi chú: Chi bộ đoàn kết" in texts(calls)

    # A restart loses nothing: a new Application on the same database shows the review.
    await stop_driver(driver)
    driver = await start_driver(driver.settings, driver.sessions)
    fixture.app, fixture.request = driver.app, driver.request
    files = driver.uploads
    calls = await driver.send(SEC, "/review_year 2026")
    assert "Đảng viên đã có đề xuất xếp loại: 4/4" in texts(calls)

    calls = await driver.press(SEC, f"ry:{cell}:s:{YEAR}")
    assert "✓ Đã gửi cấp ủy." in texts(calls)
    async with driver.sessions() as session:
        review = await session.scalar(select(YearReview).where(YearReview.cell_id == cell))
        assert review is not None
        assert (review.status, review.tasks_on_time, review.leader_disciplined) == (
            "submitted",
            True,
            False,
        )
        assert review.proposed_level is not None and review.submitted_at is not None
    c01_level = review.proposed_level
    assert c01_level == "hoan_thanh"  # the highest level a year total of about 54 allows
    assert f"Chi bộ đề xuất: <b>{LEVEL_VI[c01_level]}</b>" in texts(calls)
    documents = [c for c in driver.calls if c.method == "sendDocument"]
    assert len(documents) == 2, [c.method for c in driver.calls]
    docx = next(content for name, content in files if name.endswith(".docx"))
    text = docx_text(docx)
    assert f"Năm {YEAR}" in text and "BÁO CÁO KIỂM ĐIỂM" in text
    levels = {m[0]: "xuat_sac", m[1]: "tot", m[2]: "tot", m[3]: "khong_hoan_thanh"}
    doc = Document(io.BytesIO(docx))
    member_rows = [[c.text for c in row.cells] for row in doc.tables[1].rows[1:]]
    assert [(r[1], r[3]) for r in member_rows] == [
        (names[i], LEVEL_VI[levels[m[i]]]) for i in range(4)
    ]
    assert f"Chi bộ đề xuất xếp loại: {LEVEL_VI[c01_level]}" in text
    xlsx = next(content for name, content in files if name.endswith(".xlsx"))
    sheet = load_workbook(io.BytesIO(xlsx), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert [(r[0], r[1], r[2], r[4], r[13]) for r in rows[2:]] == [
        (names[0], 12, 12, 0, LEVEL_VI["xuat_sac"]),
        (names[1], 12, 9, 2, LEVEL_VI["tot"]),
        (names[2], 12, 11, 0, LEVEL_VI["tot"]),
        (names[3], 12, 12, 0, LEVEL_VI["khong_hoan_thanh"]),
    ]
    # Submitted: the cell changes nothing more.
    calls = await driver.press(SEC, f"ry:{cell}:l:{YEAR}:{m[2]}:0")
    assert alert_of(calls) == "Bản kiểm điểm năm này đã gửi cấp ủy, không sửa được nữa."
    assert (await proposals(driver, cell))[m[2]] == ("tot", None)

    # The committee's worked example: Lục Hồn's village cells propose 2 excellent (C02 93,
    # C07 91) and 4 good (C03–C06) beside C01: at most 1 excellent may stand (1 ≤ 20 % of
    # 4 + 2 − 1 good), so C07, the lower score, goes beyond the cap by one.
    extra = {f"C0{i}": f"Chi bộ thôn số {i}" for i in range(3, 8)}
    async with driver.sessions.begin() as session:
        await import_units(
            session,
            [UnitRow(10 + i, f"QN-BL-LH-{code}", name, "cell", "QN-BL-LH") for i, (code, name)
             in enumerate(extra.items())],
        )  # fmt: skip
        ids = {
            code: unit_id
            for code, unit_id in await session.execute(select(OrgUnit.code, OrgUnit.id))
        }
        proposed = [(other, 93.0, "xuat_sac"), (ids["QN-BL-LH-C07"], 91.0, "xuat_sac")]
        proposed += [(ids[f"QN-BL-LH-C0{i}"], 80.0, "tot") for i in range(3, 7)]
        for cell_id, score, level in proposed:
            session.add(
                YearReview(
                    cell_id=cell_id, year=YEAR, status="submitted", score=score,
                    proposed_level=level, tasks_on_time=True, leader_disciplined=False,
                )
            )  # fmt: skip
        await session.flush()
        c07_id = await session.scalar(
            select(YearReview.id).where(YearReview.cell_id == ids["QN-BL-LH-C07"])
        )
    await onboard(driver, SUP, "QN-BL-LH", "supervisor")
    await onboard(driver, FAR, "QN-BL-DT", "supervisor")
    lh = org.grassroots["LH"]
    calls = await driver.send(SUP, f"/reviews {YEAR}")
    text = texts(calls)
    assert "Đảng bộ xã Lục Hồn: 7 chi bộ đã gửi đề xuất" in text, text
    assert "Chi bộ thôn Khe Tiền: 93 điểm — đề xuất Hoàn thành xuất sắc nhiệm vụ" in text
    assert "2 đề xuất, tối đa 1" in text and "4 chi bộ đề xuất hoàn thành tốt" in text, text
    assert "vượt 1: Chi bộ thôn số 7 (điểm thấp nhất trước)" in text, text

    calls = await driver.press(SUP, f"rc:c:{c07_id}:{lh}")
    calls = await driver.tap(SUP, calls, LEVEL_VI["tot"])
    assert "cấp ủy: <b>Hoàn thành tốt nhiệm vụ</b>" in texts(calls)
    calls = await driver.send(SUP, f"/reviews {YEAR}")
    assert "vượt" not in texts(calls) and "cấp ủy: <b>Hoàn thành tốt nhiệm vụ</b>" in texts(calls)

    async with driver.sessions() as session:
        c01_id = await session.scalar(select(YearReview.id).where(YearReview.cell_id == cell))
    calls = await driver.press(SUP, f"rc:c:{c01_id}:{lh}")
    assert "⚠ Đảng viên hoàn thành xuất sắc: 1, tối đa 0" in texts(calls)  # 2 good, 1 excellent
    calls = await driver.press(SUP, f"rc:a:{c01_id}:{lh}")
    assert "✓ Đã quyết định mức của 4 đảng viên." in texts(calls)
    calls = await driver.press(SUP, f"rc:x:{c01_id}:{lh}:{m[0]}:1")
    assert "Cấp ủy: <b>Hoàn thành tốt nhiệm vụ</b>" in texts(calls)
    calls = await driver.press(SUP, f"rc:c:{c01_id}:{lh}")
    assert "Đảng viên hoàn thành xuất sắc: 0, trong mức tối đa 0" in texts(calls)
    assert await proposals(driver, cell) == {
        m[0]: ("xuat_sac", "tot"),
        m[1]: ("tot", "tot"),
        m[2]: ("tot", "tot"),
        m[3]: ("khong_hoan_thanh", "khong_hoan_thanh"),
    }
    async with driver.sessions() as session:
        confirmed = await session.scalar(select(YearReview).where(YearReview.id == c07_id))
        assert confirmed is not None and confirmed.confirmed_level == "tot"
        audits = (
            await session.execute(
                select(AuditEntry.entity, AuditEntry.action, AuditEntry.after).where(
                    AuditEntry.action == "confirm"
                )
            )
        ).all()
    assert ("year_review", "confirm", {"level": "tot"}) in audits
    assert ("year_review_member", "confirm", {"member": m[0], "level": "tot"}) in audits
    assert len(audits) == 1 + 4 + 1

    # /export carries the final list: each cell's line, then its members'.
    await driver.send(SUP, f"/export {YEAR}")
    book = load_workbook(io.BytesIO(files[-1][1]), read_only=True)
    assert book.sheetnames[-1] == "Xếp loại năm"
    final = [
        (*r, None, None)[1:5] for r in book["Xếp loại năm"].iter_rows(min_row=2, values_only=True)
    ]
    c01_cell = LEVEL_VI[c01_level]
    assert final == [
        ("Chi bộ thôn Bản Pắt", "(cả chi bộ)", c01_cell, None),
        ("Chi bộ thôn Bản Pắt", names[0], LEVEL_VI["xuat_sac"], LEVEL_VI["tot"]),
        ("Chi bộ thôn Bản Pắt", names[1], LEVEL_VI["tot"], LEVEL_VI["tot"]),
        ("Chi bộ thôn Bản Pắt", names[2], LEVEL_VI["tot"], LEVEL_VI["tot"]),
        ("Chi bộ thôn Bản Pắt", names[3], *[LEVEL_VI["khong_hoan_thanh"]] * 2),
        ("Chi bộ thôn Khe Tiền", "(cả chi bộ)", LEVEL_VI["xuat_sac"], None),
        *[(f"Chi bộ thôn số {i}", "(cả chi bộ)", LEVEL_VI["tot"], None) for i in range(3, 7)],
        ("Chi bộ thôn số 7", "(cả chi bộ)", LEVEL_VI["xuat_sac"], LEVEL_VI["tot"]),
    ]

    # Another committee's supervisor, or forged ids, are refused and change nothing.
    dt_unit = org.grassroots["DT"]
    for who, forged in (
        (FAR, f"rc:c:{c01_id}:{dt_unit}"),
        (FAR, f"rc:k:{c01_id}:{lh}:0"),
        (SUP, f"rc:k:{c01_id}:{lh}:9"),
        (SUP, f"rc:u:{dt_unit}:{YEAR}"),
        (SEC, f"rc:k:{c01_id}:{lh}:0"),
    ):
        calls = await driver.press(who, forged)
        assert alert_of(calls) == "Nút này không còn hiệu lực. Hãy gõ lại lệnh.", forged
    async with driver.sessions() as session:
        c01 = await session.get(YearReview, c01_id)
        assert c01 is not None and c01.confirmed_level is None
