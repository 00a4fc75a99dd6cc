"""/proposals [YYYY-MM | YYYY-Qn | YYYY]: the recommendations to the higher committee (*kiến
nghị, đề xuất*) of every cell under the supervisor's unit, newest first, with the cell and the
month; this quarter by default, 10 a page. A long text is shortened in the list and opened in
full by its numbered button.

The scope is /summary's: a supervisor of several units picks one; every button re-checks the
unit (or the check-in's cell) against the caller's scope and refuses a foreign one exactly as
a vanished one.

Callback data: ``sv:prop:<unit id>:<period>:<page>``, ``sv:propx:<check-in id>:<unit
id>:<period>:<page>`` (one recommendation in full, with a way back to its page).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import Ctx, Request, with_request
from bot.keyboards import button, int_arg, markup, pager_row, parse_cb, rows
from bot.supervisor_text import shorten
from domain import clock
from domain.periods import Period
from handlers.supervisor_common import (
    PAGE_SIZE,
    PREFIX,
    button_unit_period,
    cb_period,
    command_unit_period,
    esc,
    period_name,
    period_row,
    roots,
)
from storage.proposals import Proposal, proposals_under, visible_proposal
from storage.scope import UnitRef, visible_unit

ACTION = "prop"
FULL = "propx"


def this_quarter(req: Request) -> Period:
    return Period.of("quarter", clock.today(req.settings.tz))


def _month(req: Request, item: Proposal) -> str:
    return period_name(req, Period("month", item.month.year, item.month.month))


async def proposals_view(
    req: Request, unit: UnitRef, period: Period, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    found = await proposals_under(req.session, unit.path, period, page, PAGE_SIZE)
    pages = max(1, -(-found.total // PAGE_SIZE))
    if page >= pages:  # a page emptied since the button was drawn: show the last one
        page = pages - 1
        found = await proposals_under(req.session, unit.path, period, page, PAGE_SIZE)
    header = req.t(
        "sv.prop.header", unit=esc(unit.name), period=period_name(req, period), count=found.total
    )
    parts = [header]
    if not found.items:
        parts.append(req.t("sv.prop.none"))
    opened: list[InlineKeyboardButton] = []
    for number, item in enumerate(found.items, start=page * PAGE_SIZE + 1):
        text, cut = shorten(item.text)
        parts.append(
            req.t(
                "sv.prop.item",
                n=number,
                cell=esc(item.cell_name),
                month=_month(req, item),
                text=esc(text),
            )
        )
        if cut:
            opened.append(
                button(f"📄 {number}", PREFIX, FULL, item.checkin_id, unit.id, period.label, page)
            )
    keyboard = [
        *rows(opened, 5),
        pager_row(f"{PREFIX}:{ACTION}", page, found.total, PAGE_SIZE, unit.id, period.label),
        period_row(req, ACTION, unit.id, period, 0),
    ]
    return "\n\n".join(parts), markup(*keyboard)


@with_request
async def proposals_command(update: Update, context: Ctx, req: Request) -> None:
    found = await command_unit_period(
        req, context, this_quarter(req), ACTION, 0, bad_key="sv.prop.bad_period"
    )
    if found is None:
        return
    unit, period = found
    text, keyboard = await proposals_view(req, unit, period, 0)
    req.reply(text, keyboard)


@with_request
async def proposals_button(update: Update, context: Ctx, req: Request) -> None:
    found = await button_unit_period(req, update)
    if found is None:
        return
    unit, period, parts = found
    text, keyboard = await proposals_view(req, unit, period, int_arg(parts, 4) or 0)
    req.show(text, keyboard)


@with_request
async def full_button(update: Update, context: Ctx, req: Request) -> None:
    """One recommendation in full; ◀ goes back to the page it was opened from."""
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    scope = await roots(req)
    item = await visible_proposal(req.session, scope, int_arg(parts, 2))
    unit = await visible_unit(req.session, scope, int_arg(parts, 3))
    period = cb_period(parts, 4)
    if item is None or unit is None or period is None:
        req.refuse()
        return
    text = req.t(
        "sv.prop.full",
        cell=esc(item.cell_name),
        code=esc(item.cell_code),
        month=_month(req, item),
        text=esc(item.text),
    )
    back = button(
        req.t("sv.prop.btn_back"), PREFIX, ACTION, unit.id, period.label, int_arg(parts, 5) or 0
    )
    req.show(text, markup([back]))
