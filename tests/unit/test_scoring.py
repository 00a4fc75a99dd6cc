"""Pure scoring: a hand-computed golden cell-year, rules, the grassroots aggregate and the
cap, and property tests (bounds, monotonic attendance, no data)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.framework import LinearRule, PenaltyRule, ThresholdRule, YesNoRule, load_framework
from domain.periods import Period, parse_period
from domain.scoring import (
    CellMetrics,
    MeetingFacts,
    PeriodResult,
    earned_points,
    score_cell,
    score_grassroots,
    score_meeting,
    top_improvements,
)

FW = load_framework()

# ---------------------------------------------------------------- the golden cell-year
#
# A cell of 10 active members, 2026, reviewed after the year ended. Every meeting expects 10.
# A perfect meeting: 90 minutes, chi ủy pre-meeting, content and draft resolution prepared,
# all present, dues from all, current affairs and Hồ Chí Minh content, 4 speakers (4/10 = 40%,
# full from 30%), 1 commended, strengths and weaknesses assessed, last resolution fully carried
# out, resolution adopted, full minutes.
PERFECT: dict[str, Any] = {
    "held": True,
    "meeting_type": "regular",
    "duration_min": 90,
    "pre_meeting": True,
    "content_prepared": True,
    "draft_resolution": True,
    "expected_count": 10,
    "present_count": 10,
    "absent_excused": 0,
    "absent_unexcused": 0,
    "dues_status": "all",
    "current_affairs": True,
    "ho_chi_minh": True,
    "speakers": 4,
    "commended": 1,
    "criticised": 0,
    "assessed": True,
    "resolution_impl": "full",
    "resolution_adopted": True,
    "minutes_complete": True,
    "candidates": 0,
    "admitted": 0,
    "discipline": 0,
    "solidarity": 0,
}


def meeting(**changes: Any) -> dict[str, Any]:
    return {**PERFECT, **changes}


# month -> answers. Rubric: preparation 15 (pre-meeting 5, content 5, draft 5), attendance 20
# (rate 9 linear 55%→85%, above 85% 3, no unexcused 5, dues 3: all 1 / some .5 / none 0),
# conduct 45
# (duration 8, current affairs 7, Hồ Chí Minh 5, speakers 10 linear 10%→30%, assessed 8,
# commend/criticise 7), closing 20 (adopted 8, minutes 6, last resolution 6: full 1 / mostly
# .75 / partly .5 / not 0).
GOLDEN_MEETINGS: dict[int, dict[str, Any]] = {
    1: meeting(),  # 100
    # draft −5; dues some −1.5 (3 × .5); 9/10 = 90% > 85% full; 3/10 = 30% full -> 93.5
    2: meeting(
        draft_resolution=False, present_count=9, absent_excused=1, dues_status="some", speakers=3
    ),
    # combined, 120 min ok; 8/10 = 80%: 9 × (80−55)/30 = 7.5, −1.5, not above 85% −3;
    # unexcused −5; 2/10 = 20%: 10 × (20−10)/20 = 5, −5; mostly −1.5 (6 × .25)
    # -> 100 − 1.5 − 3 − 5 − 5 − 1.5 = 84
    3: meeting(
        meeting_type="combined",
        duration_min=120,
        present_count=8,
        absent_excused=1,
        absent_unexcused=1,
        speakers=2,
        resolution_impl="mostly",
        candidates=1,
    ),
    # 80 min −8; no pre-meeting −5; no current affairs −7; nobody commended/criticised −7 -> 73
    4: meeting(duration_min=80, pre_meeting=False, current_affairs=False, commended=0),
    # no Hồ Chí Minh content −5; minutes incomplete −6 -> 89
    5: meeting(ho_chi_minh=False, minutes_complete=False),
    # combined but 100 < 120 min −8; 7/10 = 70%: 9 × 15/30 = 4.5, −4.5, not above 85% −3;
    # unexcused −5; dues none −3; 1/10 = 10% −10; not assessed −8; partly −3; no resolution −8
    # -> 100 − 8 − 4.5 − 3 − 5 − 3 − 10 − 8 − 3 − 8 = 47.5
    6: meeting(
        meeting_type="combined",
        duration_min=100,
        present_count=7,
        absent_excused=1,
        absent_unexcused=2,
        dues_status="none",
        speakers=1,
        assessed=False,
        resolution_impl="partly",
        resolution_adopted=False,
        solidarity=1,
    ),
    7: meeting(),  # 100
    # content not prepared −5; 9/10 = 90% full but unexcused −5; 2 criticised -> ok -> 90
    8: meeting(
        content_prepared=False, present_count=9, absent_unexcused=1, commended=0, criticised=2
    ),
    # combined, 130 min ok; resolution not carried out −6; 2/10 = 20% −5 -> 89
    9: meeting(
        meeting_type="combined", duration_min=130, resolution_impl="not", speakers=2, candidates=1
    ),
    10: meeting(dues_status="some"),  # −1.5 -> 98.5
    11: {name: None for name in PERFECT} | {"held": False},  # postponed: not scored
    # 6/10 = 60%: 9 × 5/30 = 1.5, −7.5, not above 85% −3; unexcused −5; draft −5;
    # pre-meeting −5; 3/10 full -> 100 − 7.5 − 3 − 5 − 5 − 5 = 74.5
    12: meeting(
        present_count=6,
        absent_excused=2,
        absent_unexcused=2,
        draft_resolution=False,
        pre_meeting=False,
        speakers=3,
        discipline=1,
        admitted=1,
    ),
}
GOLDEN_MEETING_SCORES = {
    1: (100.0, "good"),
    2: (93.5, "good"),
    3: (84.0, "fair"),
    4: (73.0, "fair"),
    5: (89.0, "fair"),
    6: (47.5, "weak"),
    7: (100.0, "good"),
    8: (90.0, "good"),  # exactly on the boundary: Tốt is ≥ 90
    9: (89.0, "fair"),
    10: (98.5, "good"),
    11: (None, None),
    12: (74.5, "fair"),
}
# Who was absent without reason (member index): 6 marks, as the check-ins say.
GOLDEN_UNEXCUSED = {3: [0], 6: [0, 1], 8: [1], 12: [2, 3]}
GOLDEN_INITIATIVES = {"covered": 10, "completed": 8}  # of 10 active members

# The cell-year as the SQL computes it (tests/integration checks the SQL against this).
# Held meetings: all but November = 11; expected 11 × 10 = 110.
GOLDEN_METRICS = CellMetrics(
    cell_id=0,
    checkins=12,
    months_required=12,
    meetings_held=11,
    meetings_missed=1,  # November
    meetings_held_ratio=11 / 12,
    held_meetings=11,
    thematic_meetings=3,  # combined in March, June, September
    thematic_quarters_required=4,
    thematic_quarters_held=3,  # none in Q4
    thematic_quarter_ratio=3 / 4,
    expected_total=110,
    present_total=99,  # 10+9+8+10+10+7+10+9+10+10+6
    attendance_rate=99 / 110,  # 90%
    unexcused_absences=6,  # 1 + 2 + 1 + 2
    no_unexcused_rate=7 / 11,  # all but Mar, Jun, Aug, Dec
    pre_meeting_rate=9 / 11,  # not Apr, Dec
    content_prepared_rate=10 / 11,  # not Aug
    draft_resolution_rate=9 / 11,  # not Feb, Dec
    duration_ok_rate=9 / 11,  # Apr 80 < 90, Jun combined 100 < 120
    current_affairs_rate=10 / 11,  # not Apr
    ho_chi_minh_rate=10 / 11,  # not May
    speakers_rate=35 / 110,  # 4+3+2+4+4+1+4+4+2+4+3 = 35
    assessed_rate=10 / 11,  # not Jun
    commend_criticise_rate=10 / 11,  # not Apr
    resolution_impl_score=925 / 1100,  # 8 full × 100 + mostly 75 + partly 50 + not 0
    resolution_adopted_rate=10 / 11,  # not Jun
    minutes_complete_rate=10 / 11,  # not May
    dues_full_rate=8 / 11,  # some in Feb, Oct; none in Jun
    discipline_cases=1,
    solidarity_problems=1,
    admission_candidates=2,
    admitted=1,
    active_members=10,
    members_at_risk=2,  # member 0 (Mar, Jun), member 1 (Jun, Aug)
    initiatives=10,
    initiative_members=10,
    initiative_completed_members=8,
    initiative_coverage=1.0,
    initiative_completion=0.8,
    initiative_realised_vnd=0,
)

# Period scoring, year (every indicator applies; points add up to each criterion's max, so
# no scaling). Linear share = (value − zero_at) / (full_at − zero_at), clamped to 0..1.
# political (25, good from 20):
#   P1 resolution 84.09%: 10 × (0.8409 − 0.5)/0.5 = 6.818, −3.182 → 3.2
#   P2 adopted 90.91%:     5 × 0.8182 = 4.091, −0.909 → 0.9
#   P3 coverage 100%: 7;   P4 completion 80% (full at 80%): 3
#   = 20.909 → 20.9 ✓
# meetings (30, good from 24):
#   M1 1 missed: 7 − 3 = 4, −3;  M2 3/4 quarters: 4 × .75 = 3, −1;  M3 90% ≥ 85%: 3
#   M8 90% > 85%: 2;  M9 nobody excused more than 3 times in a row: 2
#   M4, M5, M6 81.82%: 3 × 0.6364 = 1.909 each, −1.1 each;  M7 90.91%: 3 × .8182 = 2.455, −0.5
#   = 4 + 3 + 3 + 2 + 2 + 3 × 1.909 + 2.455 = 22.182 → 22.2 ✗
# solidarity (20, good from 16; petitions are not scored):
#   S2 1 case: 10 − 5 = 5, −5
#   S3 63.64% without unexcused: 10 × 0.2727 = 2.727, −7.273 → 7.3
#   = 7.727 → 7.7 ✗
# members (25, good from 20):
#   C1 2 at risk: 6 − 2 × 3 = 0, −6;  C2 dues 72.73%: 5 × 0.4545 = 2.273, −2.727 → 2.7
#   C3 speakers 31.8% ≥ 30%: 4;  C4 assessed 90.91%: 4 × .8182 = 3.273, −0.7
#   C5 commend 90.91% ≥ 75%: 3;  C6 2 candidates ≥ 1: 3
#   = 0 + 2.273 + 4 + 3.273 + 3 + 3 = 15.545 → 15.5 ✗
# total = 20.9 + 22.2 + 7.7 + 15.5 = 66.3 → completion (50–69); not 4-good.
GOLDEN_CRITERIA = {
    "political": (20.9, True),
    "meetings": (22.2, False),
    "solidarity": (7.7, False),
    "members": (15.5, False),
}
GOLDEN_TOTAL, GOLDEN_BAND = 66.3, "completed"
# Every lost point, largest first; equal losses keep the framework's order.
GOLDEN_REASONS = [
    ("S3", 7.3),
    ("C1", 6.0),
    ("S2", 5.0),
    ("P1", 3.2),
    ("M1", 3.0),
    ("C2", 2.7),
    ("M4", 1.1),
    ("M5", 1.1),
    ("M6", 1.1),
    ("M2", 1.0),
    ("P2", 0.9),
    ("C4", 0.7),
    ("M7", 0.5),
]


def golden_facts(month: int) -> MeetingFacts:
    return MeetingFacts(**GOLDEN_MEETINGS[month])


def assert_golden_year(result: PeriodResult) -> None:
    assert not result.no_data
    assert {c.code: (c.score, c.good) for c in result.criteria} == GOLDEN_CRITERIA
    assert (result.total, result.band, result.four_good) == (GOLDEN_TOTAL, GOLDEN_BAND, False)
    assert [(r.indicator, r.lost) for r in result.reasons] == GOLDEN_REASONS


@pytest.mark.parametrize("month", sorted(GOLDEN_MEETINGS))
def test_golden_meeting_scores(month: int) -> None:
    score = score_meeting(FW, golden_facts(month))
    assert (score.score, score.band) == GOLDEN_MEETING_SCORES[month]


def test_golden_meeting_reasons_and_sections() -> None:
    june = score_meeting(FW, golden_facts(6))
    assert [(s.code, s.score) for s in june.sections] == [
        ("preparation", 15.0),
        ("attendance", 4.5),
        ("conduct", 19.0),
        ("closing", 9.0),
    ]
    assert [(r.indicator, r.lost) for r in june.reasons] == [
        ("speakers", 10.0),
        ("duration", 8.0),
        ("assessed", 8.0),
        ("resolution_adopted", 8.0),
        ("no_unexcused", 5.0),
        ("attendance_rate", 4.5),
        ("attendance_above", 3.0),
        ("dues", 3.0),
        ("resolution_impl", 3.0),
    ]
    attendance = next(r for r in june.reasons if r.indicator == "attendance_rate")
    assert (attendance.value, attendance.target, attendance.comparator) == (0.7, 0.85, ">=")
    assert [r.indicator for r in top_improvements(june, 3)] == [
        "speakers",
        "duration",
        "assessed",
    ]
    assert score_meeting(FW, golden_facts(1)).reasons == []


def test_golden_year() -> None:
    result = score_cell(FW, GOLDEN_METRICS, "year")
    assert_golden_year(result)
    assert [r.indicator for r in top_improvements(result)] == ["S3", "C1", "S2"]
    c1 = result.reasons[1]
    assert (c1.value, c1.target, c1.comparator, c1.unit) == (2, 0, "<=", "count")


def test_indicators_outside_their_period_are_left_out_and_scaled() -> None:
    # A month: P3, P4 (initiatives), M2 (thematic) and C6 (candidates) do not apply.
    month = score_cell(FW, GOLDEN_METRICS, "month")
    political = next(c for c in month.criteria if c.code == "political")
    # P1 6.818 + P2 4.091 of 15 applicable points, scaled to 25: 10.909 × 25/15 = 18.18
    assert political.score == 18.2
    assert [i.applies for i in political.indicators] == [True, True, False, False]
    p1 = next(r for r in month.reasons if r.indicator == "P1")
    assert p1.lost == 5.3  # 3.182 × 25/15


# ---------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("rule", "value", "earned"),
    [
        (YesNoRule(kind="yes_no"), True, 5),
        (YesNoRule(kind="yes_no"), False, 0),
        (YesNoRule(kind="yes_no", expect=False), False, 5),
        (ThresholdRule(kind="threshold", op=">", target=0.85), 0.85, 0),
        (ThresholdRule(kind="threshold", op=">=", target=0.85), 0.85, 5),
        (ThresholdRule(kind="threshold", op="<=", target=2), 3, 0),
        (LinearRule(kind="linear", zero_at=0.5, full_at=1.0), 0.75, 2.5),
        (LinearRule(kind="linear", zero_at=0.5, full_at=1.0), 0.2, 0),
        (LinearRule(kind="linear", zero_at=0.5, full_at=1.0), 1.3, 5),
        (LinearRule(kind="linear", zero_at=4, full_at=0), 1, 3.75),  # lower is better
        (PenaltyRule(kind="penalty", per_unit=2), 1, 3),
        (PenaltyRule(kind="penalty", per_unit=2), 9, 0),
        (PenaltyRule(kind="penalty", per_unit=2, allowance=1), 2, 3),
    ],
)
def test_rules(rule: Any, value: Any, earned: float) -> None:
    assert earned_points(rule, value, 5) == pytest.approx(earned)


def test_not_held_and_unanswered_meetings_have_no_score() -> None:
    assert score_meeting(FW, MeetingFacts(held=False)).score is None
    assert score_meeting(FW, MeetingFacts(held=None)).score is None
    nothing = score_meeting(FW, MeetingFacts(held=True))
    assert nothing.no_data and nothing.band is None and nothing.reasons == []


def test_unanswered_items_are_left_out_not_zero() -> None:
    # A thematic meeting without "last resolution" answered: closing is scaled over 14 points.
    facts = MeetingFacts(**meeting(resolution_impl=None, minutes_complete=False))
    score = score_meeting(FW, facts)
    closing = next(s for s in score.sections if s.code == "closing")
    assert closing.score == pytest.approx(round(8 * 20 / 14, 1))  # 11.4
    assert score.score == pytest.approx(round(15 + 20 + 45 + 11.4, 1))


# ---------------------------------------------------------------- grassroots and the cap


def _result(total: float | None, band: str | None, four_good: bool | None) -> PeriodResult:
    return PeriodResult("year", total is None, total, band, four_good)


def test_grassroots_aggregate_and_cap_flag() -> None:
    results = [
        _result(95, "excellent", True),
        _result(92, "excellent", True),
        _result(80, "good", True),
        _result(75, "good", False),
        _result(72, "good", False),
        _result(60, "completed", False),
        _result(None, None, None),
    ]
    g = score_grassroots(FW, results)
    assert (g.cells, g.cells_with_data, g.four_good_cells) == (7, 6, 3)
    assert g.average_total == pytest.approx(round((95 + 92 + 80 + 75 + 72 + 60) / 6, 1))
    assert g.band_counts == {"excellent": 2, "good": 3, "completed": 1, "not_completed": 0}
    # 3 cells rated good: 20% of them allows no excellent (1 would need 20% × (3 + 1) ≥ 1),
    # there are 2 proposals -> both beyond the cap, lowest first; flagged, not demoted.
    assert g.cap is not None
    assert (g.cap.base, g.cap.actual, g.cap.allowed, g.cap.exceeded) == (3, 2, 0, True)
    assert (g.cap.excess, g.cap.over) == (2, (1, 0))
    assert g.band_counts["excellent"] == 2
    assert g.reference_counts == {"good": 2, "fair": 3, "average": 1, "weak": 0}
    # Own indicators: 4-good share 50%: 50 × (0.5 − 0.3)/0.4 = 25; reporting 6/7 = 85.7%:
    # 20 × (0.857 − 0.8)/0.2 = 5.7; all six pass: 30 -> 60.7
    assert g.score == pytest.approx(60.7)
    assert g.four_good is False
    assert g.band == "completed"


def test_grassroots_without_data() -> None:
    g = score_grassroots(FW, [_result(None, None, None)])
    assert g.score is None and g.average_total is None
    assert g.caps == [] and g.cap is None


def test_a_month_is_never_classified_nor_capped() -> None:
    months = [PeriodResult("month", False, 95, "excellent", True) for _ in range(3)]
    assert score_grassroots(FW, months).caps == []


# ---------------------------------------------------------------- properties

ratios = st.none() | st.floats(min_value=0, max_value=1)
counts = st.integers(min_value=0, max_value=30)


@st.composite
def cell_metrics(draw: st.DrawFn) -> CellMetrics:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(CellMetrics):
        if f.name == "cell_id":
            continue
        values[f.name] = draw(ratios if "None" in str(f.type) else counts)
    values["checkins"] = draw(st.integers(min_value=1, max_value=24))
    return CellMetrics(cell_id=1, **values)


@st.composite
def held_meetings(draw: st.DrawFn) -> MeetingFacts:
    expected = draw(st.integers(min_value=1, max_value=150))
    present = draw(st.integers(min_value=0, max_value=expected))
    unexcused = draw(st.integers(min_value=0, max_value=expected - present))
    maybe_bool = st.none() | st.booleans()
    return MeetingFacts(
        held=True,
        meeting_type=draw(st.sampled_from(["regular", "thematic", "combined", None])),
        duration_min=draw(st.none() | st.integers(min_value=15, max_value=600)),
        pre_meeting=draw(maybe_bool),
        content_prepared=draw(maybe_bool),
        draft_resolution=draw(maybe_bool),
        expected_count=expected,
        present_count=present,
        absent_excused=expected - present - unexcused,
        absent_unexcused=unexcused,
        dues_status=draw(st.sampled_from(["all", "some", "none", None])),
        current_affairs=draw(maybe_bool),
        ho_chi_minh=draw(maybe_bool),
        speakers=draw(st.none() | st.integers(min_value=0, max_value=present)),
        commended=draw(st.none() | st.integers(min_value=0, max_value=5)),
        criticised=draw(st.none() | st.integers(min_value=0, max_value=5)),
        assessed=draw(maybe_bool),
        resolution_impl=draw(st.sampled_from(["full", "mostly", "partly", "not", None])),
        resolution_adopted=draw(maybe_bool),
        minutes_complete=draw(maybe_bool),
    )


@settings(max_examples=300)
@given(held_meetings())
def test_meeting_scores_stay_within_bounds(facts: MeetingFacts) -> None:
    score = score_meeting(FW, facts)
    assert score.score is not None and 0 <= score.score <= 100
    for section in score.sections:
        assert section.score is None or 0 <= section.score <= section.max_points
    assert all(r.lost > 0 for r in score.reasons)


@settings(max_examples=300)
@given(held_meetings(), st.integers(min_value=1, max_value=150))
def test_better_attendance_never_lowers_a_meeting_score(facts: MeetingFacts, more: int) -> None:
    absent = (facts.absent_unexcused or 0) + (facts.absent_excused or 0)
    k = min(more, absent)
    # k more members come: unexcused absences go first, then excused ones.
    from_unexcused = min(k, facts.absent_unexcused or 0)
    better = dataclasses.replace(
        facts,
        present_count=(facts.present_count or 0) + k,
        absent_unexcused=(facts.absent_unexcused or 0) - from_unexcused,
        absent_excused=(facts.absent_excused or 0) - (k - from_unexcused),
    )
    before, after = score_meeting(FW, facts).score, score_meeting(FW, better).score
    assert before is not None and after is not None and after >= before


@settings(max_examples=300)
@given(cell_metrics(), st.sampled_from(["month", "quarter", "year"]))
def test_period_scores_stay_within_bounds(metrics: CellMetrics, kind: Any) -> None:
    result = score_cell(FW, metrics, kind)
    if result.total is None:
        return
    assert 0 <= result.total <= 100
    for criterion in result.criteria:
        assert criterion.score is None or 0 <= criterion.score <= criterion.max_points
    assert result.band is not None
    assert result.four_good == all(c.good for c in result.criteria)


@settings(max_examples=300)
@given(
    cell_metrics(),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=1),
    st.integers(min_value=0, max_value=5),
)
def test_better_attendance_never_lowers_a_period_score(
    metrics: CellMetrics, low: float, high: float, fewer_at_risk: int
) -> None:
    low, high = sorted((low, high))
    worse = dataclasses.replace(metrics, attendance_rate=low, no_unexcused_rate=low)
    better = dataclasses.replace(
        metrics,
        attendance_rate=high,
        no_unexcused_rate=high,
        members_at_risk=max(0, metrics.members_at_risk - fewer_at_risk),
    )
    for kind in ("month", "year"):
        a = score_cell(FW, worse, kind)
        b = score_cell(FW, better, kind)
        assert a.total is not None and b.total is not None
        assert b.total >= a.total


@given(cell_metrics())
def test_an_empty_period_is_no_data_not_zero(metrics: CellMetrics) -> None:
    empty = dataclasses.replace(metrics, checkins=0)
    for kind in ("month", "quarter", "year"):
        result = score_cell(FW, empty, kind)
        assert result.no_data
        assert (result.total, result.band, result.four_good) == (None, None, None)
        assert result.reasons == []


# ---------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2026", "2026", "2026-01-01", "2027-01-01"),
        ("2026-Q2", "2026-Q2", "2026-04-01", "2026-07-01"),
        ("2026q4", "2026-Q4", "2026-10-01", "2027-01-01"),
        ("2026-05", "2026-05", "2026-05-01", "2026-06-01"),
        ("2026-5", "2026-05", "2026-05-01", "2026-06-01"),
        (" 12/2026 ", "2026-12", "2026-12-01", "2027-01-01"),
    ],
)
def test_parse_period(text: str, label: str, start: str, end: str) -> None:
    period = parse_period(text)
    assert (period.label, period.start.isoformat(), period.end.isoformat()) == (label, start, end)
    assert parse_period(period.label) == period


@pytest.mark.parametrize("text", ["", "26", "2026-13", "2026-Q5", "2026-W01", "1999", "abc"])
def test_parse_period_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_period(text)


def test_period_navigation() -> None:
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026-Q1").previous().label == "2025-Q4"
    assert parse_period("2026").previous().label == "2025"
    assert [q.label for q in parse_period("2026-05").quarters()] == ["2026-Q2"]
    assert len(parse_period("2026").months()) == 12
    assert Period.of("quarter", dt.date(2026, 8, 9)).label == "2026-Q3"
