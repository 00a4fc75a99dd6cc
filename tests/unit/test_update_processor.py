"""Chat-ordered concurrency: chats overlap, one chat's updates never do and keep their order."""

from __future__ import annotations

import asyncio
import random

import pytest
from telegram import Chat, Message, Update, User

from bot.update_processor import ChatOrderedUpdateProcessor, chat_key, concurrency_for


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, "private")
    user = User(chat_id, "U", is_bot=False)
    message = Message(update_id, None, chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_order_inside_a_chat_and_overlap_across_chats() -> None:
    processor = ChatOrderedUpdateProcessor(4)
    rng = random.Random(7)
    started: list[tuple[int, int]] = []
    finished: list[tuple[int, int]] = []
    running: dict[int, int] = {}
    overlap = 0

    async def handle(chat: int, n: int) -> None:
        nonlocal overlap
        assert running.get(chat, 0) == 0, "two updates of one chat at once"
        running[chat] = 1
        overlap = max(overlap, sum(running.values()))
        started.append((chat, n))
        # Earlier updates take longer: without the chat lock, later ones would overtake.
        await asyncio.sleep(rng.uniform(0.002, 0.006) * (12 - n) / 12)
        finished.append((chat, n))
        running[chat] = 0

    # 5 chats × 12 updates, interleaved as they would arrive; more than the limit at once.
    tasks = [
        asyncio.create_task(processor.process_update(update(n * 10 + chat, chat), handle(chat, n)))
        for n in range(12)
        for chat in range(1, 6)
    ]
    await asyncio.gather(*tasks)
    for chat in range(1, 6):
        assert [n for c, n in started if c == chat] == list(range(12))
        assert [n for c, n in finished if c == chat] == list(range(12))
    assert overlap > 1, "different chats must be processed at the same time"
    assert processor.busy_chats == 0 and processor.current_concurrent_updates == 0


async def test_an_error_frees_the_chat() -> None:
    processor = ChatOrderedUpdateProcessor(2)

    async def boom() -> None:
        raise RuntimeError("handler failed")

    done: list[int] = []

    async def ok() -> None:
        done.append(1)

    first = asyncio.create_task(processor.process_update(update(1, 9), boom()))
    second = asyncio.create_task(processor.process_update(update(2, 9), ok()))
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and done == [1]
    assert processor.busy_chats == 0


def test_defaults_by_database_and_keys() -> None:
    assert concurrency_for("sqlite+aiosqlite:///x.db", None) == 8
    assert concurrency_for("postgresql+asyncpg://h/db", None) == 8
    assert concurrency_for("sqlite+aiosqlite:///x.db", 3) == 3
    assert chat_key(update(1, 42)) == 42
    assert chat_key(Update(5)) is None
    assert chat_key("not an update") is None


def test_setting_is_validated() -> None:
    from pydantic import ValidationError

    from bot.settings import Settings

    base = {"telegram_bot_token": "1:x", "database_url": "sqlite+aiosqlite:///x.db"}
    assert Settings(_env_file=None, **base).concurrent_updates is None  # type: ignore[call-arg]
    assert Settings(_env_file=None, concurrent_updates=4, **base).concurrent_updates == 4  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(_env_file=None, concurrent_updates=0, **base)  # type: ignore[call-arg]
