"""/start <token> from many accounts at once: after the global limit of failed invitation
links in a minute, everyone is told to try again in a few minutes, in their language."""

from __future__ import annotations

from sqlalchemy import select

from bot.i18n import t
from storage.invitations import GLOBAL_FAILURES_PER_MINUTE
from storage.models import Invitation
from tests.factories import invitation, small_org
from tests.harness import Driver, TgUser, texts


async def test_many_accounts_guessing_pause_invitations(driver: Driver) -> None:
    await small_org(driver.sessions, members_per_cell=1)
    guessers = [TgUser(7000 + n, language_code="en") for n in range(10)]
    for n in range(GLOBAL_FAILURES_PER_MINUTE):  # 3 each: under the per-account limit
        calls = await driver.send(guessers[n % 10], f"/start {'C' * 23}{n % 10}")
        assert texts(calls) == t("en", "invite.unknown"), n
    token = await invitation(driver.sessions, "QN-BL-LH-C01", "secretary")
    newcomer = TgUser(7100, language_code="vi")
    calls = await driver.send(newcomer, f"/start {token}")
    assert texts(calls) == t("vi", "invite.busy")
    assert "thử lại sau ít phút" in texts(calls)
    async with driver.sessions() as session:
        assert await session.scalar(select(Invitation.used_at)) is None
