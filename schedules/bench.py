"""Timing the dispatcher, for `make bench` and the issue's note.

    timing = await time_dispatch(app, sessions, 1000, now=NOW)

seeds `n` due rows (catalog payload with buttons, like a real reminder), dispatches until
they are all sent, and reports wall time per reminder and the achieved rate. Pass an app
built with `AIORateLimiter(overall_max_rate=0)` to measure our own overhead, or with a rate
(e.g. 30/s) to see how close the dispatcher gets to it.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass
from typing import Any

from schedules.dispatcher import DispatchConfig, DispatchReport, dispatch_due
from storage.db import SessionFactory
from storage.models import OutboxMessage, OutboxStatus

BENCH_KIND = "bench"


@dataclass(frozen=True)
class DispatchTiming:
    reminders: int
    seconds: float
    report: DispatchReport

    @property
    def per_reminder_ms(self) -> float:
        return 1000 * self.seconds / max(self.reminders, 1)

    @property
    def rate_per_second(self) -> float:
        return self.reminders / self.seconds if self.seconds else float("inf")


async def seed_due(
    sessions: SessionFactory, n: int, now: dt.datetime, *, chat_base: int = 7_000_000, tag: str = ""
) -> None:
    """Insert `n` pending rows due at `now`, one per chat (keys unique per `tag`)."""
    tag = tag or uuid.uuid4().hex[:12]
    payload: dict[str, Any] = {
        "key": "reminders.meeting_eve",
        "values": {"cell": "Chi bộ thôn Bản Pắt", "date": "10/04/2026", "time": "19:30"},
        "buttons": [
            [["reminders.btn_start", "ci:start:1:2026-04"]],
            [["reminders.btn_snooze", "rm:sn:{id}"], ["reminders.btn_tomorrow", "rm:tm:{id}"]],
        ],
    }
    async with sessions.begin() as session:
        session.add_all(
            OutboxMessage(
                dedup_key=f"bench:{tag}:{i}",
                kind=BENCH_KIND,
                chat_id=chat_base + i,
                due_at=now,
                payload=payload,
                status=OutboxStatus.PENDING.value,
                attempts=0,
                created_at=now,
            )
            for i in range(n)
        )


async def time_dispatch(
    app_or_bot: Any,
    sessions: SessionFactory,
    n: int,
    *,
    now: dt.datetime,
    batch_size: int = 100,
    config: DispatchConfig | None = None,
) -> DispatchTiming:
    """Seed `n` due reminders and time dispatching all of them (quiet hours disabled)."""
    await seed_due(sessions, n, now)
    config = config or DispatchConfig(quiet_start=0, quiet_end=0, max_batches=10_000)
    started = time.perf_counter()
    report = await dispatch_due(app_or_bot, sessions, now, batch_size, config=config)
    return DispatchTiming(n, time.perf_counter() - started, report)
