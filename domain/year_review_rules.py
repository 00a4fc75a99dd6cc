"""The annual review (Quy định 366-QĐ/TW, Hướng dẫn 43-HD/BTCTW): the rules a cell's year
review and the committee's check apply, pure.

* A member and a cell are proposed one of the four 366 levels (`LEVELS`, best first).
* The meeting-quality year rating (Phú Thọ rubric): a year is "Tốt" when every regular
  meeting due is at least "Khá" and at least 7 are "Tốt"; a month without a held, scored
  regular meeting counts as below "Khá".
* A cell's proposal follows its year score (the classification bands), but a score ≥ 90
  with a failed condition beyond the score (tasks not all done on time, someone in the
  leadership disciplined) cannot be proposed excellent.
* The 20 % cap on "excellent" is checked by group of like units with
  `domain.classification.cap_checks`, over the proposed (or confirmed) levels.
* A member's suggested level is a cellbot default read from the year's facts (the chi bộ
  decides; the reasons are shown so it can).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.classification import cap_checks
from domain.framework import Framework
from domain.scoring_plan import band_for
from domain.scoring_types import CapCheck, PeriodResult

XUAT_SAC, TOT, HOAN_THANH, KHONG_HOAN_THANH = "xuat_sac", "tot", "hoan_thanh", "khong_hoan_thanh"
LEVELS: tuple[str, ...] = (XUAT_SAC, TOT, HOAN_THANH, KHONG_HOAN_THANH)
# The meeting-quality year rating: at least this many regular meetings rated "Tốt".
GOOD_MEETINGS_NEEDED = 7
# A member: this many months absent without reason or dues unpaid is the strike-off line
# (Party Statute art. 8), so such a year is "không hoàn thành" unless the chi bộ says why not.
STRIKE_OFF_MONTHS = 3


def is_level(code: object) -> bool:
    return isinstance(code, str) and code in LEVELS


def level_rank(level: str) -> int:
    """0 for the best level; higher is lower."""
    return LEVELS.index(level)


# ---------------------------------------------------------------- levels and the framework


def level_of_band(fw: Framework, band: str | None) -> str | None:
    """The 366 level of a classification band code (the framework lists its four bands best
    first; a fifth or later band reads as the lowest level)."""
    codes = [b.code for b in fw.classification.bands]
    if band is None or band not in codes:
        return None
    return LEVELS[min(codes.index(band), len(LEVELS) - 1)]


def band_of_level(fw: Framework, level: str) -> str:
    codes = [b.code for b in fw.classification.bands]
    return codes[min(level_rank(level), len(codes) - 1)]


def level_of_score(fw: Framework, total: float | None) -> str | None:
    return level_of_band(fw, band_for(fw.classification.bands, total))


# ---------------------------------------------------------------- the meeting-quality year


@dataclass(frozen=True)
class MeetingYear:
    due: int  # regular meetings due (months)
    held: int  # held and scored
    good: int  # rated "Tốt"
    below_fair: int  # below "Khá", months without a scored meeting included
    rated_good: bool


def meeting_year(fw: Framework, scores: Sequence[float | None]) -> MeetingYear:
    """The year rating of the regular meetings: one score per month due (None: not held or
    not scored)."""
    bands = fw.meeting_rubric.bands
    good_min = bands[0].min
    fair_min = bands[1].min if len(bands) > 1 else good_min
    held = [s for s in scores if s is not None]
    good = sum(1 for s in held if s >= good_min)
    below = sum(1 for s in scores if s is None or s < fair_min)
    rated = bool(scores) and below == 0 and good >= GOOD_MEETINGS_NEEDED
    return MeetingYear(len(scores), len(held), good, below, rated)


# ---------------------------------------------------------------- the cell's proposal


@dataclass(frozen=True)
class CellProposal:
    score_level: str | None  # the level of the year's score alone
    level: str | None  # the highest level that may be proposed
    # Why the score's level cannot be proposed ("condition": a failed condition beyond the
    # score stops "excellent"); None when it can.
    held_back: str | None = None
    allowed: tuple[str, ...] = field(default_factory=tuple)


def conditions_met(tasks_on_time: bool | None, leader_disciplined: bool | None) -> bool | None:
    """Whether the conditions beyond the score hold; None while a question is unanswered."""
    if tasks_on_time is None or leader_disciplined is None:
        return None
    return tasks_on_time and not leader_disciplined


def cell_proposal(
    fw: Framework, total: float | None, tasks_on_time: bool | None, leader_disciplined: bool | None
) -> CellProposal:
    """The levels a cell may propose for its year: at most its score's level, and not
    "excellent" when a condition failed (or is still unanswered)."""
    score_level = level_of_score(fw, total)
    if score_level is None:  # no data: the chi bộ proposes any level and says why
        return CellProposal(None, None, None, LEVELS)
    allowed = LEVELS[level_rank(score_level) :]
    held_back = None
    if score_level == XUAT_SAC and not conditions_met(tasks_on_time, leader_disciplined):
        allowed = allowed[1:]
        held_back = "condition"
    return CellProposal(score_level, allowed[0], held_back, tuple(allowed))


# ---------------------------------------------------------------- a member's year


@dataclass(frozen=True)
class MemberYear:
    """One member's year as the cell's records hold it."""

    member_id: int
    name: str
    expected: int = 0  # meetings the member was expected at
    present: int = 0
    excused: int = 0
    unexcused: int = 0
    dues_paid: int = 0  # months recorded as paid
    dues_recorded: int = 0  # months with a record
    initiatives: tuple[tuple[str, str], ...] = ()  # (title, status)
    commended: int = 0
    criticised: int = 0
    tasks: int = 0  # tasks owned
    tasks_done: int = 0  # reviewed "done"
    tasks_not_done: int = 0  # reviewed "partly" or "not"

    @property
    def dues_unpaid(self) -> int:
        return self.dues_recorded - self.dues_paid

    @property
    def initiatives_completed(self) -> int:
        return sum(1 for _, status in self.initiatives if status == "completed")


Reason = tuple[str, int]  # (code, count) for the text layer


def suggest_member_level(year: MemberYear) -> tuple[str, tuple[Reason, ...]]:
    """A cellbot default, not a rule of 366: the level the facts point to and why."""
    if year.unexcused >= STRIKE_OFF_MONTHS or year.dues_unpaid >= STRIKE_OFF_MONTHS:
        reasons = [("unexcused", year.unexcused), ("dues_unpaid", year.dues_unpaid)]
        return KHONG_HOAN_THANH, tuple(r for r in reasons if r[1] >= STRIKE_OFF_MONTHS)
    faults = [
        ("unexcused", year.unexcused),
        ("dues_unpaid", year.dues_unpaid),
        ("criticised", year.criticised),
        ("tasks_not_done", year.tasks_not_done),
    ]
    faults = [f for f in faults if f[1]]
    if faults:
        return HOAN_THANH, tuple(faults)
    merits = [("commended", year.commended), ("initiatives_completed", year.initiatives_completed)]
    if all(count for _, count in merits):
        return XUAT_SAC, tuple(merits)
    return TOT, (("no_fault", 0),)


# ---------------------------------------------------------------- the committee's cap


@dataclass(frozen=True)
class ProposedUnit:
    """A cell's (or member's) proposal as the cap counts it."""

    id: int
    sort: str | None
    level: str
    total: float | None = None


def level_caps(fw: Framework, units: Sequence[ProposedUnit]) -> list[CapCheck]:
    """The 20 % cap by group of like units over `units` (ONE grassroots committee's), with
    `domain.classification.cap_checks`: which proposals of "excellent" go beyond, by how many."""
    results = [
        (
            u.id,
            u.sort,
            PeriodResult("year", False, u.total, band_of_level(fw, u.level), None),
        )
        for u in units
    ]
    return cap_checks(fw, "year", results)


def member_cap(fw: Framework, levels: Sequence[str | None]) -> CapCheck | None:
    """The same 20 % cap over one cell's members (their levels: the committee's where decided,
    else the proposals); None when the framework has no cap or no member is rated in it."""
    members = [ProposedUnit(i, None, level) for i, level in enumerate(levels) if level]
    checks = level_caps(fw, members)
    return checks[0] if checks else None
