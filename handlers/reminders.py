"""/reminders: a cell's upcoming reminders and mutes, and the snooze and "tomorrow morning"
buttons on reminder messages. Reached through the /schedule conversation's router
(handlers/schedule.py), which checks the caller may run the cell first.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.context import Ctx, Request, with_request
from bot.conversation import END
from bot.keyboards import button, markup, rows
from handlers.cells import allowed, pick_cell_or_reply
from handlers.schedule_common import cell_rule, fmt_local, now_of
from schedules.plan_service import replan_unit
from schedules.planner import (
    CELL_KINDS,
    MUTABLE_KINDS,
    Offsets,
    out_of_quiet_hours,
    stamp,
    tomorrow_morning,
)
from storage import schedules_store as store
from storage.models import OutboxMessage
from storage.outbox import enqueue

LIST_LIMIT = 10


async def reminders_view(
    req: Request, cell_id: int, now: dt.datetime
) -> tuple[str, InlineKeyboardMarkup]:
    cell = await store.get_unit(req.session, cell_id)
    assert cell is not None
    # Plan this cell's group now, so that a change made a minute ago shows up at once.
    await replan_unit(req.session, cell_id, now, req.settings)
    rule = await cell_rule(req, cell)
    tz = rule.tz if rule else req.settings.tz
    rows_ = await store.pending_reminders(
        req.session, cell_id, CELL_KINDS, now - dt.timedelta(minutes=5)
    )
    lines = [req.t("reminders.title", cell=html.escape(cell.name))]
    if rule is None:
        lines.append(req.t("reminders.no_schedule"))
    elif not rows_:
        lines.append(req.t("reminders.none"))
    for due, kind in rows_[:LIST_LIMIT]:
        lines.append(
            req.t("reminders.line", when=fmt_local(due, tz), kind=req.t(f"reminders.kind.{kind}"))
        )
    if len(rows_) > LIST_LIMIT:
        lines.append(req.t("reminders.more", count=len(rows_) - LIST_LIMIT))
    muted = await store.muted_kinds(req.session, cell_id)
    lines += ["", req.t("reminders.mute_hint")]
    toggles = [
        button(
            ("🔕 " if kind in muted else "🔔 ") + req.t(f"reminders.kind.{kind}"),
            "rm",
            "mute",
            cell_id,
            kind,
        )
        for kind in MUTABLE_KINDS
    ]
    return "\n".join(lines), markup(*rows(toggles, 2))


@with_request
async def reminders_command(update: Update, context: Ctx, req: Request) -> int:
    cell_id = pick_cell_or_reply(req, "rm:list")
    if cell_id is None:
        return END
    text, keyboard = await reminders_view(req, cell_id, now_of(context))
    req.reply(text, keyboard)
    return END


async def toggle_mute(context: Ctx, req: Request, cell_id: int, kind: str) -> int:
    if kind not in MUTABLE_KINDS:  # the check-in prompt cannot be muted, even by forged data
        req.refuse()
        return END
    muted = await store.toggle_mute(req.session, cell_id, kind, actor_account_id=req.account.id)
    toast = "reminders.muted" if muted else "reminders.unmuted"
    text, keyboard = await reminders_view(
        req, cell_id, now_of(context)
    )  # re-plans: cancels/revives
    req.answer(req.t(toast, kind=req.t(f"reminders.kind.{kind}")))
    req.show(text, keyboard)
    return END


async def snooze(context: Ctx, req: Request, row_id: int | None, tomorrow: bool) -> int:
    row = await store.outbox_row(req.session, row_id) if row_id is not None else None
    if (
        row is None
        or row.account_id != req.account.id
        or (row.cell_id is not None and not allowed(req, row.cell_id))
    ):
        req.refuse()
        return END
    now = now_of(context)
    tz = _row_zone(row, req)
    offsets = _offsets(req)
    if tomorrow:
        due = tomorrow_morning(now, tz, offsets)
    else:
        due = out_of_quiet_hours(
            now + dt.timedelta(hours=1), tz, offsets.quiet_start, offsets.quiet_end
        )
    if row.expires_at is not None and due >= row.expires_at:
        req.alert("reminders.too_late")
        return END
    root = (row.payload or {}).get("snoozed_from", row.id)
    await enqueue(
        req.session,
        dedup_key=f"snz:{root}:{stamp(due)}",
        kind=row.kind,
        chat_id=row.chat_id,
        due_at=due,
        payload={**(row.payload or {}), "snoozed_from": root},
        cell_id=row.cell_id,
        account_id=row.account_id,
        occurrence=row.occurrence,
        expires_at=row.expires_at,
    )
    req.answer(req.t("reminders.snoozed", when=fmt_local(due, tz)))
    req.out.drop_buttons()
    return END


def _row_zone(row: OutboxMessage, req: Request) -> Any:
    from zoneinfo import ZoneInfo

    name = (row.payload or {}).get("tz")
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else req.settings.tz
    except (ValueError, KeyError):
        return req.settings.tz


def _offsets(req: Request) -> Offsets:
    from schedules.plan_service import offsets_from

    return offsets_from(req.settings)
