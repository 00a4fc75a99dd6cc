"""HD 42-HD/BTCTW: the chi ủy prepares a meeting — or the secretary/deputy where the cell has
no chi ủy (fewer than 9 official members). Such a cell is not asked about a chi ủy meeting,
and its meeting gets the full preparation points when the secretary prepared."""

from __future__ import annotations

from domain.checkin_questions import applies, open_questions
from domain.checkin_schema import CHI_UY_MIN_OFFICIAL, CheckinAnswers
from domain.framework import load_framework
from domain.scoring import MeetingFacts, score_meeting

FW = load_framework()


def _answers(official: int | None, **values: object) -> CheckinAnswers:
    return CheckinAnswers.model_validate(
        {"held": True, "meeting_type": "regular", "official_members": official, **values}
    )


def test_the_chi_uy_question_depends_on_the_official_members() -> None:
    assert CHI_UY_MIN_OFFICIAL == 9
    small, large = _answers(8), _answers(9)
    assert not small.has_chi_uy and large.has_chi_uy
    assert not applies("pre_meeting", small) and applies("pre_meeting", large)
    assert "pre_meeting" not in open_questions(small)
    assert "content_prepared" in open_questions(small)
    # Drafts opened before the count was recorded are asked as before.
    assert _answers(None).has_chi_uy


def test_a_stray_chi_uy_answer_is_not_scored_in_a_small_cell() -> None:
    columns = _answers(5, pre_meeting=False, content_prepared=True).to_columns()
    assert columns["pre_meeting"] is None and columns["content_prepared"] is True


def _preparation(facts: MeetingFacts) -> float | None:
    score = score_meeting(FW, facts)
    return next(s.score for s in score.sections if s.code == "preparation")


def test_secretary_prepared_gets_full_preparation_points() -> None:
    columns = _answers(6, content_prepared=True, draft_resolution=True).to_columns()
    facts = MeetingFacts(
        held=True,
        meeting_type="regular",
        pre_meeting=columns["pre_meeting"],
        content_prepared=columns["content_prepared"],
        draft_resolution=columns["draft_resolution"],
    )
    assert facts.pre_meeting is None
    assert _preparation(facts) == 15
    score = score_meeting(FW, facts)
    assert not [r for r in score.reasons if r.indicator == "pre_meeting"]
    # A cell with a chi ủy that did not meet still loses the chi ủy's points.
    large = MeetingFacts(held=True, pre_meeting=False, content_prepared=True, draft_resolution=True)
    assert _preparation(large) == 10
