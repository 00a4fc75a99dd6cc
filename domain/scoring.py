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

import json
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from domain.classification import cap_checks, reference_band
from domain.framework import PERIOD_METRICS, Framework, GrassrootsRules, Standards
from domain.periods import PeriodKind
from domain.scoring_plan import (
    DIGITS,
    CompiledGroup,
    Plan,
    ReasonKey,
    band_for,
    by_loss,
    column_scores,
    earned_points,
    good_verdict,
    group_losses,
    plan_of,
    rounded,
    rule_target,
    score_group,
)
from domain.scoring_types import (
    CapCheck,
    CellMetrics,
    GrassrootsResult,
    GroupScore,
    IndicatorScore,
    MeetingFacts,
    MeetingScore,
    PeriodResult,
    Reason,
    Value,
    lazy_group_score,
    lazy_period_result,
)

__all__ = [
    "DIGITS",
    "CapCheck",
    "CellMetrics",
    "GrassrootsResult",
    "GroupScore",
    "IndicatorScore",
    "MeetingFacts",
    "MeetingScore",
    "PeriodResult",
    "Reason",
    "ReasonKey",
    "Stored",
    "Value",
    "band_for",
    "criterion_scores",
    "earned_points",
    "meeting_metric_values",
    "metric_values",
    "reason_ids",
    "reason_keys",
    "reason_lines",
    "reasons_of",
    "reasons_text",
    "rule_target",
    "score_cell",
    "score_cells",
    "score_grassroots",
    "score_meeting",
    "stored_results",
    "top_improvements",
]


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
    for section in plan_of(fw, None).sections:
        score, indicators, lost = score_group(section, values)
        sections.append(GroupScore(section.code, section.max_points, score, indicators))
        reasons += lost
    score = _scaled_total(sections)
    return MeetingScore(
        held=True,
        score=score,
        band=band_for(fw.meeting_rubric.bands, score),
        sections=sections,
        reasons=by_loss(reasons) if score is not None else [],
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
    return rounded(sum(score or 0.0 for score, _ in with_data) * 100 / maximum)


# ---------------------------------------------------------------- one cell over a period


def metric_values(metrics: CellMetrics) -> dict[str, Value]:
    """The period metrics indicators read (plain getattr: asdict deep-copies, 40x slower)."""
    return {name: getattr(metrics, name) for name in PERIOD_METRICS}


class _CellDetail:
    """One cell's criterion scores, and what computes its result's deferred fields: the
    criteria (`GroupScore`s, whose indicator lists are deferred in turn) and the reasons."""

    __slots__ = ("metrics", "plan", "scores")

    def __init__(self, plan: Plan, metrics: CellMetrics, scores: tuple[float | None, ...]) -> None:
        self.plan, self.metrics, self.scores = plan, metrics, scores

    @property
    def groups(self) -> tuple[CompiledGroup, ...]:
        return self.plan.criteria

    def __call__(self, result: object, name: str) -> Any:
        if name == "criteria":
            return [
                lazy_group_score(
                    group.code, group.max_points, score, *good_verdict(group, score), self
                )
                for group, score in zip(self.plan.criteria, self.scores, strict=True)
            ]
        if name == "indicators":
            assert isinstance(result, GroupScore)
            group = next(g for g in self.plan.criteria if g.code == result.code)
            return score_group(group, metric_values(self.metrics))[1]
        assert name == "reasons"
        return [self.plan.reason(key) for key in self.reason_keys()]

    def reason_keys(self) -> Sequence[ReasonKey]:
        """The reasons as keys (see `ReasonKey`), most points lost first."""
        values = metric_values(self.metrics)
        keys: list[ReasonKey] = []
        first = 0
        for group in self.plan.criteria:
            keys += group_losses(group, values, first)
            first += len(group.items)
        # Stable: equal losses keep the framework's order (as `by_loss`).
        return sorted(keys, key=_lost_first)


def _lost_first(key: ReasonKey) -> float:
    return -key[2]


def score_cell(fw: Framework, metrics: CellMetrics, period_kind: PeriodKind) -> PeriodResult:
    """Criteria scores, total, classification band and 4-good verdict of a cell's period."""
    return score_cells(fw, [metrics], period_kind)[0]


def score_cells(
    fw: Framework, cells: Sequence[CellMetrics], period_kind: PeriodKind
) -> list[PeriodResult]:
    """`score_cell` of many cells at once (in their order), one indicator at a time.

    The criteria's indicator lists and the reasons are computed when first read (see
    `domain.scoring_types`): a summary or a ranking of thousands of cells never reads them.
    """
    plan = plan_of(fw, period_kind)
    groups = plan.criteria
    with_data = [m for m in cells if m.checkins != 0]
    columns = [column_scores(group, with_data) for group in groups]
    maxima = [group.max_points for group in groups]
    bands = fw.classification.bands
    scored: list[PeriodResult] = []
    for metrics, scores in zip(with_data, zip(*columns, strict=True), strict=True):
        detail = _CellDetail(plan, metrics, scores)
        total = _scaled(list(zip(scores, maxima, strict=True)))
        if total is None:
            scored.append(
                PeriodResult(period_kind, True, None, None, None, detail(None, "criteria"))
            )
            continue
        # 4-good: every criterion reaches its threshold; a criterion without data cannot.
        four_good = all(
            good_verdict(g, score)[1] is True for g, score in zip(groups, scores, strict=True)
        )
        band = band_for(bands, total)
        scored.append(lazy_period_result(period_kind, False, total, band, four_good, detail))
    made = iter(scored)
    return [
        next(made)
        if m.checkins != 0
        else PeriodResult(period_kind, no_data=True, total=None, band=None, four_good=None)
        for m in cells
    ]


class _StoredDetail(_CellDetail):
    """A stored result's detail (see `stored_results`): the reasons come from their stored
    keys when there are some; the cell's metrics are loaded only when an indicator list (or
    reasons that were not stored) are first read."""

    __slots__ = ("load", "stored_reasons")

    def __init__(
        self,
        plan: Plan,
        scores: tuple[float | None, ...],
        load: Callable[[], CellMetrics],
        stored_reasons: str | None,
    ) -> None:
        self.plan, self.scores, self.load = plan, scores, load
        self.stored_reasons = stored_reasons

    def __call__(self, result: object, name: str) -> Any:
        if name == "indicators":
            self._load()
        return super().__call__(result, name)

    def _load(self) -> None:
        if not hasattr(self, "metrics"):
            self.metrics = self.load()

    def reason_keys(self) -> Sequence[ReasonKey]:
        if self.stored_reasons is None:  # not stored: from the metrics
            self._load()
            return super().reason_keys()
        return [_key_of(line) for line in reason_lines(self.stored_reasons)]


Stored = tuple[float | None, str | None, bool | None, Sequence[float | None]]


def stored_results(
    fw: Framework,
    period_kind: PeriodKind,
    stored: Sequence[tuple[Stored, Callable[[], CellMetrics]]]
    | Sequence[tuple[Stored, Callable[[], CellMetrics], str | None]],
) -> list[PeriodResult]:
    """The results `score_cells` gave for cells with data, rebuilt from what was stored of
    each: ((total, band, four_good, criterion scores in framework order), a function that
    loads the cell's metrics[, its reasons as stored (`reasons_text`), None when they were
    not]). The criteria's indicators, and the reasons not stored, are computed from the
    metrics when first read. The read model stores results with the framework version they
    were computed with, so the plan is the one that scored them."""
    plan = plan_of(fw, period_kind)
    results = []
    for entry in stored:
        (total, band, four_good, scores), load = entry[0], entry[1]
        reasons = entry[2] if len(entry) > 2 else None
        detail = _StoredDetail(plan, tuple(scores), load, reasons)
        if total is None:
            results.append(
                PeriodResult(period_kind, True, None, None, None, detail(None, "criteria"))
            )
        else:
            results.append(lazy_period_result(period_kind, False, total, band, four_good, detail))
    return results


# ---------------------------------------------------------------- reasons as stored


def reasons_text(keys: Sequence[ReasonKey]) -> str:
    """Reasons' keys as the read model stores them: one a line, each the JSON array
    [indicator position, value, points lost] (floats as their repr: read back exactly)."""
    return "\n".join(json.dumps(key, separators=(",", ":")) for key in keys)


def reason_lines(text: str) -> list[str]:
    """The lines of `reasons_text`: equal lines are equal reasons (of one framework)."""
    return text.split("\n") if text else []


def _key_of(line: str) -> ReasonKey:
    index, value, lost = json.loads(line)
    return index, value, lost


def _detail_of(result: PeriodResult) -> _CellDetail | None:
    """The detail of a result whose deferred fields are computed when read (else None)."""
    try:
        detail = object.__getattribute__(result, "_detail")
    except AttributeError:
        return None
    return detail if isinstance(detail, _CellDetail) else None


def criterion_scores(result: PeriodResult) -> list[tuple[str, float | None]]:
    """(code, score) of the result's criteria, in framework order: `result.criteria`
    without building the criteria when they have not been read yet."""
    detail = _detail_of(result)
    if detail is not None:
        return [(g.code, s) for g, s in zip(detail.plan.criteria, detail.scores, strict=True)]
    return [(c.code, c.score) for c in result.criteria]


def reason_keys(fw: Framework, result: PeriodResult) -> Sequence[ReasonKey]:
    """`result.reasons` as keys (see `ReasonKey`), in the same order, without building the
    reasons when they have not been read yet (a stored result gives its stored keys): what
    the read model stores, and what a report of thousands of cells renders."""
    detail = _detail_of(result)
    if detail is not None:
        try:
            object.__getattribute__(result, "reasons")
        except AttributeError:  # not read yet
            return detail.reason_keys()
    positions = {item.code: i for i, (_, item) in enumerate(plan_of(fw, None).criteria_items)}
    return [(positions[r.indicator], r.value, r.lost) for r in result.reasons]


def reason_ids(fw: Framework, result: PeriodResult) -> Sequence[Hashable]:
    """One value per reason of `result`, in order, equal for equal reasons (of `fw`): the
    stored lines of a stored result whose reasons have not been read (nothing parsed), else
    the keys. A report of thousands of cells writes each different reason once by its id."""
    detail = _detail_of(result)
    if isinstance(detail, _StoredDetail) and detail.stored_reasons is not None:
        try:
            object.__getattribute__(result, "reasons")
        except AttributeError:  # not read yet
            return reason_lines(detail.stored_reasons)
    return reason_keys(fw, result)


def reasons_of(fw: Framework, keys: Sequence[ReasonKey]) -> list[Reason]:
    """The reasons the keys stand for (`reason_keys`)."""
    plan = plan_of(fw, None)
    return [plan.reason(key) for key in keys]


def top_improvements(result: MeetingScore | PeriodResult, n: int = 3) -> list[Reason]:
    """The `n` reasons that cost the most points: what to improve first."""
    return by_loss(list(result.reasons))[:n]


# ---------------------------------------------------------------- a grassroots committee


def _average(values: Sequence[float]) -> float | None:
    return rounded(sum(values) / len(values)) if values else None


def score_grassroots(
    fw: Framework,
    results: Sequence[PeriodResult],
    cells: Sequence[tuple[int, str | None]] | None = None,
) -> GrassrootsResult:
    """A grassroots committee's aggregate over its cells' results for one period. `cells`
    gives each result's (cell id, sort) for the cap's groups of like units (default: ids by
    position, sort unknown)."""
    with_data = [r for r in results if not r.no_data]
    totals = [r.total for r in with_data if r.total is not None]
    band_counts = {b.code: 0 for b in fw.classification.bands}
    reference_counts = {b.code: 0 for b in fw.meeting_rubric.bands}
    for r in with_data:
        if r.band is not None:
            band_counts[r.band] += 1
        reference = reference_band(fw, r.total)
        if reference is not None:
            reference_counts[reference] += 1
    identities = cells if cells is not None else [(i, None) for i in range(len(results))]
    period_kind = results[0].period_kind if results else "month"
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
    group = plan_of(fw, None).grassroots
    if rules is not None and group is not None and n:
        score, indicators, reasons = score_group(group, metrics)
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
        reasons=by_loss(reasons),
        caps=cap_checks(
            fw,
            period_kind,
            [(i, sort, r) for (i, sort), r in zip(identities, results, strict=True)],
        ),
        reference_counts=reference_counts,
    )
