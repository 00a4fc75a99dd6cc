"""/missing [month]: cells without a submitted check-in for the month, with the secretary's
name and whether their reminders were delivered; "Remind them now" queues one message per
cell secretary through the outbox (the dispatcher sends it, rate-limited), at most once per
cell per day.

Callback data: ``sv:mis:<unit id>:<YYYY-MM>:<page>``, ``sv:nudge:<unit id>:<YYYY-MM>``.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import Ctx, Request, with_request
from bot.keyboards import button, int_arg, markup, pager_row
from domain import clock
from domain.periods import Period, add_months
from handlers.supervisor_common import (
    PAGE_SIZE,
    PREFIX,
    button_unit_period,
    esc,
    now_utc,
    parse_period_arg,
    period_name,
    single_root_or_pick,
    this_month,
)
from storage.broadcasts import missing_cells, remind_missing
from storage.scope import UnitRef

ACTION = "mis"
NUDGE = "nudge"


async def missing_view(
    req: Request, unit: UnitRef, period: Period, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    cells = await missing_cells(req.session, unit, period.start)
    pages = max(1, -(-len(cells) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    parts = [
        req.t(
            "sv.mis.header",
            unit=esc(unit.name),
            period=period_name(req, period),
            count=len(cells),
        )
    ]
    if not cells:
        parts.append(req.t("sv.mis.none"))
    for cell in cells[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        secretaries = ", ".join(esc(n) for n in cell.secretaries) or req.t("sv.mis.no_secretary")
        parts.append(
            req.t(
                "sv.mis.line",
                name=esc(cell.name),
                group=esc(cell.group_name or ""),
                secretaries=secretaries,
                reminder=req.t(f"sv.mis.reminder.{cell.reminder_state}"),
            )
        )
    this = this_month(req)
    last = Period.of("month", add_months(this.start, -1))
    keyboard = [
        pager_row(f"{PREFIX}:{ACTION}", page, len(cells), PAGE_SIZE, unit.id, period.label),
        [
            button(("• " if p == period else "") + req.t(key), PREFIX, ACTION, unit.id, p.label, 0)
            for key, p in (("sv.period.this_month", this), ("sv.period.last_month", last))
        ],
    ]
    if cells:
        keyboard.insert(
            0, [button(req.t("sv.mis.btn_nudge"), PREFIX, NUDGE, unit.id, period.label)]
        )
    return "\n".join(parts), markup(*keyboard)


@with_request
async def missing_command(update: Update, context: Ctx, req: Request) -> None:
    period = parse_period_arg(" ".join(context.args or []), this_month(req))
    if period is None or period.kind != "month":
        req.reply(req.t("sv.mis.bad_month"))
        return
    unit = await single_root_or_pick(req, ACTION, period.label, 0)
    if unit is None:
        return
    text, keyboard = await missing_view(req, unit, period, 0)
    req.reply(text, keyboard)


async def _target(update: Update, req: Request) -> tuple[UnitRef, Period, list[str]] | None:
    found = await button_unit_period(req, update)
    if found is not None and found[1].kind != "month":
        req.refuse()
        return None
    return found


@with_request
async def missing_button(update: Update, context: Ctx, req: Request) -> None:
    target = await _target(update, req)
    if target is None:
        return
    unit, period, parts = target
    text, keyboard = await missing_view(req, unit, period, int_arg(parts, 4) or 0)
    req.show(text, keyboard)


@with_request
async def nudge_button(update: Update, context: Ctx, req: Request) -> None:
    target = await _target(update, req)
    if target is None:
        return
    unit, period, _ = target
    cells, queued = await remind_missing(
        req.session,
        unit,
        period.start,
        now=now_utc(),
        local_day=clock.today(req.settings.tz),
        actor_account_id=req.account.id,
    )
    if queued:
        req.alert("sv.mis.nudged", cells=cells, messages=queued)
    else:
        req.alert("sv.mis.nudged_already")
