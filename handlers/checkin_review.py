"""The review card (every answer, one Edit button per section, Submit) and the message after
submit (confirmation and, from the scoring engine, the meeting's score and what to improve)."""

from __future__ import annotations

import html
import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton

from bot.i18n import t
from bot.keyboards import rows
from domain.checkin_questions import SECTIONS, answered, applies, open_questions
from domain.checkin_schema import CheckinAnswers
from domain.dates import format_date
from domain.framework import Framework
from handlers.checkin_attendance import rate_text
from handlers.checkin_steps import Buttons
from handlers.checkin_tasks import tasks_answer_text
from storage.models import Checkin, CheckinStatus

log = logging.getLogger(__name__)


def _yes_no(value: bool | None, lang: str) -> str | None:
    return None if value is None else t(lang, "common.yes" if value else "common.no")


def _names(ids: list[int] | None, names: dict[int, str], lang: str) -> str | None:
    if ids is None:
        return None
    if not ids:
        return t(lang, "checkin.nobody")
    return ", ".join(html.escape(names.get(i, "?")) for i in ids)


def answer_text(a: CheckinAnswers, question: str, lang: str, names: dict[int, str]) -> str | None:
    """The saved answer to `question` as a reader sees it; None when unanswered."""
    if question in ("task_review", "next_tasks", "proposals"):
        return tasks_answer_text(a, question, lang, names)
    if not answered(question, a) and question not in ("commended", "criticised"):
        return None
    if question == "type":
        return t(lang, "checkin.type.none" if a.held is False else f"checkin.type.{a.meeting_type}")
    if question == "date":
        return format_date(a.meeting_date) if a.meeting_date else None
    if question == "time":
        return a.start_time
    if question == "duration":
        return t(lang, "checkin.minutes", n=a.duration_min)
    if question == "attendance":
        expected = a.expected_count or 0
        return rate_text(a.present_count or 0, expected, lang)
    if question == "absence":
        parts = []
        for member in a.absent_ids:
            reason = a.absences.get(member)
            label = t(
                lang, "checkin.btn_excused" if reason == "excused" else "checkin.btn_unexcused"
            ).lower()
            note = (a.absence_notes or {}).get(member)
            if note:
                label += f": {html.escape(note)}"
            parts.append(f"{html.escape(names.get(member, '?'))} ({label})")
        return "; ".join(parts) or None
    if question in ("chair", "clerk"):
        person = a.chair_id if question == "chair" else a.clerk_id
        return html.escape(names.get(person or -1, "?"))
    if question in ("guest", "documents"):
        value = a.guest if question == "guest" else a.documents
        return html.escape(value) if value else t(lang, "checkin.nobody_none")
    if question == "conversions":
        return _names(a.converted_ids, names, lang)
    if question == "admissions":
        dossier = {c.id: c.name for c in a.dossier}
        return _names(a.admission_ids, dossier, lang)
    if question == "vote":
        return t(lang, "checkin.vote_text", yes=a.vote_for, no=a.vote_against or 0)
    if question == "dues_paid":
        unpaid = a.unpaid_ids
        paid = a.to_columns()["dues_paid"]
        if unpaid is None or "dues_paid" not in a.lists_done:
            return str(paid)
        return t(lang, "checkin.dues_unpaid_text", paid=paid, names=_names(unpaid, names, lang))
    if question == "speakers" and a.speaker_ids is not None:
        return f"{len(a.speaker_ids)}: {_names(a.speaker_ids, names, lang)}"
    if question in ("dues", "resolution_impl"):
        value = a.dues_status if question == "dues" else a.resolution_impl
        return t(lang, f"checkin.{question}.{value}")
    if question in ("commended", "criticised"):
        if question not in a.lists_done:
            return None
        return _names(getattr(a, question), names, lang)
    if question == "resolution_adopted":
        text = _yes_no(a.resolution_adopted, lang)
        if a.resolution_text:
            text = f"{text} — {html.escape(a.resolution_text)}"
        return text
    if question == "matters":
        return None  # shown as its four numbers
    value = getattr(a, question)
    if isinstance(value, bool):
        return _yes_no(value, lang)
    if isinstance(value, str):
        return html.escape(value)
    return None if value is None else str(value)


def review_text(
    a: CheckinAnswers, checkin: Checkin, header: str, lang: str, names: dict[int, str]
) -> str:
    lines = [header]
    for section, questions in SECTIONS.items():
        shown = [q for q in questions if applies(q, a) and q != "matters"]
        if not shown:
            continue
        lines.append("")
        lines.append(t(lang, f"checkin.section.{section}"))
        for question in shown:
            value = answer_text(a, question, lang, names)
            lines.append(
                t(
                    lang,
                    "checkin.review_line",
                    label=t(lang, f"checkin.label.{question}"),
                    value=value if value is not None else t(lang, "checkin.unanswered"),
                )
            )
    lines.append("")
    if checkin.status == CheckinStatus.SUBMITTED.value:
        lines.append(t(lang, "checkin.review_submitted"))
    elif open_questions(a):
        lines.append(t(lang, "checkin.review_incomplete", n=len(open_questions(a))))
    else:
        lines.append(t(lang, "checkin.review_ready"))
    return "\n".join(lines)


def review_keyboard(
    a: CheckinAnswers, checkin: Checkin, keys: Buttons, lang: str, frozen: bool
) -> list[list[InlineKeyboardButton]]:
    if frozen:
        return []
    edits = [
        keys.make(t(lang, f"checkin.edit.{section}"), "e", section)
        for section, questions in SECTIONS.items()
        if any(applies(q, a) for q in questions)
        and not (section == "meeting" and a.meeting_type == "thematic")
    ]
    keyboard = rows(edits, 3)
    if checkin.status == CheckinStatus.DRAFT.value:
        if open_questions(a):
            keyboard.append([keys.make(t(lang, "checkin.btn_continue"), "c")])
        else:
            keyboard.append([keys.make(t(lang, "checkin.btn_submit"), "s")])
        if checkin.submitted_at is None:
            keyboard.append([keys.make(t(lang, "checkin.btn_discard"), "x")])
    return keyboard


async def score_text(
    session: AsyncSession, framework: Framework | None, checkin_id: int, lang: str
) -> str | None:
    """The meeting's score, band and top improvements, or None if scoring is unavailable.

    Integration point with the scoring engine (storage.score_service + bot.render_scores).
    A scoring failure must never lose the submit that is in the same transaction, so it is
    logged and the confirmation goes out without a score.
    """
    if framework is None:
        return None
    try:
        from bot.render_scores import meeting_text
        from storage.score_service import score_meeting_for_checkin

        # A savepoint: a failing query must not abort the transaction that holds the submit.
        async with session.begin_nested():
            score = await score_meeting_for_checkin(session, framework, checkin_id)
        return None if score is None else meeting_text(framework, score, lang, 3)
    except Exception:
        log.exception("scoring check-in %s failed; confirming without a score", checkin_id)
        return None
