"""The questions of a check-in, in the order they are asked: which ones a draft asks given
its answers so far (`applies`), which are answered, which are still open, and where the walk
goes next. Pure over `CheckinAnswers`; what an answer does is domain/checkin_rules.py.
"""

from __future__ import annotations

from domain.checkin_schema import FORM, CheckinAnswers

QUESTIONS = (
    "type",
    "not_held_reason",
    "date",
    "time",
    "duration",
    "place",
    "pre_meeting",
    "content_prepared",
    "draft_resolution",
    "attendance",
    "absence",
    "chair",
    "clerk",
    "guest",
    "dues",
    "dues_paid",
    # Last month's tasks are reviewed before this month's results and next month's tasks
    # (the order of the meeting, and so the unfinished ones can be carried over); the
    # review card lists it under the results, with the rating it replaces.
    "task_review",
    "main_tasks",
    "next_tasks",
    "current_affairs",
    "documents",
    "ho_chi_minh",
    "thematic_topic",
    "speakers",
    "commended",
    "criticised",
    "assessed",
    "resolution_impl",
    "resolution_adopted",
    "vote",
    "minutes_complete",
    "matters",
    "candidates",
    "admitted",
    "discipline",
    "solidarity",
    "conversions",
    "admissions",
    "proposals",
)
SECTIONS: dict[str, tuple[str, ...]] = {
    "meeting": ("type", "not_held_reason"),
    "when": ("date", "time", "duration", "place"),
    "prep": ("pre_meeting", "content_prepared", "draft_resolution"),
    "attendance": ("attendance", "absence"),
    "chair": ("chair", "clerk", "guest"),
    "dues": ("dues", "dues_paid"),
    "content": (
        "main_tasks",
        "next_tasks",
        "current_affairs",
        "documents",
        "ho_chi_minh",
        "thematic_topic",
    ),
    "conduct": ("speakers", "commended", "criticised", "assessed"),
    "results": (
        "task_review",
        "resolution_impl",
        "resolution_adopted",
        "vote",
        "minutes_complete",
    ),
    "matters": (
        "matters",
        "candidates",
        "admitted",
        "discipline",
        "solidarity",
        "conversions",
        "admissions",
    ),
    "proposals": ("proposals",),
}
SECTION_OF = {q: name for name, questions in SECTIONS.items() for q in questions}
MATTERS = ("candidates", "admitted", "discipline", "solidarity")
# Questions whose answer is the model field of the same name.
SIMPLE_FIELDS = {
    "pre_meeting": "pre_meeting",
    "content_prepared": "content_prepared",
    "draft_resolution": "draft_resolution",
    "main_tasks": "main_tasks",
    "current_affairs": "current_affairs",
    "ho_chi_minh": "ho_chi_minh",
    "thematic_topic": "thematic_topic",
    "speakers": "speakers",
    "assessed": "assessed",
    "resolution_impl": "resolution_impl",
    "resolution_adopted": "resolution_adopted",
    "minutes_complete": "minutes_complete",
    "candidates": "candidates",
    "admitted": "admitted",
    "discipline": "discipline",
    "solidarity": "solidarity",
    "dues_paid": "dues_paid",
    "not_held_reason": "not_held_reason",
    "duration": "duration_min",
    "date": "meeting_date",
    "time": "start_time",
    "dues": "dues_status",
    "proposals": "proposals",
    "place": "place",
    "chair": "chair_id",
    "clerk": "clerk_id",
    "guest": "guest",
    "documents": "documents",
    "vote": "vote_for",
}
# Asked only in drafts of form 2 (see FORM).
FORM_2 = ("place", "chair", "clerk", "guest", "documents", "vote", "conversions", "admissions")


def applies(question: str, a: CheckinAnswers) -> bool:
    """Whether `question` is asked at all, given the answers so far."""
    if question == "type":
        return True
    if question == "not_held_reason":
        return a.held is False
    if a.held is not True:
        return False
    if question in FORM_2 and a.form < FORM:
        return False
    if question == "vote":
        return a.resolution_adopted is True
    if question == "conversions":
        return bool(a.probationary_ids)
    if question == "admissions":
        return bool(a.dossier)
    if question == "pre_meeting":
        return a.has_chi_uy
    if question == "absence":
        return a.attendance_done and bool(a.absent_ids)
    if question == "dues_paid":
        return a.dues_status == "some"
    if question == "thematic_topic":
        return a.is_thematic
    if question == "task_review":
        return a.reviews_tasks
    if question == "resolution_impl":
        return not a.reviews_tasks  # the tasks' review replaces the single rating
    if question == "next_tasks":
        return a.meeting_type in ("regular", "combined")
    return True


def answered(question: str, a: CheckinAnswers) -> bool:
    if question == "type":
        return a.held is False or a.meeting_type is not None
    if question == "attendance":
        return a.attendance_done
    if question == "absence":
        return a.pending_absence() is None
    if question in ("commended", "criticised"):
        return getattr(a, question) is not None and question in a.lists_done
    if question in ("conversions", "admissions"):
        field = "converted_ids" if question == "conversions" else "admission_ids"
        return getattr(a, field) is not None and question in a.lists_done
    if question == "dues_paid":
        by_name = a.dues_unpaid_ids is not None and "dues_paid" in a.lists_done
        return by_name or a.dues_paid is not None
    if question == "task_review":
        return a.pending_task() is None
    if question == "next_tasks":
        # A regular meeting sets at least one task, each with its owner tapped, and "Done".
        return bool(a.next_tasks) and a.next_tasks_unowned == 0 and "next_tasks" in a.lists_done
    if question == "matters":
        return any(getattr(a, m) is not None for m in MATTERS)
    return getattr(a, SIMPLE_FIELDS[question]) is not None


def open_questions(a: CheckinAnswers) -> list[str]:
    return [q for q in QUESTIONS if applies(q, a) and not answered(q, a)]


def first_open(a: CheckinAnswers) -> str | None:
    return next(iter(open_questions(a)), None)


def is_complete(a: CheckinAnswers) -> bool:
    return not open_questions(a)


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
