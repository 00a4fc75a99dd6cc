"""/broadcast: a message to every secretary and deputy under the supervisor's unit —
compose, preview with the recipient count, confirm; the outbox dispatcher delivers it
(rate-limited) and "Delivery report" counts sent / waiting / failed / blocked.

Callback data: ``sv:bc:<unit>`` (start for that unit), ``sv:bcok:<unit>`` (send),
``sv:bcno`` (drop), ``sv:bcr:<broadcast id>`` (delivery report).
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import Ctx, Request, user_data, with_request
from bot.conversation import END, fallbacks
from bot.keyboards import button, int_arg, markup, parse_cb, tapped
from handlers.supervisor_common import (
    PREFIX,
    esc,
    now_utc,
    roots,
    single_root_or_pick,
    target_unit,
)
from storage.broadcasts import (
    broadcast_in_scope,
    broadcast_recipients,
    create_broadcast,
    delivery_report,
    recent_broadcasts,
)
from storage.scope import UnitRef, visible_unit

ASK_TEXT = 0
PENDING = "sv_broadcast"
MAX_TEXT = 3500  # leaves room in Telegram's 4096 for the header the dispatcher may add


def _pending(context: Ctx) -> dict[str, object]:
    data = (context.user_data or {}).get(PENDING)
    return data if isinstance(data, dict) else {}


async def _ask(context: Ctx, req: Request, unit: UnitRef) -> int:
    user_data(context)[PENDING] = {"unit": unit.id}
    recent = await recent_broadcasts(req.session, unit)
    parts = [req.t("sv.bc.ask", unit=esc(unit.name), max=MAX_TEXT)]
    keyboard = []
    if recent:
        parts.append(req.t("sv.bc.recent"))
        for item in recent:
            stamp = item.created_at.astimezone(req.settings.tz).strftime("%d/%m %H:%M")
            keyboard.append(
                [
                    button(
                        req.t("sv.bc.btn_report_of", when=stamp, count=item.recipients),
                        PREFIX,
                        "bcr",
                        item.id,
                    )
                ]
            )
    req.show("\n".join(parts), markup(*keyboard))
    return ASK_TEXT


@with_request
async def broadcast_command(update: Update, context: Ctx, req: Request) -> int:
    unit = await single_root_or_pick(req, "bc")
    if unit is None:
        return END
    return await _ask(context, req, unit)


@with_request
async def broadcast_pick(update: Update, context: Ctx, req: Request) -> int:
    query = update.callback_query
    assert query is not None
    unit = await target_unit(req, parse_cb(query.data))
    if unit is None:
        req.refuse()
        return END
    return await _ask(context, req, unit)


@with_request
async def got_text(update: Update, context: Ctx, req: Request) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    pending = _pending(context)
    unit_id = pending.get("unit")
    unit = await visible_unit(
        req.session, await roots(req), unit_id if isinstance(unit_id, int) else None
    )
    if unit is None:
        req.reply(req.t("common.session_expired"))
        return END
    text = message.text.strip()
    if not text or len(text) > MAX_TEXT:
        req.reply(req.t("sv.bc.bad_text", max=MAX_TEXT))
        return ASK_TEXT
    count = len(await broadcast_recipients(req.session, unit))
    user_data(context)[PENDING] = {"unit": unit.id, "text": text}
    if count == 0:
        req.reply(req.t("sv.bc.no_recipients", unit=esc(unit.name)))
        return END
    req.reply(
        req.t("sv.bc.preview", unit=esc(unit.name), count=count, text=html.escape(text)),
        markup(
            [
                button(req.t("sv.bc.btn_send", count=count), PREFIX, "bcok", unit.id),
                button(req.t("common.cancel"), PREFIX, "bcno"),
            ]
        ),
    )
    return END


@with_request
async def not_text(update: Update, context: Ctx, req: Request) -> int:
    req.reply(req.t("sv.bc.need_text"))
    return ASK_TEXT


@with_request
async def confirm_button(update: Update, context: Ctx, req: Request) -> None:
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    if parts[1] == "bcno":
        user_data(context).pop(PENDING, None)
        req.show(req.t("sv.bc.dropped"))
        return
    unit = await target_unit(req, parts)
    if unit is None:
        req.refuse()
        return
    pending = _pending(context)
    text = pending.get("text")
    if pending.get("unit") != unit.id or not isinstance(text, str):
        req.alert("common.session_expired")
        return
    item = await create_broadcast(
        req.session, unit, text, actor_account_id=req.account.id, now=now_utc()
    )
    user_data(context).pop(PENDING, None)
    req.show(
        req.t("sv.bc.queued", count=item.recipients, unit=esc(unit.name)),
        markup([button(req.t("sv.bc.btn_report"), PREFIX, "bcr", item.id)]),
    )


@with_request
async def report_button(update: Update, context: Ctx, req: Request) -> None:
    item = await broadcast_in_scope(req.session, await roots(req), int_arg(tapped(update), 2))
    if item is None:
        req.refuse()
        return
    counts = await delivery_report(req.session, item.id)
    waiting = counts.get("pending", 0) + counts.get("claimed", 0)
    failed = counts.get("failed", 0) + counts.get("expired", 0) + counts.get("cancelled", 0)
    req.show(
        req.t(
            "sv.bc.report",
            when=item.created_at.astimezone(req.settings.tz).strftime("%d/%m/%Y %H:%M"),
            total=item.recipients,
            sent=counts.get("sent", 0),
            waiting=waiting,
            failed=failed,
            blocked=counts.get("undeliverable", 0),
            text=html.escape(item.text[:200]),
        ),
        markup([button(req.t("sv.bc.btn_refresh"), PREFIX, "bcr", item.id)]),
    )


def conversation() -> ConversationHandler[Ctx]:
    """/broadcast: pick a unit, type the text (confirmed by a button outside it)."""
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND & ~filters.TEXT
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("broadcast", broadcast_command, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(broadcast_pick, pattern=rf"^{PREFIX}:bc:"),
        ],
        states={ASK_TEXT: [MessageHandler(text, got_text), MessageHandler(other, not_text)]},
        fallbacks=fallbacks(),
        name="sv_broadcast",
        persistent=True,
        allow_reentry=True,
    )
    return conversation
