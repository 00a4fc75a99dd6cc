"""/thematic: a topic (typed) and a presenter (tapped from the roster) for each quarter of the
year, shown, edited and cleared; bad input is refused and the question stays; forged buttons
are refused."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain import clock
from storage.models import AuditEntry, Checkin, Member, ThematicPlan
from tests.factories import onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, texts

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SEC = TgUser(6201, "Hà", "Vi Thị", "vi")  # secretary of C01
OTHER = TgUser(6202, "Lan", "Hoàng Thị", "en")  # secretary of C02, in English
NOW = dt.datetime(2026, 5, 4, 9, tzinfo=HCM).astimezone(dt.UTC)


def data_of(calls: list[ApiCall], label: str) -> str:
    for call in reversed(calls):
        for shown, data in call.buttons():
            if label in shown:
                return data
    raise AssertionError(f"no button {label!r} in {[c.buttons() for c in calls]}")


async def plans(driver: Driver) -> list[tuple[int, int, int, str | None, int | None]]:
    async with driver.sessions() as session:
        rows = await session.scalars(select(ThematicPlan).order_by(ThematicPlan.id))
        return [(p.cell_id, p.year, p.quarter, p.topic, p.presenter_member_id) for p in rows]


async def test_plan_a_quarter_show_edit_and_clear(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    cell = org.cells["C01"]
    clock.set_clock(clock.FixedClock(NOW))
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    async with driver.sessions.begin() as session:  # a combined meeting held in February
        session.add(
            Checkin(
                cell_id=cell,
                month=dt.date(2026, 2, 1),
                status="submitted",
                held=True,
                meeting_type="combined",
            )
        )
        members = list(
            (
                await session.scalars(
                    select(Member).where(Member.cell_id == cell).order_by(Member.sort_key)
                )
            ).all()
        )

    calls = await driver.send(SEC, "/thematic")
    text = texts(calls)
    assert "<b>Kế hoạch sinh hoạt chuyên đề năm 2026</b> — Chi bộ thôn Bản Pắt" in text
    assert "<b>Quý I/2026</b>: chưa có kế hoạch ✓ đã tổ chức" in text, text
    assert "<b>Quý III/2026</b>: chưa có kế hoạch\n" in text
    assert [d for _t, d in calls[-1].buttons()] == [f"tp:{cell}:q:2026:{q}" for q in (1, 2, 3, 4)]

    calls = await driver.press(SEC, f"tp:{cell}:q:2026:3")
    assert "Chủ đề: chưa có" in texts(calls)
    calls = await driver.press(SEC, data_of(calls, "Chủ đề"))
    assert "gõ chủ đề sinh hoạt chuyên đề quý III/2026" in texts(calls)
    for bad in ("ab", "x" * 201, "Dòng một\nDòng hai"):
        calls = await driver.send(SEC, bad)
        assert "Chủ đề cần là một dòng chữ, từ 3 đến 200 ký tự" in texts(calls), bad
    calls = await driver.send_photo(SEC)
    assert "Chủ đề cần là một dòng chữ" in texts(calls)
    assert await plans(driver) == []
    calls = await driver.send(SEC, "  Chuyển đổi số   ở thôn ")
    assert "✓ Đã lưu." in texts(calls) and "Chủ đề: Chuyển đổi số ở thôn" in texts(calls)
    assert await plans(driver) == [(cell, 2026, 3, "Chuyển đổi số ở thôn", None)]
    calls = await driver.send(SEC, "Một chủ đề khác")  # the question is over: not taken
    assert await plans(driver) == [(cell, 2026, 3, "Chuyển đổi số ở thôn", None)]

    calls = await driver.press(SEC, f"tp:{cell}:p:2026:3:0")
    names = [shown for shown, data in calls[-1].buttons() if f"tp:{cell}:s:" in data]
    assert names == [m.full_name for m in members[:8]]
    assert ("▶", f"tp:{cell}:p:2026:3:1") in calls[-1].buttons()
    calls = await driver.press(SEC, f"tp:{cell}:p:2026:3:1")
    presenter = members[9]
    calls = await driver.press(SEC, data_of(calls, presenter.full_name))
    assert f"Đồng chí trình bày: {presenter.full_name}" in texts(calls)
    assert await plans(driver) == [(cell, 2026, 3, "Chuyển đổi số ở thôn", presenter.id)]

    # Edit the topic; the year shows the plan.
    await driver.press(SEC, f"tp:{cell}:t:2026:3")
    await driver.send(SEC, "Bảo vệ rừng đầu nguồn")
    calls = await driver.send(SEC, "/thematic")
    assert (
        f"<b>Quý III/2026</b>: Bảo vệ rừng đầu nguồn — đồng chí {presenter.full_name} trình bày"
    ) in texts(calls)

    # Forged: another cell's member, a year far away, a fifth quarter, another cell.
    async with driver.sessions() as session:
        foreign = await session.scalar(
            select(Member.id).where(Member.cell_id == org.cells["C02"]).limit(1)
        )
    await onboard(driver, OTHER, "QN-BL-LH-C02", "secretary")
    for who, forged in (
        (SEC, f"tp:{cell}:s:2026:3:{foreign}"),
        (SEC, f"tp:{cell}:q:2031:1"),
        (SEC, f"tp:{cell}:q:2026:5"),
        (SEC, f"tp:{cell}:z:2026:1"),
        (OTHER, f"tp:{cell}:c:2026:3"),
    ):
        calls = await driver.press(who, forged)
        assert [c.method for c in calls] == ["answerCallbackQuery"], (forged, calls)
        assert calls[0].params.get("show_alert") is True
    assert await plans(driver) == [(cell, 2026, 3, "Bảo vệ rừng đầu nguồn", presenter.id)]

    # Clear, then clear again.
    calls = await driver.press(SEC, f"tp:{cell}:c:2026:3")
    assert "Đã xóa kế hoạch quý III/2026" in texts(calls)
    assert "<b>Quý III/2026</b>: chưa có kế hoạch" in texts(calls)
    assert await plans(driver) == []
    calls = await driver.press(SEC, f"tp:{cell}:c:2026:3")
    assert "Quý này chưa có kế hoạch." in texts(calls)
    async with driver.sessions() as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity == "thematic_plan")
                .order_by(AuditEntry.id)
            )
        ).all()
    assert list(actions) == ["set", "set", "set", "clear"]


async def test_cancel_while_typing_and_english(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=2)
    cell = org.cells["C02"]
    clock.set_clock(clock.FixedClock(NOW))
    await onboard(driver, OTHER, "QN-BL-LH-C02", "secretary")
    calls = await driver.send(OTHER, "/thematic")
    assert "<b>Thematic meeting plan, 2026</b> — Chi bộ thôn Khe Tiền" in texts(calls)
    assert "<b>Q2 2026</b>: no plan yet" in texts(calls)
    await driver.press(OTHER, f"tp:{cell}:t:2026:2")
    await driver.send(OTHER, "/cancel")
    await driver.send(OTHER, "Not a topic any more")
    assert await plans(driver) == []
