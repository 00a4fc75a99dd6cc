"""Pure scoring: facts and metrics in, scores, bands, verdicts and reasons out.

No database and no Telegram here, so every rule is unit-tested directly. The numbers come
from a `Framework` (domain.framework); the inputs are `MeetingFacts` (one check-in) and
`CellMetrics` (a cell over a period, computed in SQL by storage.metrics).

Scaling: an indicator that does not apply to the period, or has no data (no meeting held, so
no attendance), is left out and its criterion is scaled to its max over the indicators that
remain; the total is scaled to 100 over the criteria that have data. An empty period is
"no data" (total None), never zero.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from domain.framework import (
    GRASSROOTS_METRICS,
    MEETING_METRICS,
    PERIOD_METRICS,
    Band,
    ChoiceRule,
    Framework,
    GrassrootsRules,
    Indicator,
    LinearRule,
    MetricType,
    PenaltyRule,
    RubricItem,
    Rule,
    Standards,
    ThresholdRule,
    YesNoRule,
    derived,
)
from domain.periods import PeriodKind

Value = float | int | bool | str | None
_MEETING_UNITS = {name: spec.type for name, spec in MEETING_METRICS.items()}
_PERIOD_UNITS = {name: spec.type for name, spec in PERIOD_METRICS.items()}
_GRASSROOTS_UNITS = {name: spec.type for name, spec in GRASSROOTS_METRICS.items()}
DIGITS = 1  # scores and lost points are shown to one decimal

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
    band: str | None  # classification band code
    four_good: bool | None
    criteria: list[GroupScore] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)


# Results whose indicator lists and reasons are computed when first read (see _Deferred).
_lazy_group = _builder(GroupScore, "code", "max_points", "score", "good_threshold", "good")
_lazy_result = _builder(PeriodResult, "period_kind", "no_data", "total", "band", "four_good")


@dataclass(frozen=True)
class CapCheck:
    """The "excellent among good" cap of one grassroots committee."""

    band: str
    base: int  # cells in the bands the cap is a share of
    actual: int  # cells in the capped band
    allowed: int

    @property
    def exceeded(self) -> bool:
        return self.actual > self.allowed


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
    cap: CapCheck | None = None


# ---------------------------------------------------------------- rules


def _r(value: float) -> float:
    return round(value + 0.0, DIGITS)


Earner = Callable[[Value], float]


def _earner(rule: Rule, points: float) -> Earner:
    """`earned_points` for one rule and its points, as a function of the value alone.

    Built once per framework (see `_plan`), so scoring thousands of cells does not test the
    rule's type for every indicator of every cell. Same arithmetic, in the same order.
    """
    if isinstance(rule, YesNoRule):
        expect = rule.expect
        return lambda value: points if bool(value) == expect else 0.0
    if isinstance(rule, ChoiceRule):
        shares = rule.values
        return lambda value: points * shares.get(str(value), 0.0)
    if isinstance(rule, ThresholdRule):
        target, holds = rule.target, _COMPARE[rule.op]
        return lambda value: points if holds(float(value), target) else 0.0  # type: ignore[arg-type]
    if isinstance(rule, LinearRule):
        zero_at, span = rule.zero_at, rule.full_at - rule.zero_at
        return lambda value: points * min(1.0, max(0.0, (float(value) - zero_at) / span))  # type: ignore[arg-type]
    if isinstance(rule, PenaltyRule):
        allowance, per_unit = rule.allowance, rule.per_unit
        return lambda value: max(0.0, points - per_unit * max(0.0, float(value) - allowance))  # type: ignore[arg-type]
    raise TypeError(rule)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


def earned_points(rule: Rule, value: Value, points: float) -> float:
    """Points earned by `value` under `rule`, between 0 and `points`."""
    return _earner(rule, points)(value)


def rule_target(rule: Rule) -> tuple[Value, str]:
    """The value the rule asks for, and how the value must compare to it."""
    if isinstance(rule, YesNoRule):
        return rule.expect, "="
    if isinstance(rule, ChoiceRule):
        return max(rule.values, key=lambda k: rule.values[k]), "="
    if isinstance(rule, ThresholdRule):
        return rule.target, rule.op
    if isinstance(rule, LinearRule):
        return rule.full_at, ">=" if rule.full_at > rule.zero_at else "<="
    return rule.allowance, "<="


def band_for(bands: Sequence[Band], score: float | None) -> str | None:
    if score is None:
        return None
    return next((b.code for b in bands if score >= b.min), bands[-1].code)


# ---------------------------------------------------------------- compiled frameworks


@dataclass(frozen=True)
class _Item:
    """An indicator or rubric item, ready to score: its rule as a function, its target."""

    code: str
    metric: str
    points: float
    applies: bool  # indicators apply only to their listed period kinds
    earn: Earner
    unit: MetricType
    target: Value
    comparator: str
    # The score when not applicable or without data: the same for every cell, so shared.
    left_out: IndicatorScore


@dataclass(frozen=True)
class _Group:
    code: str
    max_points: float
    items: tuple[_Item, ...]
    good_threshold: float | None = None


@dataclass(frozen=True)
class _Plan:
    criteria: tuple[_Group, ...]
    sections: tuple[_Group, ...]
    grassroots: _Group | None


def _compile_group(
    code: str,
    max_points: float,
    items: Sequence[Indicator | RubricItem],
    units: dict[str, MetricType],
    period_kind: PeriodKind | None,
    good_threshold: float | None = None,
) -> _Group:
    compiled = []
    for item in items:
        # Rubric items apply to every meeting; indicators only to their listed periods.
        applies = (
            not isinstance(item, Indicator) or period_kind is None or period_kind in item.periods
        )
        target, comparator = rule_target(item.rule)
        compiled.append(
            _Item(
                code=item.code,
                metric=item.metric,
                points=item.points,
                applies=applies,
                earn=_earner(item.rule, item.points),
                unit=units[item.metric],
                target=target,
                comparator=comparator,
                left_out=IndicatorScore(item.code, item.metric, None, item.points, None, applies),
            )
        )
    return _Group(code, max_points, tuple(compiled), good_threshold)


def _compile(fw: Framework, period_kind: PeriodKind | None) -> _Plan:
    criteria = tuple(
        _compile_group(
            c.code, c.max_points, c.indicators, _PERIOD_UNITS, period_kind, c.good_threshold
        )
        for c in fw.criteria
    )
    sections = tuple(
        _compile_group(s.code, s.max_points, s.items, _MEETING_UNITS, None)
        for s in fw.meeting_rubric.sections
    )
    grassroots = None
    if fw.grassroots is not None:
        grassroots = _compile_group(
            "grassroots", 100.0, fw.grassroots.indicators, _GRASSROOTS_UNITS, None
        )
    return _Plan(criteria, sections, grassroots)


def _plan(fw: Framework, period_kind: PeriodKind | None) -> _Plan:
    """Compiled once per framework and period kind (frameworks are frozen)."""
    return derived(fw, ("scoring plan", period_kind), lambda f: _compile(f, period_kind))


# ---------------------------------------------------------------- scoring a group


def _score_group(
    group: _Group, values: Mapping[str, Value]
) -> tuple[float | None, list[IndicatorScore], list[Reason]]:
    """The group's score (None without data), its indicators and the points it lost."""
    scored: list[IndicatorScore] = []
    lost: list[tuple[_Item, Value, float]] = []
    applicable = earned_total = 0.0
    for item in group.items:
        value = values.get(item.metric) if item.applies else None
        if value is None:
            scored.append(item.left_out)
            continue
        earned = item.earn(value)
        scored.append(IndicatorScore(item.code, item.metric, value, item.points, _r(earned)))
        applicable += item.points
        earned_total += earned
        if item.points - earned > 1e-9:
            lost.append((item, value, item.points - earned))
    if applicable == 0:
        return None, scored, []
    scale = group.max_points / applicable
    return _r(earned_total * scale), scored, _reasons(group, lost, scale)


def _group_reasons(group: _Group, values: Mapping[str, Value]) -> list[Reason]:
    """`_score_group`'s reasons alone."""
    lost: list[tuple[_Item, Value, float]] = []
    applicable = 0.0
    for item in group.items:
        value = values.get(item.metric) if item.applies else None
        if value is None:
            continue
        earned = item.earn(value)
        applicable += item.points
        if item.points - earned > 1e-9:
            lost.append((item, value, item.points - earned))
    if applicable == 0:
        return []
    return _reasons(group, lost, group.max_points / applicable)


def _reasons(
    group: _Group, lost: Sequence[tuple[_Item, Value, float]], scale: float
) -> list[Reason]:
    return [
        Reason(
            indicator=item.code,
            group=group.code,
            metric=item.metric,
            unit=item.unit,
            value=value,
            target=item.target,
            comparator=item.comparator,
            lost=_r(points * scale),
        )
        for item, value, points in lost
    ]


def _column_scores(group: _Group, cells: Sequence[CellMetrics]) -> list[float | None]:
    """`_score_group`'s score for each cell, a column (one indicator) at a time.

    The same sums in the same order per cell: earned and applicable points start at 0.0
    and add up indicator by indicator, skipping values without data.
    """
    earned_total = [0.0] * len(cells)
    applicable = [0.0] * len(cells)
    for item in group.items:
        if not item.applies:
            continue
        earn, metric, points = item.earn, item.metric, item.points
        earned = [None if (v := getattr(cell, metric)) is None else earn(v) for cell in cells]
        earned_total = [
            t if e is None else t + e for t, e in zip(earned_total, earned, strict=True)
        ]
        applicable = [
            a if e is None else a + points for a, e in zip(applicable, earned, strict=True)
        ]
    maximum = group.max_points
    return [
        None if a == 0 else _r(t * (maximum / a))
        for t, a in zip(earned_total, applicable, strict=True)
    ]


class _CellDetail:
    """One cell's criterion scores, and what computes its result's deferred fields: the
    criteria (`GroupScore`s, whose indicator lists are deferred in turn) and the reasons."""

    __slots__ = ("groups", "metrics", "scores")

    def __init__(
        self, groups: tuple[_Group, ...], metrics: CellMetrics, scores: tuple[float | None, ...]
    ) -> None:
        self.groups, self.metrics, self.scores = groups, metrics, scores

    def __call__(self, result: object, name: str) -> Any:
        if name == "criteria":
            return [
                _lazy_group(group.code, group.max_points, score, *_good(group, score), self)
                for group, score in zip(self.groups, self.scores, strict=True)
            ]
        values = metric_values(self.metrics)
        if name == "indicators":
            assert isinstance(result, GroupScore)
            group = next(g for g in self.groups if g.code == result.code)
            return _score_group(group, values)[1]
        assert name == "reasons"
        reasons: list[Reason] = []
        for group in self.groups:
            reasons += _group_reasons(group, values)
        return _by_loss(reasons)


def _good(group: _Group, score: float | None) -> tuple[float | None, bool | None]:
    """The criterion's threshold and whether `score` reaches it (None without a score)."""
    threshold = group.good_threshold
    return threshold, None if score is None or threshold is None else score >= threshold


def _by_loss(reasons: list[Reason]) -> list[Reason]:
    # Stable sort: equal losses keep the framework's order.
    return sorted(reasons, key=lambda r: -r.lost)


# ---------------------------------------------------------------- one meeting


def meeting_metric_values(facts: MeetingFacts, standards: Standards) -> dict[str, Value]:
    """The meeting metrics (MEETING_METRICS) of one check-in; None where unanswered."""
    f = facts
    expected = f.expected_count
    duration_ok: bool | None = None
    if f.duration_min is not None:
        minimum = (
            standards.min_duration_combined_min
            if f.meeting_type == "combined"
            else standards.min_duration_min
        )
        duration_ok = f.duration_min >= minimum
    commend: bool | None = None
    if f.commended is not None or f.criticised is not None:
        commend = (f.commended or 0) + (f.criticised or 0) > 0
    return {
        "pre_meeting": f.pre_meeting,
        "content_prepared": f.content_prepared,
        "draft_resolution": f.draft_resolution,
        "attendance_rate": (
            f.present_count / expected if expected and f.present_count is not None else None
        ),
        "no_unexcused": None if f.absent_unexcused is None else f.absent_unexcused == 0,
        "unexcused_absences": f.absent_unexcused,
        "dues_status": f.dues_status,
        "duration_ok": duration_ok,
        "duration_min": f.duration_min,
        "current_affairs": f.current_affairs,
        "ho_chi_minh": f.ho_chi_minh,
        "speakers_ratio": f.speakers / expected if expected and f.speakers is not None else None,
        "assessed": f.assessed,
        "commend_or_criticise": commend,
        "resolution_impl": f.resolution_impl,
        "resolution_adopted": f.resolution_adopted,
        "minutes_complete": f.minutes_complete,
    }


def score_meeting(fw: Framework, facts: MeetingFacts) -> MeetingScore:
    """The rubric score (0..100) and band of one meeting, with the points it lost."""
    if facts.held is not True:
        return MeetingScore(held=facts.held, score=None, band=None)
    values = meeting_metric_values(facts, fw.standards)
    sections: list[GroupScore] = []
    reasons: list[Reason] = []
    for section in _plan(fw, None).sections:
        score, indicators, lost = _score_group(section, values)
        sections.append(GroupScore(section.code, section.max_points, score, indicators))
        reasons += lost
    score = _scaled_total(sections)
    return MeetingScore(
        held=True,
        score=score,
        band=band_for(fw.meeting_rubric.bands, score),
        sections=sections,
        reasons=_by_loss(reasons) if score is not None else [],
    )


def _scaled_total(groups: Sequence[GroupScore]) -> float | None:
    """Sum of the groups with data, scaled to 100 over their maxima."""
    return _scaled([(g.score, g.max_points) for g in groups])


def _scaled(scores: Sequence[tuple[float | None, float]]) -> float | None:
    """`_scaled_total` of (score, max points) pairs."""
    with_data = [(score, maximum) for score, maximum in scores if score is not None]
    if not with_data:
        return None
    maximum = sum(m for _, m in with_data)
    return _r(sum(score or 0.0 for score, _ in with_data) * 100 / maximum)


# ---------------------------------------------------------------- one cell over a period


def metric_values(metrics: CellMetrics) -> dict[str, Value]:
    """The period metrics indicators read (plain getattr: asdict deep-copies, 40x slower)."""
    return {name: getattr(metrics, name) for name in PERIOD_METRICS}


def score_cell(fw: Framework, metrics: CellMetrics, period_kind: PeriodKind) -> PeriodResult:
    """Criteria scores, total, classification band and 4-good verdict of a cell's period."""
    return score_cells(fw, [metrics], period_kind)[0]


def score_cells(
    fw: Framework, cells: Sequence[CellMetrics], period_kind: PeriodKind
) -> list[PeriodResult]:
    """`score_cell` of many cells at once (in their order), one indicator at a time.

    The criteria's indicator lists and the reasons are computed when first read (see
    `_Deferred`): a summary or a ranking of thousands of cells never reads them.
    """
    groups = _plan(fw, period_kind).criteria
    with_data = [m for m in cells if m.checkins != 0]
    columns = [_column_scores(group, with_data) for group in groups]
    maxima = [group.max_points for group in groups]
    bands = fw.classification.bands
    scored: list[PeriodResult] = []
    for metrics, scores in zip(with_data, zip(*columns, strict=True), strict=True):
        detail = _CellDetail(groups, metrics, scores)
        total = _scaled(list(zip(scores, maxima, strict=True)))
        if total is None:
            scored.append(
                PeriodResult(period_kind, True, None, None, None, detail(None, "criteria"))
            )
            continue
        # 4-good: every criterion reaches its threshold; a criterion without data cannot.
        four_good = all(_good(g, score)[1] is True for g, score in zip(groups, scores, strict=True))
        band = band_for(bands, total)
        scored.append(_lazy_result(period_kind, False, total, band, four_good, detail))
    made = iter(scored)
    return [
        next(made)
        if m.checkins != 0
        else PeriodResult(period_kind, no_data=True, total=None, band=None, four_good=None)
        for m in cells
    ]


class _StoredDetail(_CellDetail):
    """A stored result's detail (see `stored_results`): the cell's metrics are loaded only
    when an indicator list or the reasons are first read."""

    __slots__ = ("load",)

    def __init__(
        self,
        groups: tuple[_Group, ...],
        scores: tuple[float | None, ...],
        load: Callable[[], CellMetrics],
    ) -> None:
        self.groups, self.scores, self.load = groups, scores, load

    def __call__(self, result: object, name: str) -> Any:
        if name != "criteria" and not hasattr(self, "metrics"):
            self.metrics = self.load()
        return super().__call__(result, name)


Stored = tuple[float | None, str | None, bool | None, Sequence[float | None]]


def stored_results(
    fw: Framework,
    period_kind: PeriodKind,
    stored: Sequence[tuple[Stored, Callable[[], CellMetrics]]],
) -> list[PeriodResult]:
    """The results `score_cells` gave for cells with data, rebuilt from what was stored of
    each: ((total, band, four_good, criterion scores in framework order), a function that
    loads the cell's metrics). The criteria's indicators and the reasons are computed from
    the metrics when first read. The read model stores results with the framework version
    they were computed with, so the plan is the one that scored them."""
    groups = _plan(fw, period_kind).criteria
    results = []
    for (total, band, four_good, scores), load in stored:
        detail = _StoredDetail(groups, tuple(scores), load)
        if total is None:
            results.append(
                PeriodResult(period_kind, True, None, None, None, detail(None, "criteria"))
            )
        else:
            results.append(_lazy_result(period_kind, False, total, band, four_good, detail))
    return results


def criterion_scores(result: PeriodResult) -> list[tuple[str, float | None]]:
    """(code, score) of the result's criteria, in framework order: `result.criteria`
    without building the criteria when they have not been read yet."""
    try:
        detail = object.__getattribute__(result, "_detail")
    except AttributeError:
        detail = None
    if isinstance(detail, _CellDetail):
        return [(g.code, s) for g, s in zip(detail.groups, detail.scores, strict=True)]
    return [(c.code, c.score) for c in result.criteria]


def top_improvements(result: MeetingScore | PeriodResult, n: int = 3) -> list[Reason]:
    """The `n` reasons that cost the most points: what to improve first."""
    return _by_loss(list(result.reasons))[:n]


# ---------------------------------------------------------------- a grassroots committee


def cap_check(fw: Framework, bands: Sequence[str | None]) -> CapCheck | None:
    cap = fw.classification.excellent_cap
    if cap is None:
        return None
    base = sum(1 for b in bands if b in cap.of_bands)
    actual = sum(1 for b in bands if b == cap.band)
    return CapCheck(band=cap.band, base=base, actual=actual, allowed=cap.allowed(base))


def _average(values: Sequence[float]) -> float | None:
    return _r(sum(values) / len(values)) if values else None


def score_grassroots(fw: Framework, results: Sequence[PeriodResult]) -> GrassrootsResult:
    """A grassroots committee's aggregate over its cells' results for one period."""
    with_data = [r for r in results if not r.no_data]
    totals = [r.total for r in with_data if r.total is not None]
    band_counts = {b.code: 0 for b in fw.classification.bands}
    for r in with_data:
        if r.band is not None:
            band_counts[r.band] += 1
    scores: dict[str, list[float]] = {criterion.code: [] for criterion in fw.criteria}
    for r in with_data:
        for code, score in criterion_scores(r):
            if score is not None and code in scores:
                scores[code].append(score)
    criteria_average = {code: _average(values) for code, values in scores.items()}
    four_good_cells = sum(1 for r in with_data if r.four_good)
    lowest = fw.classification.bands[-1].code
    excellent = fw.classification.excellent_cap
    excellent_code = excellent.band if excellent else fw.classification.bands[0].code
    n = len(with_data)
    metrics: dict[str, float | None] = {
        "reporting_share": n / len(results) if results else None,
        "four_good_share": four_good_cells / n if n else None,
        "excellent_share": band_counts.get(excellent_code, 0) / n if n else None,
        "passing_share": (n - band_counts.get(lowest, 0)) / n if n else None,
        "average_total": _average(totals),
    }
    score = band = four_good = None
    indicators: list[IndicatorScore] = []
    reasons: list[Reason] = []
    rules: GrassrootsRules | None = fw.grassroots
    group = _plan(fw, None).grassroots
    if rules is not None and group is not None and n:
        score, indicators, reasons = _score_group(group, metrics)
        band = band_for(fw.classification.bands, score)
        four_good = None if score is None else score >= rules.four_good_min_score
    return GrassrootsResult(
        cells=len(results),
        cells_with_data=n,
        average_total=metrics["average_total"],
        criteria_average=criteria_average,
        band_counts=band_counts,
        four_good_cells=four_good_cells,
        metrics=metrics,
        score=score,
        band=band,
        four_good=four_good,
        indicators=indicators,
        reasons=_by_loss(reasons),
        cap=cap_check(fw, [r.band for r in with_data]),
    )
