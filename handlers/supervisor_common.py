"""Helpers shared by the supervisor commands: scope, unit picker, periods, refusals, numbers.

Every supervisor callback carries unit/check-in ids only and re-checks them with
`storage.scope.visible_unit` (callback data can be forged). A refusal never says
whether the unit exists: the same `common.stale_button` alert for "not yours" and "gone".
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from typing import Protocol

from babel.numbers import format_decimal, format_percent
from telegram import InlineKeyboardButton

from bot.context import Ctx, Request, services
from bot.keyboards import button, int_arg, markup, rows
from domain import clock
from domain.framework import Framework, load_framework
from domain.periods import Period, add_months, month_start, parse_period
from storage.scope import UnitRef, is_supervisor, scope_roots, visible_unit

log = logging.getLogger(__name__)

PREFIX = "sv"


class Reader(Protocol):
    """Who a text is for: a Request, or the CLI's stand-in (bot/cli_report.py)."""

    @property
    def lang(self) -> str: ...

    def t(self, key: str, /, **values: object) -> str: ...


PAGE_SIZE = 10


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
    return await scope_roots(req.session, req.grants, req.is_admin)


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


def period_name(req: Reader, period: Period) -> str:
    if period.kind == "month":
        return req.t("sv.period.month", month=f"{period.index:02d}", year=period.year)
    if period.kind == "quarter":
        return req.t("sv.period.quarter", quarter=period.index, year=period.year)
    return req.t("sv.period.year", year=period.year)


def cb_period(parts: list[str], index: int) -> Period | None:
    """A period from callback data; None when missing or forged."""
    try:
        return parse_period(parts[index])
    except (IndexError, ValueError):
        return None


# ---------------------------------------------------------------- numbers and names


def num(req: Reader, value: float | None) -> str:
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.0", locale=req.lang)


def pct(req: Reader, value: float | None) -> str:
    if value is None:
        return "—"
    return format_percent(value, format="#,##0%", locale=req.lang)


def vnd(req: Reader, value: int) -> str:
    return format_decimal(value, format="#,##0", locale=req.lang) + " đ"


def esc(text: str | None) -> str:
    return html.escape(text or "")


def band_name(req: Reader, fw: Framework, code: str | None, meeting: bool = False) -> str:
    if code is None:
        return "—"
    bands = fw.meeting_rubric.bands if meeting else fw.classification.bands
    return next((b.name.get(req.lang) for b in bands if b.code == code), code)
