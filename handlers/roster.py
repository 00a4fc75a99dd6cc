"""/members: the cell's roster — list, add one, paste a list, rename, status, and taking a
member off the roll with a reason (transfer, death, struck off, expelled, resigned): the row
and its history stay, listed apart. The list marks the members with a twelve-month warning
(storage/ledger.py) with ⚠️ and names them on top; the member card, with its ledger, dates
and dues amount, is handlers/member_card.py."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
)

from bot.context import Ctx, Request, user_data, with_request
from bot.conversation import END, fallbacks
from bot.keyboards import button, int_arg, markup, pager_row, parse_cb, rows
from bot.ledger_text import warned_lines
from domain import clock
from handlers import member_card
from handlers.cell_input import member_page, pending_for, text_states, typed_for
from handlers.cells import allowed, cell_name, pick_cell_or_reply
from handlers.member_card import card_view, left_reason_text
from storage.ledger import warned_members
from storage.members import (
    MAX_NAME,
    add_members,
    duplicates_of,
    left_members,
    mark_left,
    member_of_cell,
    normalize_name,
    rename_member,
    set_status,
    valid_name,
)
from storage.models import LeftReason, Member, MemberStatus

PAGE_SIZE = 10
MAX_PASTE = 200
MAX_GONE = 30  # members shown on the "left the roll" page
ASK_NAME, ASK_LIST, ASK_RENAME = range(3)
# Words after a name, not icons: exempt members are often elderly ("(MSH)", domain.md).
MARKED_STATUSES = {"probationary", "exempt"}
REASONS = {r.value: r for r in LeftReason}
PENDING = "roster_pending"


def name_with_mark(req: Request, member: Member, warned: bool = False) -> str:
    mark = req.t(f"roster.mark.{member.status}") if member.status in MARKED_STATUSES else ""
    return ("⚠️ " if warned else "") + member.full_name + mark


async def roster_view(req: Request, cell_id: int, page: int) -> tuple[str, InlineKeyboardMarkup]:
    members, total, page = await member_page(req, cell_id, page, PAGE_SIZE)
    text = req.t("roster.title", cell=cell_name(req, cell_id), count=total)
    # The twelve months' warnings of the whole roll on top, whatever the page (ledger).
    warned = await warned_members(req.session, cell_id, clock.today(req.settings.tz))
    if warned:
        text += "\n" + "\n".join(warned_lines(warned, req.lang))
    if total == 0:
        text += "\n\n" + req.t("roster.empty")
    else:
        text += "\n" + req.t("roster.legend")
    flagged = {w.member_id for w in warned}
    member_buttons = [
        button(name_with_mark(req, m, m.id in flagged), "m", "show", cell_id, m.id) for m in members
    ]
    _, gone = await left_members(req.session, cell_id, 0)
    keyboard = [
        *rows(member_buttons, 2),
        pager_row("m:list", page, total, PAGE_SIZE, cell_id),
        [
            button(req.t("roster.btn_add"), "m", "add", cell_id),
            button(req.t("roster.btn_paste"), "m", "paste", cell_id),
        ],
        [button(req.t("roster.btn_gone", count=gone), "m", "gone", cell_id)] if gone else [],
    ]
    return text, markup(*keyboard)


async def gone_view(req: Request, cell_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """Who left the roll, why and when; their cards stay reachable."""
    members, total = await left_members(req.session, cell_id, MAX_GONE)
    lines = [req.t("roster.gone_title", cell=cell_name(req, cell_id), count=total)]
    lines += [
        req.t("roster.gone_line", name=html.escape(m.full_name), reason=left_reason_text(req, m))
        for m in members
    ]
    if total > len(members):
        lines.append(req.t("roster.gone_more", count=total - len(members)))
    member_buttons = [button(m.full_name, "m", "show", cell_id, m.id) for m in members]
    keyboard = [*rows(member_buttons, 2), [button(req.t("common.back"), "m", "list", cell_id, 0)]]
    return "\n".join(lines), markup(*keyboard)


@with_request
async def members_command(update: Update, context: Ctx, req: Request) -> None:
    cell_id = pick_cell_or_reply(req, "m:list", 0)
    if cell_id is None:
        return
    text, keyboard = await roster_view(req, cell_id, 0)
    req.reply(text, keyboard)


def reason_buttons(req: Request, cell_id: int, member_id: int) -> InlineKeyboardMarkup:
    choices = [
        button(req.t(f"left_reason.{r.value}"), "m", "lvr", cell_id, member_id, r.value)
        for r in LeftReason
    ]
    return markup(
        *rows(choices, 2), [button(req.t("common.cancel"), "m", "show", cell_id, member_id)]
    )


@with_request
async def roster_button(update: Update, context: Ctx, req: Request) -> int:
    """Every roster button; ids in callback data are checked against the caller's cells."""
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    action = parts[1] if len(parts) > 1 else ""
    cell_id = int_arg(parts, 2)
    if not allowed(req, cell_id):
        req.refuse()
        return END
    assert cell_id is not None
    if action == "list":
        text, keyboard = await roster_view(req, cell_id, int_arg(parts, 3) or 0)
        req.show(text, keyboard)
        return END
    if action == "add":
        user_data(context)[PENDING] = {"cell": cell_id}
        req.show(req.t("roster.ask_name", max=MAX_NAME))
        return ASK_NAME
    if action == "paste":
        user_data(context)[PENDING] = {"cell": cell_id}
        req.show(req.t("roster.ask_list", max=MAX_PASTE))
        return ASK_LIST
    if action == "addlist":
        return await _confirm_list(context, req, cell_id, parts[3] if len(parts) > 3 else "")
    if action == "gone":
        text, keyboard = await gone_view(req, cell_id)
        req.show(text, keyboard)
        return END

    member = await member_of_cell(req.session, cell_id, int_arg(parts, 3) or -1)
    if member is None:
        req.refuse()
        return END
    if action == "show":
        req.show(*await card_view(req, cell_id, member))
        return END
    if action in member_card.ACTIONS:
        return await member_card.card_action(context, req, cell_id, member, action)
    if action == "st" and len(parts) > 4 and parts[4] in {"official", "probationary", "exempt"}:
        await set_status(
            req.session, member, MemberStatus(parts[4]), actor_account_id=req.account.id
        )
        req.answer(req.t("roster.status_set"))
        req.show(*await card_view(req, cell_id, member))
        return END
    on_roll = member.status != MemberStatus.LEFT.value
    reason = REASONS.get(parts[4]) if len(parts) > 4 else None
    if action == "left" and on_roll:
        req.show(
            req.t("roster.ask_left_reason", name=html.escape(member.full_name)),
            reason_buttons(req, cell_id, member.id),
        )
        return END
    if action == "lvr" and on_roll and reason is not None:
        req.show(
            req.t(
                "roster.confirm_left",
                name=html.escape(member.full_name),
                reason=req.t(f"left_reason.{reason.value}"),
            ),
            markup(
                [
                    button(req.t("common.yes"), "m", "leftok", cell_id, member.id, reason.value),
                    button(req.t("common.no"), "m", "show", cell_id, member.id),
                ]
            ),
        )
        return END
    if action == "leftok" and on_roll and reason is not None:
        await mark_left(
            req.session,
            member,
            reason,
            clock.today(req.settings.tz),
            actor_account_id=req.account.id,
        )
        text, keyboard = await roster_view(req, cell_id, 0)
        req.answer(req.t("roster.left_done", reason=req.t(f"left_reason.{reason.value}")))
        req.show(text, keyboard)
        return END
    if action == "ren":
        user_data(context)[PENDING] = {"cell": cell_id, "member": member.id}
        req.show(req.t("roster.ask_rename", name=html.escape(member.full_name), max=MAX_NAME))
        return ASK_RENAME
    req.refuse()
    return END


@with_request
async def got_name(update: Update, context: Ctx, req: Request) -> int:
    typed = typed_for(update, context, req, PENDING)
    if typed is None:
        return END
    cell_id, _, name = typed
    if not valid_name(name):
        req.reply(req.t("roster.bad_name", max=MAX_NAME))
        return ASK_NAME
    if await duplicates_of(req.session, cell_id, [name]):
        user_data(context)[PENDING] = {"cell": cell_id, "names": [normalize_name(name)]}
        req.reply(
            req.t("roster.duplicate_one", name=html.escape(normalize_name(name))),
            markup(
                [
                    button(req.t("roster.btn_add_anyway"), "m", "addlist", cell_id, "all"),
                    button(req.t("common.no"), "m", "list", cell_id, 0),
                ]
            ),
        )
        return END
    await add_members(req.session, cell_id, [name], actor_account_id=req.account.id)
    user_data(context).pop(PENDING, None)
    text, keyboard = await roster_view(req, cell_id, 0)
    req.reply(
        req.t("roster.added_one", name=html.escape(normalize_name(name))) + "\n\n" + text,
        keyboard,
    )
    return END


@with_request
async def got_list(update: Update, context: Ctx, req: Request) -> int:
    typed = typed_for(update, context, req, PENDING)
    if typed is None:
        return END
    cell_id, _, pasted = typed
    lines = [normalize_name(line) for line in pasted.splitlines() if line.strip()]
    bad = [line for line in lines if not valid_name(line)]
    if not lines or bad or len(lines) > MAX_PASTE:
        req.reply(req.t("roster.bad_list", max=MAX_PASTE, bad=html.escape(", ".join(bad[:5]))))
        return ASK_LIST
    dupes = await duplicates_of(req.session, cell_id, lines)
    user_data(context)[PENDING] = {"cell": cell_id, "names": lines}
    text = req.t("roster.list_preview", count=len(lines))
    keyboard = [
        [button(req.t("roster.btn_add_all", count=len(lines)), "m", "addlist", cell_id, "all")]
    ]
    if dupes:
        text += "\n" + req.t("roster.list_dupes", names=html.escape(", ".join(sorted(dupes))))
        fresh = len(lines) - sum(1 for n in lines if n in dupes)
        if fresh:
            keyboard.append(
                [button(req.t("roster.btn_add_new", count=fresh), "m", "addlist", cell_id, "new")]
            )
    keyboard.append([button(req.t("common.cancel"), "m", "list", cell_id, 0)])
    req.reply(text, markup(*keyboard))
    return END


async def _confirm_list(context: Ctx, req: Request, cell_id: int, mode: str) -> int:
    pending = pending_for(context, req, PENDING)
    names = pending.get("names") if pending else None
    if pending is None or pending.get("cell") != cell_id or not isinstance(names, list):
        req.refuse()
        return END
    if mode == "new":
        dupes = await duplicates_of(req.session, cell_id, names)
        seen: set[str] = set()
        keep = []
        for name in names:
            if name not in dupes and name not in seen:
                keep.append(name)
            seen.add(name)
        names = keep
    added = await add_members(
        req.session, cell_id, [str(n) for n in names], actor_account_id=req.account.id
    )
    user_data(context).pop(PENDING, None)
    text, keyboard = await roster_view(req, cell_id, 0)
    req.show(req.t("roster.added_many", count=len(added)) + "\n\n" + text, keyboard)
    return END


@with_request
async def got_rename(update: Update, context: Ctx, req: Request) -> int:
    typed = typed_for(update, context, req, PENDING)
    if typed is None:
        return END
    cell_id, pending, name = typed
    member_id = pending.get("member")
    member = (
        await member_of_cell(req.session, cell_id, member_id)
        if isinstance(member_id, int)
        else None
    )
    if member is None:
        req.reply(req.t("common.session_expired"))
        return END
    if not valid_name(name):
        req.reply(req.t("roster.bad_name", max=MAX_NAME))
        return ASK_RENAME
    await rename_member(req.session, member, name, actor_account_id=req.account.id)
    user_data(context).pop(PENDING, None)
    text, keyboard = await roster_view(req, cell_id, 0)
    req.reply(req.t("roster.renamed", name=html.escape(member.full_name)) + "\n\n" + text, keyboard)
    return END


@with_request
async def not_text(update: Update, context: Ctx, req: Request) -> None:
    req.reply(req.t("roster.need_text"))


def conversation() -> ConversationHandler[Ctx]:
    """The roster's ``m:`` buttons and the names typed after them."""
    conversation = ConversationHandler(
        entry_points=[CallbackQueryHandler(roster_button, pattern=r"^m:")],
        states=text_states(
            {
                ASK_NAME: got_name,
                ASK_LIST: got_list,
                ASK_RENAME: got_rename,
                # The member card's typed answers (handlers/member_card.py).
                member_card.ASK_ADMITTED: member_card.got_admitted,
                member_card.ASK_DUES: member_card.got_dues,
                member_card.ASK_OFFICIAL: member_card.got_official,
            },
            not_text,
        ),
        fallbacks=[*fallbacks(), CallbackQueryHandler(roster_button, pattern=r"^m:")],
        name="roster",
        persistent=True,
        allow_reentry=True,
    )
    return conversation
