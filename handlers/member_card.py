"""A member's card in /members: name and status, admitted on / probation ends on / official
on, the monthly dues amount, twelve months of attendance and dues, and the warnings; buttons
to set the admission date and the dues amount (typed, checked, the user stays on a bad
answer) and to make a probationary member official (today, or a typed day).

Card buttons share the roster's ``m:<action>:<cell>:<member>`` callback data and its
conversation (handlers/roster.py routes ``ACTIONS`` here; the typed answers come back to the
``got_*`` handlers below)."""

from __future__ import annotations

import datetime as dt
import html

from telegram import InlineKeyboardMarkup, Update

from bot.context import Ctx, Request, user_data, with_request
from bot.conversation import END
from bot.i18n import date_text
from bot.keyboards import button, markup, rows
from bot.ledger_text import card_text
from domain import clock
from domain.amounts import parse_amount
from domain.dates import DateInputError, parse_date
from domain.member_rules import admission_problem, dues_amount_problem
from handlers.cell_input import pending_for
from storage.ledger import make_official, member_ledger, set_admitted_on, set_monthly_dues
from storage.members import member_of_cell
from storage.models import Member, MemberStatus

ASK_ADMITTED, ASK_DUES, ASK_OFFICIAL = range(3, 6)  # after the roster's own states
ACTIONS = {"adm", "dues", "dues0", "off", "offt"}
PENDING = "roster_pending"  # the roster's key: one pending typed answer per user


def left_reason_text(req: Request, member: Member) -> str:
    """The reason and the day, or "no reason recorded" for members marked before 0007."""
    reason = req.t(f"left_reason.{member.left_reason or 'unknown'}")
    if member.left_on is None:
        return reason
    return req.t("roster.left_when", reason=reason, date=date_text(member.left_on, req.lang))


def card_actions(req: Request, cell_id: int, member: Member) -> InlineKeyboardMarkup:
    member_id, status = member.id, member.status
    if status == MemberStatus.LEFT.value:
        return markup(
            [button(req.t("roster.btn_back_on_roll"), "m", "st", cell_id, member_id, "official")],
            [button(req.t("common.back"), "m", "gone", cell_id)],
        )
    status_buttons = [
        button(req.t(f"member_status.{s.value}"), "m", "st", cell_id, member_id, s.value)
        for s in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY, MemberStatus.EXEMPT)
        if s.value != status
    ]
    official = (
        [[button(req.t("member.btn_official"), "m", "off", cell_id, member_id)]]
        if status == MemberStatus.PROBATIONARY.value
        else []
    )
    # One per row: "Miễn công tác và sinh hoạt đảng (MSH)" does not fit beside another.
    return markup(
        *official,
        [
            button(req.t("member.btn_admitted"), "m", "adm", cell_id, member_id),
            button(req.t("member.btn_dues"), "m", "dues", cell_id, member_id),
        ],
        [button(req.t("roster.btn_rename"), "m", "ren", cell_id, member_id)],
        *rows(status_buttons, 1),
        [button(req.t("roster.btn_left"), "m", "left", cell_id, member_id)],
        [button(req.t("common.back"), "m", "list", cell_id, 0)],
    )


async def card_view(req: Request, cell_id: int, member: Member) -> tuple[str, InlineKeyboardMarkup]:
    if member.status == MemberStatus.LEFT.value:
        text = req.t(
            "roster.member_left",
            name=html.escape(member.full_name),
            reason=left_reason_text(req, member),
        )
    else:
        entries = await member_ledger(req.session, member, clock.today(req.settings.tz))
        text = card_text(member, entries, req.lang)
    return text, card_actions(req, cell_id, member)


def _today(req: Request) -> dt.date:
    return clock.today(req.settings.tz)


def _ask_official(req: Request, cell_id: int, member: Member) -> None:
    today = date_text(_today(req), req.lang)
    req.show(
        req.t("member.ask_official", name=html.escape(member.full_name), date=today),
        markup(
            [button(req.t("member.btn_today", date=today), "m", "offt", cell_id, member.id)],
            [button(req.t("common.cancel"), "m", "show", cell_id, member.id)],
        ),
    )


async def card_action(context: Ctx, req: Request, cell_id: int, member: Member, action: str) -> int:
    """One of the card's ``ACTIONS`` on a member of the caller's cell."""
    on_roll = member.status != MemberStatus.LEFT.value
    name = html.escape(member.full_name)
    cancel = markup([button(req.t("common.cancel"), "m", "show", cell_id, member.id)])
    if action == "adm" and on_roll:
        user_data(context)[PENDING] = {"cell": cell_id, "member": member.id}
        req.show(req.t("member.ask_admitted", name=name), cancel)
        return ASK_ADMITTED
    if action == "dues" and on_roll:
        user_data(context)[PENDING] = {"cell": cell_id, "member": member.id}
        req.show(
            req.t("member.ask_dues", name=name),
            markup(
                [button(req.t("member.btn_no_amount"), "m", "dues0", cell_id, member.id)],
                [button(req.t("common.cancel"), "m", "show", cell_id, member.id)],
            ),
        )
        return ASK_DUES
    if action == "dues0" and on_roll:
        await set_monthly_dues(req.session, member, None, actor_account_id=req.account.id)
        user_data(context).pop(PENDING, None)
        req.answer(req.t("member.dues_set"))
        req.show(*await card_view(req, cell_id, member))
        return END
    probationary = member.status == MemberStatus.PROBATIONARY.value
    if action == "off" and probationary:
        user_data(context)[PENDING] = {"cell": cell_id, "member": member.id}
        _ask_official(req, cell_id, member)
        return ASK_OFFICIAL
    if action == "offt" and probationary:
        await make_official(req.session, member, _today(req), actor_account_id=req.account.id)
        user_data(context).pop(PENDING, None)
        req.answer(req.t("member.official_done"))
        req.show(*await card_view(req, cell_id, member))
        return END
    req.refuse()
    return END


async def _pending_member(context: Ctx, req: Request) -> tuple[int, Member] | None:
    pending = pending_for(context, req, PENDING)
    member_id = pending.get("member") if pending else None
    if pending is None or not isinstance(member_id, int):
        return None
    cell = int(str(pending["cell"]))
    member = await member_of_cell(req.session, cell, member_id)
    if member is None or member.status == MemberStatus.LEFT.value:
        return None
    return cell, member


def typed_day(req: Request, text: str) -> dt.date | str:
    """The day typed, or the catalog key of what is wrong with it."""
    try:
        day = parse_date(text, _today(req))
    except DateInputError as error:
        return "member.bad_date" if error.reason == "format" else "member.impossible_date"
    problem = admission_problem(day, _today(req))
    return f"member.date_{problem}" if problem else day


async def _typed(update: Update, context: Ctx, req: Request) -> tuple[int, Member, str] | None:
    message = update.effective_message
    assert message is not None and message.text is not None
    found = await _pending_member(context, req)
    if found is None:
        req.reply(req.t("common.session_expired"))
        return None
    return found[0], found[1], message.text


async def _done(context: Ctx, req: Request, cell_id: int, member: Member, key: str) -> int:
    user_data(context).pop(PENDING, None)
    text, keyboard = await card_view(req, cell_id, member)
    req.reply(req.t(key) + "\n\n" + text, keyboard)
    return END


@with_request
async def got_admitted(update: Update, context: Ctx, req: Request) -> int:
    typed = await _typed(update, context, req)
    if typed is None:
        return END
    cell_id, member, text = typed
    day = typed_day(req, text)
    if isinstance(day, str):
        req.reply(req.t(day))
        return ASK_ADMITTED
    await set_admitted_on(req.session, member, day, actor_account_id=req.account.id)
    return await _done(context, req, cell_id, member, "member.admitted_set")


@with_request
async def got_official(update: Update, context: Ctx, req: Request) -> int:
    typed = await _typed(update, context, req)
    if typed is None:
        return END
    cell_id, member, text = typed
    if member.status != MemberStatus.PROBATIONARY.value:
        req.reply(req.t("common.session_expired"))
        return END
    day = typed_day(req, text)
    if isinstance(day, str):
        req.reply(req.t(day))
        return ASK_OFFICIAL
    await make_official(req.session, member, day, actor_account_id=req.account.id)
    return await _done(context, req, cell_id, member, "member.official_done")


@with_request
async def got_dues(update: Update, context: Ctx, req: Request) -> int:
    typed = await _typed(update, context, req)
    if typed is None:
        return END
    cell_id, member, text = typed
    amount = parse_amount(text)
    problem = "bad" if amount is None else dues_amount_problem(amount)
    if problem is not None or amount is None:
        req.reply(req.t(f"member.amount_{problem}"))
        return ASK_DUES
    await set_monthly_dues(req.session, member, amount, actor_account_id=req.account.id)
    return await _done(context, req, cell_id, member, "member.dues_set")
