"""Scenario 1: update throughput of the real check-in against two baselines, in one run.

* bare PTB: a trivial 3-state ConversationHandler, no database;
* durable floor: the same conversation plus one minimal write transaction per update;
* check-in: the real Application (`bot.app.build_application`, every handler, SQL
  persistence, the database) with secretaries doing complete check-ins, as users tap.

All three are driven the same way: N users interleaved round-robin, one update at a time
through `Application.process_update`, answered by the same offline request, with the
production rate limiter class present but its limits lifted (this measures the bot, not
Telegram's flood limits). Latency is process_update plus the tasks it re-dispatched; the
wall time also counts the persistence write-behind that production runs every 10 s.

Optionally the check-in is also run with several chats processed concurrently (each chat's
updates still in order), which is how a deployment can use PostgreSQL's parallelism.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
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
    timed_update,
)

SCENARIO = "1 update throughput"
PERSISTENCE_EVERY = 10.0  # seconds, as build_application's default interval

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


def trivial_app(engine: AsyncEngine | None) -> Application[Any, Any, Any, Any, Any, Any]:
    """The 3-state conversation; with `engine`, each update also commits one INSERT."""

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
        await write(update, step)
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
        .request(BenchRequest())
        .get_updates_request(BenchRequest())
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(lifted_limiter())
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


async def run_trivial(users: list[int], length: int, engine: AsyncEngine | None) -> Latencies:
    if engine is not None:
        async with engine.begin() as conn:
            await conn.run_sync(_floor_meta.create_all)
    app = trivial_app(engine)
    updates = Updates()
    result = Latencies()
    script = trivial_script(length)
    await app.initialize()
    try:
        started = time.perf_counter()
        for kind, value in script:
            for user in users:
                data = (
                    updates.message(user, value) if kind == "send" else updates.press(user, value)
                )
                result.samples.append(await timed_update(app, data))
        result.wall = time.perf_counter() - started
    finally:
        await app.shutdown()
        if engine is not None:
            async with engine.begin() as conn:
                await conn.run_sync(_floor_meta.drop_all)
    return result


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


class ScriptError(Exception):
    pass


@dataclass
class SecretaryRun:
    telegram_id: int
    cell_id: int
    step: int = 0
    last: list[Call] = field(default_factory=list)
    failed: str | None = None

    def next_update(self, updates: Updates) -> dict[str, Any]:
        kind, value = CHECKIN_SCRIPT[self.step]
        if kind == "send":
            return updates.message(self.telegram_id, value)
        pattern = re.compile(value)
        for call in reversed(self.last):
            for _text, data in call.buttons():
                if pattern.search(data):
                    return updates.press(self.telegram_id, data)
        shown = [b for c in self.last for b in c.buttons()]
        texts = [str(c.params.get("text", ""))[:160] for c in self.last]
        raise ScriptError(f"step {self.step}: no button {value!r} in {shown} after {texts}")


async def pick_secretaries(sessions: Any, count: int) -> list[SecretaryRun]:
    """Secretaries of cells that reported last month and not yet this month, with rosters
    of at least 12 active members (the script taps "8 speakers"), spread over the province."""
    from domain.periods import add_months, month_start
    from storage.members import ACTIVE_STATUSES
    from storage.models import Account, Checkin, Member, RoleGrant

    this_month = month_start(dt.date.today())
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
        SecretaryRun(int(rows[int(i * stride)][0]), int(rows[int(i * stride)][1]))
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
                    Checkin.month == month_start(dt.date.today()),
                    Checkin.status == "submitted",
                )
            )
            or 0
        )


def real_app(
    url: str, sessions: Any, concurrency: int = 1
) -> tuple[Application[Any, Any, Any, Any, Any, Any], BenchRequest]:
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
    request = BenchRequest()
    app = build_application(
        settings,
        token=TOKEN,
        session_factory=sessions,
        request=request,
        updates_request=BenchRequest(),
        rate_limiter=lifted_limiter(),
    )
    return app, request


async def run_checkins(
    url: str,
    sessions: Any,
    secretaries: list[SecretaryRun],
    concurrency: int = 1,
    submits: Latencies | None = None,
) -> tuple[Latencies, int]:
    """Every secretary completes a check-in; returns latencies and the failures. `submits`
    also gets the latency of each final tap on "submit" (the update that stores the meeting
    score and refreshes the cell's results)."""
    app, request = real_app(url, sessions, concurrency)
    updates = Updates()
    result = Latencies()
    await app.initialize()
    last_flush = time.perf_counter()

    async def one(sec: SecretaryRun, data: dict[str, Any]) -> None:
        seconds = await timed_update(app, data)
        result.samples.append(seconds)
        if submits is not None and sec.step == len(CHECKIN_SCRIPT) - 1:
            submits.samples.append(seconds)
        sec.last = [
            c for c in request.take() if int(c.params.get("chat_id") or 0) == sec.telegram_id
        ] or sec.last

    try:
        started = time.perf_counter()
        for _step in range(len(CHECKIN_SCRIPT)):
            active = [s for s in secretaries if s.failed is None]
            for start in range(0, len(active), concurrency):
                group = active[start : start + concurrency]
                batch = []
                for sec in group:
                    try:
                        batch.append((sec, sec.next_update(updates)))
                    except ScriptError as exc:
                        sec.failed = str(exc)
                if concurrency == 1:
                    for sec, data in batch:
                        await one(sec, data)
                else:
                    await _concurrent(app, request, result, batch)
                if time.perf_counter() - last_flush >= PERSISTENCE_EVERY:
                    await app.update_persistence()
                    last_flush = time.perf_counter()
            for sec in active:
                if sec.failed is None:
                    sec.step += 1
        await app.update_persistence()
        result.wall = time.perf_counter() - started
    finally:
        await app.shutdown()
    return result, sum(1 for s in secretaries if s.failed)


async def _concurrent(
    app: Application[Any, Any, Any, Any, Any, Any],
    request: BenchRequest,
    result: Latencies,
    batch: list[tuple[SecretaryRun, dict[str, Any]]],
) -> None:
    """One update of each chat in `batch` started at once, through the application's own
    update processor (`bot.update_processor`: chats overlap, each chat keeps its order), as
    PTB's update fetcher starts them."""

    async def one(data: dict[str, Any]) -> None:
        update = Update.de_json(data, app.bot)
        began = time.perf_counter()
        await app.update_processor.process_update(update, app.process_update(update))
        result.samples.append(time.perf_counter() - began)

    await asyncio.gather(*(one(data) for _sec, data in batch))
    calls = request.take()
    for sec, _data in batch:
        mine = [c for c in calls if int(c.params.get("chat_id") or 0) == sec.telegram_id]
        sec.last = mine or sec.last


# ---------------------------------------------------------------- the scenario


async def run(
    database: str, url: str, secretaries: int, *, concurrency: int = 0
) -> tuple[list[Figure], PeakRSS]:
    from storage.db import create_engine, create_session_factory

    figures: list[Figure] = []
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    rss = PeakRSS()
    try:
        picked = await pick_secretaries(sessions, secretaries)
        users = [s.telegram_id for s in picked]
        length = len(CHECKIN_SCRIPT)
        bare = await run_trivial(users, length, None)
        floor = await run_trivial(users, length, engine)
        submits = Latencies()
        with rss:
            real, failed = await run_checkins(url, sessions, picked, submits=submits)
        done = await submitted_now(sessions, [s.cell_id for s in picked])
        failures = [s.failed for s in picked if s.failed]
        if failed or done != len(picked):
            first = failures[0] if failures else "submitted count differs"
            raise RuntimeError(
                f"{failed} of {len(picked)} check-ins failed ({done} submitted): {first}"
            )
        figures += [
            Figure(SCENARIO, "-", "bare PTB (3-state conversation)", bare.per_second, "updates/s"),
            Figure(
                SCENARIO,
                database,
                "durable floor (1 write tx/update)",
                floor.per_second,
                "updates/s",
            ),
            Figure(
                SCENARIO,
                database,
                f"check-in, {len(picked)} secretaries × {length} updates",
                real.per_second,
                "updates/s",
            ),
            Figure(SCENARIO, database, "check-in latency p50", real.ms(50), "ms"),
            Figure(SCENARIO, database, "check-in latency p95", real.ms(95), "ms"),
            Figure(
                SCENARIO,
                database,
                "check-in latency p99",
                real.ms(99),
                "ms",
                "< 10 ms",
                real.ms(99) < 10,
            ),
            Figure(
                SCENARIO,
                database,
                f"check-in submit latency p99 ({len(submits.samples)} submits)",
                submits.ms(99),
                "ms",
                "< 50 ms",
                submits.ms(99) < 50,
                note=f"p50 {submits.ms(50):.1f} ms, max {submits.ms(100):.1f} ms",
            ),
            Figure(SCENARIO, database, "durable floor latency p99", floor.ms(99), "ms"),
            Figure(SCENARIO, "-", "bare PTB latency p99", bare.ms(99), "ms"),
            Figure(
                SCENARIO,
                database,
                "ratio check-in / durable floor",
                real.per_second / floor.per_second,
                "ratio",
                "≥ 0.8",
                real.per_second / floor.per_second >= 0.8,
            ),
            Figure(
                SCENARIO,
                database,
                "ratio check-in / bare PTB",
                real.per_second / bare.per_second,
                "ratio",
            ),
        ]
        if concurrency > 1:
            again = await pick_secretaries(sessions, secretaries)
            conc, failed = await run_checkins(url, sessions, again, concurrency=concurrency)
            note = f"{failed} failed" if failed else ""
            figures += [
                Figure(
                    SCENARIO,
                    database,
                    f"check-in, {concurrency} chats at a time (order per chat kept)",
                    conc.per_second,
                    "updates/s",
                    note=note,
                ),
                Figure(SCENARIO, database, "concurrent latency p99", conc.ms(99), "ms"),
                Figure(
                    SCENARIO,
                    database,
                    "ratio concurrent check-in / durable floor",
                    conc.per_second / floor.per_second,
                    "ratio",
                ),
            ]
    finally:
        await engine.dispose()
    return figures, rss
