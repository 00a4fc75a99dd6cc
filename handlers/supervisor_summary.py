"""/summary [period]: totals of the supervisor's unit first, then one line per child unit
(10 a page), drill down by tapping a child, back up with a button.

Callback data: ``sv:sum:<unit id>:<period>:<page>``.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import Ctx, Request, with_request
from bot.keyboards import button, int_arg, markup, pager_row, parse_cb, rows
from bot.supervisor_text import summary_text
from domain import clock
from domain.framework import Framework
from domain.periods import Period
from handlers import supervisor_cell
from handlers.supervisor_common import (
    PAGE_SIZE,
    PREFIX,
    cb_period,
    framework,
    parse_period_arg,
    period_row,
    roots,
    single_root_or_pick,
    target_unit,
    this_month,
)
from storage.models import UnitKind
from storage.scope import UnitRef, visible_unit
from storage.supervision import summary

ACTION = "sum"


async def summary_view(
    req: Request, fw: Framework, unit: UnitRef, period: Period, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    data = await summary(req.session, fw, unit, period, clock.today(req.settings.tz), cells=False)
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
    return summary_text(req, fw, data, page), markup(*keyboard)


@with_request
async def summary_command(update: Update, context: Ctx, req: Request) -> None:
    period = parse_period_arg(" ".join(context.args or []), this_month(req))
    if period is None:
        req.reply(req.t("sv.bad_period"))
        return
    unit = await single_root_or_pick(req, ACTION, period.label, 0)
    if unit is None:
        return
    await _open(context, req, unit, period, 0)


async def _open(context: Ctx, req: Request, unit: UnitRef, period: Period, page: int) -> None:
    if unit.kind == UnitKind.CELL.value:
        text, keyboard = await supervisor_cell.cell_view(req, framework(context), unit, period)
    else:
        text, keyboard = await summary_view(req, framework(context), unit, period, page)
    req.show(text, keyboard)


@with_request
async def summary_button(update: Update, context: Ctx, req: Request) -> None:
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    unit = await target_unit(req, parts)
    period = cb_period(parts, 3)
    if unit is None or period is None:
        req.refuse()
        return
    await _open(context, req, unit, period, int_arg(parts, 4) or 0)
