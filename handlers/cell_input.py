"""What the conversations on a cell's roster share (/members with its member card, and
/candidates): the answer a button asked to type, kept in user_data under the conversation's
key and re-checked against the caller's cells when it comes; the states that take a text and
answer anything else with "send text"; and one page of the roster (for its list and for
picking a member).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.context import Ctx, Request
from handlers.cells import allowed
from storage.members import page_of_members
from storage.models import Member

Handler = Callable[[Update, Ctx], Coroutine[Any, Any, Any]]


def pending_for(context: Ctx, req: Request, key: str) -> dict[str, object] | None:
    """What the user was asked to type (``{"cell": id, ...}`` under `key`), while the cell
    is still theirs; None when nothing is pending or the cell is no longer theirs."""
    pending = (context.user_data or {}).get(key)
    if not isinstance(pending, dict):
        return None
    cell = pending.get("cell")
    return pending if isinstance(cell, int) and allowed(req, cell) else None


def typed_for(
    update: Update, context: Ctx, req: Request, key: str
) -> tuple[int, dict[str, object], str] | None:
    """The cell, the pending answer and the text typed for it; None once the user has been
    told the session expired (nothing pending, or the cell is no longer theirs)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    pending = pending_for(context, req, key)
    if pending is None:
        req.reply(req.t("common.session_expired"))
        return None
    return int(str(pending["cell"])), pending, message.text


def text_states(
    states: Mapping[int, Handler], not_text: Handler
) -> dict[object, list[BaseHandler[Update, Ctx, Any]]]:
    """A ConversationHandler's states that each wait for a text (commands excepted: /cancel
    and the others still work) and answer anything else with `not_text`."""
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND & ~filters.TEXT
    return {
        state: [MessageHandler(text, handler), MessageHandler(other, not_text)]
        for state, handler in states.items()
    }


async def member_page(
    req: Request, cell_id: int, page: int, size: int
) -> tuple[list[Member], int, int]:
    """One page of the cell's roster, the roster's size and the page shown: a page emptied
    since its button was drawn shows the last one."""
    members, total = await page_of_members(req.session, cell_id, page, size)
    pages = max(1, -(-total // size))
    shown = min(max(page, 0), pages - 1)
    if shown != page:
        members, total = await page_of_members(req.session, cell_id, shown, size)
    return members, total, shown
