"""`stored_results`: a result rebuilt from what the read model stores of it (total, band,
4-good, criterion scores, metrics) equals the one `score_cells` gave, details included."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.framework import default_framework
from domain.periods import PeriodKind
from domain.scoring import CellMetrics, criterion_scores, score_cells, stored_results

FW = default_framework()
KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")
rates = st.one_of(st.none(), st.floats(0, 1))
metrics = st.builds(
    CellMetrics,
    cell_id=st.just(1),
    checkins=st.integers(1, 12),
    months_required=st.integers(0, 12),
    meetings_held_ratio=rates,
    attendance_rate=rates,
    pre_meeting_rate=rates,
    duration_ok_rate=rates,
    speakers_rate=rates,
    dues_full_rate=rates,
    thematic_quarter_ratio=rates,
    initiative_coverage=rates,
    discipline_cases=st.integers(0, 3),
    members_at_risk=st.integers(0, 3),
)


@settings(max_examples=60, deadline=None)
@given(m=metrics, kind=st.sampled_from(KINDS))
def test_stored_result_is_the_scored_result(m: CellMetrics, kind: PeriodKind) -> None:
    (scored,) = score_cells(FW, [m], kind)
    scores = [score for _, score in criterion_scores(scored)]
    loads: list[int] = []

    def load() -> CellMetrics:
        loads.append(1)
        return m

    (rebuilt,) = stored_results(
        FW, kind, [((scored.total, scored.band, scored.four_good, scores), load)]
    )
    assert criterion_scores(rebuilt) == criterion_scores(scored)
    assert not loads  # the metrics are loaded only when a detail is read
    assert dataclasses.asdict(rebuilt) == dataclasses.asdict(scored)
