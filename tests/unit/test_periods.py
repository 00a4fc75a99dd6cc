"""Months in domain/periods.py: one spelling for keys, one for texts, and their parse."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from domain.periods import Period, add_months, month_label, month_start, month_text, parse_month

months = st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)).map(month_start)


@given(months)
def test_label_and_parse_are_inverse_and_match_the_period_label(month: dt.date) -> None:
    assert parse_month(month_label(month)) == month
    assert month_label(month) == Period.of("month", month).label


def test_texts_and_bad_keys() -> None:
    assert month_label(dt.date(2026, 5, 1)) == "2026-05"
    assert month_text(dt.date(2026, 5, 1)) == "05/2026"
    assert parse_month("2026-5") == dt.date(2026, 5, 1)
    for bad in ("2026-13", "2026-00", "26-05", "05/2026", "", "2026-05-01", "x"):
        assert parse_month(bad) is None, bad


@given(months, st.integers(-600, 600))
def test_add_months_moves_by_whole_months(month: dt.date, count: int) -> None:
    moved = add_months(month, count)
    assert moved.day == 1
    assert (moved.year * 12 + moved.month) - (month.year * 12 + month.month) == count
