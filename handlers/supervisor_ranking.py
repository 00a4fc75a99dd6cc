"""/ranking [period]: cells (or child units) by total score, with movement since the
previous period of the same kind.

Callback data: ``sv:rank:<unit id>:<period>:<c|u>:<page>`` (cells or child units).
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import Ctx, Request, with_request
from bot.keyboards import button, int_arg, markup, pager_row
from bot.supervisor_text import score_band
from domain import clock
from domain.framework import Framework
from domain.periods import Period
from handlers.supervisor_common import (
    PREFIX,
    button_unit_period,
    esc,
    framework,
    num,
    parse_period_arg,
    period_name,
    period_row,
    single_root_or_pick,
    this_month,
)
from storage.models import UnitKind
from storage.scope import UnitRef
from storage.supervision import RankLine, ranking

ACTION = "rank"
PAGE = 20
MODES = {"c": "cells", "u": "units"}


def _movement(line: RankLine) -> str:
    move = line.movement
    if move is None:
        return "🆕" if line.rank is not None else ""
    if move > 0:
        return f"▲{move}"
    if move < 0:
        return f"▼{-move}"
    return "="


def _line(req: Request, fw: Framework, line: RankLine) -> str:
    if line.rank is None:
        return req.t("sv.rank.no_data_line", name=esc(line.name))
    return req.t(
        "sv.rank.line",
        rank=line.rank,
        name=esc(line.name),
        total=num(req, line.total),
        band=score_band(req, fw, line.total),
        move=_movement(line),
    )


async def ranking_view(
    req: Request, fw: Framework, unit: UnitRef, period: Period, page: int, mode: str
) -> tuple[str, InlineKeyboardMarkup]:
    lines = await ranking(req.session, fw, unit, period, clock.today(req.settings.tz), MODES[mode])
    pages = max(1, -(-len(lines) // PAGE))
    page = min(max(page, 0), pages - 1)
    header = req.t(
        "sv.rank.header_cells" if mode == "c" else "sv.rank.header_units",
        unit=esc(unit.name),
        period=period_name(req, period),
        previous=period_name(req, period.previous()),
    )
    body = [_line(req, fw, line) for line in lines[page * PAGE : (page + 1) * PAGE]]
    if not lines:
        body = [req.t("sv.rank.empty")]
    other = "u" if mode == "c" else "c"
    keyboard = [
        pager_row(f"{PREFIX}:{ACTION}", page, len(lines), PAGE, unit.id, period.label, mode),
        period_row(req, ACTION, unit.id, period, mode, 0),
        [
            button(
                req.t("sv.rank.btn_units" if other == "u" else "sv.rank.btn_cells"),
                PREFIX,
                ACTION,
                unit.id,
                period.label,
                other,
                0,
            )
        ],
    ]
    return "\n".join([header, *body, req.t("sv.rank.legend")]), markup(*keyboard)


@with_request
async def ranking_command(update: Update, context: Ctx, req: Request) -> None:
    period = parse_period_arg(" ".join(context.args or []), this_month(req))
    if period is None:
        req.reply(req.t("sv.bad_period"))
        return
    unit = await single_root_or_pick(req, ACTION, period.label, "c", 0)
    if unit is None:
        return
    text, keyboard = await ranking_view(req, framework(context), unit, period, 0, "c")
    req.reply(text, keyboard)


@with_request
async def ranking_button(update: Update, context: Ctx, req: Request) -> None:
    found = await button_unit_period(req, update)
    if found is None:
        return
    unit, period, parts = found
    mode = parts[4] if len(parts) > 4 else "c"
    if mode not in MODES or unit.kind == UnitKind.CELL.value:
        req.refuse()
        return
    text, keyboard = await ranking_view(
        req, framework(context), unit, period, int_arg(parts, 5) or 0, mode
    )
    req.show(text, keyboard)
