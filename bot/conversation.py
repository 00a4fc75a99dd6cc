"""Shared pieces of every ConversationHandler: /cancel, and leaving on another command.

A conversation waiting for typed text would otherwise keep its state when the user sends
another command (the command goes to its own handler first), and take their next message
as an answer. So any command other than /cancel ends every open conversation of that user
first; their answers are already in the database, and `/checkin` etc. resume from there.
PTB has no public API to end a conversation from outside; `_get_key`/`_update_state` are
pinned by the PTB 22 requirement and covered by tests/e2e/test_roster.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CommandHandler,
    ConversationHandler,
    filters,
)

from bot.context import Ctx, Request, with_request

log = logging.getLogger(__name__)

END = ConversationHandler.END
CANCEL_FILTER = filters.Regex(r"^/cancel(@\w+)?(\s|$)")


def cancel_handler(
    message_key: str = "cancel.done",
    before: Callable[[Update, Ctx, Request], Awaitable[None]] | None = None,
) -> BaseHandler[Update, Ctx, object]:
    @with_request
    async def cancel(update: Update, context: Ctx, req: Request) -> int:
        if before is not None:
            await before(update, context, req)
        req.reply(req.t(message_key))
        return END

    return CommandHandler("cancel", cancel)


def fallbacks(
    message_key: str = "cancel.done",
    before: Callable[[Update, Ctx, Request], Awaitable[None]] | None = None,
) -> list[BaseHandler[Update, Ctx, object]]:
    return [cancel_handler(message_key, before)]


async def end_open_conversations(update: Update, context: Ctx) -> None:
    for group in context.application.handlers.values():
        for handler in group:
            if isinstance(handler, ConversationHandler):
                try:
                    key = handler._get_key(update)
                except RuntimeError:
                    continue
                handler._update_state(END, key)


@with_request
async def _edit_note(update: Update, context: Ctx, req: Request) -> None:
    req.reply(req.t("common.edit_ignored"))


async def ignore_edit(update: Update, context: Ctx) -> None:
    """An edited message never counts as an answer.

    Every MessageHandler also matches edits, so an edit would be taken as the answer to the
    question the user is on NOW (the dues "3" edited at the main-tasks step became the main
    tasks). Applying it to the question it once answered would need a record of which message
    answered what; a note is enough: the user sends a new message, or edits from the review.
    """
    chat = update.effective_chat
    if update.effective_user is not None and chat is not None and chat.type == chat.PRIVATE:
        await _edit_note(update, context)
    raise ApplicationHandlerStop  # no later group sees the edit
