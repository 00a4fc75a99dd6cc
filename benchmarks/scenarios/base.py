"""What the scenarios share: figures, database targets, a lean offline request, memory.

Numbers here are measurements of one run on one machine; a scenario that cannot run (its
feature missing or broken) reports a figure with no value and the reason, never a guess.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from telegram import Update
from telegram.ext import AIORateLimiter, Application

from tests.bot_api_answers import BOT_USER, LocalRequest, answer, buttons, chat_of, ok
from tests.bot_api_answers import TOKEN as TOKEN  # the scenarios take it from here

# ---------------------------------------------------------------- figures


@dataclass
class Figure:
    scenario: str
    database: str  # sqlite | postgres | "-" (no database)
    figure: str
    value: float | None  # None: not available (see note)
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""
    latency_ms: float | None = None  # the simulated Bot API round trip it was measured with
    concurrency: int | None = None  # chats processed at once (scenario 1)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def not_available(scenario: str, database: str, figure: str, unit: str, why: str) -> Figure:
    return Figure(scenario, database, figure, None, unit, note=f"not available: {why}")


def own_peak_mb() -> float:
    """This process's own peak resident size (`VmHWM`). Not `ru_maxrss`: a child started by
    fork and exec (multiprocessing's "spawn") inherits its parent's maximum across the exec,
    so an export's child of a big benchmark process reported the parent's peak (README,
    Performance)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0..100) by nearest rank: the smallest value with at least p % of
    the data at or below it (of 100 samples, p99 is the second slowest). It was computed as
    `round(p/100*n + 0.5)`, which Python rounds half to even: p99 of 100 was the slowest."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, math.ceil(p * len(ordered) / 100) - 1))
    return ordered[rank]


@dataclass
class Latencies:
    """Per-update latencies (seconds) and the wall time the run took."""

    samples: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0  # process CPU seconds (every thread: aiosqlite's too) during the run
    # The last update of each chat's script alone (a check-in's "submit": the one that stores
    # the meeting score and refreshes the cell's results in the read model).
    finals: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return len(self.samples) / self.wall if self.wall else 0.0

    def ms(self, p: float) -> float:
        return percentile(self.samples, p) * 1000

    def cpu_ms_per_update(self) -> float:
        return self.cpu / len(self.samples) * 1000 if self.samples else float("nan")


# ---------------------------------------------------------------- databases


@dataclass
class Database:
    """A throwaway database per purpose: a SQLite file in WAL mode, or a PostgreSQL database
    created next to the test database (never the test database itself, which the test suite
    truncates)."""

    kind: str  # sqlite | postgres
    base_url: str | None = None  # PostgreSQL server URL (any database on it)
    prefix: str = ""  # keeps two runs on one server apart (the smoke test's pid)
    workdir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="cellbot-bench-"))
    created: list[str] = field(default_factory=list)

    def url(self, tag: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite+aiosqlite:///{self.workdir}/{tag}.db"
        assert self.base_url is not None
        return (
            make_url(self.base_url)
            .set(database=f"cellbot_bench_{self.prefix}{tag}")
            .render_as_string(hide_password=False)
        )

    async def fresh(self, tag: str) -> str:
        """An empty database for `tag` (dropped and created again on PostgreSQL)."""
        url = self.url(tag)
        if self.kind == "sqlite":
            path = url.split(":///", 1)[1]
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
            return url
        name = make_url(url).database
        admin = create_async_engine(
            make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        try:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await admin.dispose()
        self.created.append(name or "")
        return url

    async def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.kind != "postgres" or not self.created:
            return
        assert self.base_url is not None
        admin = create_async_engine(
            make_url(self.base_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        try:
            async with admin.connect() as conn:
                for name in self.created:
                    await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            await admin.dispose()


def _seed_in_child(url: str, months: int, seed: int, shape: Any, end_month: Any) -> str:
    """Migrate and seed in a separate process, so the seed's memory never counts as ours
    (the last month is the parent's: its clock may be pinned, as in the pinned-date tests)."""
    from storage.db import create_engine, create_session_factory, upgrade_to_head
    from storage.synthetic.province import seed_province

    upgrade_to_head(url)

    async def work() -> str:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine).begin() as session:
                report = await seed_province(
                    session, months=months, seed=seed, shape=shape, end_month=end_month
                )
            if url.startswith("postgresql"):
                async with engine.connect() as conn:  # fresh planner statistics
                    await conn.execute(text("COMMIT"))
                    await conn.execute(text("ANALYZE"))
            else:
                async with engine.begin() as conn:
                    await conn.execute(text("ANALYZE"))
            return report.summary()
        finally:
            await engine.dispose()

    return asyncio.run(work())


async def seed_database(url: str, *, months: int, seed: int, shape: Any) -> str:
    """The province with `months` of history ending last month (by the bot's clock)."""
    from domain import clock
    from domain.periods import add_months, month_start

    end_month = add_months(month_start(clock.today()), -1)
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        future = pool.submit(_seed_in_child, url, months, seed, shape, end_month)
        return await asyncio.wrap_future(future)


async def migrate(url: str) -> None:
    from storage.db import upgrade_to_head_async

    await upgrade_to_head_async(url)


# ---------------------------------------------------------------- the offline request


@dataclass
class Call:
    method: str
    params: dict[str, Any]

    def buttons(self) -> list[tuple[str, str]]:
        return buttons(self.params)


class BenchRequest(LocalRequest):
    """Answers Bot API calls like Telegram, keeping only what a driver needs: the calls since
    the last `take()` (per chat, so concurrent chats can each read their own replies) and a
    count and timestamps per method (bounded memory).

    `latency` (seconds) is the simulated round trip to Telegram: every call sleeps that long
    before it is answered, as a server in Viet Nam waits ~50 ms for api.telegram.org. With 0
    a benchmark hides everything that waits on the network (a lock held across a send)."""

    def __init__(self, keep_times: bool = False, latency: float = 0.0) -> None:
        self.pending: dict[int, list[Call]] = {}
        self.counts: dict[str, int] = {}
        self.times: list[float] = []
        self.keep_times = keep_times
        self.latency = latency
        self._ids = itertools.count(1000)

    def take(self, chat_id: int | None = None) -> list[Call]:
        """The calls made since the last take, for one chat or (None) for every chat."""
        if chat_id is not None:
            return self.pending.pop(chat_id, [])
        calls = [c for chat in self.pending.values() for c in chat]
        self.pending = {}
        return calls

    async def respond(self, method: str, params: dict[str, Any]) -> tuple[int, bytes]:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        self.counts[method] = self.counts.get(method, 0) + 1
        if self.keep_times and method == "sendMessage":
            self.times.append(time.perf_counter())
        chat = chat_of(params)
        if chat:  # a driver reads replies in chats; answerCallbackQuery is only counted
            self.pending.setdefault(chat, []).append(Call(method, params))
        result = answer(method, params, next_message_id=self._ids.__next__, date=int(time.time()))
        return 200, json.dumps(ok(result)).encode()


def lifted_limiter() -> AIORateLimiter:
    """The production limiter class with its limits off: its code path runs, nothing waits."""
    return AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=0)


# ---------------------------------------------------------------- updates


class Updates:
    """Telegram updates as the Bot API would deliver them (private chats)."""

    def __init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    @staticmethod
    def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Bí thư", "language_code": "vi"}

    def message(self, user_id: int, text_: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Bí thư"},
            "from": self.user(user_id),
            "text": text_,
        }
        if text_.startswith("/"):
            length = len(text_.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": next(self._update_ids), "message": message}

    def press(self, user_id: int, data: str) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._update_ids)),
                "from": self.user(user_id),
                "chat_instance": str(user_id),
                "data": data,
                "message": {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": {"id": user_id, "type": "private"},
                    "from": BOT_USER,
                    "text": "…",
                },
            },
        }


async def drain() -> None:
    """Wait for updates the handlers re-dispatched (as tests/harness.py does)."""
    for _ in range(10):
        pending = [
            t
            for t in asyncio.all_tasks()
            if t is not asyncio.current_task()
            and not t.done()
            and "process_update" in repr(t.get_coro())
        ]
        if not pending:
            return
        await asyncio.gather(*pending, return_exceptions=True)


async def timed_update(
    app: Application[Any, Any, Any, Any, Any, Any], data: dict[str, Any]
) -> float:
    update = Update.de_json(data, app.bot)
    started = time.perf_counter()
    await app.process_update(update)
    await drain()
    return time.perf_counter() - started


# ---------------------------------------------------------------- memory


class PeakRSS:
    """Samples this process's resident set size in a thread while a block runs."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.start_mb = 0.0
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def rss_mb() -> float:
        try:
            import psutil  # type: ignore[import-untyped]
        except ImportError:  # without the dev extra: Linux /proc
            with open("/proc/self/statm") as statm:
                pages = int(statm.read().split()[1])
            return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
        return float(psutil.Process().memory_info().rss) / 2**20

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, self.rss_mb())

    def __enter__(self) -> PeakRSS:
        self.start_mb = self.peak_mb = self.rss_mb()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_mb = max(self.peak_mb, self.rss_mb())


async def safely(
    scenario: str, database: str, what: str, work: Callable[[], Awaitable[list[Figure]]]
) -> list[Figure]:
    """Run one part of a scenario; a failure becomes an honest "not available" figure."""
    try:
        return await work()
    except Exception as exc:  # report, never invent
        import traceback

        traceback.print_exc()
        return [not_available(scenario, database, what, "", f"{type(exc).__name__}: {exc}")]
