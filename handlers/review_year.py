"""/review_year [YYYY]: the cell's annual review (366-QĐ/TW, 43-HD/BTCTW) for the secretary.

Each member's year comes pre-filled from the records (attendance, dues, initiatives,
commendations and criticisms, tasks owned) with a suggested level and its reasons; one tap
proposes a level. Then the cell's year: the four criteria and the total, the meeting-quality
year rating, the conditions beyond the score as yes/no questions and the proposed level (a
score ≥ 90 with a failed condition cannot be proposed excellent). Submit; the DOCX report and
the committee's XLSX follow. Everything is a row (storage/year_review.py): a restart loses
nothing but the question of a note being typed, which the note button asks again.

Callback data ``ry:<cell>:<action>:<year>[:<arg>[:<arg>]]``; actions: ``v`` the review,
``m`` the members (arg: page), ``o`` one member (arg: member), ``l`` propose a level (member,
level index), ``a`` accept every suggestion still open, ``t`` / ``d`` the conditions (1/0),
``c`` the cell's level (level index), ``n`` a note (member, 0: the cell's), ``s`` submit,
``f`` the files again.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.context import Ctx, Request, user_data, with_request
from bot.conversation import END, fallbacks
from bot.keyboards import button, int_arg, markup, pager_row, rows, tapped
from bot.review_text import (
    cell_year_lines,
    esc,
    level_name,
    member_facts,
    reasons_text,
)
from domain.year_review_rules import LEVELS, suggest_member_level
from handlers.cells import allowed, pick_cell_or_reply
from handlers.review_common import (
    cell_year,
    command_year,
    queue_files,
    review_report,
    valid_year,
)
from handlers.supervisor_common import framework
from storage import year_review as store
from storage import year_review_facts as facts
from storage.models import YearReview

PREFIX = "ry"
ASK_NOTE = 0
PENDING = "review_note"
PAGE_SIZE = 8
MAX_NOTE = 500
ACTIONS = frozenset("vmoladtcnsf")
EDITS = frozenset("ladtcn")  # refused once the review is submitted


def chosen_level(review: YearReview, allowed: tuple[str, ...], default: str | None) -> str | None:
    """The cell's level as chosen, while the score and conditions still allow it; otherwise
    the highest they allow (the proposal the submit would send)."""
    return review.proposed_level if review.proposed_level in allowed else default


def _cb(review: YearReview, action: str, *args: object) -> tuple[object, ...]:
    return (PREFIX, review.cell_id, action, review.year, *args)


async def review_view(
    req: Request, context: Ctx, review: YearReview
) -> tuple[str, InlineKeyboardMarkup]:
    fw = framework(context)
    years = await facts.member_years(req.session, review.cell_id, review.year)
    lines_by = await store.lines_of(req.session, review.id)
    proposed = sum(1 for y in years if getattr(lines_by.get(y.member_id), "proposed_level", None))
    cell = await cell_year(req, fw, review)
    level = chosen_level(review, cell.proposal.allowed, cell.proposal.level)
    head = req.t("review.title", year=review.year, cell=esc(await _cell_name(req, review.cell_id)))
    status = req.t("review.submitted") if review.status == store.SUBMITTED else ""
    text = [head + status, req.t("review.members_count", done=proposed, total=len(years))]
    text += ["", req.t("review.cell.heading")]
    text += cell_year_lines(fw, req.lang, cell, review.tasks_on_time, review.leader_disciplined)
    text.append(req.t("review.cell.proposed", level=level_name(req.lang, level)))
    if review.note:
        text.append(req.t("review.note_shown", note=esc(review.note)))
    if review.status == store.SUBMITTED:
        keyboard = markup(
            [button(req.t("review.btn_members"), *_cb(review, "m", 0))],
            [button(req.t("review.btn_files"), *_cb(review, "f"))],
        )
        return "\n".join(text), keyboard
    level_buttons = [
        button(("• " if lv == level else "") + level_name(req.lang, lv), *_cb(review, "c", i))
        for i, lv in enumerate(LEVELS)
        if lv in cell.proposal.allowed
    ]
    keyboard = markup(
        [button(req.t("review.btn_members"), *_cb(review, "m", 0))],
        [button(req.t("review.btn_accept_all"), *_cb(review, "a"))]
        if proposed < len(years)
        else [],
        [
            button(req.t("review.btn_tasks_yes"), *_cb(review, "t", 1)),
            button(req.t("review.btn_tasks_no"), *_cb(review, "t", 0)),
        ],
        [
            button(req.t("review.btn_disciplined_no"), *_cb(review, "d", 0)),
            button(req.t("review.btn_disciplined_yes"), *_cb(review, "d", 1)),
        ],
        *rows(level_buttons, 2),
        [button(req.t("review.btn_note"), *_cb(review, "n", 0))],
        [button(req.t("review.btn_submit"), *_cb(review, "s"))],
    )
    text += ["", req.t("review.hint")]
    return "\n".join(text), keyboard


async def _cell_name(req: Request, cell_id: int) -> str:
    info = await store.cell_info(req.session, cell_id)
    return info.name if info else ""


async def members_view(
    req: Request, review: YearReview, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    years = await facts.member_years(req.session, review.cell_id, review.year)
    lines_by = await store.lines_of(req.session, review.id)
    shown = years[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    text = [req.t("review.members_title", year=review.year)]
    buttons = []
    for y in shown:
        line = lines_by.get(y.member_id)
        level = line.proposed_level if line else None
        mark = "✓ " if level else "• "
        text.append(
            req.t(
                "review.member_line", mark=mark, name=esc(y.name), level=level_name(req.lang, level)
            )
        )
        buttons.append(button(y.name, *_cb(review, "o", y.member_id)))
    keyboard = markup(
        *rows(buttons, 2),
        pager_row(PREFIX, page, len(years), PAGE_SIZE, review.cell_id, "m", review.year),
        [button(req.t("review.btn_back"), *_cb(review, "v"))],
    )
    return "\n".join(text), keyboard


async def member_view(
    req: Request, review: YearReview, member_id: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    years = await facts.member_years(req.session, review.cell_id, review.year)
    year = next((y for y in years if y.member_id == member_id), None)
    if year is None:
        return None
    line = (await store.lines_of(req.session, review.id)).get(member_id)
    suggested, reasons = suggest_member_level(year)
    text = [
        req.t("review.member_title", name=esc(year.name), year=review.year),
        esc(member_facts(req.lang, year)),
        req.t(
            "review.suggested",
            level=level_name(req.lang, suggested),
            reasons=esc(reasons_text(req.lang, reasons)),
        ),
        req.t("review.proposed", level=level_name(req.lang, line.proposed_level if line else None)),
    ]
    if line and line.note:
        text.append(req.t("review.note_shown", note=esc(line.note)))
    if review.status == store.SUBMITTED:
        return "\n".join(text), markup([button(req.t("review.btn_back"), *_cb(review, "m", 0))])
    current = line.proposed_level if line else None
    level_buttons = [
        button(
            ("• " if lv == current else "⭐ " if lv == suggested else "")
            + level_name(req.lang, lv),
            *_cb(review, "l", member_id, i),
        )
        for i, lv in enumerate(LEVELS)
    ]
    keyboard = markup(
        *rows(level_buttons, 2),
        [button(req.t("review.btn_member_note"), *_cb(review, "n", member_id))],
        [button(req.t("review.btn_back"), *_cb(review, "m", 0))],
    )
    return "\n".join(text), keyboard


async def _next_open(req: Request, review: YearReview) -> int | None:
    """The first member still without a proposal (to go on tapping), if any."""
    years = await facts.member_years(req.session, review.cell_id, review.year)
    lines_by = await store.lines_of(req.session, review.id)
    for y in years:
        line = lines_by.get(y.member_id)
        if line is None or not line.proposed_level:
            return y.member_id
    return None


@with_request
async def review_year_command(update: Update, context: Ctx, req: Request) -> None:
    year = command_year(req, update)
    if year is None:
        return
    cell_id = pick_cell_or_reply(req, PREFIX, "v", year)
    if cell_id is None:
        return
    review = await store.open_review(req.session, cell_id, year)
    req.reply(*await review_view(req, context, review))


@with_request
async def review_button(update: Update, context: Ctx, req: Request) -> int:
    """Every ry: button; the cell, the year, the member and the level are re-checked (callback
    data can be forged)."""
    parts = tapped(update)
    cell_id, action, year = int_arg(parts, 1), [*parts, "", ""][2], int_arg(parts, 3)
    if (
        not allowed(req, cell_id)
        or action not in ACTIONS
        or year is None
        or not valid_year(req, year)
    ):
        req.refuse()
        return END
    assert cell_id is not None
    review = await store.open_review(req.session, cell_id, year)
    if review.status == store.SUBMITTED and action in EDITS:
        req.alert("review.already_submitted")
        return END
    arg, arg2 = int_arg(parts, 4), int_arg(parts, 5)
    if action == "m":
        req.answer()
        req.show(*await members_view(req, review, arg or 0))
        return END
    if action in ("o", "l", "n") and arg:
        known = {y.member_id for y in await facts.member_years(req.session, cell_id, year)}
        if arg not in known:
            req.refuse()
            return END
    if action == "o" and arg:
        shown = await member_view(req, review, arg)
        if shown is not None:
            req.answer()
            req.show(*shown)
            return END
    if action == "l" and arg and arg2 is not None and arg2 < len(LEVELS):
        await store.propose_members(req.session, review, {arg: LEVELS[arg2]}, req.account.id)
        req.answer(req.t("review.saved"))
        following = await _next_open(req, review)
        shown = await member_view(req, review, following) if following else None
        req.show(*(shown or await members_view(req, review, 0)))
        return END
    if action == "a":
        years = await facts.member_years(req.session, cell_id, year)
        lines_by = await store.lines_of(req.session, review.id)
        todo = {
            y.member_id: suggest_member_level(y)[0]
            for y in years
            if not getattr(lines_by.get(y.member_id), "proposed_level", None)
        }
        await store.propose_members(req.session, review, todo, req.account.id)
        req.answer(req.t("review.accepted", n=len(todo)))
        req.show(*await review_view(req, context, review))
        return END
    if action in ("t", "d") and arg in (0, 1):
        if action == "t":
            store.set_conditions(review, tasks_on_time=bool(arg))
        else:
            store.set_conditions(review, leader_disciplined=bool(arg))
        req.answer(req.t("review.saved"))
        req.show(*await review_view(req, context, review))
        return END
    if action == "c" and arg is not None and arg < len(LEVELS):
        cell = await cell_year(req, framework(context), review)
        if LEVELS[arg] not in cell.proposal.allowed:
            req.alert("review.level_not_allowed")
            return END
        review.proposed_level = LEVELS[arg]
        req.answer(req.t("review.saved"))
        req.show(*await review_view(req, context, review))
        return END
    if action == "n" and arg is not None:
        user_data(context)[PENDING] = {"review": review.id, "member": arg}
        req.answer()
        req.reply(req.t("review.ask_note", max=MAX_NOTE))
        return ASK_NOTE
    if action == "s":
        return await _submit(req, context, review)
    if action == "f" and review.status == store.SUBMITTED:
        req.answer()
        queue_files(req, await review_report(req, framework(context), review))
        return END
    if action == "v":
        req.answer()
        req.show(*await review_view(req, context, review))
        return END
    req.refuse()
    return END


async def _submit(req: Request, context: Ctx, review: YearReview) -> int:
    fw = framework(context)
    years = await facts.member_years(req.session, review.cell_id, review.year)
    lines_by = await store.lines_of(req.session, review.id)
    open_ = [
        y.name for y in years if not getattr(lines_by.get(y.member_id), "proposed_level", None)
    ]
    if open_:
        req.alert("review.members_open", n=len(open_))
        return END
    if review.tasks_on_time is None or review.leader_disciplined is None:
        req.alert("review.conditions_open")
        return END
    cell = await cell_year(req, fw, review)
    level = chosen_level(review, cell.proposal.allowed, cell.proposal.level)
    if level is None:
        req.alert("review.level_open")
        return END
    store.submit(req.session, review, cell.total, level, req.account.id)
    req.answer(req.t("review.submitted_alert"))
    req.show(*await review_view(req, context, review))
    queue_files(req, await review_report(req, fw, review))
    return END


def valid_note(text: str) -> str | None:
    note = text.strip()
    return note if 1 <= len(note) <= MAX_NOTE else None


@with_request
async def got_note(update: Update, context: Ctx, req: Request) -> int:
    message = update.effective_message
    assert message is not None
    pending = user_data(context).get(PENDING)
    review = await store.review_by_id(
        req.session, pending.get("review") if isinstance(pending, dict) else None
    )
    member = pending.get("member") if isinstance(pending, dict) else None
    if review is None or not allowed(req, review.cell_id) or not isinstance(member, int):
        req.reply(req.t("common.session_expired"))
        return END
    if review.status == store.SUBMITTED:
        req.reply(req.t("review.already_submitted"))
        return END
    note = valid_note(message.text or "")
    if note is None:
        req.reply(req.t("review.bad_note", max=MAX_NOTE))
        return ASK_NOTE
    if member:
        await store.set_member_note(req.session, review, member, note)
        shown = await member_view(req, review, member)
    else:
        review.note = note
        shown = None
    user_data(context).pop(PENDING, None)
    text, keyboard = shown or await review_view(req, context, review)
    req.reply(req.t("review.saved") + "\n\n" + text, keyboard)
    return END


def conversation() -> ConversationHandler[Ctx]:
    """The ry: buttons and the note typed after "📝"."""
    pattern = rf"^{PREFIX}:"
    return ConversationHandler(
        entry_points=[CallbackQueryHandler(review_button, pattern=pattern)],
        states={ASK_NOTE: [MessageHandler(~filters.COMMAND, got_note)]},
        fallbacks=[*fallbacks(), CallbackQueryHandler(review_button, pattern=pattern)],
        name="review_year",
        persistent=True,
        allow_reentry=True,
    )
