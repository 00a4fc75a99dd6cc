"""The annual review's rules (domain/year_review_rules.py): the meeting-quality year rating,
the cell's proposal with its conditions, a member's suggested level, and the 20 % cap on
"excellent" by group of like units."""

from __future__ import annotations

from functools import cache

import pytest

from domain.framework import Framework, load_framework
from domain.year_review_rules import (
    HOAN_THANH,
    KHONG_HOAN_THANH,
    LEVELS,
    TOT,
    XUAT_SAC,
    MemberYear,
    ProposedUnit,
    band_of_level,
    cell_proposal,
    level_caps,
    level_of_band,
    level_of_score,
    meeting_year,
    member_cap,
    suggest_member_level,
)


@cache
def fw() -> Framework:
    return load_framework(None)


def test_levels_map_to_the_frameworks_bands_both_ways() -> None:
    codes = [b.code for b in fw().classification.bands]
    assert [level_of_band(fw(), c) for c in codes] == list(LEVELS)
    assert [band_of_level(fw(), lv) for lv in LEVELS] == codes
    assert level_of_band(fw(), "unknown") is None
    assert [level_of_score(fw(), s) for s in (95, 90, 89.9, 70, 69, 50, 49.9, None)] == [
        XUAT_SAC,
        XUAT_SAC,
        TOT,
        TOT,
        HOAN_THANH,
        HOAN_THANH,
        KHONG_HOAN_THANH,
        None,
    ]


def test_a_year_of_good_meetings_is_rated_good() -> None:
    year = meeting_year(fw(), [92.0] * 7 + [75.0] * 5)
    assert (year.due, year.held, year.good, year.below_fair, year.rated_good) == (
        12,
        12,
        7,
        0,
        True,
    )


@pytest.mark.parametrize(
    "scores",
    [
        [92.0] * 6 + [75.0] * 6,  # only 6 Tốt
        [92.0] * 11 + [69.9],  # one below Khá
        [92.0] * 11 + [None],  # a month without a meeting
        [],
    ],
)
def test_a_year_is_not_good_without_every_meeting_fair_and_seven_good(
    scores: list[float | None],
) -> None:
    assert not meeting_year(fw(), scores).rated_good


def test_a_score_of_90_with_a_failed_condition_cannot_be_proposed_excellent() -> None:
    met = cell_proposal(fw(), 93.0, tasks_on_time=True, leader_disciplined=False)
    assert (met.score_level, met.level, met.held_back) == (XUAT_SAC, XUAT_SAC, None)
    assert met.allowed == LEVELS
    for on_time, disciplined in ((False, False), (True, True), (None, False), (True, None)):
        failed = cell_proposal(fw(), 93.0, on_time, disciplined)
        assert (failed.score_level, failed.level, failed.held_back) == (XUAT_SAC, TOT, "condition")
        assert XUAT_SAC not in failed.allowed
    below = cell_proposal(fw(), 75.0, False, True)  # no excellent to hold back
    assert (below.level, below.held_back, below.allowed) == (TOT, None, LEVELS[1:])
    nothing = cell_proposal(fw(), None, None, None)
    assert (nothing.level, nothing.allowed) == (None, LEVELS)


def test_a_members_suggested_level_and_its_reasons() -> None:
    clean = MemberYear(1, "A", expected=12, present=12, dues_paid=12, dues_recorded=12)
    assert suggest_member_level(clean) == (TOT, (("no_fault", 0),))
    star = MemberYear(
        2, "B", expected=12, present=12, commended=2, initiatives=(("Đường điện", "completed"),)
    )
    assert suggest_member_level(star) == (
        XUAT_SAC,
        (("commended", 2), ("initiatives_completed", 1)),
    )
    faulty = MemberYear(3, "C", expected=12, present=10, unexcused=1, excused=1, criticised=1)
    assert suggest_member_level(faulty) == (HOAN_THANH, (("unexcused", 1), ("criticised", 1)))
    struck = MemberYear(4, "D", dues_paid=8, dues_recorded=12, unexcused=1)
    assert suggest_member_level(struck) == (KHONG_HOAN_THANH, (("dues_unpaid", 4),))


def test_the_cap_flags_excellent_beyond_a_fifth_of_good_in_each_group() -> None:
    # Group "village": 3 excellent among 6 good → at most 1 (1 ≤ 0.2 × (6 + 3 − 1)); the two
    # lowest totals go beyond. Group "agency": 1 excellent, 5 good → allowed.
    units = [ProposedUnit(i, "village", TOT) for i in range(1, 7)]
    units += [
        ProposedUnit(10, "village", XUAT_SAC, 95.0),
        ProposedUnit(11, "village", XUAT_SAC, 91.0),
        ProposedUnit(12, "village", XUAT_SAC, 93.0),
    ]
    units += [ProposedUnit(20 + i, "agency", TOT) for i in range(5)]
    units += [ProposedUnit(30, "agency", XUAT_SAC, 92.0), ProposedUnit(31, "agency", HOAN_THANH)]
    caps = {c.group: c for c in level_caps(fw(), units)}
    village, agency = caps["village"], caps["agency"]
    assert (village.base, village.actual, village.allowed, village.excess) == (6, 3, 1, 2)
    assert village.over == (11, 12)
    assert (agency.base, agency.actual, agency.allowed, agency.exceeded) == (5, 1, 1, False)


def test_the_cap_over_one_cells_members() -> None:
    cap = member_cap(fw(), [XUAT_SAC, TOT, TOT, KHONG_HOAN_THANH, None])
    assert cap is not None and (cap.base, cap.actual, cap.allowed, cap.excess) == (2, 1, 0, 1)
    ten_good = member_cap(fw(), [XUAT_SAC] + [TOT] * 10)
    assert ten_good is not None and not ten_good.exceeded
    assert member_cap(fw(), [HOAN_THANH, None]) is None
