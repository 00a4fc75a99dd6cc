"""Scenario 1: update throughput of the real check-in against two baselines, in one run.

* bare PTB: a trivial 3-state ConversationHandler, no database;
* durable floor: the same conversation plus one minimal write transaction per update,
  committed before the update's Bot API calls (as the bot must: commit, then speak);
* check-in: the real Application (`bot.app.build_application` with its own engine and pool,
  every handler, SQL persistence, the database) with secretaries doing complete check-ins.

Each runs at 1, 8 and 32 chats at once (and the check-in at 64), every figure of a
concurrency level from the same run. A chat behaves as a secretary does: it sends its next
update when the answer to the previous one has arrived, so a level of N keeps N updates in
flight, one per chat, through the application's own update processor
(`bot.update_processor`: chats overlap, each chat's updates in order). Every Bot API call
waits the simulated round trip to Telegram (`--latency-ms`) before it is answered by the
offline request; the production rate limiter class is present with its limits lifted (this
measures the bot, not Telegram's flood limits). Latency per update is the time
`process_update` takes, sends included; the wall time also counts the persistence
write-behind that production runs every 10 s. CPU is the process's (every thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import re
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, SmallInteger, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    Defaults,
    MessageHandler,
    filters,
)

from benchmarks.scenarios.base import (
    TOKEN,
    BenchRequest,
    Call,
    Figure,
    Latencies,
    PeakRSS,
    Updates,
    lifted_limiter,
    not_available,
)
from domain import clock

SCENARIO = "1 update throughput"
PERSISTENCE_EVERY = 10.0  # seconds, as build_application's default interval
# The whole country's estimated evening peak (issue 12): ≈ 270,000 cells, most check-ins
# entered in the evenings at the end of the month.
COUNTRY_PEAK = 625.0  # updates/s

App = Application[Any, Any, Any, Any, Any, Any]
WARMUP_CHAT = 1  # the baselines' untimed first chat (no account needed)

# ---------------------------------------------------------------- the baselines

STATE_A, STATE_B, STATE_C = range(3)
_floor_meta = MetaData()
FLOOR_TABLE = Table(
    "bench_floor",
    _floor_meta,
    Column("id", Integer, primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("step", SmallInteger, nullable=False),
)
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Có", callback_data="b:y"),
            InlineKeyboardButton("Không", callback_data="b:n"),
        ]
    ]
)


def trivial_app(engine: AsyncEngine | None, concurrency: int, request: BenchRequest) -> App:
    """The 3-state conversation; with `engine`, each update also commits one INSERT before
    it sends anything."""
    from bot.update_processor import ChatOrderedUpdateProcessor

    async def write(update: Update, step: int) -> None:
        if engine is None:
            return
        assert update.effective_chat is not None
        async with engine.begin() as conn:
            await conn.execute(
                insert(FLOOR_TABLE).values(chat_id=update.effective_chat.id, step=step)
            )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        await write(update, 0)
        assert update.effective_message is not None
        await update.effective_message.reply_text("Câu <b>1</b>?", reply_markup=KEYBOARD)
        return STATE_A

    async def tap(update: Update, step: int) -> None:
        query = update.callback_query
        assert query is not None
        await write(update, step)  # committed here: only now is anything said
        await query.answer("Đã lưu ✓")
        await query.edit_message_text(f"Câu <b>{step + 1}</b>?", reply_markup=KEYBOARD)

    async def tapped_a(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        await tap(update, 1)
        return STATE_B

    async def tapped_b(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        await tap(update, 2)
        return STATE_C

    async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        await write(update, 3)
        assert update.effective_message is not None
        await update.effective_message.reply_text("Câu <b>4</b>?", reply_markup=KEYBOARD)
        return STATE_A

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(request)
        .get_updates_request(BenchRequest())
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(lifted_limiter())
        .concurrent_updates(ChatOrderedUpdateProcessor(concurrency))
        .build()
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("go", start)],
            states={
                STATE_A: [CallbackQueryHandler(tapped_a)],
                STATE_B: [CallbackQueryHandler(tapped_b)],
                STATE_C: [MessageHandler(filters.TEXT & ~filters.COMMAND, typed)],
            },
            fallbacks=[],
        )
    )
    return app


def trivial_script(length: int) -> list[tuple[str, str]]:
    """/go, then press, press, type, press, press, type ... `length` updates in all."""
    script = [("send", "/go")]
    cycle = [("press", "b:y"), ("press", "b:y"), ("send", "ý kiến")]
    while len(script) < length:
        script.append(cycle[(len(script) - 1) % 3])
    return script


# ---------------------------------------------------------------- chats and the driver


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

    async def write_behind() -> None:  # what app.start() runs in production
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PERSISTENCE_EVERY)
            if not stop.is_set():
                await app.update_persistence()

    await app.initialize()
    try:
        if warmup is not None:
            await play(warmup, [])
        request.take()
        if profile is not None:
            profile.enable()
        cpu, started = time.process_time(), time.perf_counter()
        flusher = asyncio.create_task(write_behind())
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


async def run_trivial(
    users: list[int],
    length: int,
    engine: AsyncEngine | None,
    concurrency: int,
    latency: float,
    profile: cProfile.Profile | None = None,
) -> Latencies:
    if engine is not None:
        async with engine.begin() as conn:
            await conn.run_sync(_floor_meta.create_all)
    request = BenchRequest(latency=latency)
    app = trivial_app(engine, concurrency, request)
    script = trivial_script(length)
    chats = [ChatRun(u, script) for u in users]
    warmup = ChatRun(WARMUP_CHAT, script)
    try:
        return await drive(app, request, chats, concurrency, warmup, profile)
    finally:
        if engine is not None:
            async with engine.begin() as conn:
                await conn.run_sync(_floor_meta.drop_all)


# ---------------------------------------------------------------- the real check-in

# A complete check-in as a secretary taps it: (kind, pattern); a press picks, in the latest
# keyboard, the first button whose callback data matches (labels are language-dependent,
# data are not). One member is marked absent with a reason; everything else by buttons.
CHECKIN_SCRIPT: list[tuple[str, str]] = [
    ("send", "/checkin"),
    ("press", r"^ci:new:\d+:[\d-]+:regular$"),
    ("press", r":date:\d+$"),
    ("press", r":time:1930$"),
    ("press", r":duration:90$"),
    ("press", r":pre_meeting:y$"),
    ("press", r":content_prepared:y$"),
    ("press", r":draft_resolution:y$"),
    ("press", r"^ci:t:"),
    ("press", r":attendance:done$"),
    ("press", r":absence:e$"),
    ("press", r":dues:all$"),
    ("send", "Triển khai nghị quyết tháng; phòng chống mưa bão"),
    ("press", r":current_affairs:y$"),
    ("press", r":ho_chi_minh:y$"),
    ("press", r":speakers:8$"),
    ("press", r":commended:none$"),
    ("press", r":criticised:none$"),
    ("press", r":assessed:y$"),
    ("press", r":resolution_impl:full$"),
    ("press", r":resolution_adopted:y$"),
    ("press", r":minutes_complete:y$"),
    ("press", r":matters:none$"),
    ("press", r"^ci:s:"),
]


@dataclass
class SecretaryRun(ChatRun):
    cell_id: int = 0

    def button(self, value: str) -> str:
        pattern = re.compile(value)
        for call in reversed(self.last):
            for _text, data in call.buttons():
                if pattern.search(data):
                    return data
        shown = [b for c in self.last for b in c.buttons()]
        texts = [str(c.params.get("text", ""))[:160] for c in self.last]
        raise ScriptError(f"step {self.step}: no button {value!r} in {shown} after {texts}")


async def pick_secretaries(sessions: Any, count: int) -> list[SecretaryRun]:
    """Secretaries of cells that reported last month and not yet this month, with rosters
    of at least 12 active members (the script taps "8 speakers"), spread over the province."""
    from domain.periods import add_months, month_start
    from storage.members import ACTIVE_STATUSES
    from storage.models import Account, Checkin, Member, RoleGrant

    this_month = month_start(clock.today())
    last_month = add_months(this_month, -1)
    async with sessions() as session:
        big = (
            select(Member.cell_id)
            .where(Member.status.in_(ACTIVE_STATUSES))
            .group_by(Member.cell_id)
            .having(Member.cell_id.is_not(None))
        )
        from sqlalchemy import func

        big = big.having(func.count() >= 12)
        reported = select(Checkin.cell_id).where(
            Checkin.month == last_month, Checkin.status == "submitted"
        )
        current = select(Checkin.cell_id).where(Checkin.month == this_month)
        rows = (
            await session.execute(
                select(Account.telegram_id, RoleGrant.unit_id)
                .join(RoleGrant, RoleGrant.account_id == Account.id)
                .where(
                    RoleGrant.role == "secretary",
                    RoleGrant.unit_id.in_(big),
                    RoleGrant.unit_id.in_(reported),
                    RoleGrant.unit_id.not_in(current),
                )
                .order_by(RoleGrant.unit_id)
            )
        ).all()
    if len(rows) < count:
        raise RuntimeError(f"only {len(rows)} eligible secretaries for {count}")
    stride = len(rows) / count
    return [
        SecretaryRun(
            int(rows[int(i * stride)][0]), CHECKIN_SCRIPT, cell_id=int(rows[int(i * stride)][1])
        )
        for i in range(count)
    ]


async def submitted_now(sessions: Any, cell_ids: list[int]) -> int:
    from sqlalchemy import func

    from domain.periods import month_start
    from storage.models import Checkin

    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Checkin)
                .where(
                    Checkin.cell_id.in_(cell_ids),
                    Checkin.month == month_start(clock.today()),
                    Checkin.status == "submitted",
                )
            )
            or 0
        )


def real_app(
    url: str,
    sessions: Any = None,
    concurrency: int = 1,
    latency: float = 0.0,
) -> tuple[App, BenchRequest]:
    """The production application. Without `sessions` it builds its own engine, with the
    connection pool `build_application` sizes for `concurrency` (dispose it with
    `dispose_engine`)."""
    from bot.app import build_application
    from bot.settings import Settings

    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=url,
        admin_telegram_ids=[],
        default_language="vi",
        concurrent_updates=concurrency,
    )
    request = BenchRequest(latency=latency)
    app = build_application(
        settings,
        token=TOKEN,
        session_factory=sessions,
        request=request,
        updates_request=BenchRequest(),
        rate_limiter=lifted_limiter(),
    )
    return app, request


async def dispose_engine(app: App) -> None:
    """Close the pool of the engine `build_application` created for `app`."""
    engine = app.bot_data["services"].sessions.kw.get("bind")
    if isinstance(engine, AsyncEngine):
        await engine.dispose()


async def run_checkins(
    url: str,
    secretaries: list[SecretaryRun],
    concurrency: int,
    latency: float,
    profile: cProfile.Profile | None = None,
) -> tuple[Latencies, int]:
    """Every secretary completes a check-in (the first one untimed, as the warm-up);
    returns latencies and the failures."""
    app, request = real_app(url, concurrency=concurrency, latency=latency)
    try:
        result = await drive(app, request, secretaries[1:], concurrency, secretaries[0], profile)
    finally:
        await dispose_engine(app)
    return result, sum(1 for s in secretaries if s.failed)


# ---------------------------------------------------------------- the scenario


@dataclass(frozen=True)
class Levels:
    """What scenario 1 runs: concurrency levels for the three, the check-in alone at
    `peak`, and how many secretaries (each one complete check-in) a level gets."""

    levels: tuple[int, ...] = (1, 8, 32)
    peak: int = 64
    secretaries: int = 40  # at 0 ms, where a run of few updates would be too short to time
    rounds: int = 1  # check-ins per chat at a level (a chat done makes room for the next)
    least: int = 2  # at least this many secretaries in a run (sequential at 50 ms)

    def chats(self, level: int, latency_ms: float) -> int:
        if latency_ms == 0:
            return max(level * self.rounds, self.secretaries)
        return max(level * self.rounds, self.least)


def _measured(
    database: str,
    label: str,
    level: int,
    run: Latencies,
    latency_ms: float,
    note: str = "",
    p99_target: float | None = None,
) -> list[Figure]:
    at = f"{label}, {level} chat{'s' if level > 1 else ''}"
    ctx: dict[str, Any] = {"latency_ms": latency_ms, "concurrency": level}
    p99 = run.ms(99)
    return [
        Figure(SCENARIO, database, at, run.per_second, "updates/s", note=note, **ctx),
        Figure(SCENARIO, database, f"{at}: p50", run.ms(50), "ms", **ctx),
        Figure(SCENARIO, database, f"{at}: p95", run.ms(95), "ms", **ctx),
        Figure(
            SCENARIO,
            database,
            f"{at}: p99",
            p99,
            "ms",
            "" if p99_target is None else f"< {p99_target:g} ms",
            None if p99_target is None else p99 < p99_target,
            **ctx,
        ),
        Figure(SCENARIO, database, f"{at}: CPU per update", run.cpu_ms_per_update(), "ms", **ctx),
    ]


def _submit(database: str, level: int, run: Latencies, latency_ms: float) -> Figure:
    """p99 of the final "submit" taps alone. Its target (< 50 ms) is the bot's own time, so
    it is judged without the simulated Bot API round trip (`--latency-ms 0`)."""
    finals = Latencies(samples=run.finals)
    p99 = finals.ms(99)
    judged = latency_ms == 0
    return Figure(
        SCENARIO,
        database,
        f"check-in submit, {level} chat{'s' if level > 1 else ''}: p99",
        p99,
        "ms",
        "< 50 ms" if judged else "",
        p99 < 50 if judged else None,
        note=f"{len(run.finals)} submits; p50 {finals.ms(50):.1f} ms, max {finals.ms(100):.1f} ms",
        latency_ms=latency_ms,
        concurrency=level,
    )


def _failed(database: str, figure: str, exc: Exception, latency_ms: float, level: int) -> Figure:
    found = not_available(SCENARIO, database, figure, "updates/s", str(exc))
    found.latency_ms, found.concurrency = latency_ms, level
    return found


async def _checkins(
    database: str, url: str, sessions: Any, count: int, level: int, latency: float
) -> Latencies:
    picked = await pick_secretaries(sessions, count + 1)  # one more for the warm-up
    real, failed = await run_checkins(url, picked, level, latency)
    done = await submitted_now(sessions, [s.cell_id for s in picked])
    failures = [s.failed for s in picked if s.failed]
    if failed or done != len(picked):
        first = failures[0] if failures else "submitted count differs"
        raise RuntimeError(
            f"{level} chats: {failed} of {len(picked)} check-ins failed ({done} submitted): {first}"
        )
    return real


async def run(
    database: str, url: str, levels: Levels, latency_ms: float
) -> tuple[list[Figure], PeakRSS]:
    from storage.db import create_engine, create_session_factory

    engine = create_engine(url)  # the scenario's own: picking secretaries, counting results
    sessions = create_session_factory(engine)
    rss = PeakRSS()
    with rss:
        try:
            figures = await _levels(database, url, sessions, levels, latency_ms)
        finally:
            await engine.dispose()
    return figures, rss


async def _levels(
    database: str, url: str, sessions: Any, levels: Levels, latency_ms: float
) -> list[Figure]:
    from storage.db import create_engine, pool_size_for

    latency = latency_ms / 1000
    figures: list[Figure] = []
    length = len(CHECKIN_SCRIPT)
    for level in levels.levels:
        count = levels.chats(level, latency_ms)
        users = [s.telegram_id for s in await pick_secretaries(sessions, count)]
        print(f"  {level} chats at once, {count} users × {length} updates …", flush=True)
        bare = await run_trivial(users, length, None, level, latency)
        # The floor's pool is the one build_application gives the check-in at this level.
        floor_engine = create_engine(url, pool_size=pool_size_for(level, url))
        try:
            floor = await run_trivial(users, length, floor_engine, level, latency)
        finally:
            await floor_engine.dispose()
        figures += _measured(database, "bare PTB", level, bare, latency_ms)
        figures += _measured(database, "durable floor", level, floor, latency_ms)
        chats = f"{level} chat{'s' if level > 1 else ''}"
        try:
            real = await _checkins(database, url, sessions, count, level, latency)
        except RuntimeError as exc:  # this level is not available; the others still are
            figures.append(_failed(database, f"check-in, {chats}", exc, latency_ms, level))
            continue
        note = f"{count} secretaries × {length} updates"
        target = 500.0 if level >= 32 and latency_ms > 0 else None
        figures += _measured(database, "check-in", level, real, latency_ms, note, target)
        figures.append(_submit(database, level, real, latency_ms))
        ratio = real.per_second / floor.per_second
        wanted = (level >= 32 and latency_ms > 0) or (level == 1 and latency_ms == 0)
        figures.append(
            Figure(
                SCENARIO,
                database,
                f"ratio check-in / durable floor, {chats}",
                ratio,
                "ratio",
                "≥ 0.8" if wanted else "",
                ratio >= 0.8 if wanted else None,
                latency_ms=latency_ms,
                concurrency=level,
            )
        )
    if levels.peak:
        count = levels.chats(levels.peak, latency_ms)
        print(f"  check-in alone, {levels.peak} chats at once, {count} users …", flush=True)
        try:
            peak = await _checkins(database, url, sessions, count, levels.peak, latency)
        except RuntimeError as exc:
            at = f"check-in, {levels.peak} chats"
            return [*figures, _failed(database, at, exc, latency_ms, levels.peak)]
        note = f"{count} secretaries × {length} updates"
        figures += _measured(database, "check-in", levels.peak, peak, latency_ms, note)
        figures.append(
            Figure(
                SCENARIO,
                database,
                f"check-in, {levels.peak} chats / country evening peak "
                f"({COUNTRY_PEAK:g} updates/s)",
                peak.per_second / COUNTRY_PEAK,
                "ratio",
                note="≈ 270,000 cells; CPU per update is this process only "
                "(PostgreSQL's server CPU not counted)",
                latency_ms=latency_ms,
                concurrency=levels.peak,
            )
        )
    return figures


def matrix(figures: list[Figure]) -> str:
    """Scenario 1 at a glance: per database and level, updates/s and p50/p95/p99 ms."""
    rows: list[tuple[str, ...]] = [
        ("db", "latency", "chats", "bare PTB", "durable floor", "check-in", "check-in/floor")
    ]
    cells: dict[tuple[str, float | None, int | None], dict[str, str]] = {}
    for f in figures:
        if f.scenario != SCENARIO or f.value is None or f.concurrency is None:
            continue
        key = (f.database, f.latency_ms, f.concurrency)
        label, _, metric = f.figure.partition(": ")
        what = label.split(",")[0]
        row = cells.setdefault(key, {})
        if f.unit == "updates/s":
            row[what] = f"{f.value:,.1f}/s" + row.get(what, "")
        elif metric in ("p50", "p95", "p99"):
            row[what] = row.get(what, "") + ("  " if metric == "p50" else "/") + f"{f.value:.0f}"
        elif what.startswith("ratio"):
            row["ratio"] = f"{f.value:.2f}"
    for (db, latency, level), row in cells.items():
        rows.append(
            (
                db,
                f"{latency:g} ms",
                str(level),
                *(row.get(k, "") for k in ("bare PTB", "durable floor", "check-in", "ratio")),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(["scenario 1: updates/s  p50/p95/p99 ms per update", *lines[:1], *lines[1:]])
