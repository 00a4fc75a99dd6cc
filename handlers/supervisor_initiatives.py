"""The supervisor's side of /initiatives [year]: coverage and completion per child unit and
the top initiatives by realised benefit. The initiatives feature owns the command and calls
`show` when the caller is a supervisor.

Callback data: ``sv:ini:<unit id>:<year>``.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardMarkup, Update

from bot.context import Ctx, Request, with_request
from bot.keyboards import button, int_arg, markup, parse_cb, rows
from domain import clock
from domain.periods import MAX_YEAR, MIN_YEAR
from handlers.supervisor_common import (
    PREFIX,
    esc,
    pct,
    roots,
    single_root_or_pick,
    target_unit,
    vnd,
)
from storage.models import UnitKind
from storage.scope import UnitRef, visible_unit
from storage.supervision_initiatives import (
    InitiativeLine,
    initiative_overview,
    top_initiatives,
)

ACTION = "ini"
MAX_CHILDREN = 15


def _line(req: Request, line: InitiativeLine) -> str:
    return req.t(
        "sv.ini.line",
        name=esc(line.name),
        covered=line.covered,
        active=line.active_members,
        coverage=pct(req, line.coverage),
        completion=pct(req, line.completion),
        realised=vnd(req, line.realised_vnd),
    )


async def initiatives_view(
    req: Request, unit: UnitRef, year: int
) -> tuple[str, InlineKeyboardMarkup]:
    total, kids = await initiative_overview(req.session, unit, year)
    parts = [req.t("sv.ini.header", unit=esc(unit.name), year=year), _line(req, total)]
    if kids:
        parts += ["", req.t("sv.ini.children")]
        parts += [_line(req, k) for k in kids[:MAX_CHILDREN]]
        if len(kids) > MAX_CHILDREN:
            parts.append(req.t("sv.ini.more", count=len(kids) - MAX_CHILDREN))
    top = await top_initiatives(req.session, unit, year)
    parts += ["", req.t("sv.ini.top")]
    if not top:
        parts.append(req.t("sv.ini.top_none"))
    for i, item in enumerate(top, start=1):
        parts.append(
            req.t(
                "sv.ini.top_line",
                n=i,
                title=esc(item.title),
                member=esc(item.member_name),
                cell=esc(item.cell_name),
                realised=vnd(req, item.realised_vnd),
            )
        )
    drill = [
        button(k.name, PREFIX, ACTION, k.unit_id, year)
        for k in kids[:MAX_CHILDREN]
        if k.active_members and unit.kind != UnitKind.CELL.value
    ]
    keyboard = [
        *rows(drill, 2),
        [
            button(str(y), PREFIX, ACTION, unit.id, y)
            for y in (year - 1, year + 1)
            if MIN_YEAR <= y <= MAX_YEAR
        ],
    ]
    scope = await roots(req)
    if unit.parent_id is not None and await visible_unit(req.session, scope, unit.parent_id):
        keyboard.append([button(req.t("sv.btn_up"), PREFIX, ACTION, unit.parent_id, year)])
    return "\n".join(parts), markup(*keyboard)


async def show(update: Update, context: Ctx, req: Request) -> None:
    """Entry point for `/initiatives [year]` when the caller supervises (called by the
    initiatives feature inside its own request transaction; the replies are queued on
    `req` and sent after its commit)."""
    arg = " ".join(context.args or []).strip()
    year = clock.today(req.settings.tz).year
    if arg:
        if not re.fullmatch(r"\d{4}", arg) or not MIN_YEAR <= int(arg) <= MAX_YEAR:
            req.reply(req.t("sv.ini.bad_year"))
            return
        year = int(arg)
    unit = await single_root_or_pick(req, ACTION, year)
    if unit is None:
        return
    text, keyboard = await initiatives_view(req, unit, year)
    req.reply(text, keyboard)


@with_request
async def initiatives_button(update: Update, context: Ctx, req: Request) -> None:
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    unit = await target_unit(req, parts)
    year = int_arg(parts, 3)
    if unit is None or year is None or not MIN_YEAR <= year <= MAX_YEAR:
        req.refuse()
        return
    text, keyboard = await initiatives_view(req, unit, year)
    req.show(text, keyboard)
