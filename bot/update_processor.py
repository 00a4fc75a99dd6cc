"""Several chats at once, each chat's updates one at a time and in the order they came.

PTB's own concurrent processing gives up the order inside a chat, which a conversation cannot
afford (a tap handled before the previous answer is saved would act on a stale draft). With
PostgreSQL, transactions of different chats can overlap, so a bot serving many secretaries
gains from letting them; on SQLite there is one writer, so the default stays sequential there
(see `concurrency_for`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

SQLITE_CONCURRENCY = 1
POSTGRES_CONCURRENCY = 8


def concurrency_for(database_url: str, configured: int | None) -> int:
    """The configured number of updates at once, or the database's default."""
    if configured is not None:
        return configured
    return SQLITE_CONCURRENCY if database_url.startswith("sqlite") else POSTGRES_CONCURRENCY


def chat_key(update: object) -> int | None:
    """The chat whose order must be kept (None: an update that belongs to no chat)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """At most `max_concurrent_updates` updates at once; one chat's updates in arrival order.

    PTB starts one task per update in arrival order, and each passes PTB's semaphore (which
    serves its waiters first come, first served, and lets nobody jump the queue) straight into
    this method, which queues it on its chat's lock before anything can suspend it; the lock
    also serves first come, first served. So inside a chat, arrival order is processing order
    (the tests check it with updates that finish in the reverse order of arrival).
    """

    __slots__ = ("_locks",)

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]  # no chat keeps a lock once it is idle
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def busy_chats(self) -> int:
        """Chats with an update being processed or waiting (for tests and diagnostics)."""
        return len(self._locks)
