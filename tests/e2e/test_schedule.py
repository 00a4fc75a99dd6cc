"""/schedule with buttons: regular rules, unit defaults, moving and cancelling a month."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain import clock
from storage.models import AuditEntry, MeetingOverride, MeetingSchedule, OutboxMessage
from tests.factories import onboard, small_org
from tests.harness import Driver, TgUser, all_buttons, texts

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SEC = TgUser(4001, "Hà", "Vi Thị", "en")
OTHER = TgUser(4002, "Nam", "Lục Văn", "en")
SUP = TgUser(4003, "Minh", "Trần Văn", "vi")
NOW = dt.datetime(2026, 4, 1, 9, tzinfo=HCM).astimezone(dt.UTC)


def fix_clock(driver: Driver, now: dt.datetime = NOW) -> None:
    """Stop the process clock at `now` (conftest puts the run's clock back after each test)."""
    clock.set_clock(clock.FixedClock(now))


async def outbox(driver: Driver, cell_id: int, status: str = "pending") -> list[OutboxMessage]:
    async with driver.sessions() as session:
        return list(
            (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.cell_id == cell_id, OutboxMessage.status == status)
                    .order_by(OutboxMessage.due_at)
                )
            ).all()
        )


async def test_secretary_sets_a_last_weekday_rule_with_buttons(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=1)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    fix_clock(driver)
    calls = await driver.send(SEC, "/schedule")
    assert "No regular meeting schedule yet" in texts(calls)
    calls = await driver.tap(SEC, calls, "Set the regular schedule")
    calls = await driver.tap(SEC, calls, "A weekday")
    calls = await driver.tap(SEC, calls, "last")
    calls = await driver.tap(SEC, calls, "Friday")
    calls = await driver.tap(SEC, calls, "19")
    calls = await driver.tap(SEC, calls, "19:30")
    text = texts(calls)
    assert "Schedule saved: The last Friday of every month at 19:30" in text
    assert "19:30 24/04/2026" in text and "19:30 29/05/2026" in text  # next meetings
    async with driver.sessions() as session:
        rule = await session.scalar(
            select(MeetingSchedule).where(MeetingSchedule.unit_id == org.cells["C01"])
        )
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.entity == "meeting_schedule")
        )
    assert rule is not None and (rule.rule_kind, rule.nth, rule.weekday, rule.start_time) == (
        "weekday",
        -1,
        4,
        "19:30",
    )
    assert audit is not None and audit.after and audit.after["start_time"] == "19:30"
    planned = [r for r in await outbox(driver, org.cells["C01"]) if r.payload["month"] == "2026-04"]
    assert planned and planned[0].kind == "premeeting"
    assert planned[0].due_at == dt.datetime(2026, 4, 21, 8, tzinfo=HCM).astimezone(dt.UTC)


async def test_supervisor_default_is_inherited_until_the_cell_sets_its_own(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=1)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, SUP, "QN-BL-LH", "supervisor")
    fix_clock(driver)
    lh = org.grassroots["LH"]
    for data in (f"sc:set:{lh}", f"sc:kd:{lh}", f"sc:r:{lh}:d5", f"sc:h:{lh}:d5:8"):
        await driver.press(SUP, data)
    calls = await driver.press(SUP, f"sc:save:{lh}:d5:0800")
    assert "Đã lưu lịch: Ngày 5 hằng tháng, lúc 08:00" in texts(calls)
    calls = await driver.send(SEC, "/schedule")
    assert "Day 5 of every month at 08:00 (the default of Đảng bộ xã Lục Hồn)" in texts(calls)
    assert await outbox(driver, org.cells["C01"])  # cells below are planned at once
    # The cell's own rule wins; "use the default" brings it back.
    await driver.press(SEC, f"sc:save:{org.cells['C01']}:d-1:1400")
    calls = await driver.send(SEC, "/schedule")
    assert "The last day of every month at 14:00 (the cell's own schedule)" in texts(calls)
    calls = await driver.tap(SEC, calls, "Use the parent unit's default")
    assert "(the default of Đảng bộ xã Lục Hồn)" in texts(calls)


async def test_move_and_cancel_this_months_meeting(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=1)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    fix_clock(driver)
    cell = org.cells["C01"]
    await driver.press(SEC, f"sc:save:{cell}:d10:1930")
    fix_clock(driver, NOW + dt.timedelta(days=4))  # 5 April
    before = {r.dedup_key for r in await outbox(driver, cell)}
    calls = await driver.send(SEC, "/schedule")
    calls = await driver.tap(SEC, calls, "Move the 04/2026 meeting")
    days = [b[0] for b in all_buttons(calls)]
    assert "4" not in days and "5" in days and "30" in days  # past days are not offered
    calls = await driver.tap(SEC, calls, "15")
    calls = await driver.tap(SEC, calls, "09")
    calls = await driver.tap(SEC, calls, "09:00")
    assert "The 04/2026 meeting moved to 09:00 15/04/2026" in texts(calls)
    cancelled = {r.dedup_key for r in await outbox(driver, cell, "cancelled")}
    assert {k for k in before if ":20260410" in k} <= cancelled
    soon = [r for r in await outbox(driver, cell) if r.kind == "meeting_soon"]
    assert soon[0].due_at == dt.datetime(2026, 4, 15, 7, tzinfo=HCM).astimezone(dt.UTC)
    # Cancel it, with a typed reason (validated).
    calls = await driver.send(SEC, "/schedule")
    calls = await driver.tap(SEC, calls, "Cancel the 04/2026 meeting")
    assert "Why is the 04/2026 meeting cancelled" in texts(calls)
    assert "3 to 200 characters" in texts(await driver.send(SEC, "x"))
    calls = await driver.send(SEC, "Bão số 3 <lớn>")
    assert "recorded as cancelled: Bão số 3 &lt;lớn&gt;" in texts(calls)
    assert not [r for r in await outbox(driver, cell) if r.payload["month"] == "2026-04"]
    async with driver.sessions() as session:
        override = await session.scalar(
            select(MeetingOverride).where(MeetingOverride.cell_id == cell)
        )
    assert override is not None and override.cancelled and override.moved_to is None
    calls = await driver.send(SEC, "/schedule")
    assert "04/2026: meeting cancelled — Bão số 3 &lt;lớn&gt;" in texts(calls)
    calls = await driver.tap(SEC, calls, "Back to the regular date for 04/2026")
    assert [r for r in await outbox(driver, cell) if r.payload["month"] == "2026-04"]


async def test_forged_schedule_callbacks_are_refused(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=1)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, OTHER, "QN-BL-LH-C02", "secretary")
    fix_clock(driver)
    mine, theirs = org.cells["C01"], org.cells["C02"]
    for data in (
        f"sc:save:{theirs}:d5:0800",
        f"sc:show:{theirs}",
        f"sc:mv:{theirs}:2026-04",
        f"sc:save:{org.grassroots['LH']}:d5:0800",  # a secretary is no supervisor
        f"sc:save:{mine}:d40:0800",
        f"sc:save:{mine}:w5.1:0800",
        f"sc:save:{mine}:d5:2300",
        f"sc:mvs:{mine}:2026-04:31:0900",  # April has 30 days (and no rule yet)
        f"sc:mv:{mine}:2025-01",
        "sc:save:x:y",
        "sc",
    ):
        calls = await driver.press(SEC, data)
        text = texts(calls)
        assert "no longer active" in text or "Set the regular schedule first" in text, data
    async with driver.sessions() as session:
        assert not (await session.scalars(select(MeetingSchedule))).all()
