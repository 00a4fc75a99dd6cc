"""/checkin: the monthly meeting report, one short question at a time, saved at every answer.

The database draft is the record; the conversation only remembers which draft and question a
typed answer is for (``user_data["ci"]``), and buttons carry the draft id and its version.
So `/checkin` (or a reminder's ``ci:start:<cell>:<YYYY-MM>`` button) resumes at the first
unanswered question after a restart, and a button from an old message is refused as stale.
Every update is one transaction (``with_request``); its replies (the "Saved" toast, the next
question) are queued on the request and sent only after that transaction has committed.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import Ctx, Request, services, user_data, with_request
from bot.conversation import END, fallbacks
from bot.keyboards import int_arg, parse_cb
from domain.checkin_answering import PERSON_FIELDS, PICK_FIELDS, Problem, Result, accepts_text
from domain.checkin_questions import SECTIONS, applies, first_open, next_question
from domain.checkin_rules import apply_button, apply_text, set_person, toggle_pick
from domain.checkin_schema import CheckinAnswers
from domain.checkin_task_rules import set_task_owner
from domain.periods import month_text, parse_month
from handlers.cells import allowed, cell_name, pick_cell_or_reply
from handlers.checkin_attendance import finish_attendance, toggle_absent
from handlers.checkin_review import score_text
from handlers.checkin_start import (
    new_checkin,
    open_cell,
    show_picker,
)
from handlers.checkin_steps import Buttons
from handlers.checkin_view import (
    ASKING,
    CURSOR,
    NEW_TYPES,
    ROSTER_QUESTIONS,
    ack,
    allowed_months,
    env_for,
    framework,
    get_cursor,
    is_frozen,
    load_checkin,
    picker_of,
    send,
    show_question,
    show_review,
)
from handlers.minutes import send_after_submit
from storage import checkins as store
from storage.models import Checkin, CheckinStatus


@with_request
async def checkin_command(update: Update, context: Ctx, req: Request) -> int:
    cell_id = pick_cell_or_reply(req, "ci:cell")
    if cell_id is None:
        return END
    return await open_cell(context, req, cell_id, None)


# ---------------------------------------------------------------- buttons


@with_request
async def on_button(update: Update, context: Ctx, req: Request) -> int:
    """Every ``ci:`` button. Ids in callback data are re-checked: it can be forged."""
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    op = parts[1] if len(parts) > 1 else ""
    if op in ("cell", "start", "new"):
        cell_id = int_arg(parts, 2)
        month = parse_month(parts[3]) if len(parts) > 3 else None
        if not allowed(req, cell_id) or (op != "cell" and month not in allowed_months(req)):
            req.refuse()
            return END
        assert cell_id is not None
        if op == "new":
            kind = parts[4] if len(parts) > 4 else ""
            if kind not in NEW_TYPES or month is None:
                req.refuse()
                return END
            return await new_checkin(context, req, cell_id, month, kind)
        return await open_cell(context, req, cell_id, month)

    checkin_id, version = int_arg(parts, 2), int_arg(parts, 3)
    checkin = None
    if checkin_id is not None:
        checkin = await load_checkin(req, checkin_id)
    if checkin is None or not allowed(req, checkin.cell_id) or checkin.version != version:
        req.refuse()
        return END
    a = store.answers_of(checkin)
    if op == "r":
        return await show_review(context, req, checkin, a)
    if op == "pg":
        return await page(context, req, checkin, a, parts)
    if await is_frozen(req, checkin):
        req.alert("checkin.locked")
        return await show_review(context, req, checkin, a)
    return await draft_button(context, req, checkin, a, op, parts)


async def page(
    context: Ctx,
    req: Request,
    checkin: Checkin,
    a: CheckinAnswers,
    parts: list[str],
) -> int:
    what, number = (parts[4] if len(parts) > 4 else ""), int_arg(parts, 5)
    if what not in ("attendance", "next_tasks", *PICK_FIELDS, *PERSON_FIELDS) or number is None:
        req.refuse()
        return END
    cursor = get_cursor(context)
    edit = cursor.get("e") if cursor.get("d") == checkin.id else None
    return await show_question(context, req, checkin, a, what, edit=edit, page=number)


async def draft_button(
    context: Ctx,
    req: Request,
    checkin: Checkin,
    a: CheckinAnswers,
    op: str,
    parts: list[str],
) -> int:
    cursor = get_cursor(context)
    edit = cursor.get("e") if cursor.get("d") == checkin.id else None
    arg = parts[4] if len(parts) > 4 else ""
    if op == "c":
        return await show_question(context, req, checkin, a, first_open(a))
    if op == "e" and arg in SECTIONS:
        first = next((q for q in SECTIONS[arg] if applies(q, a)), None)
        if first is None or (arg == "meeting" and a.meeting_type == "thematic"):
            req.refuse()
            return END
        return await show_question(context, req, checkin, a, first, edit=arg)
    if op == "o" and accepts_text(arg) and applies(arg, a):
        return await show_question(
            context, req, checkin, a, arg, edit=edit, notice=req.t("checkin.type_it")
        )
    if op == "s":
        return await submit(context, req, checkin)
    discardable = checkin.status == CheckinStatus.DRAFT.value and checkin.submitted_at is None
    if op == "x" and discardable:
        keys = Buttons(checkin.id, checkin.version)
        send(
            req,
            req.t("checkin.confirm_discard", month=month_text(checkin.month)),
            [
                [
                    keys.make(req.t("checkin.btn_discard_yes"), "xx"),
                    keys.make(req.t("common.no"), "r"),
                ]
            ],
        )
        return ASKING
    if op == "xx" and discardable:
        await store.discard(req.session, checkin, actor_account_id=req.account.id)
        user_data(context).pop(CURSOR, None)
        send(req, req.t("checkin.discarded"), [])
        return END
    if op in ("a", "t", "k"):
        return await answer_button(context, req, checkin, a, op, parts, edit)
    req.refuse()
    return END


async def answer_button(
    context: Ctx,
    req: Request,
    checkin: Checkin,
    a: CheckinAnswers,
    op: str,
    parts: list[str],
    edit: str | None,
) -> int:
    question = parts[4] if len(parts) > 4 else ""
    if not applies(question if op != "t" else "attendance", a):
        req.refuse()
        return END
    needs_roster = op in ("t", "k") or question in ROSTER_QUESTIONS
    env, members = await env_for(req, checkin.cell_id, a, question, names=needs_roster)
    member_ids = {m.id for m in members}
    value = parts[5] if len(parts) > 5 else ""
    result: Result
    stay_page: int | None = None
    if op == "t":
        member_id = int_arg(parts, 4)
        if member_id not in member_ids:
            req.refuse()
            return END
        assert member_id is not None
        result, question, stay_page = toggle_absent(a, member_id), "attendance", int_arg(parts, 5)
    elif op == "k":
        member_id = int_arg(parts, 5)
        pickers = ("next_tasks", *PICK_FIELDS, *PERSON_FIELDS)
        if question == "admissions":  # candidates, not members: checked against the draft's
            member_ids = {c.id for c in a.dossier}
        if question not in pickers or member_id not in member_ids:
            req.refuse()
            return END
        assert member_id is not None
        if question in ("next_tasks", "speakers") and member_id in a.absent_ids:
            req.refuse()  # only those present are offered
            return END
        if question == "dues_paid" and member_id not in (a.expected_ids or []):
            req.refuse()
            return END
        if question == "next_tasks":
            result, stay_page = set_task_owner(a, member_id), int_arg(parts, 6)
        elif question in PERSON_FIELDS:
            result = set_person(a, question, member_id)  # answered: on to the next question
        else:
            result, stay_page = toggle_pick(a, question, member_id), int_arg(parts, 6)
    elif question == "attendance" and value in ("all", "done"):
        result = finish_attendance(a, members, value == "all")
    elif question == "matters" and value == "some":
        return await show_question(context, req, checkin, a, "candidates", edit=edit)
    else:
        result = apply_button(a, question, value, env)
    if isinstance(result, Problem):
        req.refuse()
        return END
    await store.save_answers(
        req.session, checkin, result, actor_account_id=req.account.id, framework=framework(context)
    )
    req.answer(req.t("checkin.saved"))  # sent after the commit, like the next question
    if stay_page is not None:
        return await show_question(
            context, req, checkin, result, question, edit=edit, page=stay_page
        )
    if question == "next_tasks" and value != "done":
        # The list is built here: stay on it (it shows itself) until "Done".
        return await show_question(context, req, checkin, result, question, edit=edit)
    if question == "task_review" and edit is not None and value != "all":
        # Editing: every task has a status, so walk them in turn rather than the first open.
        task_id = int_arg(value.split("."), 1)
        ids = [p.id for p in result.prior_tasks]
        after = ids.index(task_id) + 1 if task_id in ids else len(ids)
        if after < len(ids):
            return await show_question(
                context, req, checkin, result, question, edit=edit, page=after
            )
    if question == "matters":
        # "None of these" answers the four counts; an edit goes on to the names, if asked.
        by_name = [q for q in ("conversions", "admissions") if applies(q, result)]
        edit = edit if by_name else None
    walked_from = "solidarity" if question == "matters" and edit is not None else question
    following = next_question(result, walked_from, edit)
    notice = ack(req, result, question, env.names)
    return await show_question(context, req, checkin, result, following, edit=edit, notice=notice)


async def submit(context: Ctx, req: Request, checkin: Checkin) -> int:
    missing = await store.submit(
        req.session, checkin, actor_account_id=req.account.id, framework=framework(context)
    )
    a = store.answers_of(checkin)
    if missing:
        return await show_question(
            context, req, checkin, a, missing[0], notice=req.t("checkin.not_complete")
        )
    req.answer(req.t("checkin.saved"))
    lines = [
        req.t(
            "checkin.submitted",
            cell=cell_name(req, checkin.cell_id),
            month=month_text(checkin.month),
        )
    ]
    score = await score_text(req.session, framework(context), checkin.id, req.lang)
    if score:
        lines += ["", score]
    lines += ["", req.t("checkin.edit_later")]
    user_data(context).pop(CURSOR, None)
    keys = Buttons(checkin.id, checkin.version)
    send(req, "\n".join(lines), [[keys.make(req.t("checkin.btn_review"), "r")]])
    # The minutes and resolution, after the confirmation (their facts read after the commit).
    send_after_submit(req, services(context).sessions, checkin.id)
    return END


# ---------------------------------------------------------------- typed answers


@with_request
async def on_text(update: Update, context: Ctx, req: Request) -> int:
    message = update.effective_message
    assert message is not None
    cursor = get_cursor(context)
    checkin_id = cursor.get("d")
    checkin = None
    if isinstance(checkin_id, int):
        checkin = await load_checkin(req, checkin_id)
    if checkin is None:
        return await typed_at_picker(context, req, cursor)
    if not allowed(req, checkin.cell_id):
        req.reply(req.t("common.session_expired"))
        return END
    a = store.answers_of(checkin)
    if await is_frozen(req, checkin):
        return await show_review(context, req, checkin, a, notice=req.t("checkin.locked"))
    question = cursor.get("q")
    edit = cursor.get("e") if isinstance(cursor.get("e"), str) else None
    if not isinstance(question, str) or not applies(question, a):
        # On the review card, or the deputy changed the meeting meanwhile: ask what is open.
        hint = req.t("checkin.err.use_buttons")
        return await show_question(context, req, checkin, a, first_open(a), notice=hint)
    env, _members = await env_for(req, checkin.cell_id, a, question)
    result = apply_text(a, question, message.text or "", env)
    if isinstance(result, Problem):
        problem = "⚠️ " + req.t(result.key, **result.values)
        return await show_question(context, req, checkin, a, question, edit=edit, notice=problem)
    await store.save_answers(
        req.session, checkin, result, actor_account_id=req.account.id, framework=framework(context)
    )
    # Typed tasks stay on the list (their owners are asked next).
    following = question if question == "next_tasks" else next_question(result, question, edit)
    notice = None if question == "next_tasks" else ack(req, result, question, env.names)
    return await show_question(context, req, checkin, result, following, edit=edit, notice=notice)


async def typed_at_picker(context: Ctx, req: Request, cursor: dict[str, object]) -> int:
    """Text typed at the first question (which meeting; no draft exists yet): ask it again,
    as every later question does, rather than end the check-in."""
    picker = picker_of(cursor)
    if picker is None or not allowed(req, picker[0]) or picker[1] not in allowed_months(req):
        req.reply(req.t("common.session_expired"))
        return END
    hint = "⚠️ " + req.t("checkin.err.use_buttons")
    return await show_picker(context, req, *picker, notice=hint)


@with_request
async def on_other(update: Update, context: Ctx, req: Request) -> int:
    req.reply(req.t("checkin.err.need_text"))
    return ASKING


def conversation() -> ConversationHandler[Ctx]:
    """/checkin and every ``ci:`` button: one question at a time, resumable."""
    private = filters.ChatType.PRIVATE
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("checkin", checkin_command, filters=private),
            CallbackQueryHandler(on_button, pattern=r"^ci:"),
        ],
        states={
            ASKING: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
                MessageHandler(~filters.COMMAND & ~filters.TEXT, on_other),
                CallbackQueryHandler(on_button, pattern=r"^ci:"),
            ],
        },
        fallbacks=[*fallbacks(), CallbackQueryHandler(on_button, pattern=r"^ci:")],
        name="checkin",
        persistent=True,
        allow_reentry=True,
    )
    return conversation
