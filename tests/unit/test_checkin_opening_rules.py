"""The questions of issue 16 part 1 (the opening, notes, dues and speakers by name, the
vote) as answer rules (domain/checkin_rules.py), straight: no Telegram, no database."""

from __future__ import annotations

import datetime as dt

from domain.checkin_answering import Env, Problem
from domain.checkin_questions import first_open
from domain.checkin_rules import apply_button, apply_text, set_person, toggle_pick
from domain.checkin_schema import FORM, CheckinAnswers, PreviousMeeting

ENV = Env("vi", dt.date(2026, 5, 20), roster_size=5, names={}, postponed_reason="Hoãn")
MEMBERS = [1, 2, 3, 4, 5]


def at_meeting(**values: object) -> CheckinAnswers:
    """A form-2 draft with 5 expected members, member 5 absent with a reason."""
    base: dict[str, object] = {
        "held": True,
        "meeting_type": "regular",
        "form": FORM,
        "absence_notes": {},
        "attendance_done": True,
        "expected_ids": MEMBERS,
        "absences": {5: "excused"},
    }
    return CheckinAnswers.model_validate({**base, **values})


def ok(result: CheckinAnswers | Problem) -> CheckinAnswers:
    assert isinstance(result, CheckinAnswers), result
    return result


def test_form_1_drafts_are_not_asked_the_new_questions() -> None:
    old = CheckinAnswers(held=True, meeting_type="regular", duration_min=90, start_time="19:00")
    old.meeting_date = dt.date(2026, 5, 1)
    assert first_open(old) == "pre_meeting"
    new = old.model_copy(update={"form": FORM})
    assert first_open(new) == "place"


def test_the_place_typed_or_as_last_month() -> None:
    a = at_meeting(previous=PreviousMeeting(place="Nhà văn hóa"))
    assert ok(apply_button(a, "place", "last", ENV)).place == "Nhà văn hóa"
    assert isinstance(apply_button(at_meeting(), "place", "last", ENV), Problem)
    assert apply_text(a, "place", "x" * 201, ENV) == Problem("checkin.err.text", {"max": 200})
    assert ok(apply_text(a, "place", " Sân thôn ", ENV)).place == "Sân thôn"


def test_the_note_follows_the_kind_of_absence_and_can_be_skipped() -> None:
    a = at_meeting(absences={4: None, 5: None})
    assert apply_text(a, "absence", "ốm", ENV) == Problem("checkin.err.use_buttons", {})
    a = ok(apply_button(a, "absence", "e", ENV))
    assert a.pending_absence() == 4 and a.note_pending()
    assert isinstance(apply_button(a, "absence", "u", ENV), Problem)  # the note is asked
    assert apply_text(a, "absence", "y" * 101, ENV) == Problem("checkin.err.text", {"max": 100})
    a = ok(apply_text(a, "absence", "Ốm", ENV))
    a = ok(apply_button(a, "absence", "u", ENV))
    a = ok(apply_button(a, "absence", "skip", ENV))
    assert a.absence_notes == {4: "Ốm", 5: ""} and a.pending_absence() is None


def test_chair_and_clerk_are_members_present() -> None:
    a = at_meeting()
    assert ok(set_person(a, "chair", 2)).chair_id == 2
    assert isinstance(set_person(a, "clerk", 5), Problem)  # absent
    chaired = ok(set_person(a, "chair", 2))
    assert isinstance(set_person(chaired, "clerk", 2), Problem)  # not both
    assert ok(set_person(chaired, "clerk", 3)).clerk_id == 3


def test_dues_some_tapped_by_name_gives_the_count() -> None:
    a = ok(apply_button(at_meeting(), "dues", "some", ENV))
    a = ok(toggle_pick(a, "dues_paid", 2))
    a = ok(toggle_pick(a, "dues_paid", 3))
    assert a.to_columns()["dues_paid"] is None  # not confirmed yet
    a = ok(apply_button(a, "dues_paid", "done", ENV))
    assert a.to_columns()["dues_paid"] == 3 and a.unpaid_ids == [2, 3]
    assert first_open(a) != "dues_paid"
    # Nobody tapped is everyone paid; everyone tapped is none paid.
    none_tapped = ok(apply_button(at_meeting(dues_status="some"), "dues_paid", "done", ENV))
    assert (none_tapped.dues_status, none_tapped.to_columns()["dues_paid"]) == ("all", 5)
    everyone = at_meeting(dues_status="some", dues_unpaid_ids=MEMBERS)
    assert ok(apply_button(everyone, "dues_paid", "done", ENV)).dues_status == "none"


def test_an_old_typed_dues_count_stays_valid() -> None:
    a = at_meeting(dues_status="some", dues_paid=3)
    assert a.to_columns()["dues_paid"] == 3 and a.unpaid_ids is None


def test_speakers_by_name_give_the_count() -> None:
    a = ok(toggle_pick(at_meeting(), "speakers", 1))
    a = ok(toggle_pick(a, "speakers", 2))
    assert a.to_columns()["speakers"] is None
    a = ok(apply_button(a, "speakers", "done", ENV))
    assert (a.speakers, a.to_columns()["speakers"]) == (2, 2)
    a = ok(toggle_pick(a, "speakers", 3))  # editing after «Done»: the count follows
    assert a.to_columns()["speakers"] == 3
    assert at_meeting(speakers=7).to_columns()["speakers"] == 7  # a typed count stays


def test_the_vote_defaults_to_all_present_for_and_typed_is_bounded() -> None:
    a = at_meeting(resolution_adopted=True)
    assert first_open(a.model_copy(update={"place": "x"})) != "vote"  # asked in its turn
    voted = ok(apply_button(a, "vote", "all", ENV))
    assert (voted.vote_for, voted.vote_against) == (4, 0)
    assert ok(apply_text(a, "vote", "3 1", ENV)).vote_against == 1
    assert ok(apply_text(a, "vote", "3/1", ENV)).vote_for == 3
    assert apply_text(a, "vote", "4 1", ENV) == Problem("checkin.err.vote_many", {"present": 4})
    assert apply_text(a, "vote", "all", ENV) == Problem("checkin.err.vote", {"present": 4})
    # Changing the answer to «not adopted» drops the vote.
    changed = ok(apply_button(voted, "resolution_adopted", "n", ENV))
    assert changed.vote_for is None
    assert ok(apply_button(voted, "resolution_adopted", "y", ENV)).vote_for == 4
