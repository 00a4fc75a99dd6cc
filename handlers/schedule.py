"""/schedule: meeting rules and one-off changes of a month's meeting; and the one
conversation that also carries /reminders and the buttons on reminder messages
(handlers/reminders.py: upcoming reminders, mutes, snooze, tomorrow morning).

Every choice is a button whose callback data carries ids only; each callback re-checks the
caller's access to that unit and answers a forged or stale one with `common.stale_button`.
The only typed answer is the reason for cancelling a month's meeting.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import Ctx, Request, user_data, with_request
from bot.conversation import END, fallbacks
from bot.keyboards import button, int_arg, markup, parse_cb, rows
from domain.periods import add_months, month_label, month_start, month_text, parse_month
from handlers import reminders
from handlers.cells import allowed, my_cells
from handlers.schedule_common import cell_rule, fmt_local, now_of
from schedules.plan_service import effective_schedules, replan_unit, rule_of
from schedules.rules import (
    Override,
    Rule,
    RuleError,
    meetings,
    next_meetings,
)
from storage import schedules_store as store
from storage.accounts import supervised_grants
from storage.models import (
    OrgUnit,
)

ASK_REASON = 1
PENDING = "schedule_pending"
REASON_MIN, REASON_MAX = 3, 200
HOURS = range(6, 22)
MINUTES = (0, 15, 30, 45)


# ------------------------------------------------------------------------- access


def manageable_units(req: Request) -> list[tuple[int, str]]:
    """(unit id, name) of cells the caller runs and units they supervise."""
    seen: dict[int, str] = {g.unit_id: g.unit_name for g in my_cells(req)}
    for grant in supervised_grants(req.grants):
        if grant.unit_kind != "cell":
            seen.setdefault(grant.unit_id, grant.unit_name)
    return list(seen.items())


def can_manage(req: Request, unit_id: int | None) -> bool:
    return unit_id is not None and any(u == unit_id for u, _ in manageable_units(req))


def decode_rule(code: str, start: dt.time, tz: Any) -> Rule | None:
    try:
        if code.startswith("d"):
            return Rule("day", start, tz, day=int(code[1:]))
        if code.startswith("w"):
            nth, weekday = code[1:].split(".")
            return Rule("weekday", start, tz, nth=int(nth), weekday=int(weekday))
    except (ValueError, RuleError):
        return None
    return None


def describe(req: Request, rule: Rule) -> str:
    time = rule.start.strftime("%H:%M")
    if rule.kind == "day":
        if rule.day == -1:
            return req.t("schedule.rule_last_day", time=time)
        return req.t("schedule.rule_day", day=rule.day, time=time)
    return req.t(
        "schedule.rule_weekday",
        nth=req.t(f"schedule.nth.{rule.nth}"),
        weekday=req.t(f"schedule.weekday.{rule.weekday}"),
        time=time,
    )


# ------------------------------------------------------------------------- /schedule


async def _unit(req: Request, unit_id: int) -> OrgUnit | None:
    return await store.get_unit(req.session, unit_id)


async def _overrides(req: Request, cell_id: int, since: dt.date) -> list[Override]:
    rows = await store.overrides_since(req.session, cell_id, since)
    return [Override(o.month, o.moved_to, o.cancelled, o.reason) for o in rows]


def target_month(rule: Rule, overrides: list[Override], now: dt.datetime) -> dt.date:
    """ "This month's meeting": the current month's, unless it is over; then next month's."""
    current = month_start(now.astimezone(rule.tz).date())
    if any(o.month == current for o in overrides):
        return current
    meeting = meetings(rule, [current], overrides)[0]
    return current if meeting.start >= now else add_months(current, 1)


async def schedule_view(
    req: Request, unit: OrgUnit, now: dt.datetime
) -> tuple[str, InlineKeyboardMarkup]:
    schedule = (await effective_schedules(req.session, [unit]))[unit.id]
    rule = rule_of(schedule, req.settings.tz)
    lines = [req.t("schedule.title", unit=html.escape(unit.name))]
    buttons: list[list[InlineKeyboardButton]] = [
        [button(req.t("schedule.btn_set"), "sc", "set", unit.id)]
    ]
    if rule is None or schedule is None:
        lines.append(req.t("schedule.none"))
    else:
        owner = "" if schedule.unit_id == unit.id else await _unit_name(req, schedule.unit_id)
        lines.append(
            describe(req, rule)
            + " "
            + (
                req.t("schedule.inherited", unit=html.escape(owner))
                if owner
                else req.t("schedule.own")
            )
        )
        if schedule.unit_id == unit.id and unit.parent_id is not None:
            buttons.append([button(req.t("schedule.btn_inherit"), "sc", "inh", unit.id)])
    if unit.kind != "cell":
        lines.append(req.t("schedule.unit_default"))
    elif rule is not None:
        overrides = await _overrides(req, unit.id, add_months(month_start(now.date()), -1))
        lines.append("")
        lines.append(req.t("schedule.next"))
        for meeting in next_meetings(rule, now, 3, overrides):
            key = "schedule.next_moved" if meeting.moved else "schedule.next_line"
            lines.append(req.t(key, when=fmt_local(meeting.start, rule.tz)))
        for o in overrides:
            if o.cancelled and o.month >= month_start(now.astimezone(rule.tz).date()):
                lines.append(
                    req.t(
                        "schedule.month_cancelled",
                        month=month_text(o.month),
                        reason=html.escape(o.reason or ""),
                    )
                )
        month = target_month(rule, overrides, now)
        label, mt = month_label(month), month_text(month)
        buttons.append([button(req.t("schedule.btn_move", month=mt), "sc", "mv", unit.id, label)])
        buttons.append([button(req.t("schedule.btn_cancel", month=mt), "sc", "cx", unit.id, label)])
        if any(o.month == month for o in overrides):
            buttons.append(
                [button(req.t("schedule.btn_restore", month=mt), "sc", "rs", unit.id, label)]
            )
    return "\n".join(lines), markup(*buttons)


async def _unit_name(req: Request, unit_id: int) -> str:
    unit = await _unit(req, unit_id)
    return unit.name if unit else ""


@with_request
async def schedule_command(update: Update, context: Ctx, req: Request) -> int:
    units = manageable_units(req)
    if not units:
        req.reply(req.t("schedule.no_units"))
        return END
    if len(units) > 1:
        req.reply(
            req.t("schedule.pick_unit"),
            markup(*[[button(name, "sc", "show", uid)] for uid, name in units]),
        )
        return END
    unit = await _unit(req, units[0][0])
    assert unit is not None
    text, keyboard = await schedule_view(req, unit, now_of(context))
    req.reply(text, keyboard)
    return END


def _hour_keyboard(prefix: list[object]) -> InlineKeyboardMarkup:
    return markup(*rows([button(f"{h:02d}", *prefix, h) for h in HOURS], 4))


def _minute_keyboard(prefix: list[object], hour: int) -> InlineKeyboardMarkup:
    return markup([button(f"{hour:02d}:{m:02d}", *prefix, f"{hour:02d}{m:02d}") for m in MINUTES])


def _hhmm(text: str) -> dt.time | None:
    if len(text) != 4 or not (text.isascii() and text.isdigit()):
        return None
    hour, minute = int(text[:2]), int(text[2:])
    return dt.time(hour, minute) if hour in HOURS and minute in MINUTES else None


def _rule_step(req: Request, action: str, parts: list[str], unit: OrgUnit) -> int:
    """The regular-rule editor: kind → day | nth → weekday → hour → minute → save."""
    uid = unit.id
    if action == "set":
        req.show(
            req.t("schedule.ask_kind"),
            markup(
                [button(req.t("schedule.btn_kind_day"), "sc", "kd", uid)],
                [button(req.t("schedule.btn_kind_weekday"), "sc", "kw", uid)],
            ),
        )
    elif action == "kd":
        days = [button(str(d), "sc", "r", uid, f"d{d}") for d in range(1, 32)]
        req.show(
            req.t("schedule.ask_day"),
            markup(*rows(days, 7), [button(req.t("schedule.btn_last_day"), "sc", "r", uid, "d-1")]),
        )
    elif action == "kw":
        nths = [button(req.t(f"schedule.nth.{n}"), "sc", "nth", uid, n) for n in (1, 2, 3, 4, -1)]
        req.show(req.t("schedule.ask_nth"), markup(*rows(nths, 3)))
    elif action == "nth":
        nth = parts[3] if len(parts) > 3 else ""
        if nth not in {"1", "2", "3", "4", "-1"}:
            req.refuse()
            return END
        days = [
            button(req.t(f"schedule.weekday.{w}"), "sc", "r", uid, f"w{nth}.{w}") for w in range(7)
        ]
        req.show(req.t("schedule.ask_weekday"), markup(*rows(days, 3)))
    elif action in ("r", "h"):
        code = parts[3] if len(parts) > 3 else ""
        if decode_rule(code, dt.time(8), req.settings.tz) is None:
            req.refuse()
            return END
        if action == "r":
            req.show(req.t("schedule.ask_hour"), _hour_keyboard(["sc", "h", uid, code]))
        else:
            hour = int_arg(parts, 4)
            if hour not in HOURS:
                req.refuse()
                return END
            assert hour is not None
            req.show(
                req.t("schedule.ask_minute", hour=f"{hour:02d}"),
                _minute_keyboard(["sc", "save", uid, code], hour),
            )
    return END


async def _save_rule(context: Ctx, req: Request, parts: list[str], unit: OrgUnit) -> int:
    start = _hhmm(parts[4]) if len(parts) > 4 else None
    tz = req.settings.tz
    rule = decode_rule(parts[3], start, tz) if start is not None and len(parts) > 3 else None
    if rule is None or start is None:
        req.refuse()
        return END
    await store.set_schedule(
        req.session,
        unit.id,
        rule_kind=rule.kind,
        day=rule.day,
        nth=rule.nth,
        weekday=rule.weekday,
        start_time=start.strftime("%H:%M"),
        actor_account_id=req.account.id,
    )
    await replan_unit(req.session, unit.id, now_of(context), req.settings)
    text, keyboard = await schedule_view(req, unit, now_of(context))
    req.show(req.t("schedule.saved", rule=describe(req, rule)) + "\n\n" + text, keyboard)
    return END


async def _inherit(context: Ctx, req: Request, unit: OrgUnit) -> int:
    if await store.clear_schedule(req.session, unit.id, actor_account_id=req.account.id):
        await replan_unit(req.session, unit.id, now_of(context), req.settings)
    text, keyboard = await schedule_view(req, unit, now_of(context))
    req.show(req.t("schedule.inherit_done") + "\n\n" + text, keyboard)
    return END


# ------------------------------------------------------------------------- one-off changes


async def _month_step(
    context: Ctx, req: Request, action: str, parts: list[str], cell: OrgUnit
) -> int:
    """Move (mv → day → hour → minute), cancel (cx → typed reason) or restore (rs) a month."""
    month = parse_month(parts[3]) if len(parts) > 3 else None
    rule = await cell_rule(req, cell)
    now = now_of(context)
    if month is None or rule is None:
        if rule is None:
            req.alert("schedule.need_rule")
            return END
        req.refuse()
        return END
    today = now.astimezone(rule.tz).date()
    if month < month_start(today) or month > add_months(month_start(today), 2):
        req.refuse()
        return END
    label, mt = month_label(month), month_text(month)
    last_day = (add_months(month, 1) - dt.timedelta(days=1)).day
    if action == "mv":
        first = today.day if month == month_start(today) else 1
        days = [button(str(d), "sc", "mvd", cell.id, label, d) for d in range(first, last_day + 1)]
        req.show(req.t("schedule.ask_move_day", month=mt), markup(*rows(days, 7)))
        return END
    if action in ("mvd", "mvh"):
        day = int_arg(parts, 4)
        if day is None or not 1 <= day <= last_day:
            req.refuse()
            return END
        if action == "mvd":
            req.show(
                req.t("schedule.ask_hour"),
                _hour_keyboard(["sc", "mvh", cell.id, label, day]),
            )
        else:
            hour = int_arg(parts, 5)
            if hour not in HOURS:
                req.refuse()
                return END
            assert hour is not None
            req.show(
                req.t("schedule.ask_minute", hour=f"{hour:02d}"),
                _minute_keyboard(["sc", "mvs", cell.id, label, day], hour),
            )
        return END
    if action == "mvs":
        day = int_arg(parts, 4)
        start = _hhmm(parts[5]) if len(parts) > 5 else None
        if day is None or not 1 <= day <= last_day or start is None:
            req.refuse()
            return END
        moved_to = dt.datetime.combine(month.replace(day=day), start, tzinfo=rule.tz).astimezone(
            dt.UTC
        )
        if moved_to <= now:
            req.alert("schedule.past")
            return END
        await store.set_override(
            req.session,
            cell.id,
            month,
            moved_to=moved_to,
            cancelled=False,
            reason=None,
            actor_account_id=req.account.id,
        )
        await replan_unit(req.session, cell.id, now, req.settings)
        text, keyboard = await schedule_view(req, cell, now)
        req.show(
            req.t("schedule.moved", month=mt, when=fmt_local(moved_to, rule.tz)) + "\n\n" + text,
            keyboard,
        )
        return END
    if action == "cx":
        user_data(context)[PENDING] = {"cell": cell.id, "month": label}
        req.show(req.t("schedule.ask_reason", month=mt))
        return ASK_REASON
    if action == "rs":
        if await store.restore_month(req.session, cell.id, month, actor_account_id=req.account.id):
            await replan_unit(req.session, cell.id, now, req.settings)
        text, keyboard = await schedule_view(req, cell, now)
        req.show(req.t("schedule.restored", month=mt) + "\n\n" + text, keyboard)
        return END
    req.refuse()
    return END


@with_request
async def got_reason(update: Update, context: Ctx, req: Request) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    pending = (context.user_data or {}).get(PENDING)
    cell_id = pending.get("cell") if isinstance(pending, dict) else None
    month = parse_month(str(pending.get("month"))) if isinstance(pending, dict) else None
    if not isinstance(cell_id, int) or month is None or not allowed(req, cell_id):
        req.reply(req.t("common.session_expired"))
        return END
    reason = " ".join(message.text.split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        req.reply(req.t("schedule.bad_reason", min=REASON_MIN, max=REASON_MAX))
        return ASK_REASON
    await store.set_override(
        req.session,
        cell_id,
        month,
        moved_to=None,
        cancelled=True,
        reason=reason,
        actor_account_id=req.account.id,
    )
    now = now_of(context)
    await replan_unit(req.session, cell_id, now, req.settings)
    user_data(context).pop(PENDING, None)
    cell = await _unit(req, cell_id)
    assert cell is not None
    text, keyboard = await schedule_view(req, cell, now)
    req.reply(
        req.t("schedule.cancelled", month=month_text(month), reason=html.escape(reason))
        + "\n\n"
        + text,
        keyboard,
    )
    return END


# ------------------------------------------------------------------------- button router


@with_request
async def schedule_button(update: Update, context: Ctx, req: Request) -> int:
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    prefix, action = parts[0], parts[1] if len(parts) > 1 else ""
    if prefix == "rm" and action in ("sn", "tm"):
        return await reminders.snooze(context, req, int_arg(parts, 2), tomorrow=action == "tm")
    unit_id = int_arg(parts, 2)
    if prefix == "rm":
        if not allowed(req, unit_id):
            req.refuse()
            return END
        assert unit_id is not None
        if action == "list":
            text, keyboard = await reminders.reminders_view(req, unit_id, now_of(context))
            req.show(text, keyboard)
            return END
        if action == "mute" and len(parts) > 3:
            return await reminders.toggle_mute(context, req, unit_id, parts[3])
        if action == "mv":
            cell = await _unit(req, unit_id)
            assert cell is not None
            return await _month_step(context, req, "mv", parts, cell)
        req.refuse()
        return END
    if not can_manage(req, unit_id):
        req.refuse()
        return END
    assert unit_id is not None
    unit = await _unit(req, unit_id)
    if unit is None:
        req.refuse()
        return END
    if action == "show":
        text, keyboard = await schedule_view(req, unit, now_of(context))
        req.show(text, keyboard)
        return END
    if action in ("set", "kd", "kw", "nth", "r", "h"):
        return _rule_step(req, action, parts, unit)
    if action == "save":
        return await _save_rule(context, req, parts, unit)
    if action == "inh":
        return await _inherit(context, req, unit)
    if (
        action in ("mv", "mvd", "mvh", "mvs", "cx", "rs")
        and unit.kind == "cell"
        and allowed(req, unit.id)
    ):
        return await _month_step(context, req, action, parts, unit)
    req.refuse()
    return END


def conversation() -> ConversationHandler[Ctx]:
    """/schedule, /reminders, their ``sc:``/``rm:`` buttons and a cancellation's reason."""
    private = filters.ChatType.PRIVATE
    buttons: CallbackQueryHandler[Ctx, object] = CallbackQueryHandler(
        schedule_button, pattern=r"^(sc|rm):"
    )
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("schedule", schedule_command, filters=private),
            CommandHandler("reminders", reminders.reminders_command, filters=private),
            buttons,
        ],
        states={ASK_REASON: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_reason)]},
        fallbacks=[*fallbacks(), buttons],
        name="schedule",
        persistent=True,
        allow_reentry=True,
    )
    return conversation
