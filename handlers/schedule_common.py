"""What /schedule and /reminders share: the clock, the local time shown, a cell's rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.context import Ctx, Request
from domain import clock
from schedules.plan_service import effective_schedules, rule_of
from schedules.rules import Rule
from storage.models import OrgUnit


def now_of(context: Ctx) -> dt.datetime:
    return clock.now()


def fmt_local(moment: dt.datetime, tz: Any) -> str:
    return moment.astimezone(tz).strftime("%H:%M %d/%m/%Y")


async def cell_rule(req: Request, cell: OrgUnit) -> Rule | None:
    return rule_of((await effective_schedules(req.session, [cell]))[cell.id], req.settings.tz)
