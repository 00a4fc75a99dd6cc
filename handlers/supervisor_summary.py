"""/summary [period]: totals of the supervisor's unit first, then one line per child unit
(10 a page), drill down by tapping a child, back up with a button.

Callback data: ``sv:sum:<unit id>:<period>:<page>``.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import Ctx, Request, with_request
from bot.keyboards import button, int_arg, markup, pager_row, rows
from bot.supervisor_text import summary_text
from domain import clock
from domain.framework import Framework
from domain.periods import Period
from handlers import supervisor_cell
from handlers.supervisor_common import (
    PAGE_SIZE,
    PREFIX,
    button_unit_period,
    command_unit_period,
    framework,
    period_row,
    roots,
    this_month,
)
from storage.models import UnitKind
from storage.proposals import unit_tasks
from storage.scope import UnitRef, visible_unit
from storage.supervision import summary

ACTION = "sum"


async def summary_view(
    req: Request, fw: Framework, unit: UnitRef, period: Period, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    data = await summary(req.session, fw, unit, period, clock.today(req.settings.tz), cells=False)
    tasks = await unit_tasks(req.session, unit, period)
    pages = max(1, -(-len(data.rows) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = data.rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    drill = [
        button(
            line.name,
            PREFIX,
            "cell" if line.kind == UnitKind.CELL.value else ACTION,
            line.unit_id,
            period.label,
            *([] if line.kind == UnitKind.CELL.value else [0]),
        )
        for line in shown
    ]
    keyboard = [
        *rows(drill, 2),
        pager_row(f"{PREFIX}:{ACTION}", page, len(data.rows), PAGE_SIZE, unit.id, period.label),
        period_row(req, ACTION, unit.id, period, 0),
    ]
    scope = await roots(req)
    if unit.parent_id is not None and await visible_unit(req.session, scope, unit.parent_id):
        keyboard.append(
            [button(req.t("sv.btn_up"), PREFIX, ACTION, unit.parent_id, period.label, 0)]
        )
    return summary_text(req, fw, data, page, tasks), markup(*keyboard)


@with_request
async def summary_command(update: Update, context: Ctx, req: Request) -> None:
    found = await command_unit_period(req, context, this_month(req), ACTION, 0)
    if found is not None:
        await _open(context, req, *found, 0)


async def _open(context: Ctx, req: Request, unit: UnitRef, period: Period, page: int) -> None:
    if unit.kind == UnitKind.CELL.value:
        text, keyboard = await supervisor_cell.cell_view(req, framework(context), unit, period)
    else:
        text, keyboard = await summary_view(req, framework(context), unit, period, page)
    req.show(text, keyboard)


@with_request
async def summary_button(update: Update, context: Ctx, req: Request) -> None:
    found = await button_unit_period(req, update)
    if found is not None:
        unit, period, parts = found
        await _open(context, req, unit, period, int_arg(parts, 4) or 0)
