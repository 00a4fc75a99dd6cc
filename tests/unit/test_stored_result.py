"""`stored_results`: a result rebuilt from what the read model stores of it (total, band,
4-good, criterion scores, reasons, metrics) equals the one `score_cells` gave, details
included."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.framework import default_framework
from domain.periods import PeriodKind
from domain.scoring import (
    CellMetrics,
    criterion_scores,
    reason_ids,
    reason_keys,
    reason_lines,
    reasons_of,
    reasons_text,
    score_cells,
    stored_results,
)

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


@settings(max_examples=60, deadline=None)
@given(m=metrics, kind=st.sampled_from(KINDS))
def test_stored_reasons_give_the_scored_reasons_without_the_metrics(
    m: CellMetrics, kind: PeriodKind
) -> None:
    """The read model stores the reasons (`reasons_text`): a result rebuilt with them has
    the scored reasons, in the same order, and never loads the metrics for them."""
    (scored,) = score_cells(FW, [m], kind)
    scores = [score for _, score in criterion_scores(scored)]
    text = reasons_text(reason_keys(FW, scored))
    loads: list[int] = []

    def load() -> CellMetrics:
        loads.append(1)
        return m

    stored = ((scored.total, scored.band, scored.four_good, scores), load, text)
    (rebuilt,) = stored_results(FW, kind, [stored])
    assert reason_ids(FW, rebuilt) == reason_lines(text)  # nothing parsed
    assert reason_keys(FW, rebuilt) == reason_keys(FW, scored)
    assert rebuilt.reasons == scored.reasons
    assert reasons_of(FW, reason_keys(FW, rebuilt)) == scored.reasons
    assert not loads
    assert dataclasses.asdict(rebuilt) == dataclasses.asdict(scored)
    assert loads  # the criteria's indicators do need them


def test_a_result_stored_without_reasons_rebuilds_them_from_the_metrics() -> None:
    """A row written before the reasons were stored (NULL) still gives them."""
    m = CellMetrics(1, checkins=10, months_required=12, attendance_rate=0.5, discipline_cases=2)
    (scored,) = score_cells(FW, [m], "year")
    scores = [score for _, score in criterion_scores(scored)]
    stored = ((scored.total, scored.band, scored.four_good, scores), lambda: m, None)
    (rebuilt,) = stored_results(FW, "year", [stored])
    assert scored.reasons and rebuilt.reasons == scored.reasons
    assert reason_ids(FW, rebuilt) == reason_keys(FW, scored)


def test_reasons_text_reads_back_exactly() -> None:
    keys = [(3, 0.8181818181818182, 2.5), (0, True, 1.0), (7, 2, 0.1), (5, 1 / 3, 0.7)]
    text = reasons_text(keys)
    assert "\n" not in text.replace("]\n[", "")  # one reason a line
    rebuilt = stored_results(
        FW, "year", [((50.0, "good", False, [None] * len(FW.criteria)), lambda: None, text)]
    )[0]
    back = reason_keys(FW, rebuilt)
    assert back == keys
    assert [type(v) for _, v, _ in back] == [float, bool, int, float]
    assert reasons_text([]) == "" and reason_lines("") == []
