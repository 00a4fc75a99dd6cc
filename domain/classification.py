"""Reference score or classification, and the 20 % cap on "excellent" (366-QĐ/TW).

A classification (*xếp loại*, Quy định 366-QĐ/TW) is a committee's decision about one
collective for a quarter or a year, with conditions beyond the score (all tasks on time, no
one in the leadership disciplined …) that cellbot cannot see. So:

* a month's score, or an average over cells, is a **reference score** (*điểm tham khảo*),
  named with the meeting rubric's bands (Tốt ≥ 90, Khá 70–<90, Trung bình 50–<70, Kém < 50);
* a 366 band is shown only for one cell's quarter or year, as the **proposed classification**
  (*đề xuất xếp loại*);
* "excellent" may be at most a share (20 %) of those rated "hoàn thành tốt", counted within
  a group of like units (the framework's ``excellent_cap.group_by``: the grassroots committee,
  and by default the sort of cell). `cap_checks` says, per group, how many proposals may
  stand and which go beyond; the committee decides.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.framework import Framework
from domain.periods import PeriodKind
from domain.scoring_plan import band_for
from domain.scoring_types import CapCheck, PeriodResult

# The periods a collective is classified for; a month never is.
CLASSIFIED_PERIODS: tuple[PeriodKind, ...] = ("quarter", "year")


def reference_band(fw: Framework, score: float | None) -> str | None:
    """The meeting rubric's band of a reference score (a month, an average of cells)."""
    return band_for(fw.meeting_rubric.bands, score)


def is_classified(period_kind: PeriodKind) -> bool:
    return period_kind in CLASSIFIED_PERIODS


def proposed_band(result: PeriodResult) -> str | None:
    """The 366 band proposed for ONE unit's quarter or year; None for a month or no data."""
    if result.no_data or not is_classified(result.period_kind):
        return None
    return result.band


def cap_checks(
    fw: Framework,
    period_kind: PeriodKind,
    cells: Sequence[tuple[int, str | None, PeriodResult]],
) -> list[CapCheck]:
    """The cap of each group of like units among `cells` (id, sort, result) — the cells of
    ONE grassroots committee (grouping by committee is the caller's). Split by sort when the
    framework's `group_by` lists it; cells of an unknown sort (None) form a group of their
    own. Only groups with a proposal in the capped or base bands; none for a month."""
    cap = fw.classification.excellent_cap
    if cap is None or not is_classified(period_kind):
        return []
    by_sort = "sort" in cap.group_by
    groups: dict[str | None, list[tuple[int, PeriodResult]]] = {}
    for cell_id, sort, result in cells:
        if not result.no_data and result.band is not None:
            groups.setdefault(sort if by_sort else None, []).append((cell_id, result))
    checks = []
    for group, members in groups.items():
        # The capped band is never its own base: a file from before 2025 listing
        # `of_bands: [excellent, good]` is read as 366 says, "of those rated good".
        base = sum(1 for _, r in members if r.band in cap.of_bands and r.band != cap.band)
        proposed = sorted(
            ((r.total or 0.0, cell_id) for cell_id, r in members if r.band == cap.band),
            key=lambda p: (-p[0], p[1]),
        )
        if not base and not proposed:
            continue
        allowed = cap.allowed(base, len(proposed))
        over = tuple(cell_id for _, cell_id in reversed(proposed[allowed:]))
        checks.append(CapCheck(cap.band, base, len(proposed), allowed, group, over))
    return sorted(checks, key=lambda c: (c.group is None, c.group or ""))
