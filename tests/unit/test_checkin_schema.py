"""The check-in answers model: validation, the questions still open, the scoring columns."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from domain.checkin_questions import first_open, is_complete, open_questions
from domain.checkin_schema import COLUMN_NAMES, CheckinAnswers, parse_answers
from storage.models import Checkin


def complete(**overrides: object) -> CheckinAnswers:
    data: dict[str, object] = {
        "held": True,
        "meeting_type": "regular",
        "meeting_date": "2026-06-05",
        "start_time": "19:30",
        "duration_min": 90,
        "pre_meeting": True,
        "content_prepared": True,
        "draft_resolution": False,
        "attendance_done": True,
        "expected_ids": [1, 2, 3, 4],
        "absences": {"2": "excused", "4": "unexcused"},
        "dues_status": "all",
        "main_tasks": "Thu hoạch",
        "current_affairs": True,
        "ho_chi_minh": True,
        "speakers": 2,
        "commended": [1],
        "criticised": [],
        "lists_done": ["commended", "criticised"],
        "assessed": True,
        "resolution_impl": "mostly",
        "resolution_adopted": True,
        "minutes_complete": True,
        "candidates": 1,
        "admitted": 0,
        "discipline": 0,
        "solidarity": 0,
        "next_tasks": [{"text": "Sửa đường", "owner_id": 1}],
        "proposals": "",
    }
    data["lists_done"] = ["commended", "criticised", "next_tasks"]
    data.update(overrides)
    return CheckinAnswers.model_validate(data)


def test_columns_match_the_checkin_model() -> None:
    assert set(COLUMN_NAMES) <= {c.name for c in Checkin.__table__.columns}
    columns = complete().to_columns()
    assert columns["expected_count"] == 4
    assert columns["present_count"] == 2
    assert (columns["absent_excused"], columns["absent_unexcused"]) == (1, 1)
    assert (columns["commended"], columns["criticised"]) == (1, 0)
    assert columns["dues_paid"] == 4
    assert columns["meeting_date"] == dt.date(2026, 6, 5)


def test_json_round_trip_keeps_everything() -> None:
    a = complete()
    assert parse_answers(a.as_json()) == a
    assert parse_answers(a.as_json()).absences == {2: "excused", 4: "unexcused"}


def test_a_complete_record_has_no_open_question_and_drafts_ask_in_order() -> None:
    assert is_complete(complete())
    assert first_open(CheckinAnswers()) == "type"
    assert first_open(CheckinAnswers(held=True, meeting_type="regular")) == "date"
    assert open_questions(CheckinAnswers(held=False)) == ["not_held_reason"]
    assert is_complete(CheckinAnswers(held=False, not_held_reason="Mưa bão"))


def test_conditional_questions() -> None:
    assert "thematic_topic" in open_questions(complete(meeting_type="combined"))
    assert open_questions(complete(dues_status="some")) == ["dues_paid"]
    pending = complete(absences={"2": None})
    assert open_questions(pending) == ["absence"] and pending.pending_absence() == 2
    assert "commended" in open_questions(complete(lists_done=["criticised"]))
    assert open_questions(
        complete(candidates=None, admitted=None, discipline=None, solidarity=None)
    ) == ["matters", "candidates", "admitted", "discipline", "solidarity"]


def test_not_held_columns_carry_no_meeting_facts() -> None:
    columns = CheckinAnswers(held=False, not_held_reason="Hoãn").to_columns()
    assert columns["held"] is False
    assert all(v is None for k, v in columns.items() if k != "held")


def test_absences_outside_the_expected_members_do_not_count() -> None:
    a = complete(absences={"2": "excused", "99": "unexcused"})
    assert a.absent_ids == [2] and a.present_count == 3


@pytest.mark.parametrize(
    "bad",
    [
        {"duration_min": 14},
        {"duration_min": 601},
        {"start_time": "24:00"},
        {"main_tasks": "x" * 1001},
        {"main_tasks": ""},
        {"meeting_type": "party"},
        {"speakers": -1},
        {"absences": {"1": "late"}},
        {"unknown_field": 1},
        {"schema_version": 2},
    ],
)
def test_invalid_answers_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        complete(**bad)


def test_unknown_schema_version_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_answers({}, schema_version=2)
