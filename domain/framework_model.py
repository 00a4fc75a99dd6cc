"""The criteria framework's vocabulary and shape: what an indicator may read, and the pydantic
models a framework file must fit (unknown keys are errors). Loading is domain.framework;
the checks pydantic cannot make field by field are domain.framework_checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.periods import PERIOD_KINDS, PeriodKind

# ---------------------------------------------------------------- metric vocabulary

MetricType = Literal["ratio", "count", "number", "bool", "choice"]
ALL_PERIODS: frozenset[PeriodKind] = frozenset(PERIOD_KINDS)


@dataclass(frozen=True)
class MetricSpec:
    """What an indicator may read: its type decides which rules fit and how it is shown."""

    type: MetricType
    choices: tuple[str, ...] = ()
    periods: frozenset[PeriodKind] = ALL_PERIODS  # review periods where it is defined


def _ratio(periods: Iterable[PeriodKind] = PERIOD_KINDS) -> MetricSpec:
    return MetricSpec("ratio", periods=frozenset(periods))


def _count(periods: Iterable[PeriodKind] = PERIOD_KINDS) -> MetricSpec:
    return MetricSpec("count", periods=frozenset(periods))


# Period metrics: the fields of domain.scoring.CellMetrics that indicators may read
# (a unit test keeps the two in step). Ratios are 0..1.
PERIOD_METRICS: dict[str, MetricSpec] = {
    "meetings_held": _count(),
    "meetings_missed": _count(),
    "meetings_held_ratio": _ratio(),
    "thematic_meetings": _count(),
    "thematic_quarter_ratio": _ratio(("quarter", "year")),
    "attendance_rate": _ratio(),
    "unexcused_absences": _count(),
    "no_unexcused_rate": _ratio(),
    "pre_meeting_rate": _ratio(),
    "content_prepared_rate": _ratio(),
    "draft_resolution_rate": _ratio(),
    "duration_ok_rate": _ratio(),
    "current_affairs_rate": _ratio(),
    "ho_chi_minh_rate": _ratio(),
    # Speakers per member expected at the meeting (not per member present: bringing more
    # members to a meeting must never lower a score).
    "speakers_rate": _ratio(),
    "assessed_rate": _ratio(),
    "commend_criticise_rate": _ratio(),
    "resolution_impl_score": _ratio(),
    "resolution_adopted_rate": _ratio(),
    "minutes_complete_rate": _ratio(),
    "dues_full_rate": _ratio(),
    "discipline_cases": _count(),
    "solidarity_problems": _count(),
    "admission_candidates": _count(),
    "admitted": _count(),
    "members_at_risk": _count(),
    # Active members absent with reason at more than `excused_streak_max` held meetings in
    # a row, in the period's year up to its end.
    "excused_streak_members": _count(),
    "initiative_coverage": _ratio(),
    "initiative_completion": _ratio(),
}

RESOLUTION_IMPL_CHOICES = ("full", "mostly", "partly", "not")
DUES_CHOICES = ("all", "some", "none")

# Meeting metrics: derived from one check-in by domain.scoring.meeting_metric_values.
MEETING_METRICS: dict[str, MetricSpec] = {
    "pre_meeting": MetricSpec("bool"),
    "content_prepared": MetricSpec("bool"),
    "draft_resolution": MetricSpec("bool"),
    "attendance_rate": MetricSpec("ratio"),
    "no_unexcused": MetricSpec("bool"),
    "unexcused_absences": MetricSpec("count"),
    "dues_status": MetricSpec("choice", DUES_CHOICES),
    "duration_ok": MetricSpec("bool"),
    "duration_min": MetricSpec("count"),
    "current_affairs": MetricSpec("bool"),
    "ho_chi_minh": MetricSpec("bool"),
    "speakers_ratio": MetricSpec("ratio"),
    "assessed": MetricSpec("bool"),
    "commend_or_criticise": MetricSpec("bool"),
    "resolution_impl": MetricSpec("choice", RESOLUTION_IMPL_CHOICES),
    "resolution_adopted": MetricSpec("bool"),
    "minutes_complete": MetricSpec("bool"),
}

# Grassroots metrics: computed from the scores of a grassroots committee's cells.
GRASSROOTS_METRICS: dict[str, MetricSpec] = {
    "reporting_share": MetricSpec("ratio"),
    "four_good_share": MetricSpec("ratio"),
    "excellent_share": MetricSpec("ratio"),
    "passing_share": MetricSpec("ratio"),
    "average_total": MetricSpec("number"),
}

# ---------------------------------------------------------------- the file's shape

Code = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")]
Points = Annotated[float, Field(gt=0, le=1000)]


class _Strict(BaseModel):
    # Unknown keys are errors: a typo ("pionts") must not silently drop a rule.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(_Strict):
    vi: Annotated[str, Field(min_length=1, max_length=200)]
    en: Annotated[str, Field(min_length=1, max_length=200)]

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


class YesNoRule(_Strict):
    """Full points when the value is `expect`, none otherwise."""

    kind: Literal["yes_no"]
    expect: bool = True


class ThresholdRule(_Strict):
    """Full points when `value op target` holds, none otherwise."""

    kind: Literal["threshold"]
    op: Literal[">=", ">", "<=", "<"]
    target: float


class LinearRule(_Strict):
    """0 points at `zero_at`, full points at `full_at`, straight line between, clamped.

    `zero_at > full_at` means lower is better (e.g. absences).
    """

    kind: Literal["linear"]
    zero_at: float
    full_at: float


class PenaltyRule(_Strict):
    """Lose `per_unit` points for each count above `allowance`, down to zero."""

    kind: Literal["penalty"]
    per_unit: Annotated[float, Field(gt=0)]
    allowance: Annotated[int, Field(ge=0)] = 0


class ChoiceRule(_Strict):
    """A share of the points per answer (``full: 1.0, mostly: 0.75 …``)."""

    kind: Literal["choice"]
    values: dict[str, Annotated[float, Field(ge=0, le=1)]]


Rule = Annotated[
    YesNoRule | ThresholdRule | LinearRule | PenaltyRule | ChoiceRule,
    Field(discriminator="kind"),
]
RULE_KINDS = ("yes_no", "threshold", "linear", "penalty", "choice")


class Indicator(_Strict):
    code: Code
    name: Names
    metric: str
    rule: Rule
    points: Points
    periods: Annotated[list[PeriodKind], Field(min_length=1)] = list(PERIOD_KINDS)
    source: str | None = None  # the rule it comes from, e.g. "12-HD/BTCTW"


class Criterion(_Strict):
    code: Code
    name: Names
    max_points: Points
    # Points needed for the criterion to count as "good" in the 4-good verdict.
    good_threshold: Annotated[float, Field(ge=0)]
    indicators: Annotated[list[Indicator], Field(min_length=1)]
    source: str | None = None  # of the criterion, its points and its threshold


class RubricItem(_Strict):
    code: Code
    name: Names
    metric: str
    rule: Rule
    points: Points
    source: str | None = None


class RubricSection(_Strict):
    code: Code
    name: Names
    max_points: Points
    items: Annotated[list[RubricItem], Field(min_length=1)]


class Band(_Strict):
    code: Code
    name: Names
    min: Annotated[float, Field(ge=0, le=100)]  # inclusive lower bound on a 0..100 score


class MeetingRubric(_Strict):
    """One meeting's score; its bands also name every reference score (a month's score, an
    average over cells), which is never a classification."""

    sections: Annotated[list[RubricSection], Field(min_length=1)]
    bands: Annotated[list[Band], Field(min_length=1)]
    source: str | None = None


CapGroupBy = Literal["grassroots", "sort"]


class ExcellentCap(_Strict):
    """At most `share` of the units rated `of_bands` may be rated `band` (366-QĐ/TW: excellent
    at most 20 % of those rated "hoàn thành tốt"), counted within a group of like units:
    `group_by` the grassroots committee, and by default also the sort of cell (village,
    agency …). Reported as a flag; nobody is demoted by the software.
    """

    band: Code
    share: Annotated[float, Field(gt=0, le=1)]
    of_bands: Annotated[list[Code], Field(min_length=1)]
    group_by: Annotated[list[CapGroupBy], Field(min_length=1)] = ["grassroots", "sort"]

    def allowed(self, base: int, proposed: int | None = None) -> int:
        """How many of `proposed` may keep the capped band when `base` units are rated in
        `of_bands`. The proposals beyond the cap would be rated in `of_bands` instead and
        join the base, so the answer is the largest k ≤ proposed with
        k ≤ share × (base + proposed − k); without `proposed`, share × base."""
        # Fraction(str(...)) because 0.29 * 100 is 28.999… in floating point.
        share = Fraction(str(self.share))
        if proposed is None:
            return int(share * base)
        return min(proposed, int(share * (base + proposed) / (1 + share)))


class Classification(_Strict):
    """366-QĐ/TW: shown only as the proposed classification of one unit's quarter or year."""

    bands: Annotated[list[Band], Field(min_length=1)]
    excellent_cap: ExcellentCap | None = None
    source: str | None = None


class GrassrootsRules(_Strict):
    """A grassroots committee's own indicators over its cells' results (0..100 score)."""

    indicators: Annotated[list[Indicator], Field(min_length=1)]
    four_good_min_score: Annotated[float, Field(ge=0, le=100)]
    source: str | None = None


class Standards(_Strict):
    """Parameters the metric SQL needs (what counts as a compliant meeting, a member at risk)."""

    min_duration_min: Annotated[int, Field(gt=0, le=600)] = 90
    min_duration_combined_min: Annotated[int, Field(gt=0, le=600)] = 120
    risk_months: Annotated[int, Field(ge=1, le=12)] = 2
    risk_window_months: Annotated[int, Field(ge=1, le=36)] = 12
    # A member absent with reason at more meetings in a row than this, in a year, costs the
    # cell (12-HD/BTCTW: "not more than 3 times in a row"); exempt members do not count.
    excused_streak_max: Annotated[int, Field(ge=1, le=24)] = 3
    # How much of last month's resolution counts as carried out, in whole percent, so the
    # SQL sums integers and both databases give the same average.
    resolution_impl_percent: dict[str, Annotated[int, Field(ge=0, le=100)]] = {
        "full": 100,
        "mostly": 75,
        "partly": 50,
        "not": 0,
    }


class Framework(_Strict):
    version: Literal[1]
    name: Names
    standards: Standards = Standards()
    criteria: Annotated[list[Criterion], Field(min_length=1, max_length=10)]
    meeting_rubric: MeetingRubric
    classification: Classification
    grassroots: GrassrootsRules | None = None

    @property
    def max_points(self) -> float:
        return sum(c.max_points for c in self.criteria)

    def criterion(self, code: str) -> Criterion:
        return next(c for c in self.criteria if c.code == code)

    def indicator(self, code: str) -> Indicator | RubricItem:
        """Any indicator or rubric item by code (codes are unique framework-wide)."""
        for criterion in self.criteria:
            for indicator in criterion.indicators:
                if indicator.code == code:
                    return indicator
        for section in self.meeting_rubric.sections:
            for item in section.items:
                if item.code == code:
                    return item
        for indicator in self.grassroots.indicators if self.grassroots else []:
            if indicator.code == code:
                return indicator
        raise KeyError(code)

    def metric_spec(self, code: str) -> MetricSpec:
        """The spec of the metric read by indicator or rubric item `code`."""
        for criterion in self.criteria:
            for indicator in criterion.indicators:
                if indicator.code == code:
                    return PERIOD_METRICS[indicator.metric]
        for section in self.meeting_rubric.sections:
            for item in section.items:
                if item.code == code:
                    return MEETING_METRICS[item.metric]
        for indicator in self.grassroots.indicators if self.grassroots else []:
            if indicator.code == code:
                return GRASSROOTS_METRICS[indicator.metric]
        raise KeyError(code)
