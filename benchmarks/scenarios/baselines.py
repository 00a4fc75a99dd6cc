"""Scenario 1's two baselines: bare PTB (a trivial 3-state ConversationHandler, no database)
and the durable floor (the same conversation plus one minimal write transaction per update,
committed before the update's Bot API calls, as the bot must: commit, then speak).
"""

from __future__ import annotations

import cProfile

from sqlalchemy import BigInteger, Column, Integer, MetaData, SmallInteger, Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    Defaults,
    MessageHandler,
    filters,
)

from benchmarks.scenarios.base import TOKEN, BenchRequest, Latencies, lifted_limiter
from benchmarks.scenarios.chat_driver import App, ChatRun, drive

WARMUP_CHAT = 1  # the baselines' untimed first chat (no account needed)


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
