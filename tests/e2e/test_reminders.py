"""/reminders, muting, and the buttons on a delivered reminder (snooze, tomorrow, moved)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from schedules.dispatcher import DispatchConfig, dispatch_due
from storage.models import OutboxMessage
from tests.e2e.test_schedule import fix_clock, outbox
from tests.factories import onboard, small_org
from tests.harness import Driver, TgUser, all_buttons, texts

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SEC = TgUser(5001, "Hà", "Vi Thị", "en")
OTHER = TgUser(5002, "Nam", "Lục Văn", "en")
CONFIG = DispatchConfig(default_language="vi", default_tz=HCM)


def local(d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(2026, 4, d, h, mi, tzinfo=HCM).astimezone(dt.UTC)


async def setup(driver: Driver) -> int:
    org = await small_org(driver.sessions, members_per_cell=1)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, OTHER, "QN-BL-LH-C02", "secretary")
    fix_clock(driver, local(1, 9))
    await driver.press(SEC, f"sc:save:{org.cells['C01']}:d10:1930")
    return org.cells["C01"]


async def test_reminders_lists_upcoming_and_mutes_optional_kinds(driver: Driver) -> None:
    cell = await setup(driver)
    calls = await driver.send(SEC, "/reminders")
    text = texts(calls)
    assert "Upcoming reminders — Chi bộ thôn Bản Pắt" in text
    assert "• 08:00 07/04/2026 — Executive committee (3 days before)" in text
    toggles = [b for b in all_buttons(calls) if b[1].startswith("rm:mute:")]
    assert len(toggles) == 6 and not any(b[1].endswith(":checkin") for b in toggles)
    calls = await driver.tap(SEC, calls, "Executive committee")
    assert "Turned off" in texts(calls) and "🔕 Executive committee" in str(all_buttons(calls))
    assert not [r for r in await outbox(driver, cell) if r.kind == "premeeting"]
    calls = await driver.press(SEC, f"rm:mute:{cell}:checkin")  # forged: cannot be muted
    assert "no longer active" in texts(calls)
    await driver.press(SEC, f"rm:mute:{cell}:premeeting")
    assert [r for r in await outbox(driver, cell) if r.kind == "premeeting"]  # revived


async def test_snooze_and_tomorrow_morning_on_a_delivered_reminder(driver: Driver) -> None:
    cell = await setup(driver)
    await dispatch_due(driver.app, driver.sessions, local(7, 8), config=CONFIG)
    driver.request.calls.clear()
    await dispatch_due(driver.app, driver.sessions, local(9, 18), config=CONFIG)
    (reminder,) = [c for c in driver.request.calls if c.method == "sendMessage"]
    assert "Cell meeting tomorrow" in reminder.text
    (row,) = [r for r in await outbox(driver, cell, "sent") if r.kind == "meeting_eve"]
    fix_clock(driver, local(9, 18, 5))
    calls = await driver.tap(SEC, [reminder], "Snooze 1 hour")
    assert "remind you again at 19:05 09/04/2026" in texts(calls)
    assert any(c.method == "editMessageReplyMarkup" for c in calls)
    # Someone else cannot snooze my reminder.
    assert "no longer active" in texts(await driver.press(OTHER, f"rm:sn:{row.id}"))
    calls = await driver.tap(SEC, [reminder], "Tomorrow morning")
    assert "08:00 10/04/2026" in texts(calls)
    async with driver.sessions() as session:
        snoozed = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.dedup_key.startswith("snz:"))
                .order_by(OutboxMessage.due_at)
            )
        ).all()
    assert [(s.due_at, s.kind, s.chat_id) for s in snoozed] == [
        (local(9, 19, 5), "meeting_eve", SEC.id),
        (local(10, 8), "meeting_eve", SEC.id),
    ]
    driver.request.calls.clear()
    report = await dispatch_due(driver.app, driver.sessions, local(9, 19, 5), config=CONFIG)
    assert report.sent == 1 and "Cell meeting tomorrow" in texts(driver.request.calls)
    # "2 hours before": tomorrow morning is after the meeting, so it is refused as useless.
    await dispatch_due(driver.app, driver.sessions, local(10, 17, 30), config=CONFIG)
    (soon,) = [r for r in await outbox(driver, cell, "sent") if r.kind == "meeting_soon"]
    fix_clock(driver, local(10, 17, 35))
    assert "no longer useful" in texts(await driver.press(SEC, f"rm:tm:{soon.id}"))


async def test_snooze_in_the_evening_waits_for_the_morning(driver: Driver) -> None:
    cell = await setup(driver)
    await dispatch_due(driver.app, driver.sessions, local(11, 7), config=CONFIG)
    (row,) = [r for r in await outbox(driver, cell, "sent") if r.kind == "checkin"]
    fix_clock(driver, local(11, 20, 30))
    calls = await driver.press(SEC, f"rm:sn:{row.id}")
    assert "07:00 12/04/2026" in texts(calls)  # 21:30 is in quiet hours
    calls = await driver.press(SEC, f"rm:tm:{row.id}")
    assert "08:00 12/04/2026" in texts(calls)


async def test_meeting_moved_button_opens_the_move_flow(driver: Driver) -> None:
    cell = await setup(driver)
    await dispatch_due(driver.app, driver.sessions, local(9, 18), config=CONFIG)
    calls = await driver.press(SEC, f"rm:mv:{cell}:2026-04")
    assert "Move the 04/2026 meeting to which day?" in texts(calls)
    assert f"sc:mvd:{cell}:2026-04:30" in [b[1] for b in all_buttons(calls)]
    assert "no longer active" in texts(await driver.press(OTHER, f"rm:mv:{cell}:2026-04"))
