"""Helpers shared by the supervisor commands: scope, unit picker, periods, refusals, numbers.

Every supervisor callback carries unit/check-in ids only and re-checks them with
`storage.scope.visible_unit` (callback data can be forged). A refusal never says
whether the unit exists: the same `common.stale_button` alert for "not yours" and "gone".
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import InlineKeyboardButton, Update

from bot.context import Ctx, Request, services
from bot.keyboards import button, int_arg, markup, parse_cb, rows

# Numbers, names and the Reader live in bot/ (`cellbot report` writes them too): re-exported
# for the handlers.
from bot.supervisor_text import PAGE_SIZE as PAGE_SIZE
from bot.supervisor_text import Reader as Reader
from bot.supervisor_text import band_name as band_name
from bot.supervisor_text import esc as esc
from bot.supervisor_text import num as num
from bot.supervisor_text import pct as pct
from bot.supervisor_text import period_name as period_name
from bot.supervisor_text import vnd as vnd
from domain import clock
from domain.framework import Framework, load_framework
from domain.periods import Period, add_months, month_start, parse_period
from storage.scope import UnitRef, is_supervisor, scope_roots, visible_unit

log = logging.getLogger(__name__)

PREFIX = "sv"


def now_utc() -> dt.datetime:
    return clock.now()


def framework(context: Ctx) -> Framework:
    """The criteria framework, loaded once per application (shared with the check-in)."""
    extras = services(context).extras
    fw = extras.get("framework")
    if not isinstance(fw, Framework):
        fw = load_framework(services(context).settings.criteria_framework)
        extras["framework"] = fw
    return fw


async def roots(req: Request) -> list[UnitRef]:
    """The caller's scope roots, read once per update (an admin's cost a statement)."""
    if "scope_roots" not in req.memo:
        req.memo["scope_roots"] = await scope_roots(req.session, req.grants, req.is_admin)
    scope: list[UnitRef] = req.memo["scope_roots"]
    return scope


# ---------------------------------------------------------------- replies (sent after commit)


async def target_unit(req: Request, parts: list[str]) -> UnitRef | None:
    """The unit an ``sv:<action>:<unit>:…`` button names, if it lies in the caller's scope;
    None for a forged, stale or foreign id (the caller refuses without saying which)."""
    return await visible_unit(req.session, await roots(req), int_arg(parts, 2))


def not_supervisor(req: Request) -> None:
    req.reply(req.t("sv.not_supervisor"))


async def single_root_or_pick(req: Request, action: str, *extra: object) -> UnitRef | None:
    """The caller's only unit; or a picker (buttons ``sv:<action>:<unit>:<extra…>``); or a
    refusal for a non-supervisor. None means "already answered"."""
    if not is_supervisor(req.grants, req.is_admin):
        not_supervisor(req)
        return None
    units = await roots(req)
    if not units:
        not_supervisor(req)
        return None
    if len(units) == 1:
        return units[0]
    buttons = [button(u.name, PREFIX, action, u.id, *extra) for u in units[:40]]
    req.reply(req.t("sv.pick_unit"), markup(*rows(buttons, 1)))
    return None


# ---------------------------------------------------------------- periods


def parse_period_arg(text: str | None, default: Period) -> Period | None:
    if not text:
        return default
    try:
        return parse_period(text)
    except ValueError:
        return None


def this_month(req: Request) -> Period:
    return Period.of("month", clock.today(req.settings.tz))


def period_choices(req: Request) -> list[tuple[str, Period]]:
    day = clock.today(req.settings.tz)
    return [
        (req.t("sv.period.this_month"), Period.of("month", day)),
        (req.t("sv.period.last_month"), Period.of("month", add_months(month_start(day), -1))),
        (req.t("sv.period.this_quarter"), Period.of("quarter", day)),
        (req.t("sv.period.this_year"), Period.of("year", day)),
    ]


def period_row(
    req: Request, action: str, unit_id: int, current: Period, *extra: object
) -> list[InlineKeyboardButton]:
    """This month / last month / this quarter / this year; the current one marked."""
    return [
        button(("• " if p == current else "") + label, PREFIX, action, unit_id, p.label, *extra)
        for label, p in period_choices(req)
    ]


def cb_period(parts: list[str], index: int) -> Period | None:
    """A period from callback data; None when missing or forged."""
    try:
        return parse_period(parts[index])
    except (IndexError, ValueError):
        return None


async def command_unit_period(
    req: Request,
    context: Ctx,
    default: Period,
    action: str,
    *extra: object,
    bad_key: str = "sv.bad_period",
) -> tuple[UnitRef, Period] | None:
    """The unit and the period of ``/<command> [period]``: the period typed (`default`
    without), the caller's only unit or a picker (buttons ``sv:<action>:<unit>:<period>:
    <extra…>``). None means "already answered" (a bad period, a picker, a refusal)."""
    argument = " ".join(context.args or []).strip()
    period = parse_period_arg(argument, default)
    if period is None:
        req.reply(req.t(bad_key, text=esc(argument[:40])))
        return None
    unit = await single_root_or_pick(req, action, period.label, *extra)
    return None if unit is None else (unit, period)


async def button_unit_period(
    req: Request, update: Update
) -> tuple[UnitRef, Period, list[str]] | None:
    """The unit (scope-checked) and the period of an ``sv:<action>:<unit>:<period>:…``
    button, with the callback's parts for what follows; None once refused (forged, stale
    or foreign: the caller is not told which)."""
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    unit = await target_unit(req, parts)
    period = cb_period(parts, 3)
    if unit is None or period is None:
        req.refuse()
        return None
    return unit, period, parts
