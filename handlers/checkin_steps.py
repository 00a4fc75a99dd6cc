"""How each check-in question is asked: its text and answer buttons. The answer rules (what a
tapped or typed answer does to the answers) are domain/checkin_rules.py.

Callback data of an answer: ``ci:a:<draft id>:<version>:<question>:<value>``. The version
is the draft's at the time the keyboard was drawn, so a button from an older message (or
one the deputy's answer has overtaken) is refused as stale instead of being applied.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton

from bot.i18n import t
from bot.keyboards import button, rows
from domain.checkin_answering import (
    CHOICES,
    DURATIONS,
    NUMBER_QUESTIONS,
    OTHER_COUNT_MAX,
    ROSTER_BOUND,
    TEXT_MAX,
    TEXT_QUESTIONS,
    TIMES,
    YES_NO,
    Env,
    count_bound,
)
from domain.checkin_schema import MAX_NOTE, MAX_TEXT, CheckinAnswers
from domain.dates import format_date

AnswerButton = Callable[[str, str], InlineKeyboardButton]


@dataclass(frozen=True)
class Buttons:
    """Builds ``ci:<op>:<draft>:<version>:...`` buttons for one rendering of a draft."""

    draft: int
    version: int

    def make(self, text: str, op: str, *args: object) -> InlineKeyboardButton:
        return button(text, "ci", op, self.draft, self.version, *args)

    def answer(self, question: str) -> AnswerButton:
        return lambda text, value: self.make(text, "a", question, value)


# ---------------------------------------------------------------- asking


def question_keyboard(
    a: CheckinAnswers, question: str, env: Env, answer: AnswerButton
) -> list[list[InlineKeyboardButton]]:
    """The answer buttons of a choice or number question (not the member pickers)."""
    lang = env.lang
    if question in YES_NO or question == "resolution_adopted":
        return [[answer(t(lang, "common.yes"), "y"), answer(t(lang, "common.no"), "n")]]
    if question == "type":
        return rows([answer(t(lang, f"checkin.type.{v}"), v) for v in CHOICES["type"]], 2)
    if question == "not_held_reason":
        return [[answer(t(lang, "checkin.btn_postponed"), "postponed")]]
    if question == "proposals":
        return [[answer(t(lang, "checkin.btn_no_proposals"), "none")]]
    if question == "place":
        last = a.previous.place if a.previous else None
        if not last:
            return []
        return [[answer(t(lang, "checkin.btn_same_place", place=_short(last)), "last")]]
    if question in ("guest", "documents"):
        return [[answer(t(lang, f"checkin.btn_no_{question}"), "none")]]
    if question == "vote":
        present = a.present_count or 0
        return [[answer(t(lang, "checkin.btn_vote_all", n=present), "all")]]
    if question == "date":
        today, yesterday = env.today, env.today - dt.timedelta(days=1)
        return [
            [
                answer(t(lang, "checkin.btn_today", date=format_date(today)), f"{today:%Y%m%d}"),
                answer(
                    t(lang, "checkin.btn_yesterday", date=format_date(yesterday)),
                    f"{yesterday:%Y%m%d}",
                ),
            ]
        ]
    if question == "time":
        return rows([answer(x, x.replace(":", "")) for x in TIMES], 3)
    if question == "duration":
        return [[answer(t(lang, "checkin.minutes", n=d), str(d)) for d in DURATIONS]]
    if question in ("dues", "resolution_impl", "matters"):
        labels = [answer(t(lang, f"checkin.{question}.{v}"), v) for v in CHOICES[question]]
        return rows(labels, 2 if question != "dues" else 3)
    if question == "absence" and a.note_pending():
        return [[answer(t(lang, "checkin.btn_skip"), "skip")]]
    if question == "absence":
        return [
            [
                answer(t(lang, "checkin.btn_excused"), "e"),
                answer(t(lang, "checkin.btn_unexcused"), "u"),
            ]
        ]
    if question in NUMBER_QUESTIONS:
        bound = count_bound(a, env) if question in ROSTER_BOUND else OTHER_COUNT_MAX
        numbers = [answer(str(n), str(n)) for n in range(0, min(5, bound) + 1)]
        return rows(numbers, 6)
    return []


def question_text(a: CheckinAnswers, question: str, env: Env) -> str:
    lang = env.lang
    if question == "absence":
        member = a.pending_absence()
        name = html.escape(env.names.get(member or -1, "?"))
        if a.note_pending():
            kind = t(lang, f"checkin.absence.{a.absences.get(member or -1)}")
            return t(lang, "checkin.q.absence_note", name=name, kind=kind, max=MAX_NOTE)
        return t(lang, "checkin.q.absence", name=name)
    if question == "vote":
        return t(lang, "checkin.q.vote", present=a.present_count or 0)
    if question in NUMBER_QUESTIONS and question in ROSTER_BOUND:
        return t(lang, f"checkin.q.{question}", max=count_bound(a, env))
    if question in TEXT_QUESTIONS:
        return t(lang, f"checkin.q.{question}", max=TEXT_MAX.get(question, MAX_TEXT))
    if question == "content_prepared" and not a.has_chi_uy:
        # HD 42: where there is no chi ủy the secretary or deputy prepares; the chi ủy
        # question is not asked, so this one opens the section.
        return t(lang, "checkin.q.content_prepared_no_chi_uy")
    return t(lang, f"checkin.q.{question}")


def _short(text: str, most: int = 40) -> str:
    """A button's label keeps to one line on a phone."""
    return text if len(text) <= most else text[: most - 1] + "…"
