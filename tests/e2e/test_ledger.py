"""The member ledger end to end on a seeded year of Lục Hồn's C01 (submitted, held meetings
from December 2025 to November 2026, per-member absences and dues rows as the submit writes
them): exactly the warned members in /members and in the pre-meeting brief, the member card's
twelve months, the admission date and dues amount typed on the card (bad input stays), the
probation reminder planned once, and the conversion to official."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain import clock
from domain.periods import add_months
from schedules.dispatcher import DispatchConfig, dispatch_due
from schedules.plan_service import plan_all
from storage.db import SessionFactory
from storage.models import AuditEntry, Member, MemberDues, OutboxMessage
from tests.e2e.meeting_data import add_submitted
from tests.factories import Org, members_of, onboard, small_org
from tests.harness import Driver, TgUser, all_buttons, texts

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SEC = TgUser(6301, "Hà", "Vi Thị", "vi")
SEC_EN = TgUser(6302, "Nam", "Lục Văn", "en")
FIRST = dt.date(2025, 12, 1)
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=HCM)
UNPAID = {1: (dt.date(2026, 3, 1), dt.date(2026, 7, 1)), 3: (dt.date(2026, 5, 1),)}
EXCUSED = {2: (dt.date(2026, 4, 1), dt.date(2026, 5, 1), dt.date(2026, 6, 1))}
UNEXCUSED = {3: (dt.date(2026, 8, 1),), 4: (dt.date(2026, 2, 1),)}


async def submit_month(
    sessions: SessionFactory, cell_id: int, month: dt.date, members: list[Member]
) -> None:
    """A held regular meeting of `month`: absences from EXCUSED/UNEXCUSED, dues rows from
    UNPAID (everyone expected except the exempt member)."""
    expected = [m for m in members if m.status != "exempt"]
    absences = {
        members[i].id: kind
        for kind, table in (("excused", EXCUSED), ("unexcused", UNEXCUSED))
        for i, months in table.items()
        if month in months
    }
    async with sessions.begin() as session:
        values = {
            "official_members": len(expected),
            "expected_ids": [m.id for m in expected],
            "absences": absences,
            "dues_status": "some",
            "dues_paid": len(expected) - sum(month in v for v in UNPAID.values()),
        }
        checkin, _ = await add_submitted(session, cell_id, month, values)
        for i, member in enumerate(members):
            if member.status == "exempt":
                continue
            paid = month not in UNPAID.get(i, ())
            session.add(
                MemberDues(checkin_id=checkin.id, member_id=member.id, month=month, paid=paid)
            )


async def seed(driver: Driver) -> tuple[Org, list[Member]]:
    """Six members: B1 unpaid in March and July (2 months), C2 absent with a reason in April,
    May and June (3 in a row), D3 one absence without reason and one unpaid month (no
    warning), E4 one absence without reason, F5 probationary."""
    org = await small_org(driver.sessions, members_per_cell=6)
    cell = org.cells["C01"]
    clock.set_clock(clock.FixedClock(NOW.astimezone(dt.UTC)))
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, SEC_EN, "QN-BL-LH-C02", "secretary")
    await driver.press(SEC, f"sc:save:{cell}:d10:1930")
    members = await members_of(driver.sessions, cell)
    async with driver.sessions.begin() as session:
        probationary = await session.get(Member, members[5].id)
        assert probationary is not None
        probationary.status = "probationary"
    members = await members_of(driver.sessions, cell)
    for i in range(12):
        await submit_month(driver.sessions, cell, add_months(FIRST, i), members)
    return org, members


async def test_warnings_show_in_members_the_card_and_the_brief(driver: Driver) -> None:
    org, m = await seed(driver)
    cell = org.cells["C01"]
    calls = await driver.send(SEC, "/members")
    text = texts(calls)
    assert "⚠️ <b>2 đảng viên cần lưu ý</b> (12 tháng gần đây):" in text, text
    warned = [line for line in text.splitlines() if line.startswith("⚠️ ") and "<b>" not in line]
    assert warned == [
        f"⚠️ {m[1].full_name}: chưa đóng đảng phí 2/12 tháng",
        f"⚠️ {m[2].full_name}: vắng có lý do 3 lần liền",
    ]
    flagged = sorted(label for label, _ in all_buttons(calls) if label.startswith("⚠️"))
    assert flagged == sorted([f"⚠️ {m[1].full_name}", f"⚠️ {m[2].full_name}"])

    # B1's card: twelve months, newest first, the two unpaid months and the warning.
    calls = await driver.press(SEC, f"m:show:{cell}:{m[1].id}")
    text = texts(calls)
    months = [line for line in text.splitlines() if line[:2].isdigit() and "/20" in line[:8]]
    assert (
        len(months) == 12 and months[0].startswith("11/2026") and months[-1].startswith("12/2025")
    )
    assert "03/2026: có mặt · chưa đóng" in months and "07/2026: có mặt · chưa đóng" in months
    assert sum("chưa đóng" in line for line in months) == 2
    assert "⚠️ <b>Cần lưu ý</b>: chưa đóng đảng phí 2/12 tháng" in text
    # C2's card: the three excused months; E4's one absence without reason: no warning.
    text = texts(await driver.press(SEC, f"m:show:{cell}:{m[2].id}"))
    assert "05/2026: vắng có lý do · đã đóng" in text and "vắng có lý do 3 lần liền" in text
    text = texts(await driver.press(SEC, f"m:show:{cell}:{m[4].id}"))
    assert "02/2026: vắng không có lý do · đã đóng" in text and "Cần lưu ý" not in text

    # The brief before the December meeting: both, and no "dues not recorded" note.
    text = texts(await driver.send(SEC, "/brief"))
    lines = text.splitlines()
    start = lines.index("<b>Đảng viên cần lưu ý</b>")
    assert lines[start + 1 : start + 3] == [
        f"• {m[1].full_name}: chưa đóng đảng phí 2/12 tháng",
        f"• {m[2].full_name}: vắng có lý do 3 lần liền",
    ], text
    assert not lines[start + 3].startswith("• ")
    assert "chưa ghi theo từng đảng viên" not in text


async def test_card_dates_dues_probation_reminder_once_and_conversion(driver: Driver) -> None:
    org, m = await seed(driver)
    cell = org.cells["C01"]
    f5 = m[5]
    calls = await driver.press(SEC, f"m:show:{cell}:{f5.id}")
    assert "Ngày vào Đảng: chưa ghi" in texts(calls)
    calls = await driver.tap(SEC, calls, "Ngày vào Đảng")
    assert "dạng ngày/tháng/năm" in texts(calls)
    assert "Chưa đọc được ngày" in texts(await driver.send(SEC, "hôm qua"))
    assert "không có trên lịch" in texts(await driver.send(SEC, "31/02/2026"))
    assert "chưa tới" in texts(await driver.send(SEC, "01/01/2027"))
    # Admitted 15/12/2025: the probation ends on 15/12/2026, 25 days after "today".
    calls = await driver.send(SEC, "15/12/2025")
    text = texts(calls)
    assert "✓ Đã ghi ngày vào Đảng." in text
    assert "Ngày vào Đảng: 15/12/2025" in text and "Hết thời gian dự bị: 15/12/2026" in text

    # The monthly dues amount: a bad one stays, then 30k, then "no amount".
    calls = await driver.tap(SEC, calls, "Mức đảng phí")
    assert "Chưa đọc được số tiền" in texts(await driver.send(SEC, "ba chục"))
    assert "lớn hơn 0" in texts(await driver.send(SEC, "0"))
    calls = await driver.send(SEC, "30k")
    assert "Đảng phí hằng tháng: 30.000 đồng" in texts(calls)
    calls = await driver.tap(SEC, calls, "Mức đảng phí")
    calls = await driver.tap(SEC, calls, "Không ghi số tiền")
    assert "Đảng phí hằng tháng: chưa ghi số tiền" in texts(calls)

    # The planner, twice: one probation reminder for the secretary.
    for _ in range(2):
        await plan_all(driver.sessions, clock.now(), driver.settings)
    async with driver.sessions() as session:
        rows = list(
            (
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.kind == "probation")
                )
            ).all()
        )
    assert len(rows) == 1, [r.dedup_key for r in rows]
    (row,) = rows
    assert row.status == "pending" and row.cell_id == cell
    assert row.payload["values"]["date"] == "15/12/2026"
    assert row.payload["values"]["name"] == f5.full_name
    assert row.due_at == dt.datetime(2026, 11, 15, 8, 0, tzinfo=HCM)
    config = DispatchConfig(default_language="vi", default_tz=HCM)
    await dispatch_due(driver.app, driver.sessions, clock.now(), config=config)
    sent = texts(driver.replies(SEC)[-1:])
    assert "hết thời gian dự bị ngày 15/12/2026" in sent
    assert "chuẩn bị thủ tục chuyển đảng chính thức" in sent
    await plan_all(driver.sessions, clock.now(), driver.settings)
    async with driver.sessions() as session:
        keys = (
            await session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.kind == "probation")
            )
        ).all()
    assert list(keys) == ["sent"]  # sent once, not planned again

    # "Chuyển chính thức": today, audited; the card shows the day.
    calls = await driver.press(SEC, f"m:show:{cell}:{f5.id}")
    calls = await driver.tap(SEC, calls, "Chuyển chính thức")
    calls = await driver.tap(SEC, calls, "Hôm nay")
    text = texts(calls)
    assert "Ngày chính thức: 20/11/2026" in text and "Trạng thái: Chính thức" in text
    assert "Hết thời gian dự bị" not in text
    async with driver.sessions() as session:
        member = await session.get(Member, f5.id)
        assert member is not None
        assert (member.status, member.official_on) == ("official", dt.date(2026, 11, 20))
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.entity == "member", AuditEntry.entity_id == f5.id
                )
            )
        ).all()
    assert {"admitted_on", "monthly_dues", "official"} <= set(actions)


async def test_another_cells_secretary_cannot_open_the_card(driver: Driver) -> None:
    org, m = await seed(driver)
    calls = await driver.press(SEC_EN, f"m:adm:{org.cells['C01']}:{m[5].id}")
    assert all(c.method == "answerCallbackQuery" for c in calls)
    async with driver.sessions() as session:
        member = await session.get(Member, m[5].id)
        assert member is not None and member.admitted_on is None


async def test_conversion_stops_a_pending_probation_reminder(driver: Driver) -> None:
    org, m = await seed(driver)
    cell = org.cells["C01"]
    async with driver.sessions.begin() as session:
        member = await session.get(Member, m[5].id)
        assert member is not None
        member.admitted_on = dt.date(2025, 12, 30)  # ends 30/12/2026: reminded 30/11
    await plan_all(driver.sessions, clock.now(), driver.settings)
    async with driver.sessions() as session:
        row = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "probation"))
        ).one()
    assert row.status == "pending" and row.due_at == dt.datetime(2026, 11, 30, 8, tzinfo=HCM)
    calls = await driver.press(SEC, f"m:off:{cell}:{m[5].id}")
    assert "Chuyển đồng chí <b>" in texts(calls)
    calls = await driver.send(SEC, "18/11/2026")
    assert "Ngày chính thức: 18/11/2026" in texts(calls)
    async with driver.sessions() as session:
        status = await session.scalar(
            select(OutboxMessage.status).where(OutboxMessage.id == row.id)
        )
    assert status == "cancelled"
