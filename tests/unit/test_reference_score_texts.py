"""Reference score or classification in what people read: a month, or an average of cells,
is a reference score (điểm tham khảo) with the meeting rubric's band; a 366 band appears only
as the proposed classification (đề xuất xếp loại) of one cell's quarter or year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from bot.i18n import t
from bot.render_scores import period_text
from bot.supervisor_text import summary_text
from domain.framework import load_framework
from domain.periods import Period, PeriodKind
from domain.scoring import PeriodResult
from storage.scope import UnitRef
from storage.supervision import Summary, UnitSummary

FW = load_framework()
EXCELLENT_366 = "Hoàn thành xuất sắc nhiệm vụ"


@dataclass(frozen=True)
class _Reader:
    lang: str

    def t(self, key: str, /, **values: object) -> str:
        return t(self.lang, key, **values)


def _line(kind: str, total: float, band: str) -> UnitSummary:
    return UnitSummary(
        unit_id=2,
        code="C",
        name="Chi bộ thôn Bản Pắt",
        kind=kind,
        cells=1,
        submitted=1,
        expected=1,
        meeting_score=95.0,
        attendance=1.0,
        criteria={c.code: 20.0 for c in FW.criteria},
        total=total,
        band=band,
        four_good=True,
        four_good_cells=1,
        cells_with_data=1,
    )


def _summary(period: Period, child_kind: str) -> str:
    unit = UnitRef(1, "LH", "Đảng bộ xã Lục Hồn", "grassroots", "/1/", None)
    data = Summary(
        unit=unit,
        period=period,
        as_of=dt.date(2026, 12, 31),
        total=_line("grassroots", 93.0, "excellent"),
        rows=[_line(child_kind, 93.0, "excellent")],
    )
    return summary_text(_Reader("vi"), FW, data, None)


def test_a_month_and_an_average_are_reference_scores() -> None:
    text = _summary(Period("month", 2026, 5), "cell")
    assert "Điểm tham khảo bình quân" in text and "(Tốt)" in text
    assert EXCELLENT_366 not in text and "đề xuất xếp loại:" not in text


def test_one_cells_year_shows_the_proposed_classification() -> None:
    text = _summary(Period("year", 2026, 1), "cell")
    # The total line (an average of cells) stays a reference score.
    total_line = next(line for line in text.splitlines() if "Điểm tham khảo bình quân" in line)
    assert EXCELLENT_366 not in total_line
    assert f"đề xuất xếp loại: {EXCELLENT_366}" in text
    # A child committee's line is an average: never a classification.
    assert EXCELLENT_366 not in _summary(Period("year", 2026, 1), "grassroots")


@pytest.mark.parametrize(
    ("kind", "proposed"), [("month", False), ("quarter", True), ("year", True)]
)
def test_a_cells_period_text(kind: PeriodKind, proposed: bool) -> None:
    result = PeriodResult(kind, False, 91.0, "excellent", True)
    text = period_text(FW, result, "vi")
    assert "Điểm tham khảo: 91/100 — Tốt" in text
    assert (f"Đề xuất xếp loại: {EXCELLENT_366}" in text) is proposed
    english = period_text(FW, result, "en")
    assert "Reference score: 91/100 — Good" in english
    assert ("Proposed classification: Excellent completion" in english) is proposed
