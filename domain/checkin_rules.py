"""How an answer, tapped or typed, changes a check-in's answers: the answer rules.

Pure over `CheckinAnswers`: no database, no Telegram, no catalog. A refused answer is a
`Problem` (a catalog key and its values) that the handler turns into words; how each question
is asked (its text and buttons) lives in handlers/checkin_steps.py.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pydantic import ValidationError

from domain.checkin_schema import (
    MAX_DURATION,
    MAX_TEXT,
    MEETING_FIELDS,
    MIN_DURATION,
    QUESTIONS,
    SECTION_OF,
    SECTIONS,
    CheckinAnswers,
    applies,
    first_open,
)
from domain.dates import DateInputError, date_problem, parse_date, parse_time

YES_NO = ("pre_meeting", "content_prepared", "draft_resolution", "current_affairs",
          "ho_chi_minh", "assessed", "minutes_complete")  # fmt: skip
TEXT_QUESTIONS = ("not_held_reason", "main_tasks", "thematic_topic", "resolution_adopted")
NUMBER_QUESTIONS = ("speakers", "dues_paid", "candidates", "admitted", "discipline", "solidarity")
# Counts that cannot exceed the members expected at the meeting.
ROSTER_BOUND = ("speakers", "dues_paid", "discipline")
OTHER_COUNT_MAX = 999
TIMES = ("07:30", "08:00", "14:00", "19:00", "19:30", "20:00")
DURATIONS = (60, 90, 120, 150)
CHOICES: dict[str, tuple[str, ...]] = {
    "type": ("regular", "combined", "none"),
    "dues": ("all", "some", "none"),
    "resolution_impl": ("full", "mostly", "partly", "not"),
    "matters": ("none", "some"),
}
_NUMBER = re.compile(r"^\s*(\d{1,6})\s*$")


@dataclass(frozen=True)
class Env:
    """What answering needs besides the answers: the day, and the roster."""

    lang: str
    today: dt.date
    roster_size: int  # active members (official + probationary) of the cell now
    names: dict[int, str]  # member id -> name, of the members the question may show
    # The words stored as the reason when "postponed" is tapped, in the user's language
    # (the handler reads them from the catalog, so the rules need no catalog).
    postponed_reason: str


@dataclass(frozen=True)
class Problem:
    """A refused answer: a catalog key and its values; the user stays on the question."""

    key: str
    values: dict[str, object]


Result = CheckinAnswers | Problem


def count_bound(a: CheckinAnswers, env: Env) -> int:
    return a.expected_count if a.expected_count is not None else env.roster_size


def assign(a: CheckinAnswers, **values: object) -> Result:
    """A copy with `values` assigned through validation (max lengths, ranges)."""
    b = a.model_copy(deep=True)
    try:
        for field, value in values.items():
            setattr(b, field, value)
    except ValidationError:
        return Problem("checkin.err.invalid", {})
    return b


def clear_meeting(a: CheckinAnswers) -> CheckinAnswers:
    defaults = {
        name: CheckinAnswers.model_fields[name].get_default(call_default_factory=True)
        for name in MEETING_FIELDS
    }
    return a.model_copy(update=defaults, deep=True)


# ---------------------------------------------------------------- applying answers


def apply_button(a: CheckinAnswers, question: str, value: str, env: Env) -> Result:
    """A tapped answer; forged values give a Problem (never an exception)."""
    if question in YES_NO and value in ("y", "n"):
        return assign(a, **{question: value == "y"})
    if question == "resolution_adopted" and value in ("y", "n"):
        return assign(a, resolution_adopted=value == "y", resolution_text=None)
    if question == "type" and value in CHOICES["type"]:
        return apply_type(a, value)
    if question == "not_held_reason" and value == "postponed":
        return assign(a, not_held_reason=env.postponed_reason)
    if question == "date":
        return apply_date(a, value, env, typed=False)
    if question == "time" and value in {x.replace(":", "") for x in TIMES}:
        return assign(a, start_time=f"{value[:2]}:{value[2:]}")
    if question == "duration" and value.isascii() and value.isdigit() and int(value) in DURATIONS:
        return assign(a, duration_min=int(value))
    if question == "dues" and value in CHOICES["dues"]:
        return assign(a, dues_status=value, dues_paid=None)
    if question == "resolution_impl" and value in CHOICES["resolution_impl"]:
        return assign(a, resolution_impl=value)
    if question == "matters" and value == "none":
        return assign(a, candidates=0, admitted=0, discipline=0, solidarity=0)
    if question in NUMBER_QUESTIONS and value.isdigit():
        return apply_number(a, question, value, env)
    if question == "absence" and value in ("e", "u"):
        member = a.pending_absence()
        if member is None:
            return Problem("checkin.err.stale", {})
        absences = dict(a.absences)
        absences[member] = "excused" if value == "e" else "unexcused"
        return assign(a, absences=absences)
    if question in ("commended", "criticised") and value in ("none", "done"):
        picked = [] if value == "none" else (getattr(a, question) or [])
        done = sorted({*a.lists_done, question})
        return assign(a, **{question: picked, "lists_done": done})
    return Problem("checkin.err.stale", {})


def apply_type(a: CheckinAnswers, value: str) -> Result:
    if a.meeting_type == "thematic":
        return Problem("checkin.err.stale", {})  # a separate thematic meeting keeps its type
    if value == "none":
        if a.held is False:
            return a
        cleared = clear_meeting(a)
        return assign(cleared, held=False, meeting_type=None)
    return assign(a, held=True, meeting_type=value, not_held_reason=None)


def apply_date(a: CheckinAnswers, value: str, env: Env, *, typed: bool) -> Result:
    try:
        if typed:
            day = parse_date(value, env.today)
        else:
            day = dt.datetime.strptime(value, "%Y%m%d").date()
    except (DateInputError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, DateInputError) else "format"
        return Problem(f"checkin.err.date_{reason}", {})
    problem = date_problem(day, env.today)
    if problem is not None:
        return Problem(f"checkin.err.date_{problem}", {"days": 62})
    return assign(a, meeting_date=day)


def apply_number(a: CheckinAnswers, question: str, text: str, env: Env) -> Result:
    match = _NUMBER.match(text)
    if match is None:
        return Problem("checkin.err.number", {})
    value = int(match.group(1))
    bound = count_bound(a, env) if question in ROSTER_BOUND else OTHER_COUNT_MAX
    if value > bound:
        key = "checkin.err.too_many" if question in ROSTER_BOUND else "checkin.err.too_large"
        return Problem(key, {"max": bound})
    return assign(a, **{question: value})


def apply_text(a: CheckinAnswers, question: str, text: str, env: Env) -> Result:
    """A typed answer to the question the user is on."""
    text = text.strip()
    if question == "date":
        return apply_date(a, text, env, typed=True)
    if question == "time":
        try:
            start = parse_time(text)
        except DateInputError:
            return Problem("checkin.err.time", {})
        return assign(a, start_time=f"{start.hour:02d}:{start.minute:02d}")
    if question == "duration":
        match = _NUMBER.match(text)
        if match is None or not MIN_DURATION <= int(match.group(1)) <= MAX_DURATION:
            return Problem("checkin.err.duration", {"min": MIN_DURATION, "max": MAX_DURATION})
        return assign(a, duration_min=int(match.group(1)))
    if question in NUMBER_QUESTIONS:
        return apply_number(a, question, text, env)
    if question in TEXT_QUESTIONS:
        if not text or len(text) > MAX_TEXT:
            return Problem("checkin.err.text", {"max": MAX_TEXT})
        if question == "resolution_adopted":
            return assign(a, resolution_adopted=True, resolution_text=text)
        return assign(a, **{question: text})
    return Problem("checkin.err.use_buttons", {})


def accepts_text(question: str) -> bool:
    return question in ("date", "time", "duration", *NUMBER_QUESTIONS, *TEXT_QUESTIONS)


# ---------------------------------------------------------------- the order of questions


def next_question(a: CheckinAnswers, after: str | None, edit_section: str | None) -> str | None:
    """Editing a section walks its questions in order; otherwise the first open question."""
    if edit_section is not None and after is not None and SECTION_OF.get(after) == edit_section:
        questions = SECTIONS[edit_section]
        for question in questions[questions.index(after) + 1 :]:
            # Absent members whose reason is known are not asked again.
            if applies(question, a) and not (question == "absence" and a.pending_absence() is None):
                return question
    return first_open(a)


def progress(a: CheckinAnswers, question: str) -> tuple[int, int]:
    asked = [q for q in QUESTIONS if applies(q, a) or q == question]
    return asked.index(question) + 1, len(asked)
