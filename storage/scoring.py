"""Pure scoring: facts and metrics in, scores, bands, verdicts and reasons out.

No database and no Telegram here, so every rule is unit-tested directly. The numbers come
from a `Framework` (storage.framework); the inputs are `MeetingFacts` (one check-in) and
`CellMetrics` (a cell over a period, computed in SQL by storage.metrics).

Scaling: an indicator that does not apply to the period, or has no data (no meeting held, so
no attendance), is left out and its criterion is scaled to its max over the indicators that
remain; the total is scaled to 100 over the criteria that have data. An empty period is
"no data" (total None), never zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from storage.framework import (
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
)
from storage.periods import PeriodKind

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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class GroupScore:
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


@dataclass(frozen=True)
class PeriodResult:
    period_kind: PeriodKind
    no_data: bool
    total: float | None  # 0..100
    band: str | None  # classification band code
    four_good: bool | None
    criteria: list[GroupScore] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)


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


def earned_points(rule: Rule, value: Value, points: float) -> float:
    """Points earned by `value` under `rule`, between 0 and `points`."""
    if isinstance(rule, YesNoRule):
        return points if bool(value) == rule.expect else 0.0
    if isinstance(rule, ChoiceRule):
        return points * rule.values.get(str(value), 0.0)
    number = float(value)  # type: ignore[arg-type]
    if isinstance(rule, ThresholdRule):
        ok = {
            ">=": number >= rule.target,
            ">": number > rule.target,
            "<=": number <= rule.target,
            "<": number < rule.target,
        }[rule.op]
        return points if ok else 0.0
    if isinstance(rule, LinearRule):
        share = (number - rule.zero_at) / (rule.full_at - rule.zero_at)
        return points * min(1.0, max(0.0, share))
    if isinstance(rule, PenaltyRule):
        over = max(0.0, number - rule.allowance)
        return max(0.0, points - rule.per_unit * over)
    raise TypeError(rule)


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


def _score_group(
    code: str,
    max_points: float,
    items: Sequence[Indicator | RubricItem],
    values: dict[str, Value],
    units: dict[str, MetricType],
    period_kind: PeriodKind | None,
) -> tuple[GroupScore, list[Reason]]:
    scored: list[IndicatorScore] = []
    reasons_raw: list[tuple[Indicator | RubricItem, Value, float]] = []
    applicable = earned_total = 0.0
    for item in items:
        # Rubric items apply to every meeting; indicators only to their listed periods.
        applies = (
            not isinstance(item, Indicator) or period_kind is None or period_kind in item.periods
        )
        value = values.get(item.metric) if applies else None
        if not applies or value is None:
            scored.append(IndicatorScore(item.code, item.metric, value, item.points, None, applies))
            continue
        earned = earned_points(item.rule, value, item.points)
        scored.append(IndicatorScore(item.code, item.metric, value, item.points, _r(earned)))
        applicable += item.points
        earned_total += earned
        if item.points - earned > 1e-9:
            reasons_raw.append((item, value, item.points - earned))
    if applicable == 0:
        return GroupScore(code, max_points, None, scored), []
    scale = max_points / applicable
    reasons = []
    for item, value, lost in reasons_raw:
        target, comparator = rule_target(item.rule)
        reasons.append(
            Reason(
                indicator=item.code,
                group=code,
                metric=item.metric,
                unit=units[item.metric],
                value=value,
                target=target,
                comparator=comparator,
                lost=_r(lost * scale),
            )
        )
    return GroupScore(code, max_points, _r(earned_total * scale), scored), reasons


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
    units = _MEETING_UNITS
    sections: list[GroupScore] = []
    reasons: list[Reason] = []
    for section in fw.meeting_rubric.sections:
        group, lost = _score_group(
            section.code, section.max_points, section.items, values, units, None
        )
        sections.append(group)
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
    with_data = [g for g in groups if g.score is not None]
    if not with_data:
        return None
    maximum = sum(g.max_points for g in with_data)
    return _r(sum(g.score or 0.0 for g in with_data) * 100 / maximum)


# ---------------------------------------------------------------- one cell over a period


def metric_values(metrics: CellMetrics) -> dict[str, Value]:
    """The period metrics indicators read (plain getattr: asdict deep-copies, 40x slower)."""
    return {name: getattr(metrics, name) for name in PERIOD_METRICS}


def score_cell(fw: Framework, metrics: CellMetrics, period_kind: PeriodKind) -> PeriodResult:
    """Criteria scores, total, classification band and 4-good verdict of a cell's period."""
    if metrics.checkins == 0:
        return PeriodResult(period_kind, no_data=True, total=None, band=None, four_good=None)
    values = metric_values(metrics)
    units = _PERIOD_UNITS
    criteria: list[GroupScore] = []
    reasons: list[Reason] = []
    for criterion in fw.criteria:
        group, lost = _score_group(
            criterion.code, criterion.max_points, criterion.indicators, values, units, period_kind
        )
        good = None if group.score is None else group.score >= criterion.good_threshold
        criteria.append(
            GroupScore(
                group.code,
                group.max_points,
                group.score,
                group.indicators,
                good_threshold=criterion.good_threshold,
                good=good,
            )
        )
        reasons += lost
    total = _scaled_total(criteria)
    if total is None:
        return PeriodResult(period_kind, True, None, None, None, criteria)
    # 4-good: every criterion reaches its threshold; a criterion without data cannot.
    four_good = all(c.good is True for c in criteria)
    return PeriodResult(
        period_kind,
        no_data=False,
        total=total,
        band=band_for(fw.classification.bands, total),
        four_good=four_good,
        criteria=criteria,
        reasons=_by_loss(reasons),
    )


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
    criteria_average: dict[str, float | None] = {}
    for criterion in fw.criteria:
        scores = [
            c.score
            for r in with_data
            for c in r.criteria
            if c.code == criterion.code and c.score is not None
        ]
        criteria_average[criterion.code] = _average(scores)
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
    if rules is not None and n:
        units = _GRASSROOTS_UNITS
        group, reasons = _score_group(
            "grassroots", 100.0, rules.indicators, dict(metrics), units, None
        )
        indicators = group.indicators
        score = group.score
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
