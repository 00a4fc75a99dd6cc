"""One whole check-in as a list of answers, each with how it shows in the database.

Shared by the durability tests, which stop a check-in at every answer (kill the process,
fail a Bot API call) and then look for that answer in the database. Buttons are found by
their callback data (``ci:a:<draft>:<version>:<question>:<value>``, see
handlers/checkin_steps.py), so the walk does not depend on the user's language; the columns
are those of `CheckinAnswers.to_columns()` (domain/checkin_schema.py).

The walk takes every kind of answer: the button that creates the draft, choice and yes/no
buttons, typed dates, numbers and text, the attendance toggles and "done", an absence reason
and its note, the chair and thư ký tapped, a member picked for a list (who has not paid, the
speakers, commended), "none of these", a typed task and its owner, the vote, and submit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain.checkin_questions import first_open
from domain.checkin_schema import CheckinAnswers, parse_answers
from storage.db import SessionFactory
from storage.models import Checkin

MAIN_TASKS = "Thu hoạch vụ mùa; phòng chống bão số 3"
NEXT_TASK = "Sửa đường liên thôn trước mùa mưa"
PROPOSALS = "Đề nghị hỗ trợ kinh phí sửa nhà văn hóa thôn"
PLACE = "Nhà văn hóa thôn Khe Mằn"
NOTE = "Đi công tác"
DOCUMENTS = "Chỉ thị 35-CT/TW về đại hội đảng bộ các cấp"
MEMBERS = 20  # tests.factories.small_org's cell size


@dataclass(frozen=True)
class Stored:
    """The check-in as the database has it."""

    row: Checkin
    answers: CheckinAnswers

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


Check = Callable[[Stored, str], bool]


@dataclass(frozen=True)
class Step:
    """One answer: tap the button whose data matches `tap`, or type `typed(today)`.

    `question` is the question open before the answer (None: the review card, where the
    answer is "submit"); `saved` says whether the database holds the answer, given what was
    sent (the callback data or the text)."""

    name: str
    question: str | None
    saved: Check
    tap: str | None = None
    typed: Callable[[dt.date], str] | None = None

    def button(self, buttons: list[tuple[str, str]]) -> str:
        assert self.tap is not None
        for _text, data in buttons:
            if re.fullmatch(self.tap, data):
                return data
        raise AssertionError(f"{self.name}: no button {self.tap!r} in {buttons}")


def _answer(question: str, value: str) -> str:
    return rf"ci:a:\d+:\d+:{question}:{value}"


def _member(sent: str, index: int) -> int:
    return int(sent.split(":")[index])


def _typed_date(today: dt.date) -> str:
    return f"{today.day}/{today.month}/{today.year}"


def _same_date(s: Stored, sent: str) -> bool:
    day = s.row.meeting_date
    return day is not None and _typed_date(day) == sent


WALK: tuple[Step, ...] = (
    Step(
        "meeting: regular",
        "type",
        lambda s, _: (s.held, s.meeting_type) == (True, "regular"),
        tap=r"ci:new:\d+:\d{4}-\d\d:regular",
    ),
    Step("date (typed)", "date", _same_date, typed=_typed_date),
    Step(
        "start time",
        "time",
        lambda s, _: s.answers.start_time == "19:30",
        tap=_answer("time", "1930"),
    ),
    Step("duration", "duration", lambda s, _: s.duration_min == 90, tap=_answer("duration", "90")),
    Step("place (typed)", "place", lambda s, sent: s.answers.place == sent, typed=lambda _: PLACE),
    Step(
        "pre-meeting",
        "pre_meeting",
        lambda s, _: s.pre_meeting is True,
        tap=_answer("pre_meeting", "y"),
    ),
    Step(
        "content prepared",
        "content_prepared",
        lambda s, _: s.content_prepared is True,
        tap=_answer("content_prepared", "y"),
    ),
    Step(
        "draft resolution",
        "draft_resolution",
        lambda s, _: s.draft_resolution is False,
        tap=_answer("draft_resolution", "n"),
    ),
    Step(
        "attendance: one member absent",
        "attendance",
        lambda s, sent: _member(sent, 4) in s.answers.absences,
        tap=r"ci:t:\d+:\d+:\d+:0",
    ),
    Step(
        "attendance: done",
        "attendance",
        lambda s, _: (s.expected_count, s.answers.attendance_done) == (MEMBERS, True),
        tap=_answer("attendance", "done"),
    ),
    Step(
        "absence reason",
        "absence",
        lambda s, _: (s.present_count, s.absent_excused, s.absent_unexcused) == (MEMBERS - 1, 1, 0),
        tap=_answer("absence", "e"),
    ),
    Step(
        "absence note (typed)",
        "absence",
        lambda s, sent: list((s.answers.absence_notes or {}).values()) == [sent],
        typed=lambda _: NOTE,
    ),
    Step(
        "chair",
        "chair",
        lambda s, sent: s.answers.chair_id == _member(sent, 5),
        tap=r"ci:k:\d+:\d+:chair:\d+:0",
    ),
    Step(
        "thư ký",
        "clerk",
        lambda s, sent: s.answers.clerk_id == _member(sent, 5),
        tap=r"ci:k:\d+:\d+:clerk:\d+:0",
    ),
    Step("guest: none", "guest", lambda s, _: s.answers.guest == "", tap=_answer("guest", "none")),
    Step("dues: some", "dues", lambda s, _: s.dues_status == "some", tap=_answer("dues", "some")),
    Step(
        "dues: one member unpaid",
        "dues_paid",
        lambda s, sent: s.answers.dues_unpaid_ids == [_member(sent, 5)],
        tap=r"ci:k:\d+:\d+:dues_paid:\d+:0",
    ),
    Step(
        "dues: done",
        "dues_paid",
        lambda s, _: s.dues_paid == MEMBERS - 1,
        tap=_answer("dues_paid", "done"),
    ),
    Step(
        "main tasks (typed)",
        "main_tasks",
        lambda s, sent: s.answers.main_tasks == sent,
        typed=lambda _: MAIN_TASKS,
    ),
    Step(
        "next month's task (typed)",
        "next_tasks",
        lambda s, sent: [t.text for t in s.answers.next_tasks or []] == [sent],
        typed=lambda _: NEXT_TASK,
    ),
    Step(
        "next month's task: owner",
        "next_tasks",
        lambda s, sent: (
            [t.owner_id for t in s.answers.next_tasks or []] == [_member(sent, 5)]
            and s.answers.next_tasks_unowned == 0
        ),
        tap=r"ci:k:\d+:\d+:next_tasks:\d+:0",
    ),
    Step(
        "next month's tasks: done",
        "next_tasks",
        lambda s, _: "next_tasks" in s.answers.lists_done,
        tap=_answer("next_tasks", "done"),
    ),
    Step(
        "current affairs",
        "current_affairs",
        lambda s, _: s.current_affairs is True,
        tap=_answer("current_affairs", "y"),
    ),
    Step(
        "documents (typed)",
        "documents",
        lambda s, sent: s.answers.documents == sent,
        typed=lambda _: DOCUMENTS,
    ),
    Step(
        "Hồ Chí Minh",
        "ho_chi_minh",
        lambda s, _: s.ho_chi_minh is False,
        tap=_answer("ho_chi_minh", "n"),
    ),
    Step(
        "speakers: one member",
        "speakers",
        lambda s, sent: s.answers.speaker_ids == [_member(sent, 5)],
        tap=r"ci:k:\d+:\d+:speakers:\d+:0",
    ),
    Step(
        "speakers: done",
        "speakers",
        lambda s, _: s.speakers == 1,
        tap=_answer("speakers", "done"),
    ),
    Step(
        "commended: one member",
        "commended",
        lambda s, sent: s.answers.commended == [_member(sent, 5)],
        tap=r"ci:k:\d+:\d+:commended:\d+:0",
    ),
    Step(
        "commended: done",
        "commended",
        lambda s, _: s.commended == 1,
        tap=_answer("commended", "done"),
    ),
    Step(
        "criticised: nobody",
        "criticised",
        lambda s, _: s.criticised == 0,
        tap=_answer("criticised", "none"),
    ),
    Step("assessed", "assessed", lambda s, _: s.assessed is True, tap=_answer("assessed", "y")),
    Step(
        "resolution carried out",
        "resolution_impl",
        lambda s, _: s.resolution_impl == "mostly",
        tap=_answer("resolution_impl", "mostly"),
    ),
    Step(
        "resolution adopted",
        "resolution_adopted",
        lambda s, _: s.resolution_adopted is True,
        tap=_answer("resolution_adopted", "y"),
    ),
    Step(
        "vote: all for",
        "vote",
        lambda s, _: (s.answers.vote_for, s.answers.vote_against) == (MEMBERS - 1, 0),
        tap=_answer("vote", "all"),
    ),
    Step(
        "minutes complete",
        "minutes_complete",
        lambda s, _: s.minutes_complete is True,
        tap=_answer("minutes_complete", "y"),
    ),
    Step(
        "member matters: none",
        "matters",
        lambda s, _: (s.candidates, s.admitted, s.discipline, s.solidarity) == (0, 0, 0, 0),
        tap=_answer("matters", "none"),
    ),
    Step(
        "recommendations (typed)",
        "proposals",
        lambda s, sent: s.proposals == sent,
        typed=lambda _: PROPOSALS,
    ),
    Step("submit", None, lambda s, _: s.status == "submitted", tap=r"ci:s:\d+:\d+"),
)


def local_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


async def stored(sessions: SessionFactory, cell_id: int) -> Stored | None:
    """The cell's one check-in, read in a fresh session (None before the first answer)."""
    async with sessions() as session:
        rows = list(await session.scalars(select(Checkin).where(Checkin.cell_id == cell_id)))
    assert len(rows) <= 1, rows
    if not rows:
        return None
    return Stored(rows[0], parse_answers(rows[0].answers, rows[0].schema_version))


def missing(done: list[tuple[Step, str]], current: Stored | None) -> list[str]:
    """The answers in `done` (step, what was sent) that the database does not hold."""
    if current is None:
        return [step.name for step, _ in done]
    return [step.name for step, sent in done if not step.saved(current, sent)]


def open_question(current: Stored | None) -> str | None:
    """The question a resumed check-in asks: the first unanswered one (None: the review)."""
    if current is None:
        return "type"
    return first_open(current.answers)


def drawn_from(buttons: list[tuple[str, str]], current: Stored) -> bool:
    """Whether a keyboard was drawn from this very version of the draft (its buttons carry
    the draft's id and version), i.e. rebuilt from what the database holds now."""
    pattern = re.compile(rf"ci:\w+:{current.row.id}:{current.row.version}(:.*)?")
    return any(pattern.fullmatch(data) for _text, data in buttons)


def offers_again(buttons: list[tuple[str, str]], current: Stored) -> bool:
    """Whether the month picker offers to start the stored (submitted) report's meeting anew."""
    month = current.row.month.strftime("%Y-%m")
    return f"ci:new:{current.row.cell_id}:{month}:{current.row.slot}" in [d for _t, d in buttons]
