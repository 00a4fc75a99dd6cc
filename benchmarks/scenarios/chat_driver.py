"""Chats driven through an application as secretaries drive the bot: each chat sends its next
update when the answer to the previous one has arrived (scenario 1's driver, shared by the
baselines and the real check-in).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application

from benchmarks.scenarios.base import BenchRequest, Call, Latencies, Updates
from schedules.jobs import checkpoint
from storage.db import CHECKPOINT_EVERY_S

PERSISTENCE_EVERY = 10.0  # seconds, as build_application's default interval

App = Application[Any, Any, Any, Any, Any, Any]


class ScriptError(Exception):
    pass


@dataclass
class ChatRun:
    """One user's way through a script, one update after the answer to the previous."""

    telegram_id: int
    script: Sequence[tuple[str, str]]
    step: int = 0
    last: list[Call] = field(default_factory=list)
    failed: str | None = None

    def next_update(self, updates: Updates) -> dict[str, Any]:
        kind, value = self.script[self.step]
        if kind == "send":
            return updates.message(self.telegram_id, value)
        return updates.press(self.telegram_id, self.button(value))

    def button(self, value: str) -> str:
        return value  # the baselines press fixed data


async def drive(
    app: App,
    request: BenchRequest,
    chats: Sequence[ChatRun],
    concurrency: int,
    warmup: ChatRun | None = None,
    profile: cProfile.Profile | None = None,
) -> Latencies:
    """Every chat through its whole script, `concurrency` chats at a time (a chat that is done
    makes room for the next), through the application's update processor as PTB's update
    fetcher hands updates to it. `warmup` goes first, untimed: a process serves for days, so
    what its first update costs once (compiling templates, filling caches) is not a rate.
    `profile` (cProfile) records the timed part only."""
    result = Latencies()
    queue = deque(chats)
    updates = Updates()
    stop = asyncio.Event()

    async def play(chat: ChatRun, samples: list[float]) -> None:
        while chat.step < len(chat.script):
            try:
                data = chat.next_update(updates)
            except ScriptError as exc:
                chat.failed = str(exc)
                return
            update = Update.de_json(data, app.bot)
            began = time.perf_counter()
            await app.update_processor.process_update(update, app.process_update(update))
            samples.append(time.perf_counter() - began)
            if chat.step == len(chat.script) - 1 and samples is result.samples:
                result.finals.append(samples[-1])
            chat.last = request.take(chat.telegram_id) or chat.last
            chat.step += 1

    async def chat_worker() -> None:
        while queue:
            await play(queue.popleft(), result.samples)

    async def every(seconds: float, work: Callable[[], Awaitable[None]]) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)
            if not stop.is_set():
                await work()

    async def background() -> None:
        # What app.start() runs in production: the persistence write-behind and, on SQLite,
        # the log's checkpoint job (the bot's engine leaves checkpoints to it).
        await asyncio.gather(
            every(PERSISTENCE_EVERY, app.update_persistence),
            every(CHECKPOINT_EVERY_S, lambda: checkpoint(app)),
        )

    await app.initialize()
    try:
        if warmup is not None:
            await play(warmup, [])
        request.take()
        if profile is not None:
            profile.enable()
        cpu, started = time.process_time(), time.perf_counter()
        flusher = asyncio.create_task(background())
        try:
            await asyncio.gather(*(chat_worker() for _ in range(concurrency)))
        finally:
            stop.set()
            await flusher
        await app.update_persistence()
        result.wall = time.perf_counter() - started
        result.cpu = time.process_time() - cpu
        if profile is not None:
            profile.disable()
    finally:
        await app.shutdown()
    return result
