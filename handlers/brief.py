"""/brief: the chi ủy's pre-meeting brief (HD 42-HD/BTCTW: the chi ủy, or the secretary or
deputy, prepares the content and a draft resolution, and tells the supervising committee the
time, place and content in advance).

For a cell's secretary or deputy (several cells: the usual cell picker). For the next
scheduled meeting (the month of the pre-meeting reminder when opened from it; this month's
when the cell has no schedule): the draft agenda in meeting order, last month's tasks still
open with their owners, members to watch, whether the quarter's thematic meeting is still due
with its plan (/thematic), and buttons for the draft resolution (DOCX) and the meeting notice.

The notice goes to the supervisors of the cell's parent unit through the outbox, written in
this update's transaction (the dispatcher sends it after the commit), and each send is
recorded. A second send is asked again with the time of the first; the confirm button carries
how many sends it saw, so a double tap sends once.

Callback data ``bf:<cell>:<action>[:<YYYY-MM>[:<sends seen>]]``; actions: ``o`` show the
brief here, ``r`` open it as a new message (the reminder's button), ``d`` the draft DOCX,
``n`` ask to send the notice, ``y`` send it.
"""

from __future__ import annotations

import datetime as dt
import html
from functools import partial

from telegram import InlineKeyboardMarkup, Update

from bot.brief_text import Brief, brief_text, notice_text, notice_values, sent_text
from bot.context import Ctx, Request, with_request
from bot.docx_resolution_draft import draft_file_name, draft_resolution_docx
from bot.i18n import period_text
from bot.keyboards import button, int_arg, markup, tapped
from domain import clock
from domain.periods import add_months, month_label, month_start, parse_month
from handlers.cells import allowed, pick_cell_or_reply
from schedules.plan_service import effective_schedules, rule_of
from schedules.rules import Meeting, Override, meetings, next_meetings
from storage import schedules_store as store
from storage.brief import last_place, thematic_held
from storage.ledger import dues_recorded, members_to_watch
from storage.models import OrgUnit
from storage.notices_sent import NoticeSent, last_sent, parent_supervisors, send_notice
from storage.tasks import open_tasks
from storage.thematic import year_plan

PREFIX = "bf"
SHOW, OPEN, DRAFT, ASK, SEND = "o", "r", "d", "n", "y"
ACTIONS = (SHOW, OPEN, DRAFT, ASK, SEND)


async def _meeting(
    req: Request, cell: OrgUnit, month: dt.date | None
) -> tuple[dt.date, Meeting | None, dt.tzinfo]:
    """The meeting's month, the meeting (None without a schedule) and the cell's zone."""
    try:
        rule = rule_of((await effective_schedules(req.session, [cell]))[cell.id], req.settings.tz)
    except ValueError:
        rule = None  # a broken stored rule: the brief still helps, without a time
    tz = rule.tz if rule is not None else req.settings.tz
    now = clock.now()
    this_month = month_start(now.astimezone(tz).date())
    if rule is None:
        return month or this_month, None, tz
    since = add_months(min(month or this_month, this_month), -1)
    overrides = [
        Override(o.month, o.moved_to, o.cancelled, o.reason)
        for o in await store.overrides_since(req.session, cell.id, since)
    ]
    if month is None:
        upcoming = next_meetings(rule, now, 1, overrides)
        if not upcoming:
            return this_month, None, tz
        return upcoming[0].month, upcoming[0], tz
    return month, meetings(rule, [month], overrides)[0], tz


async def gather(req: Request, cell_id: int, month: dt.date | None) -> tuple[Brief, dt.tzinfo]:
    cell = await store.get_unit(req.session, cell_id)
    assert cell is not None
    month, meeting, tz = await _meeting(req, cell, month)
    parent = await store.get_unit(req.session, cell.parent_id) if cell.parent_id else None
    quarter_start = month.replace(month=(month.month - 1) // 3 * 3 + 1)
    plans = await year_plan(req.session, cell_id, month.year)
    # The months before the meeting: one line per member, whichever rules it meets.
    watch = tuple(await members_to_watch(req.session, cell_id, add_months(month, -1)))
    brief = Brief(
        cell_id=cell_id,
        cell_name=cell.name,
        cell_code=cell.code,
        parent_name=parent.name if parent is not None else None,
        month=month,
        start=meeting.start.astimezone(tz) if meeting is not None else None,
        cancelled=meeting is not None and meeting.cancelled,
        place=await last_place(req.session, cell_id, month),
        open_tasks=await open_tasks(req.session, cell_id, month),
        thematic_due=not await thematic_held(req.session, cell_id, quarter_start),
        plan=plans.get((month.month - 1) // 3 + 1),
        notice=await last_sent(req.session, cell_id, month),
        watch=watch,
        dues_recorded=await dues_recorded(req.session, cell_id, add_months(month, -1)),
    )
    return brief, tz


def brief_keyboard(req: Request, brief: Brief) -> InlineKeyboardMarkup:
    label = month_label(brief.month)
    return markup(
        [button(req.t("brief.btn_draft"), PREFIX, brief.cell_id, DRAFT, label)],
        [button(req.t("brief.btn_notice"), PREFIX, brief.cell_id, ASK, label)],
        [button(req.t("brief.btn_thematic"), "tp", brief.cell_id, "v", brief.month.year)],
    )


async def _brief_message(
    req: Request, cell_id: int, month: dt.date | None
) -> tuple[str, InlineKeyboardMarkup]:
    brief, tz = await gather(req, cell_id, month)
    return brief_text(brief, req.lang, tz), brief_keyboard(req, brief)


@with_request
async def brief_command(update: Update, context: Ctx, req: Request) -> None:
    cell_id = pick_cell_or_reply(req, PREFIX, OPEN)
    if cell_id is None:
        return
    req.reply(*await _brief_message(req, cell_id, None))


def _local_sent(sent: NoticeSent, tz: dt.tzinfo) -> NoticeSent:
    return NoticeSent(sent.sent_at.astimezone(tz), sent.recipients, sent.count)


async def _ask(req: Request, cell_id: int, month: dt.date) -> None:
    brief, tz = await gather(req, cell_id, month)
    supervisors = await parent_supervisors(req.session, cell_id)
    if not supervisors:
        req.alert("brief.notice_nobody", unit=html.escape(brief.parent_name or ""))
        return
    period = period_text(month_label(month), req.lang)
    preview = notice_text(brief, req.lang, req.account.display_name)
    text = req.t(
        "brief.notice_confirm",
        period=period,
        count=len(supervisors),
        unit=html.escape(brief.parent_name or ""),
        preview=preview,
    )
    seen = brief.notice.count if brief.notice is not None else 0
    send_label = "brief.btn_send"
    if brief.notice is not None:
        sent = _local_sent(brief.notice, tz)
        again = req.t(
            "brief.notice_again",
            period=period,
            when=sent_text(sent, req.lang),
            count=sent.recipients,
        )
        text = again + "\n\n" + text
        send_label = "brief.btn_send_again"
    label = month_label(month)
    req.answer()
    req.show(
        text,
        markup(
            [
                button(req.t(send_label), PREFIX, cell_id, SEND, label, seen),
                button(req.t("brief.btn_dont"), PREFIX, cell_id, SHOW, label),
            ]
        ),
    )


async def _send(req: Request, cell_id: int, month: dt.date, seen: int | None) -> None:
    brief, tz = await gather(req, cell_id, month)
    count = brief.notice.count if brief.notice is not None else 0
    if seen is None or seen != count:
        # A second tap on the same confirmation (or a stale one): already sent, not again.
        if brief.notice is not None:
            when = sent_text(_local_sent(brief.notice, tz), req.lang)
            req.answer(req.t("brief.notice_already", when=when))
        else:
            req.refuse()
            return
        req.show(brief_text(brief, req.lang, tz), brief_keyboard(req, brief))
        return
    payload = {
        "key": "brief.notice",
        "values": notice_values(brief, req.lang, req.account.display_name),
    }
    sent = await send_notice(req.session, cell_id, month, payload, actor=req.account.id)
    if not sent:
        req.alert("brief.notice_nobody", unit=html.escape(brief.parent_name or ""))
        return
    period = period_text(month_label(month), req.lang)
    req.answer()
    req.show(
        req.t("brief.notice_done", period=period, count=sent),
        markup(
            [button(req.t("brief.btn_back"), PREFIX, cell_id, SHOW, month_label(month))],
        ),
    )


async def _draft(req: Request, cell_id: int, month: dt.date) -> None:
    brief, _tz = await gather(req, cell_id, month)
    req.answer()
    caption = req.t(
        "brief.draft_caption",
        period=period_text(month_label(month), req.lang),
        cell=html.escape(brief.cell_name),
    )
    req.out.files_later(
        [
            (
                draft_file_name(brief, req.lang),
                partial(draft_resolution_docx, brief, req.lang),
                caption,
            )
        ]
    )


@with_request
async def brief_button(update: Update, context: Ctx, req: Request) -> None:
    """Every bf: button. The cell is re-checked: callback data can be forged."""
    parts = tapped(update)
    cell_id = int_arg(parts, 1)
    action = parts[2] if len(parts) > 2 else ""
    month = parse_month(parts[3]) if len(parts) > 3 else None
    if not allowed(req, cell_id) or action not in ACTIONS or (len(parts) > 3 and month is None):
        req.refuse()
        return
    assert cell_id is not None
    if action in (SHOW, OPEN):
        text, keyboard = await _brief_message(req, cell_id, month)
        req.answer()
        if action == OPEN:
            req.reply(text, keyboard)
        else:
            req.show(text, keyboard)
        return
    if month is None:
        req.refuse()
        return
    if action == DRAFT:
        await _draft(req, cell_id, month)
    elif action == ASK:
        await _ask(req, cell_id, month)
    else:
        await _send(req, cell_id, month, int_arg(parts, 4))
