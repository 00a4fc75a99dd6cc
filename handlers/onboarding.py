"""/start <token>: redeem an invitation and greet the new secretary, deputy or supervisor."""

from __future__ import annotations

import html

from telegram import Update

from bot.context import Ctx, Request, with_request
from handlers.common import reset_menu, set_chat_commands
from storage.accounts import grants_of
from storage.invitations import RedeemOutcome, redeem


@with_request
async def start_with_token(update: Update, context: Ctx, req: Request) -> None:
    token = (context.args or [""])[0]
    result = await redeem(
        req.session, token, req.account, global_limit=req.settings.invite_failures_per_minute
    )
    if result.outcome not in (RedeemOutcome.OK, RedeemOutcome.ALREADY):
        req.reply(req.t(f"invite.{result.outcome.value}"))
        return
    # A first-time user who never chose a language keeps Telegram's; make it explicit now.
    if req.account.language is None:
        req.account.language = req.lang
    role = req.t(f"role.{result.role}")
    unit = html.escape(result.unit_name or "")
    key = "invite.ok" if result.outcome is RedeemOutcome.OK else "invite.already"
    text = req.t(key, role=role, unit=unit)
    text += "\n\n" + req.t(f"invite.next.{result.role}")
    req.reply(text)
    req.grants = await grants_of(req.session, req.account.id)
    if update.effective_chat is not None:
        set_chat_commands(req, update.effective_chat.id, req.lang, req.grants)
    # A handover: the cell's former secretaries lost the grant in this same transaction;
    # their menus follow after the commit (their note went through the outbox).
    for gone in result.ended:
        reset_menu(req, gone)
