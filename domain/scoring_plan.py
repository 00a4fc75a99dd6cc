"""A framework compiled for scoring: each rule as a function of the value, each criterion or
rubric section as a group of such items, and a group's score and the points it lost.

Compiled once per framework and period kind (frameworks are frozen, see
domain.framework.derived), so scoring thousands of cells does not read the rules again.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from domain.framework import (
    GRASSROOTS_METRICS,
    MEETING_METRICS,
    PERIOD_METRICS,
    Band,
    ChoiceRule,
    Framework,
    Indicator,
    LinearRule,
    MetricType,
    PenaltyRule,
    RubricItem,
    Rule,
    ThresholdRule,
    YesNoRule,
    derived,
)
from domain.periods import PeriodKind
from domain.scoring_types import CellMetrics, IndicatorScore, Reason, Value

_MEETING_UNITS = {name: spec.type for name, spec in MEETING_METRICS.items()}
_PERIOD_UNITS = {name: spec.type for name, spec in PERIOD_METRICS.items()}
_GRASSROOTS_UNITS = {name: spec.type for name, spec in GRASSROOTS_METRICS.items()}
DIGITS = 1  # scores and lost points are shown to one decimal
# A reason of a cell's period result, as the read model stores it: the position of its
# indicator among the criteria's indicators (`Plan.criteria_items`), the value, the points
# lost. With the framework it gives back the whole `Reason` (`Plan.reason`).
ReasonKey = tuple[int, Value, float]

# ---------------------------------------------------------------- rules


def rounded(value: float) -> float:
    return round(value + 0.0, DIGITS)


Earner = Callable[[Value], float]


def _earner(rule: Rule, points: float) -> Earner:
    """`earned_points` for one rule and its points, as a function of the value alone.

    Built once per framework (see `plan_of`), so scoring thousands of cells does not test the
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
class CompiledGroup:
    code: str
    max_points: float
    items: tuple[_Item, ...]
    good_threshold: float | None = None


@dataclass(frozen=True)
class Plan:
    criteria: tuple[CompiledGroup, ...]
    sections: tuple[CompiledGroup, ...]
    grassroots: CompiledGroup | None

    @cached_property
    def criteria_items(self) -> tuple[tuple[CompiledGroup, _Item], ...]:
        """Every criterion's indicators in framework order, with their criterion: a reason's
        key (`ReasonKey`) names its indicator by its position here."""
        return tuple((group, item) for group in self.criteria for item in group.items)

    def reason(self, key: ReasonKey) -> Reason:
        """The `Reason` a key stands for (see `group_losses`)."""
        index, value, lost = key
        group, item = self.criteria_items[index]
        return _reason(group, item, value, lost)


def _compile_group(
    code: str,
    max_points: float,
    items: Sequence[Indicator | RubricItem],
    units: dict[str, MetricType],
    period_kind: PeriodKind | None,
    good_threshold: float | None = None,
) -> CompiledGroup:
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
    return CompiledGroup(code, max_points, tuple(compiled), good_threshold)


def _compile(fw: Framework, period_kind: PeriodKind | None) -> Plan:
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
    return Plan(criteria, sections, grassroots)


def plan_of(fw: Framework, period_kind: PeriodKind | None) -> Plan:
    """Compiled once per framework and period kind (frameworks are frozen)."""
    return derived(fw, ("scoring plan", period_kind), lambda f: _compile(f, period_kind))


# ---------------------------------------------------------------- scoring a group


def score_group(
    group: CompiledGroup, values: Mapping[str, Value]
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
        scored.append(IndicatorScore(item.code, item.metric, value, item.points, rounded(earned)))
        applicable += item.points
        earned_total += earned
        if item.points - earned > 1e-9:
            lost.append((item, value, item.points - earned))
    if applicable == 0:
        return None, scored, []
    scale = group.max_points / applicable
    return rounded(earned_total * scale), scored, _reasons(group, lost, scale)


def group_losses(
    group: CompiledGroup, values: Mapping[str, Value], first: int = 0
) -> list[ReasonKey]:
    """`score_group`'s reasons alone, as keys: (`first` + the indicator's position in the
    group, value, points lost), the same figures `_reasons` gives."""
    lost: list[tuple[int, Value, float]] = []
    applicable = 0.0
    for index, item in enumerate(group.items, first):
        value = values.get(item.metric) if item.applies else None
        if value is None:
            continue
        earned = item.earn(value)
        applicable += item.points
        if item.points - earned > 1e-9:
            lost.append((index, value, item.points - earned))
    if applicable == 0:
        return []
    scale = group.max_points / applicable
    return [
        (index, value, loss)
        for index, value, points in lost
        # A loss that shows as 0 (0.849 of the way to full) is no reason to name.
        if (loss := rounded(points * scale)) > 0
    ]


def _reasons(
    group: CompiledGroup, lost: Sequence[tuple[_Item, Value, float]], scale: float
) -> list[Reason]:
    return [
        _reason(group, item, value, loss)
        for item, value, points in lost
        # A loss that shows as 0 (0.849 of the way to full) is no reason to name.
        if (loss := rounded(points * scale)) > 0
    ]


def _reason(group: CompiledGroup, item: _Item, value: Value, lost: float) -> Reason:
    return Reason(
        indicator=item.code,
        group=group.code,
        metric=item.metric,
        unit=item.unit,
        value=value,
        target=item.target,
        comparator=item.comparator,
        lost=lost,
    )


def column_scores(group: CompiledGroup, cells: Sequence[CellMetrics]) -> list[float | None]:
    """`score_group`'s score for each cell, a column (one indicator) at a time.

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
        None if a == 0 else rounded(t * (maximum / a))
        for t, a in zip(earned_total, applicable, strict=True)
    ]


def good_verdict(group: CompiledGroup, score: float | None) -> tuple[float | None, bool | None]:
    """The criterion's threshold and whether `score` reaches it (None without a score)."""
    threshold = group.good_threshold
    return threshold, None if score is None or threshold is None else score >= threshold


def by_loss(reasons: list[Reason]) -> list[Reason]:
    # Stable sort: equal losses keep the framework's order.
    return sorted(reasons, key=lambda r: -r.lost)
