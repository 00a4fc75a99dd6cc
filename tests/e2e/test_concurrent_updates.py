"""The real application with chat-ordered concurrency: many secretaries' updates in flight at
once, through the same path PTB's update fetcher takes (the application's update processor),
and every answer lands on its own draft in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update

from bot.i18n import t
from bot.update_processor import ChatOrderedUpdateProcessor
from domain import clock
from domain.checkin_schema import parse_answers
from storage.db import SessionFactory
from storage.models import Checkin
from tests.e2e.test_checkin_load import build_org, expected
from tests.harness import Driver, TgUser, make_settings, start_driver, stop_driver

SECRETARIES = 24


@pytest.fixture
async def concurrent_driver(session_factory: SessionFactory, db_url: str) -> AsyncIterator[Driver]:
    drv = await start_driver(make_settings(db_url, concurrent_updates=6), session_factory)
    yield drv
    await stop_driver(drv)


async def test_interleaved_secretaries_processed_concurrently(concurrent_driver: Driver) -> None:
    driver = concurrent_driver
    processor = driver.app.update_processor
    assert isinstance(processor, ChatOrderedUpdateProcessor)
    assert processor.limit == 6
    cells = {
        tid: cell for tid, cell in (await build_org(driver)).items() if tid < 50_000 + SECRETARIES
    }
    today = clock.today()
    month = today.replace(day=1).strftime("%Y-%m")
    users = [TgUser(50_000 + i, language_code="en") for i in range(SECRETARIES)]

    # Three updates per secretary (open the month's check-in, type the date, type the start
    # time), all queued at once and interleaved, as the update fetcher would start them.
    script: list[dict[str, Any]] = []
    for user in users:
        script.append(press_data(driver, user, f"ci:new:{cells[user.id]}:{month}:regular"))
    for i, user in enumerate(users):
        day = expected(i, today)[0]
        script.append(message_data(driver, user, f"{day.day}/{day.month}/{day.year}"))
    for i, user in enumerate(users):
        script.append(message_data(driver, user, f"{i // 60}h{i % 60:02d}"))
    peak = 0

    async def one(data: dict[str, Any]) -> None:
        nonlocal peak
        update = Update.de_json(data, driver.app.bot)
        await processor.process_update(update, driver.app.process_update(update))

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, processor.current_concurrent_updates)
            await asyncio.sleep(0)

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(asyncio.create_task(one(d)) for d in script))
    watcher.cancel()
    await driver.drain()
    assert peak > 1, "updates of different chats must overlap"

    async with driver.sessions() as session:
        rows = {c.cell_id: c for c in (await session.scalars(select(Checkin))).all()}
    assert len(rows) == SECRETARIES
    for i, user in enumerate(users):
        row = rows[cells[user.id]]
        answers = parse_answers(row.answers)
        assert (row.meeting_date, answers.start_time) == expected(i, today), i
    apology = t("en", "common.error")
    assert [c for c in driver.calls if c.text == apology] == []


def message_data(driver: Driver, user: TgUser, text: str) -> dict[str, Any]:
    return driver._message_data(user, text)


def press_data(driver: Driver, user: TgUser, data: str) -> dict[str, Any]:
    return {
        "update_id": next(driver._update_ids),
        "callback_query": {
            "id": str(next(driver._update_ids)),
            "from": user.as_dict(),
            "chat_instance": str(user.id),
            "data": data,
            "message": {
                "message_id": next(driver._message_ids),
                "date": 0,
                "chat": {"id": user.id, "type": "private"},
                "from": {"id": 1, "is_bot": True, "first_name": "Bot"},
                "text": "…",
            },
        },
    }
