"""The batch scorer (`score_cells`) against a plain reading of the framework, and the results
whose indicator lists, criteria and reasons are computed when first read."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.framework import (
    PERIOD_METRICS,
    ChoiceRule,
    LinearRule,
    PenaltyRule,
    ThresholdRule,
    YesNoRule,
    load_framework,
)
from domain.periods import PeriodKind
from domain.scoring import (
    CellMetrics,
    GroupScore,
    IndicatorScore,
    PeriodResult,
    Reason,
    band_for,
    criterion_scores,
    earned_points,
    metric_values,
    rule_target,
    score_cell,
    score_cells,
)
from tests.unit.test_scoring import cell_metrics

FW = load_framework()
KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")


def _r(value: float) -> float:
    return round(value + 0.0, 1)


def reference(metrics: CellMetrics, kind: PeriodKind) -> PeriodResult:
    """`score_cell` read straight off the framework, one indicator at a time, every object
    built eagerly: the specification the compiled batch scorer must match exactly."""
    if metrics.checkins == 0:
        return PeriodResult(kind, no_data=True, total=None, band=None, four_good=None)
    values = metric_values(metrics)
    criteria, reasons = [], []
    for criterion in FW.criteria:
        scored, lost = [], []
        applicable = earned_total = 0.0
        for ind in criterion.indicators:
            applies = kind in ind.periods
            value = values.get(ind.metric) if applies else None
            if value is None:
                scored.append(IndicatorScore(ind.code, ind.metric, None, ind.points, None, applies))
                continue
            earned = earned_points(ind.rule, value, ind.points)
            scored.append(IndicatorScore(ind.code, ind.metric, value, ind.points, _r(earned)))
            applicable += ind.points
            earned_total += earned
            if ind.points - earned > 1e-9:
                lost.append((ind, value, ind.points - earned))
        score = None
        if applicable:
            scale = criterion.max_points / applicable
            score = _r(earned_total * scale)
            for ind, value, points in lost:
                if _r(points * scale) == 0:
                    continue  # a loss that shows as 0 is not named
                target, comparator = rule_target(ind.rule)
                unit = PERIOD_METRICS[ind.metric].type
                reasons.append(
                    Reason(
                        ind.code, criterion.code, ind.metric, unit, value, target, comparator,
                        _r(points * scale),
                    )
                )  # fmt: skip
        good = None if score is None else score >= criterion.good_threshold
        criteria.append(
            GroupScore(
                criterion.code, criterion.max_points, score, scored, criterion.good_threshold, good
            )
        )
    with_data = [c for c in criteria if c.score is not None]
    if not with_data:
        return PeriodResult(kind, True, None, None, None, criteria)
    maximum = sum(c.max_points for c in with_data)
    total = _r(sum(c.score or 0.0 for c in with_data) * 100 / maximum)
    return PeriodResult(
        kind,
        no_data=False,
        total=total,
        band=band_for(FW.classification.bands, total),
        four_good=all(c.good is True for c in criteria),
        criteria=criteria,
        reasons=sorted(reasons, key=lambda r: -r.lost),
    )


def plain(result: PeriodResult) -> dict[str, Any]:
    return dataclasses.asdict(result)


@settings(max_examples=200)
@given(st.lists(cell_metrics(), min_size=1, max_size=12), st.sampled_from(KINDS), st.data())
def test_batch_scores_equal_the_framework_read_plainly(
    cells: list[CellMetrics], kind: PeriodKind, data: st.DataObject
) -> None:
    # Some cells without any check-in, interleaved: the batch keeps their places.
    empty = data.draw(st.lists(st.booleans(), min_size=len(cells), max_size=len(cells)))
    cells = [
        dataclasses.replace(m, checkins=0) if e else m for m, e in zip(cells, empty, strict=True)
    ]
    results = score_cells(FW, cells, kind)
    assert len(results) == len(cells)
    for metrics, result in zip(cells, results, strict=True):
        expected = reference(metrics, kind)
        assert plain(result) == plain(expected)
        assert result == expected
        assert plain(score_cell(FW, metrics, kind)) == plain(expected)


@settings(max_examples=100)
@given(cell_metrics(), st.sampled_from(KINDS))
def test_criterion_scores_read_without_building_the_criteria(
    metrics: CellMetrics, kind: PeriodKind
) -> None:
    lazy, eager = score_cell(FW, metrics, kind), reference(metrics, kind)
    expected = [(c.code, c.score) for c in eager.criteria]
    assert criterion_scores(lazy) == expected  # before the criteria are read
    assert [(c.code, c.score) for c in lazy.criteria] == expected
    assert criterion_scores(lazy) == expected  # and after
    assert criterion_scores(eager) == expected


def _metrics() -> CellMetrics:
    """A cell-year at half of every ratio: every criterion loses points."""
    values: dict[str, Any] = dict.fromkeys(
        (n for n, spec in PERIOD_METRICS.items() if spec.type == "ratio"), 0.5
    )
    values.update(checkins=6, members_at_risk=2, meetings_missed=1, admission_candidates=0)
    return CellMetrics(cell_id=7, **values)


def test_deferred_fields_compare_copy_and_pickle_as_complete_values() -> None:
    eager = reference(_metrics(), "year")
    assert eager.reasons and all(c.score is not None for c in eager.criteria)
    reads: list[Callable[[PeriodResult], PeriodResult]] = [
        lambda r: r,
        copy.copy,
        copy.deepcopy,
        lambda r: pickle.loads(pickle.dumps(r)),
    ]
    for read in reads:
        lazy = score_cell(FW, _metrics(), "year")  # nothing read yet
        assert read(lazy) == eager
        assert plain(read(lazy)) == plain(eager)
    lazy = score_cell(FW, _metrics(), "year")
    assert repr(lazy) == repr(eager)
    lazy = score_cell(FW, _metrics(), "year")
    assert lazy.criteria[1].indicators == eager.criteria[1].indicators


def test_deferred_results_stay_frozen_and_know_their_fields() -> None:
    result = score_cell(FW, _metrics(), "year")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        result.nope  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 1.0  # type: ignore[misc]
    assert result.reasons is result.reasons  # computed once


@pytest.mark.parametrize(
    ("rule", "value", "earned"),
    [
        (YesNoRule(kind="yes_no"), 1, 6),
        (YesNoRule(kind="yes_no"), "", 0),
        (ChoiceRule(kind="choice", values={"full": 1.0, "some": 0.5}), "some", 3),
        (ChoiceRule(kind="choice", values={"full": 1.0, "some": 0.5}), "other", 0),
        (ThresholdRule(kind="threshold", op="<", target=2), 1.99, 6),
        (ThresholdRule(kind="threshold", op="<", target=2), 2, 0),
        (LinearRule(kind="linear", zero_at=0.55, full_at=0.85), 0.7, 3),
        (PenaltyRule(kind="penalty", per_unit=2.5, allowance=1), 3, 1),
    ],
)
def test_more_rules(rule: Any, value: Any, earned: float) -> None:
    assert earned_points(rule, value, 6.0) == pytest.approx(earned)
