"""/initiatives: members' initiatives and commitments — register, follow up, lists, coverage.

One command for both roles (cross-feature contract): a cell secretary or deputy gets their
cell's menu; a caller who only supervises gets `handlers.supervisor_initiatives.show`; a
caller who is both chooses with two buttons. Every `in:` button comes through `on_button`,
which checks the cell in the callback data against the caller's grants before anything else.

The flow lives in initiatives_register (registration), initiatives_follow (status changes)
and initiatives_views (screens).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import Ctx, Request, with_request
from bot.conversation import END, fallbacks
from bot.keyboards import button, int_arg, markup, parse_cb
from handlers import initiatives_follow as follow
from handlers import initiatives_register as registration
from handlers.cells import allowed, cell_picker, my_cells
from handlers.initiatives_common import (
    ASK_AMOUNT,
    ASK_ATTACH,
    ASK_BENEFIT,
    ASK_DESC,
    ASK_REALISED,
    ASK_REASON,
    ASK_RESULT,
    ASK_TARGET,
    ASK_TITLE,
    BUTTONS,
    STATUS_CODES,
    STAY,
    P,
    drop_draft,
    get_draft,
)
from handlers.initiatives_views import (
    coverage_view,
    list_view,
    members_view,
    menu_view,
    valid_year,
)
from storage.accounts import supervised_grants
from storage.members import member_of_cell

log = logging.getLogger(__name__)

SUPERVISOR_MODULE = "handlers.supervisor_initiatives"
REGISTER_ACTIONS = {"reg", "regm", "regu", "tg", "pk", "nx", "kd", "yr", "td", "ok"}
FOLLOW_ACTIONS = {"sh", "st", "fl"}


async def _supervisor_view(update: Update, context: Ctx, req: Request) -> None:
    """The supervisor engineer's screen; absent until their module lands."""
    try:
        module = importlib.import_module(SUPERVISOR_MODULE)
    except ModuleNotFoundError as error:
        if error.name != SUPERVISOR_MODULE:
            raise
        log.warning("%s is missing: supervisors get a placeholder reply", SUPERVISOR_MODULE)
        req.reply(req.t("initiatives.supervisor_unavailable"))
        return
    await module.show(update, context, req)


async def _cells_entry(req: Request) -> None:
    cells = my_cells(req)
    if len(cells) > 1:
        text, keyboard = req.t("common.pick_cell"), cell_picker(req, f"{P}:menu")
    else:
        text, keyboard = await menu_view(req, cells[0].unit_id)
    registration.send(req, text, keyboard)


@with_request
async def initiatives_command(update: Update, context: Ctx, req: Request) -> None:
    runs_cells, supervises = bool(my_cells(req)), bool(supervised_grants(req.grants))
    if runs_cells and supervises:
        req.reply(
            req.t("initiatives.choose_view"),
            markup(
                [button(req.t("initiatives.btn_view_cells"), P, "cells")],
                [button(req.t("initiatives.btn_view_supervisor"), P, "sup")],
            ),
        )
    elif supervises:
        await _supervisor_view(update, context, req)
    elif runs_cells:
        await _cells_entry(req)
    else:
        req.reply(req.t("common.not_secretary"))


@with_request
async def on_button(update: Update, context: Ctx, req: Request) -> int | None:
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    action = parts[1] if len(parts) > 1 else ""
    if action == "cells" and my_cells(req):
        await _cells_entry(req)
        return END
    if action == "sup" and supervised_grants(req.grants):
        await _supervisor_view(update, context, req)
        return END
    cell_id = int_arg(parts, 2)
    if not allowed(req, cell_id):
        req.refuse()
        return STAY
    assert cell_id is not None
    if action in REGISTER_ACTIONS:
        return await registration.on_button(context, req, action, parts, cell_id)
    if action in FOLLOW_ACTIONS:
        return await follow.on_button(context, req, action, parts, cell_id)
    if action in ("am", "sk"):  # belong to whichever flow the draft is in
        draft = get_draft(context, req, cell_id)
        if draft is not None and draft.get("mode") == "reg":
            return await registration.on_button(context, req, action, parts, cell_id)
        return await follow.on_button(context, req, action, parts, cell_id)
    return await _browse(context, req, action, parts, cell_id)


async def _browse(
    context: Ctx, req: Request, action: str, parts: list[str], cell_id: int
) -> int | None:
    """The read-only screens; leaving a flow for one of them abandons its draft."""
    if action == "menu":
        drop_draft(context)
        text, keyboard = await menu_view(req, cell_id)
    elif action == "ls":
        member_id, year, page = int_arg(parts, 3), int_arg(parts, 4), int_arg(parts, 6)
        status_code = parts[5] if len(parts) > 5 else ""
        if (
            member_id is None
            or not valid_year(year)
            or status_code not in STATUS_CODES
            or page is None
            or (member_id and await member_of_cell(req.session, cell_id, member_id) is None)
        ):
            req.refuse()
            return STAY
        assert year is not None
        text, keyboard = await list_view(req, cell_id, member_id, year, status_code, page)
    elif action == "mb":
        year, page = int_arg(parts, 3), int_arg(parts, 4)
        if not valid_year(year) or page is None:
            req.refuse()
            return STAY
        assert year is not None
        text, keyboard = await members_view(req, cell_id, year, page)
    elif action == "cv":
        year = int_arg(parts, 3)
        if not valid_year(year):
            req.refuse()
            return STAY
        assert year is not None
        text, keyboard = await coverage_view(req, cell_id, year)
    else:
        req.refuse()
        return STAY
    registration.send(req, text, keyboard)
    return END


# ---------------------------------------------------------------- typed input


def _typed(state: int) -> Callable[[Update, Ctx], Coroutine[Any, Any, int]]:
    """The typed-answer handler of `state`, in the flow (module) that asked the question."""
    follow_up = state in (ASK_RESULT, ASK_REALISED, ASK_ATTACH, ASK_REASON)

    @with_request
    async def handler(update: Update, context: Ctx, req: Request) -> int:
        if follow_up:
            return await follow.on_text(update, context, req, state)
        return await registration.on_text(update, context, req, state)

    return handler


@with_request
async def use_buttons(update: Update, context: Ctx, req: Request) -> None:
    """Text where a button is expected: say so and stay on the question (state unchanged)."""
    req.reply(req.t("initiatives.use_buttons"))


@with_request
async def need_text(update: Update, context: Ctx, req: Request) -> None:
    req.reply(req.t("initiatives.need_text"))


@with_request
async def got_attachment(update: Update, context: Ctx, req: Request) -> int:
    return await follow.on_attachment(update, context, req)


def conversation() -> ConversationHandler[Ctx]:
    """The initiatives' ``in:`` buttons and the answers typed after them."""
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND & ~filters.TEXT
    text_states = (ASK_TITLE, ASK_DESC, ASK_BENEFIT, ASK_AMOUNT, ASK_TARGET, ASK_RESULT)
    states: dict[object, list[BaseHandler[Update, Ctx, Any]]] = {
        state: [MessageHandler(text, _typed(state)), MessageHandler(other, need_text)]
        for state in (*text_states, ASK_REALISED, ASK_REASON)
    }
    states[BUTTONS] = [MessageHandler(~filters.COMMAND, use_buttons)]
    states[ASK_ATTACH] = [
        MessageHandler(filters.PHOTO | filters.Document.ALL, got_attachment),
        MessageHandler(~filters.COMMAND, _typed(ASK_ATTACH)),
    ]
    conversation = ConversationHandler(
        entry_points=[CallbackQueryHandler(on_button, pattern=rf"^{P}:")],
        states=states,
        fallbacks=[*fallbacks(), CallbackQueryHandler(on_button, pattern=rf"^{P}:")],
        name="initiatives",
        persistent=True,
        allow_reentry=True,
    )
    return conversation
