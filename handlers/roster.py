"""/members: the cell's roster — list, add one, paste a list, rename, status, and taking a
member off the roll with a reason (transfer, death, struck off, expelled, resigned): the row
and its history stay, listed apart."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import Ctx, Request, user_data, with_request
from bot.conversation import END, fallbacks
from bot.i18n import date_text
from bot.keyboards import button, int_arg, markup, pager_row, parse_cb, rows
from domain import clock
from handlers.cells import allowed, cell_name, pick_cell_or_reply
from storage.members import (
    MAX_NAME,
    add_members,
    duplicates_of,
    left_members,
    mark_left,
    member_of_cell,
    normalize_name,
    page_of_members,
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


def name_with_mark(req: Request, member: Member) -> str:
    mark = req.t(f"roster.mark.{member.status}") if member.status in MARKED_STATUSES else ""
    return member.full_name + mark


def left_reason_text(req: Request, member: Member) -> str:
    """The reason and the day, or "no reason recorded" for members marked before 0007."""
    reason = req.t(f"left_reason.{member.left_reason or 'unknown'}")
    if member.left_on is None:
        return reason
    return req.t("roster.left_when", reason=reason, date=date_text(member.left_on, req.lang))


async def roster_view(req: Request, cell_id: int, page: int) -> tuple[str, InlineKeyboardMarkup]:
    members, total = await page_of_members(req.session, cell_id, page, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    if not members and page > 0:
        members, total = await page_of_members(req.session, cell_id, page, PAGE_SIZE)
    text = req.t("roster.title", cell=cell_name(req, cell_id), count=total)
    if total == 0:
        text += "\n\n" + req.t("roster.empty")
    else:
        text += "\n" + req.t("roster.legend")
    member_buttons = [button(name_with_mark(req, m), "m", "show", cell_id, m.id) for m in members]
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


def member_actions(req: Request, cell_id: int, member_id: int, status: str) -> InlineKeyboardMarkup:
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
    # One per row: "Miễn công tác và sinh hoạt đảng (MSH)" does not fit beside another.
    return markup(
        [button(req.t("roster.btn_rename"), "m", "ren", cell_id, member_id)],
        *rows(status_buttons, 1),
        [button(req.t("roster.btn_left"), "m", "left", cell_id, member_id)],
        [button(req.t("common.back"), "m", "list", cell_id, 0)],
    )


def member_card(req: Request, cell_id: int, member: Member) -> tuple[str, InlineKeyboardMarkup]:
    if member.status == MemberStatus.LEFT.value:
        text = req.t(
            "roster.member_left",
            name=html.escape(member.full_name),
            reason=left_reason_text(req, member),
        )
    else:
        text = req.t(
            "roster.member",
            name=html.escape(member.full_name),
            status=req.t(f"member_status.{member.status}"),
        )
    return text, member_actions(req, cell_id, member.id, member.status)


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
        text, keyboard = member_card(req, cell_id, member)
        req.show(text, keyboard)
        return END
    if action == "st" and len(parts) > 4 and parts[4] in {"official", "probationary", "exempt"}:
        await set_status(
            req.session, member, MemberStatus(parts[4]), actor_account_id=req.account.id
        )
        req.answer(req.t("roster.status_set"))
        text, keyboard = member_card(req, cell_id, member)
        req.show(text, keyboard)
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


def _pending(context: Ctx, req: Request) -> dict[str, object] | None:
    pending = (context.user_data or {}).get(PENDING)
    if not isinstance(pending, dict):
        return None
    cell = pending.get("cell")
    return pending if isinstance(cell, int) and allowed(req, cell) else None


@with_request
async def got_name(update: Update, context: Ctx, req: Request) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    pending = _pending(context, req)
    if pending is None:
        req.reply(req.t("common.session_expired"))
        return END
    cell_id = int(str(pending["cell"]))
    if not valid_name(message.text):
        req.reply(req.t("roster.bad_name", max=MAX_NAME))
        return ASK_NAME
    if await duplicates_of(req.session, cell_id, [message.text]):
        user_data(context)[PENDING] = {"cell": cell_id, "names": [normalize_name(message.text)]}
        req.reply(
            req.t("roster.duplicate_one", name=html.escape(normalize_name(message.text))),
            markup(
                [
                    button(req.t("roster.btn_add_anyway"), "m", "addlist", cell_id, "all"),
                    button(req.t("common.no"), "m", "list", cell_id, 0),
                ]
            ),
        )
        return END
    await add_members(req.session, cell_id, [message.text], actor_account_id=req.account.id)
    user_data(context).pop(PENDING, None)
    text, keyboard = await roster_view(req, cell_id, 0)
    req.reply(
        req.t("roster.added_one", name=html.escape(normalize_name(message.text))) + "\n\n" + text,
        keyboard,
    )
    return END


@with_request
async def got_list(update: Update, context: Ctx, req: Request) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    pending = _pending(context, req)
    if pending is None:
        req.reply(req.t("common.session_expired"))
        return END
    cell_id = int(str(pending["cell"]))
    lines = [normalize_name(line) for line in message.text.splitlines() if line.strip()]
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
    pending = _pending(context, req)
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
    message = update.effective_message
    assert message is not None and message.text is not None
    pending = _pending(context, req)
    member_id = pending.get("member") if pending else None
    if pending is None or not isinstance(member_id, int):
        req.reply(req.t("common.session_expired"))
        return END
    cell_id = int(str(pending["cell"]))
    member = await member_of_cell(req.session, cell_id, member_id)
    if member is None:
        req.reply(req.t("common.session_expired"))
        return END
    if not valid_name(message.text):
        req.reply(req.t("roster.bad_name", max=MAX_NAME))
        return ASK_RENAME
    await rename_member(req.session, member, message.text, actor_account_id=req.account.id)
    user_data(context).pop(PENDING, None)
    text, keyboard = await roster_view(req, cell_id, 0)
    req.reply(req.t("roster.renamed", name=html.escape(member.full_name)) + "\n\n" + text, keyboard)
    return END


@with_request
async def not_text(update: Update, context: Ctx, req: Request) -> None:
    req.reply(req.t("roster.need_text"))


def conversation() -> ConversationHandler[Ctx]:
    """The roster's ``m:`` buttons and the names typed after them."""
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND & ~filters.TEXT
    conversation = ConversationHandler(
        entry_points=[CallbackQueryHandler(roster_button, pattern=r"^m:")],
        states={
            ASK_NAME: [MessageHandler(text, got_name), MessageHandler(other, not_text)],
            ASK_LIST: [MessageHandler(text, got_list), MessageHandler(other, not_text)],
            ASK_RENAME: [MessageHandler(text, got_rename), MessageHandler(other, not_text)],
        },
        fallbacks=[*fallbacks(), CallbackQueryHandler(roster_button, pattern=r"^m:")],
        name="roster",
        persistent=True,
        allow_reentry=True,
    )
    return conversation
