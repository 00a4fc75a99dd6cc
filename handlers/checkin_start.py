"""Choosing the meeting to report: the cell's latest draft, or a month and a meeting type."""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton

from bot.context import Ctx, Request
from bot.conversation import END
from bot.keyboards import button
from domain.checkin_questions import first_open
from domain.checkin_schema import FORM, CheckinAnswers
from domain.periods import month_text
from handlers.cells import cell_name
from handlers.checkin_view import (
    ASKING,
    ack,
    allowed_months,
    resume,
    send,
    set_picker_cursor,
    show_question,
)
from storage import checkins as store
from storage import member_matters as matters_store
from storage import tasks as task_store
from storage.locks import is_locked
from storage.models import CheckinStatus

# ---------------------------------------------------------------- choosing the meeting


async def open_cell(context: Ctx, req: Request, cell_id: int, month: dt.date | None) -> int:
    if month is None:
        draft = await store.latest_draft(req.session, cell_id)
        if draft is not None:
            return await resume(context, req, draft)
        month = await default_month(req, cell_id)
    else:
        drafts = [
            c
            for c in await store.checkins_of_month(req.session, cell_id, month)
            if c.status == CheckinStatus.DRAFT.value
        ]
        if drafts:
            return await resume(context, req, drafts[0])
    return await show_picker(context, req, cell_id, month)


async def default_month(req: Request, cell_id: int) -> dt.date:
    """The latest of this and last month without a submitted regular check-in."""
    this, last = allowed_months(req)[:2]
    for month in (this, last):
        rows = await store.checkins_of_month(req.session, cell_id, month)
        if not any(c.slot == "regular" and c.status == CheckinStatus.SUBMITTED.value for c in rows):
            return month
    return this


async def show_picker(
    context: Ctx, req: Request, cell_id: int, month: dt.date, *, notice: str | None = None
) -> int:
    """The first question: which meeting of the month (or the other month) to report."""
    rows = {c.slot: c for c in await store.checkins_of_month(req.session, cell_id, month)}
    key = month.strftime("%Y-%m")
    lines = [notice] if notice else []
    lines.append(
        req.t("checkin.pick_meeting", cell=cell_name(req, cell_id), month=month_text(month))
    )
    keyboard: list[list[InlineKeyboardButton]] = []
    regular, thematic = rows.get("regular"), rows.get("thematic")
    if regular is None:
        keyboard.append(
            [
                button(req.t("checkin.type.regular"), "ci", "new", cell_id, key, "regular"),
                button(req.t("checkin.type.combined"), "ci", "new", cell_id, key, "combined"),
            ]
        )
    else:
        lines.append(req.t("checkin.regular_exists"))
        keyboard.append(
            [button(req.t("checkin.btn_open_regular"), "ci", "r", regular.id, regular.version)]
        )
    if thematic is None:
        keyboard.append(
            [button(req.t("checkin.type.thematic"), "ci", "new", cell_id, key, "thematic")]
        )
    else:
        keyboard.append(
            [button(req.t("checkin.btn_open_thematic"), "ci", "r", thematic.id, thematic.version)]
        )
    if regular is None:
        keyboard.append([button(req.t("checkin.type.none"), "ci", "new", cell_id, key, "none")])
    this, last = allowed_months(req)[:2]
    other = last if month == this else this
    keyboard.append(
        [
            button(
                req.t("checkin.btn_month", month=month_text(other)),
                "ci",
                "start",
                cell_id,
                other.strftime("%Y-%m"),
            )
        ]
    )
    set_picker_cursor(context, cell_id, month)
    send(req, "\n".join(lines), keyboard)
    return ASKING


async def new_checkin(context: Ctx, req: Request, cell_id: int, month: dt.date, kind: str) -> int:
    if await is_locked(req.session, cell_id, month):
        req.alert("checkin.locked")
        return END
    # The roster when the draft opens decides whether the cell has a chi ủy (the question
    # about its pre-meeting is asked only then); kept with the answers so scoring stays pure.
    official = await store.count_official_members(req.session, cell_id)
    # The regular meeting reviews last month's tasks: as they stand now (a snapshot, so the
    # review asks about what the secretary sees even if last month is edited meanwhile).
    prior = [] if kind == "thematic" else await task_store.prior_tasks(req.session, cell_id, month)
    # Last meeting's place, chair and thư ký: one-tap defaults of this one's.
    previous = await task_store.previous_meeting(req.session, cell_id, month)
    # Who the member-matters step can name: the probationary members and the candidates
    # whose dossier is ready (the step is skipped when there are none).
    probationary, dossier = await matters_store.snapshot(req.session, cell_id)
    answers = CheckinAnswers(
        form=FORM,
        official_members=official,
        prior_tasks=prior,
        previous=previous,
        absence_notes={},
        probationary_ids=probationary,
        dossier=dossier,
    )
    if kind == "none":
        answers.held = False
    else:
        answers.held, answers.meeting_type = True, kind  # type: ignore[assignment]
    checkin, created = await store.create_draft(
        req.session, cell_id, month, answers, actor_account_id=req.account.id
    )
    if not created:
        return await resume(context, req, checkin, req.t("checkin.existing"))
    notice = ack(req, answers, "type", {})
    return await show_question(context, req, checkin, answers, first_open(answers), notice=notice)
