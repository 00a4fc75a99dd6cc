from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from domain import clock
from storage.models import Invitation, RoleGrant
from tests.factories import invitation, onboard, small_org
from tests.harness import Driver, TgUser, texts

SECRETARY = TgUser(1001, "Lan", "Nguyễn Thị", "vi")
STRANGER = TgUser(1002, "Tom", "Smith", "en")


async def test_start_without_invitation_explains_how_to_get_one(driver: Driver) -> None:
    calls = await driver.send(STRANGER, "/start")
    assert "invitation link" in texts(calls)


async def test_valid_invitation_binds_role_and_greets_in_user_language(driver: Driver) -> None:
    await small_org(driver.sessions)
    token = await invitation(driver.sessions, "QN-BL-LH-C01", "secretary")
    calls = await driver.send(SECRETARY, f"/start {token}")
    text = texts(calls)
    assert "Bí thư chi bộ" in text and "Chi bộ thôn Bản Pắt" in text and "/checkin" in text
    assert any(c.method == "setMyCommands" for c in calls)
    whoami = texts(await driver.send(SECRETARY, "/whoami"))
    assert "Bản Pắt" in whoami and "QN-BL-LH-C01" in whoami


async def test_invitation_is_single_use(driver: Driver) -> None:
    await small_org(driver.sessions)
    token = await invitation(driver.sessions, "QN-BL-LH-C01", "secretary")
    await driver.send(SECRETARY, f"/start {token}")
    calls = await driver.send(STRANGER, f"/start {token}")
    assert "already been used" in texts(calls)
    async with driver.sessions() as session:
        grants = await session.scalar(select(func.count()).select_from(RoleGrant))
    assert grants == 1


async def test_expired_unknown_and_malformed_tokens_change_nothing(driver: Driver) -> None:
    await small_org(driver.sessions)
    token = await invitation(driver.sessions, "QN-BL-LH-C01", "secretary")
    async with driver.sessions.begin() as session:
        await session.execute(
            update(Invitation).values(expires_at=clock.now() - dt.timedelta(seconds=1))
        )
    assert "expired" in texts(await driver.send(STRANGER, f"/start {token}"))
    assert "does not exist" in texts(await driver.send(STRANGER, "/start " + "A" * 24))
    assert "not valid" in texts(await driver.send(STRANGER, "/start abc$%"))
    assert "not valid" in texts(await driver.send(STRANGER, "/start " + "x" * 80))
    async with driver.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(RoleGrant)) == 0
        used = await session.scalar(select(Invitation.used_at))
    assert used is None


async def test_too_many_bad_tokens_are_throttled_even_for_a_valid_one(driver: Driver) -> None:
    await small_org(driver.sessions)
    for _ in range(5):
        await driver.send(STRANGER, "/start " + "B" * 24)
    token = await invitation(driver.sessions, "QN-BL-LH-C01", "secretary")
    assert "Too many" in texts(await driver.send(STRANGER, f"/start {token}"))
    async with driver.sessions() as session:
        assert await session.scalar(select(Invitation.used_at)) is None


async def test_language_switch_changes_every_following_reply(driver: Driver) -> None:
    await small_org(driver.sessions)
    await onboard(driver, SECRETARY, "QN-BL-LH-C01", "secretary")
    calls = await driver.send(SECRETARY, "/language")
    assert ("🇬🇧 English", "lang:en") in calls[-1].buttons()
    calls = await driver.press(SECRETARY, "lang:en")
    assert "Language set to English" in texts(calls)
    assert "Cell secretary" in texts(await driver.send(SECRETARY, "/help"))
    await driver.press(SECRETARY, "lang:vi")
    assert "Bí thư" in texts(await driver.send(SECRETARY, "/help"))


async def test_forged_language_button_is_refused(driver: Driver) -> None:
    calls = await driver.press(STRANGER, "lang:fr")
    assert "no longer active" in texts(calls)


async def test_help_depends_on_role(driver: Driver) -> None:
    await small_org(driver.sessions)
    assert "invitation" in texts(await driver.send(STRANGER, "/help"))
    supervisor = TgUser(1003, "An", "Lê", "en")
    await onboard(driver, supervisor, "QN-BL", "supervisor")
    text = texts(await driver.send(supervisor, "/help"))
    assert "/summary" in text and "/checkin" not in text


async def test_unknown_command_and_stray_text_get_a_clear_reply(driver: Driver) -> None:
    assert "no such command" in texts(await driver.send(STRANGER, "/frobnicate"))
    assert "did not understand" in texts(await driver.send(STRANGER, "hello?"))
    assert "nothing to cancel" in texts(await driver.send(STRANGER, "/cancel"))
    assert "no longer active" in texts(await driver.press(STRANGER, "zz:1:2"))
