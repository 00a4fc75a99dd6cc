"""One chat's backlog never holds up another chat: a chat's queued updates wait for their
chat's turn without taking a slot, so another chat waits for at most `limit` updates."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Chat, Message, Update, User

from bot.update_processor import ChatOrderedUpdateProcessor


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, "private")
    user = User(chat_id, "U", is_bot=False)
    message = Message(update_id, None, chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


@pytest.mark.parametrize("limit", [1, 2, 8])
async def test_a_flooding_chat_does_not_hold_another(limit: int) -> None:
    processor = ChatOrderedUpdateProcessor(limit)
    # PTB's update fetcher starts updates one by one, each awaited, when this is 1.
    assert processor.max_concurrent_updates > 1 and processor.limit == limit
    done: list[tuple[int, int]] = []
    peak = 0

    async def handle(chat: int, n: int) -> None:
        nonlocal peak
        peak = max(peak, processor.current_concurrent_updates)
        for _ in range(3):  # a few suspensions, as database and Bot API calls would
            await asyncio.sleep(0)
        done.append((chat, n))

    tasks = [
        asyncio.create_task(processor.process_update(update(n, 1), handle(1, n)))
        for n in range(300)
    ]
    tasks.append(asyncio.create_task(processor.process_update(update(999, 2), handle(2, 0))))
    await asyncio.gather(*tasks)
    before_b = done.index((2, 0))
    assert before_b <= limit, before_b
    assert [n for chat, n in done if chat == 1] == list(range(300))  # the flood keeps its order
    assert peak <= limit
    assert processor.busy_chats == 0 and processor.current_concurrent_updates == 0


async def test_the_limit_holds_across_chats() -> None:
    processor = ChatOrderedUpdateProcessor(3)
    peak = 0

    async def handle() -> None:
        nonlocal peak
        peak = max(peak, processor.current_concurrent_updates)
        await asyncio.sleep(0.001)

    await asyncio.gather(
        *(processor.process_update(update(n, n % 10), handle()) for n in range(60))
    )
    assert peak == 3


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        ChatOrderedUpdateProcessor(0)
