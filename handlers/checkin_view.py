"""How a check-in draft is shown: one question (with its buttons) or the review card, and
the small helpers every check-in handler shares (today in the user's zone, the cursor that
says which question a typed answer is for, replying by editing the tapped message)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import InlineKeyboardButton

from bot.context import Ctx, Request, services, user_data
from bot.conversation import END
from bot.keyboards import markup
from domain import clock
from domain.checkin_answering import NUMBER_QUESTIONS, PERSON_FIELDS, PICK_FIELDS, ROSTER_BOUND, Env
from domain.checkin_questions import first_open, progress
from domain.checkin_schema import CheckinAnswers
from domain.framework import Framework
from domain.orgpath import path_ids
from domain.periods import add_months, month_start, month_text, parse_month
from handlers.cells import cell_name
from handlers.checkin_attendance import attendance_view, person_view, picker_view
from handlers.checkin_review import answer_text, review_keyboard, review_text
from handlers.checkin_steps import Buttons, question_keyboard, question_text
from handlers.checkin_tasks import next_tasks_view, review_index, task_review_view
from storage import checkins as store
from storage.members import ACTIVE_STATUSES, roster
from storage.models import Checkin, CheckinStatus, Member

ASKING = 0
CURSOR = "ci"
MONTHS_BACK = 2  # 62 days: this month and the two before
ROSTER_QUESTIONS = (
    "attendance",
    "absence",
    "next_tasks",
    "task_review",
    *PICK_FIELDS,
    *PERSON_FIELDS,
)
# Questions that show their saved answer themselves (no "Current answer" line when editing).
SHOWN_IN_PLACE = ("attendance", "task_review", "next_tasks", *PICK_FIELDS, *PERSON_FIELDS)
NEW_TYPES = ("regular", "combined", "thematic", "none")
# Questions whose buttons offer common values and an "Other" button to type any value.
OTHER_BUTTON = ("duration", *NUMBER_QUESTIONS)


# ---------------------------------------------------------------- small helpers


def allowed_months(req: Request) -> list[dt.date]:
    this = month_start(clock.today(req.settings.tz))
    return [add_months(this, -i) for i in range(MONTHS_BACK + 1)]


def framework(context: Ctx) -> Framework | None:
    """Loaded by `build_application` (None when the file could not be used: logged there)."""
    fw = services(context).extras.get("framework")
    return fw if isinstance(fw, Framework) else None


async def all_members(req: Request, cell_id: int) -> list[Member]:
    """The cell's members, those who left included (a task's owner may have), read once per
    update: saving an answer and showing the next question both need it."""
    key = ("all_members", cell_id)
    if key not in req.memo:
        req.memo[key] = await roster(req.session, cell_id, include_left=True)
    return list(req.memo[key])


async def active_members(req: Request, cell_id: int) -> list[Member]:
    return [m for m in await all_members(req, cell_id) if m.status in ACTIVE_STATUSES]


async def member_names(req: Request, cell_id: int) -> dict[int, str]:
    return {m.id: m.full_name for m in await all_members(req, cell_id)}


def cell_ancestors(req: Request, cell_id: int) -> list[int] | None:
    """The cell and its ancestors, from the caller's grant (already loaded): no query."""
    path = next((g.unit_path for g in req.grants if g.unit_id == cell_id), None)
    return None if path is None else path_ids(path)


async def load_checkin(req: Request, checkin_id: int) -> Checkin | None:
    """The check-in to answer, locked for update, with whether it is frozen remembered for
    the rest of the update (one statement, as every answer pays it)."""
    ancestors = next(
        (cell_ancestors(req, g.unit_id) for g in req.grants if g.unit_kind == "cell"), None
    )
    if ancestors is None:
        return await store.get_checkin(req.session, checkin_id, for_update=True)
    loaded = await store.get_checkin_to_answer(req.session, checkin_id, ancestors)
    if loaded is None:
        return None
    checkin, frozen = loaded
    if cell_ancestors(req, checkin.cell_id) == ancestors:
        req.memo[("frozen", checkin.id)] = frozen
    return checkin


async def is_frozen(req: Request, checkin: Checkin) -> bool:
    """`storage.locks.is_locked` or `Checkin.locked`."""
    key = ("frozen", checkin.id)
    if key not in req.memo:
        ancestors = cell_ancestors(req, checkin.cell_id)
        if ancestors is None:
            req.memo[key] = await store.is_frozen(req.session, checkin)
        else:
            req.memo[key] = checkin.locked or await store.period_locked(
                req.session, ancestors, checkin.month
            )
    return bool(req.memo[key])


async def env_for(
    req: Request, cell_id: int, a: CheckinAnswers, question: str, *, names: bool = False
) -> tuple[Env, list[Member]]:
    """Load the roster only when the question shows names or needs its size."""
    members: list[Member] = []
    if names or question in ROSTER_QUESTIONS:
        members = await active_members(req, cell_id)
        size = len(members)
    elif question in ROSTER_BOUND and a.expected_count is None:
        size = await store.count_active_members(req.session, cell_id)
    else:
        size = a.expected_count or 0
    names_by_id = {m.id: m.full_name for m in members}
    postponed = req.t("checkin.reason_postponed")
    return Env(req.lang, clock.today(req.settings.tz), size, names_by_id, postponed), members


def set_cursor(context: Ctx, checkin_id: int, question: str | None, edit: str | None) -> None:
    user_data(context)[CURSOR] = {"d": checkin_id, "q": question, "e": edit}


def get_cursor(context: Ctx) -> dict[str, Any]:
    cursor = (context.user_data or {}).get(CURSOR)
    return cursor if isinstance(cursor, dict) else {}


def set_picker_cursor(context: Ctx, cell_id: int, month: dt.date) -> None:
    """On the meeting picker (no draft yet): which cell and month a typed message is about."""
    user_data(context)[CURSOR] = {"c": cell_id, "m": month.strftime("%Y-%m")}


def picker_of(cursor: dict[str, Any]) -> tuple[int, dt.date] | None:
    """The cell and month of the meeting picker the user is on, if that is where they are."""
    cell_id, month = cursor.get("c"), cursor.get("m")
    if "d" in cursor or not isinstance(cell_id, int) or not isinstance(month, str):
        return None
    parsed = parse_month(month)
    return None if parsed is None else (cell_id, parsed)


def send(req: Request, text: str, keyboard: list[list[InlineKeyboardButton]]) -> None:
    """Edit the message of the tapped button, or reply to a typed message (after the commit)."""
    req.show(text, markup(*keyboard) if keyboard else None)


# ---------------------------------------------------------------- showing a draft


def ack(req: Request, a: CheckinAnswers, question: str, names: dict[int, str]) -> str | None:
    """What was just saved, shown above the next question (the toast says "Saved" anyway)."""
    if question == "absence" and a.pending_absence() is not None:
        return None
    if question == "task_review" and a.pending_task() is not None:
        return None
    value = answer_text(a, question, req.lang, names)
    if value is None:
        return None
    return req.t("checkin.ack", label=req.t(f"checkin.label.{question}"), value=value)


def header(req: Request, checkin: Checkin) -> str:
    return req.t(
        "checkin.header",
        cell=cell_name(req, checkin.cell_id),
        month=month_text(checkin.month),
    )


async def show_question(
    context: Ctx,
    req: Request,
    checkin: Checkin,
    a: CheckinAnswers,
    question: str | None,
    *,
    edit: str | None = None,
    notice: str | None = None,
    page: int = 0,
) -> int:
    """Ask `question` (the review card when None) and remember it for typed answers."""
    if question is None:
        return await show_review(context, req, checkin, a, notice=notice)
    keys = Buttons(checkin.id, checkin.version)
    env, members = await env_for(req, checkin.cell_id, a, question)
    if question == "attendance":
        body, keyboard = attendance_view(a, members, page, keys, req.lang)
    elif question in PICK_FIELDS:
        body, keyboard = picker_view(a, question, members, page, keys, req.lang)
    elif question in PERSON_FIELDS:
        body, keyboard = person_view(a, question, members, page, keys, req.lang)
    elif question == "task_review":
        names = await member_names(req, checkin.cell_id)
        index = review_index(a, edit, page)
        body, keyboard = task_review_view(a, index, keys, req.lang, names)
    elif question == "next_tasks":
        names = await member_names(req, checkin.cell_id)
        body, keyboard = next_tasks_view(a, members, page, keys, req.lang, names)
    else:
        body = question_text(a, question, env)
        keyboard = question_keyboard(a, question, env, keys.answer(question))
        if question in OTHER_BUTTON:
            keyboard.append([keys.make(req.t("checkin.btn_other"), "o", question)])
    n, total = progress(a, question)
    lines = [header(req, checkin) + " · " + req.t("checkin.progress", n=n, total=total)]
    if notice:
        lines.append(notice)
    lines.append(body)
    current = answer_text(a, question, req.lang, env.names) if edit else None
    if current is not None and question not in SHOWN_IN_PLACE:
        lines.append(req.t("checkin.current", value=current))
    keyboard.append([keys.make(req.t("checkin.btn_review"), "r")])
    set_cursor(context, checkin.id, question, edit)
    send(req, "\n".join(lines), keyboard)
    return ASKING


async def show_review(
    context: Ctx,
    req: Request,
    checkin: Checkin,
    a: CheckinAnswers,
    *,
    notice: str | None = None,
) -> int:
    frozen = await is_frozen(req, checkin)
    names = await member_names(req, checkin.cell_id)
    text = review_text(
        a, checkin, req.t("checkin.review_title") + "\n" + header(req, checkin), req.lang, names
    )
    if notice:
        text = notice + "\n\n" + text
    if frozen:
        text += "\n" + req.t("checkin.locked")
    keyboard = review_keyboard(a, checkin, Buttons(checkin.id, checkin.version), req.lang, frozen)
    set_cursor(context, checkin.id, None, None)
    send(req, text, keyboard)
    return ASKING if keyboard else END


async def resume(context: Ctx, req: Request, checkin: Checkin, notice: str | None = None) -> int:
    a = store.answers_of(checkin)
    if checkin.status == CheckinStatus.SUBMITTED.value:
        return await show_review(context, req, checkin, a, notice=notice)
    question = first_open(a)
    if notice is None and question is not None and question != "not_held_reason":
        notice = req.t("checkin.resuming", month=month_text(checkin.month))
    return await show_question(context, req, checkin, a, question, notice=notice)
