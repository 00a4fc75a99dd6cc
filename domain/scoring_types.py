"""What scoring reads and what it returns: the facts of one check-in, a cell's metrics over a
period, and the scores, bands, verdicts and reasons computed from them (domain.scoring).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from domain.framework_model import MetricType
from domain.periods import PeriodKind

Value = float | int | bool | str | None

# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class MeetingFacts:
    """The denormalised answers of one check-in (storage.models.Checkin); None = unanswered."""

    held: bool | None = None
    meeting_type: str | None = None  # regular | thematic | combined
    meeting_date: dt.date | None = None
    duration_min: int | None = None
    pre_meeting: bool | None = None
    content_prepared: bool | None = None
    draft_resolution: bool | None = None
    expected_count: int | None = None
    present_count: int | None = None
    absent_excused: int | None = None
    absent_unexcused: int | None = None
    dues_status: str | None = None  # all | some | none
    dues_paid: int | None = None
    current_affairs: bool | None = None
    ho_chi_minh: bool | None = None
    speakers: int | None = None
    commended: int | None = None
    criticised: int | None = None
    assessed: bool | None = None
    resolution_impl: str | None = None  # full | mostly | partly | not
    resolution_adopted: bool | None = None
    minutes_complete: bool | None = None
    candidates: int | None = None
    admitted: int | None = None
    discipline: int | None = None
    solidarity: int | None = None


@dataclass(frozen=True, slots=True)
class CellMetrics:
    """One cell over one period. Ratios are 0..1, None when their denominator is zero.

    Field names are the metric names a framework's indicators read (PERIOD_METRICS).
    """

    cell_id: int
    checkins: int = 0  # submitted check-ins in the period (held or not); 0 means "no data"
    months_required: int = 0
    meetings_held: int = 0  # months with a held regular (or combined) meeting
    meetings_missed: int = 0
    meetings_held_ratio: float | None = None
    held_meetings: int = 0  # held meetings of any slot: the denominator of the rates below
    thematic_meetings: int = 0
    thematic_quarters_required: int = 0
    thematic_quarters_held: int = 0
    thematic_quarter_ratio: float | None = None
    expected_total: int = 0
    present_total: int = 0
    attendance_rate: float | None = None
    unexcused_absences: int = 0
    no_unexcused_rate: float | None = None
    pre_meeting_rate: float | None = None
    content_prepared_rate: float | None = None
    draft_resolution_rate: float | None = None
    duration_ok_rate: float | None = None
    current_affairs_rate: float | None = None
    ho_chi_minh_rate: float | None = None
    speakers_rate: float | None = None
    assessed_rate: float | None = None
    commend_criticise_rate: float | None = None
    resolution_impl_score: float | None = None
    resolution_adopted_rate: float | None = None
    minutes_complete_rate: float | None = None
    dues_full_rate: float | None = None
    discipline_cases: int = 0
    solidarity_problems: int = 0
    admission_candidates: int = 0
    admitted: int = 0
    active_members: int = 0
    members_at_risk: int = 0
    excused_streak_members: int = 0
    initiatives: int = 0
    initiative_members: int = 0
    initiative_completed_members: int = 0
    initiative_coverage: float | None = None
    initiative_completion: float | None = None
    initiative_realised_vnd: int = 0


# ---------------------------------------------------------------- outputs


class _Deferred:
    """Lets a frozen, slotted dataclass leave some fields to be computed on first read.

    `_builder` makes such instances with a `_detail` function; a field left unset is
    computed by ``_detail(instance, name)`` when something reads it (equality, repr,
    `dataclasses.asdict` and pickling read every field, so they see complete values).
    Scoring a province builds ~5,000 results whose indicator lists and reasons only a cell
    view, an export or the full report ever read; building them eagerly was most of the cost.
    """

    __slots__ = ("_detail",)

    if not TYPE_CHECKING:  # type checkers must keep seeing only the declared fields

        def __getattr__(self, name: str) -> Any:
            # Only reached for an unset slot: a deferred field, or a missing attribute.
            try:
                detail = object.__getattribute__(self, "_detail")
            except AttributeError:
                detail = None
            if detail is None or name not in self.__dataclass_fields__:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            value = detail(self, name)
            object.__setattr__(self, name, value)  # frozen: the way dataclasses set fields
            return value


_D = TypeVar("_D", bound=_Deferred)
Detail = Callable[[Any, str], Any]


def _builder(cls: type[_D], *names: str) -> Callable[..., _D]:
    """A constructor of `cls` taking the fields `names`, then a `Detail`, positionally; the
    other fields are left to the detail. __init__ (and every default) is bypassed."""
    setters = [getattr(cls, name).__set__ for name in (*names, "_detail")]
    new = object.__new__

    def build(*values: Any) -> _D:
        obj = new(cls)
        for set_field, value in zip(setters, values, strict=True):
            set_field(obj, value)
        return obj

    return build


@dataclass(frozen=True)
class Reason:
    """A lost point: which indicator, its value, the target it missed, and how much it cost."""

    indicator: str  # indicator or rubric item code
    group: str  # criterion or rubric section code
    metric: str
    unit: MetricType
    value: Value
    target: Value
    comparator: str  # what the target asks of the value: >=, >, <=, <, =
    lost: float  # points lost, on the criterion's (or section's) scale


@dataclass(frozen=True)
class IndicatorScore:
    code: str
    metric: str
    value: Value
    points: float  # the indicator's points in the framework
    earned: float | None  # None: not applicable or no data (left out of the scaling)
    applies: bool = True


@dataclass(frozen=True, slots=True)
class GroupScore(_Deferred):
    """A criterion (period scoring) or a rubric section (meeting scoring)."""

    code: str
    max_points: float
    score: float | None  # None: no indicator had data
    indicators: list[IndicatorScore]
    good_threshold: float | None = None
    good: bool | None = None


@dataclass(frozen=True)
class MeetingScore:
    held: bool | None
    score: float | None  # 0..100; None when not held or nothing answered
    band: str | None
    sections: list[GroupScore] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    @property
    def no_data(self) -> bool:
        return self.score is None


@dataclass(frozen=True, slots=True)
class PeriodResult(_Deferred):
    period_kind: PeriodKind
    no_data: bool
    total: float | None  # 0..100
    # The 366 band of the total: shown only as the proposed classification of one unit's
    # quarter or year (domain.classification); a month's is kept for the stored row alone.
    band: str | None
    four_good: bool | None
    criteria: list[GroupScore] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)


# Results whose indicator lists and reasons are computed when first read (see _Deferred).
lazy_group_score = _builder(GroupScore, "code", "max_points", "score", "good_threshold", "good")
lazy_period_result = _builder(PeriodResult, "period_kind", "no_data", "total", "band", "four_good")


@dataclass(frozen=True)
class CapCheck:
    """The "excellent among good" cap (366-QĐ/TW) of one group of like units: the cells of
    one sort (`group`; None: all sorts, or not known) under one grassroots committee."""

    band: str
    base: int  # cells proposed in the bands the cap is a share of ("hoàn thành tốt")
    actual: int  # cells proposed in the capped band
    allowed: int
    group: str | None = None
    # The proposals beyond the cap by score (cell ids), lowest total first: those the
    # committee would look at first. Nobody is demoted by the software.
    over: tuple[int, ...] = ()

    @property
    def exceeded(self) -> bool:
        return self.actual > self.allowed

    @property
    def excess(self) -> int:
        return max(0, self.actual - self.allowed)


@dataclass(frozen=True)
class GrassrootsResult:
    cells: int
    cells_with_data: int
    average_total: float | None
    criteria_average: dict[str, float | None]
    band_counts: dict[str, int]
    four_good_cells: int
    metrics: dict[str, float | None]
    score: float | None  # the committee's own indicators, 0..100
    band: str | None
    four_good: bool | None
    indicators: list[IndicatorScore] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    # One per group of like units with a proposal; none for a month (not a classification).
    caps: list[CapCheck] = field(default_factory=list)
    # Cells by the meeting rubric's band of their total: the reference score's bands.
    reference_counts: dict[str, int] = field(default_factory=dict)

    @property
    def cap(self) -> CapCheck | None:
        """The first group over the cap, else the first group (None without any)."""
        return next((c for c in self.caps if c.exceeded), self.caps[0] if self.caps else None)
