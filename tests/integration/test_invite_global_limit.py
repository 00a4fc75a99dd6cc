"""The invite lockout holds across accounts: many accounts cannot guess tokens in parallel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.settings import Settings
from storage.accounts import load_caller
from storage.db import SessionFactory
from storage.invitations import GLOBAL_FAILURES_PER_MINUTE, MAX_FAILURES, RedeemOutcome, redeem
from storage.models import InviteFailure, RoleGrant
from tests.factories import invitation, small_org

LIMIT = 12
BAD = "B" * 24  # well-formed, unknown


async def attempt(
    sessions: SessionFactory, telegram_id: int, token: str, now: dt.datetime
) -> RedeemOutcome:
    async with sessions.begin() as session:
        account, _ = await load_caller(session, telegram_id, f"User {telegram_id}")
        result = await redeem(session, token, account, now=now, global_limit=LIMIT)
    return result.outcome


async def test_failures_of_many_accounts_pause_invitations_for_a_minute(
    session_factory: SessionFactory,
) -> None:
    await small_org(session_factory, members_per_cell=1)
    token = await invitation(session_factory, "QN-BL-LH-C01", "secretary")
    start = dt.datetime.now(dt.UTC)
    # 6 accounts, 2 failures each: every one stays under its own limit of MAX_FAILURES.
    assert MAX_FAILURES > 2
    outcomes = [
        await attempt(session_factory, 9000 + n % 6, BAD, start + dt.timedelta(seconds=n))
        for n in range(LIMIT)
    ]
    assert outcomes == [RedeemOutcome.UNKNOWN] * LIMIT

    # The next attempt within the minute is refused, for a new account, and even with the
    # valid token (looking at it is what a guesser wants).
    soon = start + dt.timedelta(seconds=LIMIT + 1)
    assert await attempt(session_factory, 9100, BAD, soon) is RedeemOutcome.BUSY
    assert await attempt(session_factory, 9101, token, soon) is RedeemOutcome.BUSY
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(InviteFailure)) == LIMIT
        assert await session.scalar(select(func.count()).select_from(RoleGrant)) == 0

    # A minute after the failures, the valid token works again.
    later = start + dt.timedelta(seconds=LIMIT + 61)
    assert await attempt(session_factory, 9101, token, later) is RedeemOutcome.OK


async def test_the_limit_comes_from_the_settings() -> None:
    settings = Settings(_env_file=None)
    assert settings.invite_failures_per_minute == GLOBAL_FAILURES_PER_MINUTE == 30
