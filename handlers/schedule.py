"""/schedule and /reminders: meeting rules, one-off changes, upcoming reminders, mutes,
and the buttons on reminder messages (snooze, tomorrow morning, meeting moved).

Every choice is a button whose callback data carries ids only; each callback re-checks the
caller's access to that unit and answers a forged or stale one with `common.stale_button`.
The only typed answer is the reason for cancelling a month's meeting.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from sqlalchemy import delete, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import Ctx, Request, with_request
from bot.conversation import END, fallbacks
from bot.keyboards import button, int_arg, markup, parse_cb, rows
from domain import clock
from handlers.cells import allowed, cell_picker, my_cells
from schedules.plan_service import effective_schedules, replan_unit, rule_of
from schedules.planner import (
    CELL_KINDS,
    MUTABLE_KINDS,
    Offsets,
    month_label,
    out_of_quiet_hours,
    stamp,
    tomorrow_morning,
)
from schedules.rules import (
    Override,
    Rule,
    RuleError,
    add_months,
    meetings,
    month_start,
    next_meetings,
)
from storage import audit
from storage.accounts import supervised_grants
from storage.models import (
    MeetingOverride,
    MeetingSchedule,
    OrgUnit,
    OutboxMessage,
    OutboxStatus,
    ReminderMute,
)
from storage.outbox import enqueue

ASK_REASON = 1
PENDING = "schedule_pending"
REASON_MIN, REASON_MAX = 3, 200
HOURS = range(6, 22)
MINUTES = (0, 15, 30, 45)
LIST_LIMIT = 10


def now_of(context: Ctx) -> dt.datetime:
    return clock.now()


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


def _refuse(req: Request) -> int:
    req.alert("common.stale_button")
    return END


def parse_month(text: str) -> dt.date | None:
    try:
        year, month = text.split("-")
        return dt.date(int(year), int(month), 1)
    except ValueError:
        return None


def encode_rule(rule: Rule) -> str:
    return f"d{rule.day}" if rule.kind == "day" else f"w{rule.nth}.{rule.weekday}"


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


def fmt_local(moment: dt.datetime, tz: Any) -> str:
    return moment.astimezone(tz).strftime("%H:%M %d/%m/%Y")


def month_text(month: dt.date) -> str:
    return f"{month.month:02d}/{month.year}"


# ------------------------------------------------------------------------- /schedule


async def _unit(req: Request, unit_id: int) -> OrgUnit | None:
    return await req.session.get(OrgUnit, unit_id)


async def _overrides(req: Request, cell_id: int, since: dt.date) -> list[Override]:
    rows = await req.session.scalars(
        select(MeetingOverride).where(
            MeetingOverride.cell_id == cell_id, MeetingOverride.month >= since
        )
    )
    return [Override(o.month, o.moved_to, o.cancelled, o.reason) for o in rows.all()]


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
            return _refuse(req)
        days = [
            button(req.t(f"schedule.weekday.{w}"), "sc", "r", uid, f"w{nth}.{w}") for w in range(7)
        ]
        req.show(req.t("schedule.ask_weekday"), markup(*rows(days, 3)))
    elif action in ("r", "h"):
        code = parts[3] if len(parts) > 3 else ""
        if decode_rule(code, dt.time(8), req.settings.tz) is None:
            return _refuse(req)
        if action == "r":
            req.show(req.t("schedule.ask_hour"), _hour_keyboard(["sc", "h", uid, code]))
        else:
            hour = int_arg(parts, 4)
            if hour not in HOURS:
                return _refuse(req)
            assert hour is not None
            req.show(
                req.t("schedule.ask_minute", hour=f"{hour:02d}"),
                _minute_keyboard(["sc", "save", uid, code], hour),
            )
    return END


async def _save_rule(context: Ctx, req: Request, parts: list[str], unit: OrgUnit) -> int:
    start = _hhmm(parts[4]) if len(parts) > 4 else None
    existing = await req.session.scalar(
        select(MeetingSchedule).where(MeetingSchedule.unit_id == unit.id)
    )
    tz = req.settings.tz
    rule = decode_rule(parts[3], start, tz) if start is not None and len(parts) > 3 else None
    if rule is None or start is None:
        return _refuse(req)
    before = _schedule_dict(existing)
    if existing is None:
        existing = MeetingSchedule(unit_id=unit.id, rule_kind=rule.kind)
        req.session.add(existing)
    existing.rule_kind = rule.kind
    existing.day = rule.day
    existing.nth = rule.nth
    existing.weekday = rule.weekday
    existing.start_time = start.strftime("%H:%M")
    existing.updated_by = req.account.id
    await req.session.flush()
    audit.record(
        req.session,
        actor_account_id=req.account.id,
        entity="meeting_schedule",
        entity_id=unit.id,
        action="set",
        before=before,
        after=_schedule_dict(existing),
    )
    await replan_unit(req.session, unit.id, now_of(context), req.settings)
    text, keyboard = await schedule_view(req, unit, now_of(context))
    req.show(req.t("schedule.saved", rule=describe(req, rule)) + "\n\n" + text, keyboard)
    return END


def _schedule_dict(schedule: MeetingSchedule | None) -> dict[str, Any] | None:
    if schedule is None:
        return None
    return {
        "rule_kind": schedule.rule_kind,
        "day": schedule.day,
        "nth": schedule.nth,
        "weekday": schedule.weekday,
        "start_time": schedule.start_time,
    }


async def _inherit(context: Ctx, req: Request, unit: OrgUnit) -> int:
    existing = await req.session.scalar(
        select(MeetingSchedule).where(MeetingSchedule.unit_id == unit.id)
    )
    if existing is not None:
        audit.record(
            req.session,
            actor_account_id=req.account.id,
            entity="meeting_schedule",
            entity_id=unit.id,
            action="inherit",
            before=_schedule_dict(existing),
        )
        await req.session.delete(existing)
        await req.session.flush()
        await replan_unit(req.session, unit.id, now_of(context), req.settings)
    text, keyboard = await schedule_view(req, unit, now_of(context))
    req.show(req.t("schedule.inherit_done") + "\n\n" + text, keyboard)
    return END


# ------------------------------------------------------------------------- one-off changes


async def _cell_rule(req: Request, cell: OrgUnit) -> Rule | None:
    return rule_of((await effective_schedules(req.session, [cell]))[cell.id], req.settings.tz)


async def _month_step(
    context: Ctx, req: Request, action: str, parts: list[str], cell: OrgUnit
) -> int:
    """Move (mv → day → hour → minute), cancel (cx → typed reason) or restore (rs) a month."""
    month = parse_month(parts[3]) if len(parts) > 3 else None
    rule = await _cell_rule(req, cell)
    now = now_of(context)
    if month is None or rule is None:
        if rule is None:
            req.alert("schedule.need_rule")
            return END
        return _refuse(req)
    today = now.astimezone(rule.tz).date()
    if month < month_start(today) or month > add_months(month_start(today), 2):
        return _refuse(req)
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
            return _refuse(req)
        if action == "mvd":
            req.show(
                req.t("schedule.ask_hour"),
                _hour_keyboard(["sc", "mvh", cell.id, label, day]),
            )
        else:
            hour = int_arg(parts, 5)
            if hour not in HOURS:
                return _refuse(req)
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
            return _refuse(req)
        moved_to = dt.datetime.combine(month.replace(day=day), start, tzinfo=rule.tz).astimezone(
            dt.UTC
        )
        if moved_to <= now:
            req.alert("schedule.past")
            return END
        await _set_override(req, cell.id, month, moved_to=moved_to, cancelled=False, reason=None)
        await replan_unit(req.session, cell.id, now, req.settings)
        text, keyboard = await schedule_view(req, cell, now)
        req.show(
            req.t("schedule.moved", month=mt, when=fmt_local(moved_to, rule.tz)) + "\n\n" + text,
            keyboard,
        )
        return END
    if action == "cx":
        context.user_data[PENDING] = {"cell": cell.id, "month": label}  # type: ignore[index]
        req.show(req.t("schedule.ask_reason", month=mt))
        return ASK_REASON
    if action == "rs":
        existing = await req.session.scalar(
            select(MeetingOverride).where(
                MeetingOverride.cell_id == cell.id, MeetingOverride.month == month
            )
        )
        if existing is not None:
            audit.record(
                req.session,
                actor_account_id=req.account.id,
                entity="meeting_override",
                entity_id=cell.id,
                action="restore",
                before=_override_dict(existing),
            )
            await req.session.execute(
                delete(MeetingOverride).where(MeetingOverride.id == existing.id)
            )
            await replan_unit(req.session, cell.id, now, req.settings)
        text, keyboard = await schedule_view(req, cell, now)
        req.show(req.t("schedule.restored", month=mt) + "\n\n" + text, keyboard)
        return END
    return _refuse(req)


def _override_dict(o: MeetingOverride) -> dict[str, Any]:
    return {
        "month": o.month.isoformat(),
        "moved_to": o.moved_to.isoformat() if o.moved_to else None,
        "cancelled": o.cancelled,
        "reason": o.reason,
    }


async def _set_override(
    req: Request,
    cell_id: int,
    month: dt.date,
    *,
    moved_to: dt.datetime | None,
    cancelled: bool,
    reason: str | None,
) -> None:
    existing = await req.session.scalar(
        select(MeetingOverride).where(
            MeetingOverride.cell_id == cell_id, MeetingOverride.month == month
        )
    )
    before = _override_dict(existing) if existing else None
    if existing is None:
        existing = MeetingOverride(cell_id=cell_id, month=month, created_by=req.account.id)
        req.session.add(existing)
    existing.moved_to, existing.cancelled, existing.reason = moved_to, cancelled, reason
    existing.created_by = req.account.id
    await req.session.flush()
    audit.record(
        req.session,
        actor_account_id=req.account.id,
        entity="meeting_override",
        entity_id=cell_id,
        action="cancel" if cancelled else "move",
        before=before,
        after=_override_dict(existing),
    )


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
    await _set_override(req, cell_id, month, moved_to=None, cancelled=True, reason=reason)
    now = now_of(context)
    await replan_unit(req.session, cell_id, now, req.settings)
    context.user_data.pop(PENDING, None)  # type: ignore[union-attr]
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


# ------------------------------------------------------------------------- /reminders


async def reminders_view(
    req: Request, cell_id: int, now: dt.datetime
) -> tuple[str, InlineKeyboardMarkup]:
    cell = await _unit(req, cell_id)
    assert cell is not None
    # Plan this cell's group now, so that a change made a minute ago shows up at once.
    await replan_unit(req.session, cell_id, now, req.settings)
    rule = await _cell_rule(req, cell)
    tz = rule.tz if rule else req.settings.tz
    rows_ = (
        await req.session.execute(
            select(OutboxMessage.due_at, OutboxMessage.kind)
            .where(
                OutboxMessage.cell_id == cell_id,
                OutboxMessage.kind.in_(CELL_KINDS),
                OutboxMessage.status == OutboxStatus.PENDING.value,
                OutboxMessage.due_at >= now - dt.timedelta(minutes=5),
            )
            .distinct()
            .order_by(OutboxMessage.due_at)
        )
    ).all()
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
    muted = set(
        (
            await req.session.scalars(
                select(ReminderMute.kind).where(ReminderMute.cell_id == cell_id)
            )
        ).all()
    )
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
    cells = my_cells(req)
    if not cells:
        req.reply(req.t("common.not_secretary"))
        return END
    if len(cells) > 1:
        req.reply(req.t("common.pick_cell"), cell_picker(req, "rm:list"))
        return END
    text, keyboard = await reminders_view(req, cells[0].unit_id, now_of(context))
    req.reply(text, keyboard)
    return END


async def _toggle_mute(context: Ctx, req: Request, cell_id: int, kind: str) -> int:
    if kind not in MUTABLE_KINDS:  # the check-in prompt cannot be muted, even by forged data
        return _refuse(req)
    existing = await req.session.scalar(
        select(ReminderMute).where(ReminderMute.cell_id == cell_id, ReminderMute.kind == kind)
    )
    if existing is None:
        req.session.add(ReminderMute(cell_id=cell_id, kind=kind))
        action, toast = "mute", "reminders.muted"
    else:
        await req.session.delete(existing)
        action, toast = "unmute", "reminders.unmuted"
    await req.session.flush()
    audit.record(
        req.session,
        actor_account_id=req.account.id,
        entity="reminder_mute",
        entity_id=cell_id,
        action=action,
        after={"kind": kind},
    )
    text, keyboard = await reminders_view(
        req, cell_id, now_of(context)
    )  # re-plans: cancels/revives
    req.answer(req.t(toast, kind=req.t(f"reminders.kind.{kind}")))
    req.show(text, keyboard)
    return END


async def _snooze(context: Ctx, req: Request, row_id: int | None, tomorrow: bool) -> int:
    row = await req.session.get(OutboxMessage, row_id) if row_id is not None else None
    if (
        row is None
        or row.account_id != req.account.id
        or (row.cell_id is not None and not allowed(req, row.cell_id))
    ):
        return _refuse(req)
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


# ------------------------------------------------------------------------- button router


@with_request
async def schedule_button(update: Update, context: Ctx, req: Request) -> int:
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    prefix, action = parts[0], parts[1] if len(parts) > 1 else ""
    if prefix == "rm" and action in ("sn", "tm"):
        return await _snooze(context, req, int_arg(parts, 2), tomorrow=action == "tm")
    unit_id = int_arg(parts, 2)
    if prefix == "rm":
        if not allowed(req, unit_id):
            return _refuse(req)
        assert unit_id is not None
        if action == "list":
            text, keyboard = await reminders_view(req, unit_id, now_of(context))
            req.show(text, keyboard)
            return END
        if action == "mute" and len(parts) > 3:
            return await _toggle_mute(context, req, unit_id, parts[3])
        if action == "mv":
            cell = await _unit(req, unit_id)
            assert cell is not None
            return await _month_step(context, req, "mv", parts, cell)
        return _refuse(req)
    if not can_manage(req, unit_id):
        return _refuse(req)
    assert unit_id is not None
    unit = await _unit(req, unit_id)
    if unit is None:
        return _refuse(req)
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
    return _refuse(req)


def register(app: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    buttons: CallbackQueryHandler[Ctx, object] = CallbackQueryHandler(
        schedule_button, pattern=r"^(sc|rm):"
    )
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("schedule", schedule_command, filters=private),
            CommandHandler("reminders", reminders_command, filters=private),
            buttons,
        ],
        states={ASK_REASON: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_reason)]},
        fallbacks=[*fallbacks(), buttons],
        name="schedule",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
