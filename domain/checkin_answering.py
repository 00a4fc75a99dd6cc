"""What answering a check-in question needs, shared by the answer rules and by the steps that
ask: the kinds of question and their choices and bounds, the environment of an answer (`Env`),
a refused answer (`Problem`) and the validated assignment every rule goes through (`assign`).

Pure: no database, no Telegram, no catalog.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import ValidationError

from domain.checkin_schema import MAX_GUEST, MAX_PLACE, CheckinAnswers

YES_NO = ("pre_meeting", "content_prepared", "draft_resolution", "current_affairs",
          "ho_chi_minh", "assessed", "minutes_complete")  # fmt: skip
TEXT_QUESTIONS = (
    "not_held_reason",
    "main_tasks",
    "thematic_topic",
    "resolution_adopted",
    "proposals",
    "place",
    "guest",
    "documents",
)
# The longest typed answer of each text question.
TEXT_MAX = {"place": MAX_PLACE, "guest": MAX_GUEST}
NUMBER_QUESTIONS = ("candidates", "admitted", "discipline", "solidarity")
# Counts that cannot exceed the members expected at the meeting.
ROSTER_BOUND = ("discipline",)
# Member pickers (several names, then «Done») and the answer field each fills.
PICK_FIELDS = {
    "commended": "commended",
    "criticised": "criticised",
    "speakers": "speaker_ids",
    "dues_paid": "dues_unpaid_ids",
    "conversions": "converted_ids",
    "admissions": "admission_ids",
}
# Lists confirmed by «Done» or emptied by «Nobody» (the speakers and the dues have their own).
LISTS = ("commended", "criticised", "conversions", "admissions")
# One name tapped answers the question.
PERSON_FIELDS = {"chair": "chair_id", "clerk": "clerk_id"}
OTHER_COUNT_MAX = 999
TIMES = ("07:30", "08:00", "14:00", "19:00", "19:30", "20:00")
DURATIONS = (60, 90, 120, 150)
CHOICES: dict[str, tuple[str, ...]] = {
    "type": ("regular", "combined", "none"),
    "dues": ("all", "some", "none"),
    "resolution_impl": ("full", "mostly", "partly", "not"),
    "matters": ("none", "some"),
}


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


def accepts_text(question: str) -> bool:
    return question in (
        "date",
        "time",
        "duration",
        "next_tasks",
        "vote",
        "absence",
        *NUMBER_QUESTIONS,
        *TEXT_QUESTIONS,
    )
