"""/review: open a submitted check-in, approve it or mark it "has issues" with a comment (the
secretary is notified through the outbox and can fix it). /lock <period> freezes a period's
check-ins under the supervisor's unit; /unlock lifts a lock set at the same level or below.

Callback data: ``sv:rvq:<unit>:<page>`` (queue), ``sv:rv:<unit>:<checkin>`` (open),
``sv:rva:<unit>:<checkin>`` (approve), ``sv:rvi:<unit>:<checkin>`` (has issues: asks for
a comment), ``sv:lock:<unit>:<period>`` (confirm), ``sv:lockok:<unit>:<period>`` (lock),
``sv:unl:<lock id>`` (unlock).
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import Ctx, Request, user_data, with_request
from bot.conversation import END, fallbacks
from bot.i18n import period_text
from bot.keyboards import button, int_arg, markup, pager_row, parse_cb, rows, tapped
from domain.periods import Period
from handlers.checkin_review import review_text, score_text
from handlers.supervisor_common import (
    PAGE_SIZE,
    PREFIX,
    cb_period,
    esc,
    framework,
    not_supervisor,
    now_utc,
    parse_period_arg,
    period_name,
    roots,
    single_root_or_pick,
    target_unit,
)
from storage.checkins import answers_of
from storage.locks import lock_period, locks_in_scope, unlock
from storage.members import roster
from storage.models import Checkin
from storage.reviews import (
    REVIEW_APPROVED,
    REVIEW_HAS_ISSUES,
    checkin_in_scope,
    review_queue,
    set_review,
)
from storage.scope import UnitRef, is_supervisor, visible_unit

ASK_COMMENT = 0
PENDING = "sv_review"
MAX_COMMENT = 1000
MAX_TEXT = 4000


def _month(checkin_month: object) -> str:
    month = getattr(checkin_month, "month", 0)
    year = getattr(checkin_month, "year", 0)
    return f"{month:02d}/{year}"


# ---------------------------------------------------------------- the queue


async def queue_view(req: Request, unit: UnitRef, page: int) -> tuple[str, InlineKeyboardMarkup]:
    items, total = await review_queue(req.session, unit, max(page, 0), PAGE_SIZE)
    text = req.t("sv.rv.queue", unit=esc(unit.name), count=total)
    if not total:
        text += "\n" + req.t("sv.rv.queue_empty")
    buttons = [
        button(
            f"{_month(item.month)} · {item.cell_name}" + (" ⓣ" if item.slot != "regular" else ""),
            PREFIX,
            "rv",
            unit.id,
            item.checkin_id,
        )
        for item in items
    ]
    keyboard = [*rows(buttons, 1), pager_row(f"{PREFIX}:rvq", page, total, PAGE_SIZE, unit.id)]
    return text, markup(*keyboard)


@with_request
async def review_command(update: Update, context: Ctx, req: Request) -> None:
    unit = await single_root_or_pick(req, "rvq", 0)
    if unit is None:
        return
    text, keyboard = await queue_view(req, unit, 0)
    req.reply(text, keyboard)


@with_request
async def queue_button(update: Update, context: Ctx, req: Request) -> None:
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    unit = await target_unit(req, parts)
    if unit is None:
        req.refuse()
        return
    text, keyboard = await queue_view(req, unit, int_arg(parts, 3) or 0)
    req.show(text, keyboard)


# ---------------------------------------------------------------- one check-in


async def _target(update: Update, req: Request) -> tuple[UnitRef, Checkin, UnitRef] | None:
    """(the unit the queue is for, the check-in, its cell), all re-checked against scope."""
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    scope = await roots(req)
    unit = await visible_unit(req.session, scope, int_arg(parts, 2))
    found = await checkin_in_scope(req.session, scope, int_arg(parts, 3))
    if unit is None or found is None or not found[1].path.startswith(unit.path):
        req.refuse()
        return None
    return unit, found[0], found[1]


async def checkin_view(
    req: Request, context: Ctx, unit: UnitRef, checkin: Checkin, cell: UnitRef
) -> tuple[str, InlineKeyboardMarkup]:
    names = {m.id: m.full_name for m in await roster(req.session, cell.id, include_left=True)}
    header = req.t("sv.rv.header", cell=esc(cell.name), month=_month(checkin.month))
    body = review_text(answers_of(checkin), checkin, header, req.lang, names)
    score = await score_text(req.session, framework(context), checkin.id, req.lang)
    parts = [body]
    if score:
        parts += ["", score]
    if checkin.review_status:
        parts += [
            "",
            req.t(
                f"sv.rv.status.{checkin.review_status}",
                comment=html.escape(checkin.review_comment or ""),
            ),
        ]
    text = "\n".join(parts)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + "…"
    keyboard = markup(
        [
            button(req.t("sv.rv.btn_approve"), PREFIX, "rva", unit.id, checkin.id),
            button(req.t("sv.rv.btn_issues"), PREFIX, "rvi", unit.id, checkin.id),
        ],
        [button(req.t("common.back"), PREFIX, "rvq", unit.id, 0)],
    )
    return text, keyboard


@with_request
async def open_button(update: Update, context: Ctx, req: Request) -> None:
    target = await _target(update, req)
    if target is None:
        return
    text, keyboard = await checkin_view(req, context, *target)
    req.show(text, keyboard)


@with_request
async def approve_button(update: Update, context: Ctx, req: Request) -> None:
    target = await _target(update, req)
    if target is None:
        return
    unit, checkin, cell = target
    await set_review(
        req.session,
        checkin,
        cell,
        REVIEW_APPROVED,
        None,
        actor_account_id=req.account.id,
        now=now_utc(),
    )
    text, keyboard = await queue_view(req, unit, 0)
    req.show(
        req.t("sv.rv.approved", cell=esc(cell.name), month=_month(checkin.month)) + "\n\n" + text,
        keyboard,
    )


@with_request
async def issues_button(update: Update, context: Ctx, req: Request) -> int:
    target = await _target(update, req)
    if target is None:
        return END
    unit, checkin, cell = target
    user_data(context)[PENDING] = {"unit": unit.id, "checkin": checkin.id}
    req.show(
        req.t(
            "sv.rv.ask_comment", cell=esc(cell.name), month=_month(checkin.month), max=MAX_COMMENT
        ),
    )
    return ASK_COMMENT


@with_request
async def got_comment(update: Update, context: Ctx, req: Request) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    pending = (context.user_data or {}).get(PENDING)
    pending = pending if isinstance(pending, dict) else {}
    scope = await roots(req)
    unit_id, checkin_id = pending.get("unit"), pending.get("checkin")
    unit = await visible_unit(req.session, scope, unit_id if isinstance(unit_id, int) else None)
    found = await checkin_in_scope(
        req.session, scope, checkin_id if isinstance(checkin_id, int) else None
    )
    if unit is None or found is None:
        req.reply(req.t("common.session_expired"))
        return END
    comment = message.text.strip()
    if not comment or len(comment) > MAX_COMMENT:
        req.reply(req.t("sv.rv.bad_comment", max=MAX_COMMENT))
        return ASK_COMMENT
    checkin, cell = found
    await set_review(
        req.session,
        checkin,
        cell,
        REVIEW_HAS_ISSUES,
        comment,
        actor_account_id=req.account.id,
        now=now_utc(),
    )
    user_data(context).pop(PENDING, None)
    text, keyboard = await queue_view(req, unit, 0)
    req.reply(
        req.t("sv.rv.issues_saved", cell=esc(cell.name), month=_month(checkin.month))
        + "\n\n"
        + text,
        keyboard,
    )
    return END


@with_request
async def not_text(update: Update, context: Ctx, req: Request) -> int:
    req.reply(req.t("sv.rv.bad_comment", max=MAX_COMMENT))
    return ASK_COMMENT


# ---------------------------------------------------------------- lock / unlock


@with_request
async def lock_command(update: Update, context: Ctx, req: Request) -> None:
    if not is_supervisor(req.grants, req.is_admin):
        not_supervisor(req)
        return
    period = parse_period_arg(" ".join(context.args or []), Period("year", 1, 1))
    if not context.args or period is None:
        req.reply(req.t("sv.lock.usage"))
        return
    unit = await single_root_or_pick(req, "lock", period.label)
    if unit is None:
        return
    _confirm(req, unit, period)


def _confirm(req: Request, unit: UnitRef, period: Period) -> None:
    req.show(
        req.t("sv.lock.confirm", unit=esc(unit.name), period=period_name(req, period)),
        markup(
            [
                button(req.t("sv.lock.btn_lock"), PREFIX, "lockok", unit.id, period.label),
                button(req.t("common.cancel"), PREFIX, "lockno"),
            ]
        ),
    )


@with_request
async def lock_button(update: Update, context: Ctx, req: Request) -> None:
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    if parts[1] == "lockno":
        req.show(req.t("sv.lock.cancelled"))
        return
    unit = await target_unit(req, parts)
    period = cb_period(parts, 3)
    if unit is None or period is None:
        req.refuse()
        return
    if parts[1] == "lock":
        _confirm(req, unit, period)
        return
    created = await lock_period(req.session, unit, period, actor_account_id=req.account.id)
    key = "sv.lock.done" if created else "sv.lock.already"
    req.show(req.t(key, unit=esc(unit.name), period=period_name(req, period)))


async def unlock_view(req: Request) -> tuple[str, InlineKeyboardMarkup]:
    locks = await locks_in_scope(req.session, await roots(req))
    if not locks:
        return req.t("sv.unlock.none"), markup()
    buttons = [
        [
            button(
                f"🔓 {period_text(lock.period, req.lang)} · {lock.unit_name}",
                PREFIX,
                "unl",
                lock.id,
            )
        ]
        for lock in locks[:30]
    ]
    return req.t("sv.unlock.pick", count=len(locks)), markup(*buttons)


@with_request
async def unlock_command(update: Update, context: Ctx, req: Request) -> None:
    if not is_supervisor(req.grants, req.is_admin):
        not_supervisor(req)
        return
    text, keyboard = await unlock_view(req)
    req.reply(text, keyboard)


@with_request
async def unlock_button(update: Update, context: Ctx, req: Request) -> None:
    lock_id = int_arg(tapped(update), 2)
    lifted = None
    if lock_id is not None:
        lifted = await unlock(
            req.session, await roots(req), lock_id, actor_account_id=req.account.id
        )
    if lifted is None:
        req.refuse()
        return
    text, keyboard = await unlock_view(req)
    req.show(
        req.t(
            "sv.unlock.done",
            unit=esc(lifted.unit_name),
            period=period_text(lifted.period, req.lang),
        )
        + "\n\n"
        + text,
        keyboard,
    )


def conversation() -> ConversationHandler[Ctx]:
    """The comment typed after "has issues" on a reviewed check-in."""
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND & ~filters.TEXT
    conversation = ConversationHandler(
        entry_points=[CallbackQueryHandler(issues_button, pattern=rf"^{PREFIX}:rvi:")],
        states={ASK_COMMENT: [MessageHandler(text, got_comment), MessageHandler(other, not_text)]},
        fallbacks=fallbacks(),
        name="sv_review",
        persistent=True,
        allow_reentry=True,
    )
    return conversation
