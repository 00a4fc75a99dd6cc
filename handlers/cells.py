"""Choosing which cell a secretary acts for, shared by cell-level commands."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup

from bot.context import Request
from bot.keyboards import button, markup
from storage.accounts import Grant, can_run_cell, cell_grants


def my_cells(req: Request) -> list[Grant]:
    seen: dict[int, Grant] = {}
    for grant in cell_grants(req.grants):
        seen.setdefault(grant.unit_id, grant)
    return list(seen.values())


def cell_picker(req: Request, prefix: str, *extra: object) -> InlineKeyboardMarkup:
    return markup(*[[button(g.unit_name, prefix, g.unit_id, *extra)] for g in my_cells(req)])


def pick_cell_or_reply(req: Request, prefix: str, *extra: object) -> int | None:
    """The one cell the caller runs; otherwise None, having replied with the cell picker
    (buttons ``<prefix>:<cell>:<extra…>``) or, to a non-secretary, that they run no cell."""
    cells = my_cells(req)
    if not cells:
        req.reply(req.t("common.not_secretary"))
        return None
    if len(cells) > 1:
        req.reply(req.t("common.pick_cell"), cell_picker(req, prefix, *extra))
        return None
    return cells[0].unit_id


def cell_name(req: Request, cell_id: int) -> str:
    for grant in my_cells(req):
        if grant.unit_id == cell_id:
            return html.escape(grant.unit_name)
    return ""


def allowed(req: Request, cell_id: int | None) -> bool:
    return cell_id is not None and can_run_cell(req.grants, cell_id)
