"""The answers of one meeting check-in: a versioned, validated record that scoring relies on.

Stored as JSON in ``Checkin.answers`` with ``schema_version``; ``to_columns()`` gives the
denormalised scalar columns of ``storage.models.Checkin`` that the SQL metrics aggregate.
Every field is optional while the check-in is a draft (None = not answered yet); which
questions a draft asks, and which are still open, is domain/checkin_questions.py. A change of
meaning needs a new ``schema_version`` and a converter in ``parse_answers``, never a silent
reinterpretation.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1
MAX_TEXT = 1000
MIN_DURATION, MAX_DURATION = 15, 600
MAX_COUNT = 10_000
# A cell with fewer official members has no chi ủy (Party Statute; HD 42-HD/BTCTW 2025): its
# secretary or deputy prepares the meeting, so it is not asked whether the chi ủy met.
CHI_UY_MIN_OFFICIAL = 9

MeetingType = Literal["regular", "thematic", "combined"]
DuesStatus = Literal["all", "some", "none"]
ResolutionImpl = Literal["full", "mostly", "partly", "not"]
Absence = Literal["excused", "unexcused"]
RESOLUTION_IMPL: tuple[ResolutionImpl, ...] = ("full", "mostly", "partly", "not")
# How one of last month's tasks was carried out: Hoàn thành · Cơ bản hoàn thành · Hoàn thành
# một phần · Chưa thực hiện.
TaskStatus = Literal["done", "mostly", "partly", "not"]
TASK_STATUSES: tuple[TaskStatus, ...] = ("done", "mostly", "partly", "not")
MAX_TASK_TEXT = 300
MAX_TASKS = 30
MAX_PLACE = 200
MAX_GUEST = 120
MAX_NOTE = 100
# The questions a draft asks: 1 before the opening, the reasons' notes, documents, the vote
# and speakers by name were asked (issue 16 part 1); 2 since. Stored drafts and submitted
# check-ins of form 1 keep their questions, so an edit never reopens them for new ones.
FORM = 2

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class TaskItem(BaseModel):
    """One of next month's tasks as the meeting set it: a short text and the member
    responsible (None: the whole cell). `carried_from` is the id (storage ``meeting_tasks``)
    of last month's unfinished task it continues."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Annotated[str, Field(min_length=1, max_length=MAX_TASK_TEXT)]
    owner_id: int | None = None
    carried_from: int | None = None


class PriorTask(BaseModel):
    """One of last month's tasks, as it stood when this draft was opened (a snapshot, so
    the review asks about what the secretary sees even if last month is edited later)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    text: Annotated[str, Field(min_length=1, max_length=MAX_TASK_TEXT)]
    owner_id: int | None = None


class PreviousMeeting(BaseModel):
    """What the cell's previous submitted meeting had, offered as one-tap defaults (a
    snapshot taken when the draft opens, like the prior tasks)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    place: Annotated[str, Field(min_length=1, max_length=MAX_PLACE)] | None = None
    chair_id: int | None = None
    clerk_id: int | None = None


class CandidateRef(BaseModel):
    """A candidate at the dossier stage when the draft was opened (a snapshot): who can be
    recorded as admitted at this meeting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    name: Annotated[str, Field(min_length=1, max_length=120)]


class CheckinAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    schema_version: Literal[1] = 1
    # Which questions the draft asks (see FORM); new drafts are opened with FORM.
    form: Literal[1, 2] = 1
    previous: PreviousMeeting | None = None

    # The cell's official members when the draft was opened (the roster at the meeting, as
    # near as the bot knows it): decides whether the cell has a chi ủy. None on drafts opened
    # before it was recorded, which are asked as cells with a chi ủy (as they were).
    official_members: Count | None = None
    # 1. which meeting
    held: bool | None = None
    meeting_type: MeetingType | None = None
    not_held_reason: Text | None = None
    # 2. when
    meeting_date: dt.date | None = None
    start_time: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] | None = None
    duration_min: Annotated[int, Field(ge=MIN_DURATION, le=MAX_DURATION)] | None = None
    place: Annotated[str, Field(min_length=1, max_length=MAX_PLACE)] | None = None
    # 3. preparation
    pre_meeting: bool | None = None
    content_prepared: bool | None = None
    draft_resolution: bool | None = None
    # 4. attendance: the members expected (roster minus exempt, when the step was done) and
    # the absent ones; a None reason is still to be asked.
    attendance_done: bool = False
    expected_ids: list[int] | None = None
    absences: dict[int, Absence | None] = Field(default_factory=dict)
    # An optional short reason per absent member ("" skipped); None: not asked (form 1).
    absence_notes: dict[int, Annotated[str, Field(max_length=MAX_NOTE)]] | None = None
    # Who chaired the meeting and who took the minutes (thư ký), from the members present;
    # the upper committee's attendee by name ("" none).
    chair_id: int | None = None
    clerk_id: int | None = None
    guest: Annotated[str, Field(max_length=MAX_GUEST)] | None = None
    # 5. dues
    dues_status: DuesStatus | None = None
    dues_paid: Count | None = None
    # "Some paid": the expected members who did NOT pay, tapped by name (dues_paid follows);
    # None on drafts where the number was typed.
    dues_unpaid_ids: list[int] | None = None
    # 6. content
    main_tasks: Text | None = None
    current_affairs: bool | None = None
    ho_chi_minh: bool | None = None
    thematic_topic: Text | None = None
    # Documents and directives conveyed, a line each ("" none).
    documents: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    # 7. conduct: the speakers tapped by name (their number is `speakers`, set on «Done»;
    # drafts answered with a typed number have no names).
    speakers: Count | None = None
    speaker_ids: list[int] | None = None
    commended: list[int] | None = None
    criticised: list[int] | None = None
    # Which of the two member lists the secretary confirmed ("Done" or "None"): while a list
    # is being picked its members are saved one tap at a time but the question stays open.
    lists_done: list[
        Literal[
            "commended",
            "criticised",
            "next_tasks",
            "speakers",
            "dues_paid",
            "conversions",
            "admissions",
        ]
    ] = Field(default_factory=list)
    assessed: bool | None = None
    # 8. results
    resolution_impl: ResolutionImpl | None = None
    resolution_adopted: bool | None = None
    resolution_text: Text | None = None
    # The vote on the resolution (for / against), asked when it was adopted.
    vote_for: Count | None = None
    vote_against: Count | None = None
    minutes_complete: bool | None = None
    # 9. member matters
    candidates: Count | None = None
    admitted: Count | None = None
    discipline: Count | None = None
    solidarity: Count | None = None
    # By name (issue 17 part 2), from snapshots taken when the draft was opened: the
    # probationary members and the candidates at the dossier stage. On submit the members
    # converted become official and the candidates admitted become probationary members.
    probationary_ids: list[int] = Field(default_factory=list)
    dossier: list[CandidateRef] = Field(default_factory=list)
    converted_ids: list[int] | None = None
    admission_ids: list[int] | None = None
    # 10. the tasks (issue 16): last month's tasks as they stood when the draft was opened
    # (empty: none were set, and the single resolution_impl rating is asked instead), the
    # status given to each (by PriorTask.id), and next month's tasks as set by the meeting.
    prior_tasks: list[PriorTask] = Field(default_factory=list)
    task_review: dict[int, TaskStatus] = Field(default_factory=dict)
    next_tasks: list[TaskItem] | None = Field(default=None, max_length=MAX_TASKS)
    # How many tasks at the end of next_tasks still wait for their owner to be tapped (typed
    # tasks are saved at once, owner None, so a restart resumes at the owner's question).
    next_tasks_unowned: Annotated[int, Field(ge=0, le=MAX_TASKS)] = 0
    # Recommendations to the higher committee (kiến nghị, đề xuất); "" = none.
    proposals: Annotated[str, Field(max_length=MAX_TEXT)] | None = None

    @field_validator(
        "commended",
        "criticised",
        "expected_ids",
        "speaker_ids",
        "dues_unpaid_ids",
        "converted_ids",
        "admission_ids",
    )
    @classmethod
    def _unique_ids(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else sorted(set(value))

    # ------------------------------------------------------------ derived facts

    @property
    def is_thematic(self) -> bool:
        return self.meeting_type in ("thematic", "combined")

    @property
    def has_chi_uy(self) -> bool:
        return self.official_members is None or self.official_members >= CHI_UY_MIN_OFFICIAL

    @property
    def expected_count(self) -> int | None:
        return None if self.expected_ids is None else len(self.expected_ids)

    @property
    def absent_ids(self) -> list[int]:
        expected = set(self.expected_ids or [])
        return sorted(m for m in self.absences if m in expected)

    @property
    def present_count(self) -> int | None:
        if self.expected_ids is None or not self.attendance_done:
            return None
        return len(self.expected_ids) - len(self.absent_ids)

    def absent_with(self, reason: Absence) -> int:
        return sum(1 for m in self.absent_ids if self.absences.get(m) == reason)

    def pending_absence(self) -> int | None:
        """The first absent member whose kind of absence (or, on form 2, whose optional
        note) is not answered yet."""
        return next((m for m in self.absent_ids if self._absence_open(m)), None)

    def _absence_open(self, member: int) -> bool:
        if self.absences.get(member) is None:
            return True
        return self.absence_notes is not None and member not in self.absence_notes

    def note_pending(self) -> bool:
        """The member asked about has a kind of absence: their note is what is asked."""
        member = self.pending_absence()
        return member is not None and self.absences.get(member) is not None

    @property
    def unpaid_ids(self) -> list[int] | None:
        """The expected members tapped as not having paid (None: not by name)."""
        if self.dues_status != "some" or self.dues_unpaid_ids is None:
            return None
        expected = set(self.expected_ids or [])
        return [m for m in self.dues_unpaid_ids if m in expected]

    @property
    def reviews_tasks(self) -> bool:
        """Last month set tasks: they are reviewed one by one instead of the single rating."""
        return bool(self.prior_tasks)

    def pending_task(self) -> PriorTask | None:
        """The first of last month's tasks not given a status yet."""
        return next((p for p in self.prior_tasks if p.id not in self.task_review), None)

    @property
    def effective_resolution_impl(self) -> ResolutionImpl | None:
        """The resolution-implementation indicator: from the tasks when last month set some
        (all of them reviewed), else the secretary's single rating."""
        if not self.reviews_tasks:
            return self.resolution_impl
        if self.pending_task() is not None:
            return None
        return resolution_impl_of([self.task_review[p.id] for p in self.prior_tasks])

    def slot(self) -> str:
        return "thematic" if self.meeting_type == "thematic" else "regular"

    def to_columns(self) -> dict[str, Any]:
        """The denormalised ``Checkin`` columns (None while unanswered)."""
        held = self.held
        attendance = self.attendance_done and held is True
        return {
            "held": held,
            "meeting_type": self.meeting_type if held else None,
            "meeting_date": self.meeting_date,
            "duration_min": self.duration_min,
            # Without a chi ủy there is no chi ủy meeting to score: left out, not a "no".
            "pre_meeting": self.pre_meeting if self.has_chi_uy else None,
            "content_prepared": self.content_prepared,
            "draft_resolution": self.draft_resolution,
            "expected_count": self.expected_count if attendance else None,
            "present_count": self.present_count if attendance else None,
            "absent_excused": self.absent_with("excused") if attendance else None,
            "absent_unexcused": self.absent_with("unexcused") if attendance else None,
            "dues_status": self.dues_status,
            "dues_paid": self._dues_paid(),
            "current_affairs": self.current_affairs,
            "ho_chi_minh": self.ho_chi_minh,
            "speakers": (
                len(self.speaker_ids)
                if self.speaker_ids is not None and self.speakers is not None
                else self.speakers
            ),
            "commended": None if self.commended is None else len(self.commended),
            "criticised": None if self.criticised is None else len(self.criticised),
            "assessed": self.assessed,
            "resolution_impl": self.effective_resolution_impl,
            "resolution_adopted": self.resolution_adopted,
            "minutes_complete": self.minutes_complete,
            "candidates": self.candidates,
            "admitted": self.admitted,
            "discipline": self.discipline,
            "solidarity": self.solidarity,
            "proposals": self.proposals if held else None,
        }

    def _dues_paid(self) -> int | None:
        if self.dues_status == "some":
            unpaid = self.unpaid_ids
            if unpaid is not None and "dues_paid" in self.lists_done:
                return (self.expected_count or 0) - len(unpaid)
            return self.dues_paid
        if self.dues_status == "none":
            return 0
        if self.dues_status == "all":
            return self.expected_count
        return None

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


COLUMN_NAMES = tuple(CheckinAnswers().to_columns())

# A task's status as a level of the indicator: full 3, mostly 2, partly 1, not 0.
_TASK_LEVEL: dict[TaskStatus, int] = {"done": 3, "mostly": 2, "partly": 1, "not": 0}
_IMPL_OF_LEVEL: tuple[ResolutionImpl, ...] = ("not", "partly", "mostly", "full")


def resolution_impl_of(statuses: list[TaskStatus]) -> ResolutionImpl | None:
    """The indicator of a month from its tasks: "full" only when every task is done; else
    the mean level rounded half down (so one unfinished task among many cannot round up to
    "full", and a half-way month is not flattered)."""
    if not statuses:
        return None
    if all(s == "done" for s in statuses):
        return "full"
    levels = [_TASK_LEVEL[s] for s in statuses]
    # The mean rounded half down, in integers: ceil(S/n - 1/2) = (2S + n - 1) // 2n.
    total, n = sum(levels), len(levels)
    level = (2 * total + n - 1) // (2 * n)
    return _IMPL_OF_LEVEL[min(level, 2)]


def parse_answers(
    data: dict[str, Any] | None, schema_version: int = SCHEMA_VERSION
) -> CheckinAnswers:
    """The stored JSON as a model; the one place where older schema versions would convert."""
    if schema_version != SCHEMA_VERSION:
        raise ValueError(f"unknown check-in schema version {schema_version}")
    return CheckinAnswers.model_validate(data or {})
