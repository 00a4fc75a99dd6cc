"""How an answer, tapped or typed, changes a check-in's answers: the answer rules.

Pure over `CheckinAnswers`: no database, no Telegram, no catalog. A refused answer is a
`Problem` (a catalog key and its values) that the handler turns into words; how each question
is asked (its text and buttons) lives in handlers/checkin_steps.py. The kinds of question and
their choices are domain/checkin_answering.py; last month's and next month's tasks are
domain/checkin_task_rules.py.
"""

from __future__ import annotations

import datetime as dt
import re

from domain.checkin_answering import (
    CHOICES,
    DURATIONS,
    LISTS,
    NUMBER_QUESTIONS,
    OTHER_COUNT_MAX,
    PERSON_FIELDS,
    PICK_FIELDS,
    ROSTER_BOUND,
    TEXT_MAX,
    TEXT_QUESTIONS,
    TIMES,
    YES_NO,
    Env,
    Problem,
    Result,
    assign,
    count_bound,
)
from domain.checkin_schema import (
    FORM,
    MAX_DURATION,
    MAX_NOTE,
    MAX_TEXT,
    MIN_DURATION,
    CheckinAnswers,
)
from domain.checkin_task_rules import add_tasks, apply_task_review, apply_tasks_button
from domain.dates import DateInputError, date_problem, parse_date, parse_time

# Fields that describe a held meeting; cleared when the meeting is reported as not held.
# A field added to CheckinAnswers about the meeting itself belongs here too.
MEETING_FIELDS = (
    "meeting_date",
    "start_time",
    "duration_min",
    "pre_meeting",
    "content_prepared",
    "draft_resolution",
    "attendance_done",
    "expected_ids",
    "absences",
    "dues_status",
    "dues_paid",
    "main_tasks",
    "current_affairs",
    "documents",
    "ho_chi_minh",
    "thematic_topic",
    "speakers",
    "commended",
    "criticised",
    "lists_done",
    "assessed",
    "resolution_impl",
    "resolution_adopted",
    "resolution_text",
    "minutes_complete",
    "candidates",
    "admitted",
    "discipline",
    "solidarity",
    "task_review",
    "next_tasks",
    "next_tasks_unowned",
    "proposals",
    "place",
    "chair_id",
    "clerk_id",
    "guest",
    "absence_notes",
    "dues_unpaid_ids",
    "speaker_ids",
    "vote_for",
    "vote_against",
    "converted_ids",
    "admission_ids",
)

_NUMBER = re.compile(r"^\s*(\d{1,6})\s*$")
# The vote typed as "18" or "18 2", "18/2", "18-2" (for, against).
_VOTE = re.compile(r"^\s*(\d{1,5})(?:\s*[\s/,;-]\s*(\d{1,5}))?\s*$")


def clear_meeting(a: CheckinAnswers) -> CheckinAnswers:
    defaults = {
        name: CheckinAnswers.model_fields[name].get_default(call_default_factory=True)
        for name in MEETING_FIELDS
    }
    if a.form >= FORM:
        defaults["absence_notes"] = {}  # still asked if the meeting is reported held again
    return a.model_copy(update=defaults, deep=True)


# ---------------------------------------------------------------- applying answers


def apply_button(a: CheckinAnswers, question: str, value: str, env: Env) -> Result:
    """A tapped answer; forged values give a Problem (never an exception)."""
    if question in YES_NO and value in ("y", "n"):
        return assign(a, **{question: value == "y"})
    if question == "resolution_adopted" and value in ("y", "n"):
        if a.resolution_adopted is (value == "y") and a.resolution_text is None:
            return a  # the same answer again keeps its vote
        return assign(
            a,
            resolution_adopted=value == "y",
            resolution_text=None,
            vote_for=None,
            vote_against=None,
        )
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
        if value == a.dues_status:
            return a  # tapped again (editing): the names tapped stay
        done = [x for x in a.lists_done if x != "dues_paid"]
        return assign(a, dues_status=value, dues_paid=None, dues_unpaid_ids=None, lists_done=done)
    if question == "place" and value == "last" and a.previous and a.previous.place:
        return assign(a, place=a.previous.place)
    if question in ("guest", "documents") and value == "none":
        return assign(a, **{question: ""})
    if question == "vote" and value == "all" and a.present_count is not None:
        return assign(a, vote_for=a.present_count, vote_against=0)
    if question == "absence" and value == "skip" and a.note_pending():
        return set_note(a, "")
    if question == "speakers" and value in ("none", "done"):
        picked = [] if value == "none" else (a.speaker_ids or [])
        listed: set[str] = {*a.lists_done, "speakers"}
        return assign(a, speaker_ids=picked, speakers=len(picked), lists_done=sorted(listed))
    if question == "dues_paid" and value == "done":
        return finish_unpaid(a)
    if question == "resolution_impl" and value in CHOICES["resolution_impl"]:
        return assign(a, resolution_impl=value)
    if question == "matters" and value == "none":
        return assign(a, candidates=0, admitted=0, discipline=0, solidarity=0)
    if question == "proposals" and value == "none":
        return assign(a, proposals="")
    if question == "task_review":
        return apply_task_review(a, value)
    if question == "next_tasks":
        return apply_tasks_button(a, value)
    if question in NUMBER_QUESTIONS and value.isdigit():
        return apply_number(a, question, value, env)
    if question == "absence" and value in ("e", "u"):
        member = a.pending_absence()
        if member is None or a.note_pending():
            return Problem("checkin.err.stale", {})
        absences = dict(a.absences)
        absences[member] = "excused" if value == "e" else "unexcused"
        return assign(a, absences=absences)
    if question in LISTS and value in ("none", "done"):
        field = PICK_FIELDS[question]
        picked = [] if value == "none" else (getattr(a, field) or [])
        confirmed: set[str] = {*a.lists_done, question}
        return assign(a, **{field: picked, "lists_done": sorted(confirmed)})
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
    if question == "next_tasks":
        return add_tasks(a, text)
    if question == "vote":
        return apply_vote(a, text)
    if question == "absence":
        if not a.note_pending():
            return Problem("checkin.err.use_buttons", {})
        if not text or len(text) > MAX_NOTE:
            return Problem("checkin.err.text", {"max": MAX_NOTE})
        return set_note(a, text)
    if question in TEXT_QUESTIONS:
        longest = TEXT_MAX.get(question, MAX_TEXT)
        if not text or len(text) > longest:
            return Problem("checkin.err.text", {"max": longest})
        if question == "resolution_adopted":
            return assign(a, resolution_adopted=True, resolution_text=text)
        return assign(a, **{question: text})
    return Problem("checkin.err.use_buttons", {})


# ---------------------------------------------------------------- the names and the vote


def set_note(a: CheckinAnswers, note: str) -> Result:
    """The optional note of the absent member being asked ("" skipped)."""
    member = a.pending_absence()
    if member is None or not a.note_pending():
        return Problem("checkin.err.stale", {})
    return assign(a, absence_notes={**(a.absence_notes or {}), member: note})


def set_person(a: CheckinAnswers, question: str, member_id: int) -> Result:
    """The chair or the thư ký, tapped from the members present."""
    if question not in PERSON_FIELDS or member_id in a.absent_ids:
        return Problem("checkin.err.stale", {})
    if member_id == (a.clerk_id if question == "chair" else a.chair_id):
        return Problem("checkin.err.stale", {})  # one member does not do both
    return assign(a, **{PERSON_FIELDS[question]: member_id})


def toggle_pick(a: CheckinAnswers, question: str, member_id: int) -> Result:
    """A name tapped in a picker; the speakers' number follows once the list was confirmed."""
    field = PICK_FIELDS[question]
    allowed = {
        "conversions": set(a.probationary_ids),
        "admissions": {c.id for c in a.dossier},
    }.get(question)
    if allowed is not None and member_id not in allowed:
        return Problem("checkin.err.stale", {})
    picked = sorted(set(getattr(a, field) or []) ^ {member_id})
    if question == "speakers" and "speakers" in a.lists_done:
        return assign(a, speaker_ids=picked, speakers=len(picked))
    return assign(a, **{field: picked})


def finish_unpaid(a: CheckinAnswers) -> Result:
    """«Done» on who has not paid: nobody tapped is everyone paid, everyone tapped is none."""
    unpaid = a.unpaid_ids
    if a.dues_status != "some" or a.expected_ids is None:
        return Problem("checkin.err.stale", {})
    done = [x for x in a.lists_done if x != "dues_paid"]
    if not unpaid:
        return assign(a, dues_status="all", dues_unpaid_ids=None, dues_paid=None, lists_done=done)
    if len(unpaid) >= len(a.expected_ids):
        return assign(a, dues_status="none", dues_unpaid_ids=None, dues_paid=None, lists_done=done)
    return assign(a, dues_unpaid_ids=unpaid, dues_paid=None, lists_done=[*done, "dues_paid"])


def apply_vote(a: CheckinAnswers, text: str) -> Result:
    """The tally typed: for, or for and against; together at most the members present."""
    match = _VOTE.match(text)
    present = a.present_count
    if match is None or present is None:
        return Problem("checkin.err.vote", {"present": present or 0})
    votes_for, against = int(match.group(1)), int(match.group(2) or 0)
    if votes_for + against > present:
        return Problem("checkin.err.vote_many", {"present": present})
    return assign(a, vote_for=votes_for, vote_against=against)
