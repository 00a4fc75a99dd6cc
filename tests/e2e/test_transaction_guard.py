"""The harness guard itself: a handler that awaits a Bot API call inside its transaction fails
the test. Every e2e test relies on `stop_driver` saying so; this keeps the guard from rotting
into a check that passes whatever the handlers do."""

from __future__ import annotations

import pytest
from telegram import Update
from telegram.ext import CommandHandler

from bot.context import Ctx, Request, with_request
from storage.db import SessionFactory
from tests.harness import TgUser, make_settings, start_driver, stop_driver

USER = TgUser(3301, "Lan", "Hoàng Thị", "vi")
PROBE_GROUP = -100


@with_request
async def speaks_inside(update: Update, context: Ctx, req: Request) -> None:
    """What "commit, then speak" forbids: a send while `with_request`'s transaction is open."""
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, "inside the transaction")


@with_request
async def speaks_after(update: Update, context: Ctx, req: Request) -> None:
    """The same message, queued: sent by the wrapper after the commit."""
    req.reply("after the commit")


async def test_a_send_inside_the_transaction_fails_the_test(
    session_factory: SessionFactory, db_url: str
) -> None:
    driver = await start_driver(make_settings(db_url), session_factory)
    # A group of its own, before the application's (in group -1 the command guard would be
    # the first match, and within a group only the first matching handler runs).
    driver.app.add_handler(CommandHandler("guardprobe", speaks_inside), group=PROBE_GROUP)
    calls = await driver.send(USER, "/guardprobe")
    assert "inside the transaction" in [c.text for c in calls]  # the handler did run
    with pytest.raises(AssertionError, match="sendMessage"):
        await stop_driver(driver)


async def test_a_queued_reply_passes_the_guard(
    session_factory: SessionFactory, db_url: str
) -> None:
    driver = await start_driver(make_settings(db_url), session_factory)
    driver.app.add_handler(CommandHandler("guardprobe", speaks_after), group=PROBE_GROUP)
    calls = await driver.send(USER, "/guardprobe")
    assert "after the commit" in [c.text for c in calls]
    await stop_driver(driver)
