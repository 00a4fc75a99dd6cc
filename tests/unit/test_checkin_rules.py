"""The check-in answer rules (domain/checkin_rules.py), straight: no Telegram, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.checkin_answering import OTHER_COUNT_MAX, Env, Problem, accepts_text
from domain.checkin_questions import QUESTIONS, first_open, next_question, progress
from domain.checkin_rules import apply_button, apply_text
from domain.checkin_schema import CheckinAnswers

TODAY = dt.date(2026, 5, 20)
ENV = Env("vi", TODAY, roster_size=10, names={1: "An"}, postponed_reason="Hoãn")


def held(**values: object) -> CheckinAnswers:
    return CheckinAnswers(held=True, meeting_type="regular", **values)


def test_a_yes_no_button_sets_the_answer() -> None:
    result = apply_button(held(), "pre_meeting", "y", ENV)
    assert isinstance(result, CheckinAnswers) and result.pre_meeting is True
    result = apply_button(held(), "pre_meeting", "n", ENV)
    assert isinstance(result, CheckinAnswers) and result.pre_meeting is False


def test_forged_buttons_are_problems_not_exceptions() -> None:
    for question, value in [
        ("pre_meeting", "maybe"),
        ("duration", "²"),
        ("duration", "61"),
        ("time", "2500"),
        ("date", "20261340"),
        ("nonsense", "y"),
        ("type", "thematic"),
    ]:
        result = apply_button(held(), question, value, ENV)
        assert isinstance(result, Problem), (question, value)


def test_postponed_stores_the_words_the_handler_gave() -> None:
    result = apply_button(CheckinAnswers(held=False), "not_held_reason", "postponed", ENV)
    assert isinstance(result, CheckinAnswers) and result.not_held_reason == "Hoãn"


def test_not_held_clears_the_meeting_answers() -> None:
    a = held(pre_meeting=True, speakers=3)
    result = apply_button(a, "type", "none", ENV)
    assert isinstance(result, CheckinAnswers)
    assert (result.held, result.meeting_type, result.pre_meeting, result.speakers) == (
        False,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("19/5", dt.date(2026, 5, 19)), ("20/05/2026", TODAY), ("1/4/26", dt.date(2026, 4, 1))],
)
def test_typed_dates(text: str, expected: dt.date) -> None:
    result = apply_text(held(), "date", text, ENV)
    assert isinstance(result, CheckinAnswers) and result.meeting_date == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("21/5/2026", "checkin.err.date_future"),
        ("1/1/2026", "checkin.err.date_too_old"),
        ("31/2", "checkin.err.date_impossible"),
        ("hôm qua", "checkin.err.date_format"),
    ],
)
def test_refused_dates(text: str, key: str) -> None:
    result = apply_text(held(), "date", text, ENV)
    assert isinstance(result, Problem) and result.key == key


def test_counts_are_bounded_by_the_roster_or_the_fixed_maximum() -> None:
    too_many = apply_text(held(), "discipline", "11", ENV)
    assert too_many == Problem("checkin.err.too_many", {"max": 10})
    bounded = apply_text(held(expected_ids=[1, 2, 3, 4]), "discipline", "5", ENV)
    assert bounded == Problem("checkin.err.too_many", {"max": 4})
    large = apply_text(held(), "candidates", str(OTHER_COUNT_MAX + 1), ENV)
    assert large == Problem("checkin.err.too_large", {"max": OTHER_COUNT_MAX})
    ok = apply_text(held(), "candidates", " 7 ", ENV)
    assert isinstance(ok, CheckinAnswers) and ok.candidates == 7


def test_typed_time_and_duration() -> None:
    result = apply_text(held(), "time", "7h30", ENV)
    assert isinstance(result, CheckinAnswers) and result.start_time == "07:30"
    assert apply_text(held(), "time", "25h", ENV) == Problem("checkin.err.time", {})
    short = apply_text(held(), "duration", "5", ENV)
    assert isinstance(short, Problem) and short.key == "checkin.err.duration"


def test_text_answers_and_questions_that_need_buttons() -> None:
    result = apply_text(held(), "resolution_adopted", "  Nghị quyết tháng 5 ", ENV)
    assert isinstance(result, CheckinAnswers)
    assert (result.resolution_adopted, result.resolution_text) == (True, "Nghị quyết tháng 5")
    assert apply_text(held(), "main_tasks", "", ENV) == Problem("checkin.err.text", {"max": 1000})
    assert apply_text(held(), "pre_meeting", "có", ENV) == Problem("checkin.err.use_buttons", {})
    assert accepts_text("date") and not accepts_text("pre_meeting")


def test_the_walk_starts_at_the_first_open_question_and_counts_progress() -> None:
    a = CheckinAnswers()
    first = next_question(a, None, None)
    assert first == first_open(a) == QUESTIONS[0]
    step, total = progress(a, QUESTIONS[0])
    assert step == 1 and total >= 1
