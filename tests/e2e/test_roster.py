from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditEntry, Member
from tests.factories import onboard, small_org
from tests.harness import Driver, TgUser, all_buttons, texts

SEC = TgUser(2001, "Hà", "Vi Thị", "en")
OTHER_SEC = TgUser(2002, "Nam", "Lục Văn", "en")


async def _roster(driver: Driver, cell_id: int) -> list[Member]:
    async with driver.sessions() as session:
        rows = await session.scalars(
            select(Member).where(Member.cell_id == cell_id).order_by(Member.id)
        )
        return list(rows)


async def test_list_is_paginated_and_scoped(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=23)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    calls = await driver.send(SEC, "/members")
    assert "23 members" in texts(calls)
    buttons = all_buttons(calls)
    member_buttons = [b for b in buttons if b[1].startswith(f"m:show:{org.cells['C01']}:")]
    assert len(member_buttons) == 10
    assert ("2/3", "noop") not in buttons and ("1/3", "noop") in buttons
    calls = await driver.tap(SEC, calls, "▶")
    assert ("2/3", "noop") in all_buttons(calls)


async def test_add_one_member_with_validation(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=2)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    calls = await driver.press(SEC, f"m:add:{org.cells['C01']}")
    assert "full name" in texts(calls)
    calls = await driver.send(SEC, "12345")
    assert "not a valid name" in texts(calls)
    calls = await driver.send(SEC, "x" * 130)
    assert "not a valid name" in texts(calls)
    calls = await driver.send(SEC, "  Hoàng   Văn  Thụ ")
    assert "Added <b>Hoàng Văn Thụ</b>" in texts(calls)
    names = [m.full_name for m in await _roster(driver, org.cells["C01"])]
    assert "Hoàng Văn Thụ" in names and len(names) == 3
    async with driver.sessions() as session:
        audit = (
            await session.scalars(select(AuditEntry).where(AuditEntry.entity == "member"))
        ).all()
    assert any(
        a.after and a.after.get("full_name") == "Hoàng Văn Thụ" and a.actor_account_id
        for a in audit
    )


async def test_paste_list_flags_duplicates_and_can_add_only_new(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=0)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await driver.press(SEC, f"m:add:{org.cells['C01']}")
    await driver.send(SEC, "Lê Văn Tám")
    await driver.press(SEC, f"m:paste:{org.cells['C01']}")
    calls = await driver.send(SEC, "Lê Văn Tám\nNông Thị Xuân\nnông thị  xuân\nChu Văn An")
    text = texts(calls)
    assert "4 names" in text and "Lê Văn Tám" in text and "nông thị xuân" in text
    calls = await driver.tap(SEC, calls, "Add only the 2 new")
    names = sorted(m.full_name for m in await _roster(driver, org.cells["C01"]))
    assert names == ["Chu Văn An", "Lê Văn Tám", "Nông Thị Xuân"]


async def test_rename_status_and_left_keep_history(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=3)
    cell = org.cells["C01"]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    member = (await _roster(driver, cell))[0]
    calls = await driver.press(SEC, f"m:show:{cell}:{member.id}")
    assert member.full_name in texts(calls)
    await driver.press(SEC, f"m:st:{cell}:{member.id}:exempt")
    await driver.press(SEC, f"m:ren:{cell}:{member.id}")
    assert "Renamed to <b>Bế Văn Đàn</b>" in texts(await driver.send(SEC, "Bế Văn Đàn"))
    calls = await driver.press(SEC, f"m:left:{cell}:{member.id}")
    assert "history is kept" in texts(calls)
    await driver.press(SEC, f"m:leftok:{cell}:{member.id}:transfer")
    stored = {m.id: m for m in await _roster(driver, cell)}
    assert stored[member.id].status == "left" and stored[member.id].full_name == "Bế Văn Đàn"
    calls = await driver.send(SEC, "/members")
    assert "2 members" in texts(calls)


async def test_secretary_cannot_touch_another_cell_with_forged_callbacks(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=2)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, OTHER_SEC, "QN-BL-LH-C02", "secretary")
    victim = (await _roster(driver, org.cells["C02"]))[0]
    before = (victim.full_name, victim.status)
    for data in (
        f"m:list:{org.cells['C02']}:0",
        f"m:show:{org.cells['C02']}:{victim.id}",
        f"m:leftok:{org.cells['C02']}:{victim.id}:death",
        f"m:st:{org.cells['C02']}:{victim.id}:exempt",
        # Own cell id, but another cell's member:
        f"m:leftok:{org.cells['C01']}:{victim.id}:death",
        f"m:ren:{org.cells['C01']}:{victim.id}",
        "m:show:notanumber:1",
        "m",
    ):
        calls = await driver.press(SEC, data)
        assert "no longer active" in texts(calls), data
        assert victim.full_name not in texts(calls)
    after = next(m for m in await _roster(driver, org.cells["C02"]) if m.id == victim.id)
    assert (after.full_name, after.status) == before


async def test_a_command_while_typing_a_name_leaves_and_runs_the_command(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=2)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await driver.press(SEC, f"m:add:{org.cells['C01']}")
    calls = await driver.send(SEC, "/whoami")
    assert "QN-BL-LH-C01" in texts(calls)
    calls = await driver.send(SEC, "Some Name")
    assert "did not understand" in texts(calls)
    assert len(await _roster(driver, org.cells["C01"])) == 2


async def test_cancel_while_adding(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=2)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await driver.press(SEC, f"m:add:{org.cells['C01']}")
    assert "Stopped" in texts(await driver.send(SEC, "/cancel"))
    assert "did not understand" in texts(await driver.send(SEC, "Name After Cancel"))


async def test_non_secretary_gets_refusal(driver: Driver) -> None:
    calls = await driver.send(TgUser(2999, language_code="en"), "/members")
    assert "for cell secretaries" in texts(calls)
