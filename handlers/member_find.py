"""`/member <name>`: a member's card found by part of the name, in the cells the caller runs
(tones and case aside, so a phone without Vietnamese input finds "Hòa" by "hoa"). One match
opens the card; several give a button each (the roster's ``m:show`` buttons)."""

from __future__ import annotations

import html

from telegram import Update

from bot.context import Ctx, Request, with_request
from bot.keyboards import button, markup, rows
from domain.vnsort import name_matches
from handlers.cells import my_cells
from handlers.member_card import card_view
from storage.members import roster

MAX_SHOWN = 10


@with_request
async def member_command(update: Update, context: Ctx, req: Request) -> None:
    cells = my_cells(req)
    if not cells:
        req.reply(req.t("common.not_secretary"))
        return
    needle = " ".join(context.args or []).strip()
    if not needle:
        req.reply(req.t("member.find_usage"))
        return
    found = [
        (cell, member)
        for cell in cells
        for member in await roster(req.session, cell.unit_id, include_left=True)
        if name_matches(member.full_name, needle)
    ]
    if not found:
        req.reply(req.t("member.find_none", text=html.escape(needle)))
        return
    if len(found) == 1:
        cell, member = found[0]
        req.reply(*await card_view(req, cell.unit_id, member))
        return
    several_cells = len({cell.unit_id for cell, _ in found}) > 1
    buttons = [
        button(
            f"{member.full_name} · {cell.unit_name}" if several_cells else member.full_name,
            "m",
            "show",
            cell.unit_id,
            member.id,
        )
        for cell, member in found[:MAX_SHOWN]
    ]
    more = len(found) - MAX_SHOWN
    text = req.t("member.find_many", count=len(found), text=html.escape(needle))
    if more > 0:
        text += "\n" + req.t("member.find_more", count=more)
    req.reply(text, markup(*rows(buttons, 1)))
