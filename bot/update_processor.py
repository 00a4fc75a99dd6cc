"""Several chats at once, each chat's updates one at a time and in the order they came.

PTB's own concurrent processing gives up the order inside a chat, which a conversation cannot
afford (a tap handled before the previous answer is saved would act on a stale draft). An update's
transaction is short (replies go out after the commit), so chats overlap usefully on both
databases: on SQLite their writes take turns at the single writer's lock (transactions begin
IMMEDIATE, see storage.db.writing), and the round trips to Telegram run side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

SQLITE_CONCURRENCY = 8
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


# PTB takes a slot of its own limit BEFORE `do_process_update`, and with a limit of 1 its
# update fetcher does not even start the next update before the last one is done. Either way
# one chat flooding the bot (1,000 updates in a burst) would hold every other chat behind
# its whole backlog: its queued updates would sit on the slots while they wait for their
# chat's turn. So PTB's own gate is made wide enough never to close (it only admits), and
# the real limit is taken here, once an update's chat has come to its turn.
ADMITTED = 1_000_000


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """At most `limit` updates at once; one chat's updates in arrival order; no chat's
    backlog holds up another chat.

    PTB starts one task per update in arrival order, and each passes PTB's (never closed)
    gate straight into `do_process_update`, which queues it on its chat's lock before
    anything can suspend it; the lock serves first come, first served. So inside a chat,
    arrival order is processing order (the tests check it with updates that finish in the
    reverse order of arrival). Only an update holding its chat's lock waits for one of the
    `limit` slots, so a chat has at most one update on a slot or in the slots' queue, and
    another chat's update waits for at most `limit` updates ahead of it, however long the
    flooding chat's backlog (tests/e2e/test_flood.py).
    """

    __slots__ = ("_limit", "_locks", "_running", "_slots")

    def __init__(self, max_concurrent_updates: int) -> None:
        if max_concurrent_updates < 1:
            raise ValueError("`max_concurrent_updates` must be a positive integer!")
        super().__init__(ADMITTED)
        self._limit = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)  # FIFO across chats
        self._running = 0
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @property
    def limit(self) -> int:
        """How many updates are handled at once (PTB's `max_concurrent_updates` is the
        admission gate, ADMITTED)."""
        return self._limit

    @property
    def current_concurrent_updates(self) -> int:
        """Updates being handled now (not those waiting for their chat's turn or a slot)."""
        return self._running

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await self._run(coroutine)
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await self._run(coroutine)
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]  # no chat keeps a lock once it is idle
            else:
                self._locks[key] = (lock, users - 1)

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        async with self._slots:
            self._running += 1
            try:
                await coroutine
            finally:
                self._running -= 1

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def busy_chats(self) -> int:
        """Chats with an update being processed or waiting (for tests and diagnostics)."""
        return len(self._locks)
