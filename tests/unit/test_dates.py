"""Typed dates and times: examples people type, and properties over all dates."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.dates import DateInputError, date_problem, format_date, parse_date, parse_time

TODAY = dt.date(2026, 6, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5/6", dt.date(2026, 6, 5)),
        ("05/06/2026", dt.date(2026, 6, 5)),
        ("5/6/26", dt.date(2026, 6, 5)),
        ("5-6-2026", dt.date(2026, 6, 5)),
        (" 5.6 ", dt.date(2026, 6, 5)),
        ("28/12", dt.date(2025, 12, 28)),  # no year, would be in the future: last year
        ("15/6", TODAY),
    ],
)
def test_dates_people_type(text: str, expected: dt.date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/2026", "impossible"),
        ("29/02/2026", "impossible"),
        ("0/5", "impossible"),
        ("5/13", "impossible"),
        ("hôm qua", "format"),
        ("5/6/202", "format"),
        ("", "format"),
        ("1/2/3/4", "format"),
    ],
)
def test_bad_dates(text: str, reason: str) -> None:
    with pytest.raises(DateInputError) as err:
        parse_date(text, TODAY)
    assert err.value.reason == reason


def test_date_window() -> None:
    assert date_problem(TODAY, TODAY) is None
    assert date_problem(TODAY + dt.timedelta(days=1), TODAY) == "future"
    assert date_problem(TODAY - dt.timedelta(days=62), TODAY) is None
    assert date_problem(TODAY - dt.timedelta(days=63), TODAY) == "too_old"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19h", dt.time(19)),
        ("19:30", dt.time(19, 30)),
        ("7h30", dt.time(7, 30)),
        ("7H30", dt.time(7, 30)),
        ("19g30", dt.time(19, 30)),
        ("19.30", dt.time(19, 30)),
        ("8", dt.time(8)),
        ("0h", dt.time(0)),
    ],
)
def test_times_people_type(text: str, expected: dt.time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24h", "19:60", "19:", "7h3", "h30", "noon", "", "19h30m"])
def test_bad_times(text: str) -> None:
    with pytest.raises(DateInputError):
        parse_time(text)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_every_date_round_trips_in_all_written_forms(day: dt.date) -> None:
    assert parse_date(format_date(day), TODAY) == day
    assert parse_date(f"{day.day}/{day.month}/{day.year}", TODAY) == day
    assert parse_date(f"{day.day}/{day.month}/{day.year % 100:02d}", TODAY) == day


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(2001, 1, 1), max_value=dt.date(2099, 12, 31)), st.data())
def test_a_date_without_year_is_never_in_the_future(today: dt.date, data: st.DataObject) -> None:
    day = data.draw(st.integers(1, 28))
    month = data.draw(st.integers(1, 12))
    value = parse_date(f"{day}/{month}", today)
    assert value <= today
    assert (today - value).days < 366
    assert (value.day, value.month) == (day, month)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_any_text_parses_or_raises_date_input_error(text: str) -> None:
    for parse in (lambda x: parse_date(x, TODAY), parse_time):
        with contextlib.suppress(DateInputError):
            parse(text)


@settings(max_examples=100, deadline=None)
@given(st.times())
def test_every_time_round_trips(value: dt.time) -> None:
    assert parse_time(f"{value.hour}h{value.minute:02d}") == value.replace(second=0, microsecond=0)
    assert parse_time(f"{value.hour:02d}:{value.minute:02d}") == value.replace(
        second=0, microsecond=0
    )
