"""Meeting rules as CronTriggers: month ends, February, last weekdays, DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from schedules.rules import Override, Rule, RuleError, meetings, months_between, next_meetings

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")


def local(moment: dt.datetime, tz: ZoneInfo = HCM) -> dt.datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def test_fixed_day_in_ho_chi_minh_is_stored_as_utc() -> None:
    rule = Rule("day", dt.time(19, 30), HCM, day=5)
    start = rule.occurrence(2026, 3)
    assert start == dt.datetime(2026, 3, 5, 12, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("year", "month", "expected_day"),
    [(2026, 1, 31), (2026, 2, 28), (2028, 2, 29), (2026, 4, 30), (2026, 12, 31)],
)
def test_day_31_means_the_last_day_of_shorter_months(
    year: int, month: int, expected_day: int
) -> None:
    rule = Rule("day", dt.time(8, 0), HCM, day=31)
    assert local(rule.occurrence(year, month)) == dt.datetime(year, month, expected_day, 8, 0)


def test_day_30_in_february_and_last_day_rule() -> None:
    assert local(Rule("day", dt.time(8), HCM, day=30).occurrence(2026, 2)).day == 28
    last = Rule("day", dt.time(8), HCM, day=-1)
    assert [local(last.occurrence(2026, m)).day for m in (1, 2, 3, 4)] == [31, 28, 31, 30]


def test_nth_and_last_weekday() -> None:
    first_monday = Rule("weekday", dt.time(8), HCM, nth=1, weekday=0)
    assert local(first_monday.occurrence(2026, 6)).date() == dt.date(2026, 6, 1)
    fourth_sunday = Rule("weekday", dt.time(8), HCM, nth=4, weekday=6)
    assert local(fourth_sunday.occurrence(2026, 2)).date() == dt.date(2026, 2, 22)
    last_friday = Rule("weekday", dt.time(8), HCM, nth=-1, weekday=4)
    # Across a month end: the last Friday of January 2026 is the 30th, of February the 27th.
    assert [local(last_friday.occurrence(2026, m)).date() for m in (1, 2, 5)] == [
        dt.date(2026, 1, 30),
        dt.date(2026, 2, 27),
        dt.date(2026, 5, 29),
    ]


def test_dst_zone_keeps_the_local_time_across_the_change() -> None:
    rule = Rule("weekday", dt.time(19, 0), BERLIN, nth=-1, weekday=4)
    march = rule.occurrence(2026, 3)  # 27 March, still winter time (+01:00)
    april = rule.occurrence(2026, 4)  # 24 April, summer time (+02:00)
    assert march == dt.datetime(2026, 3, 27, 18, 0, tzinfo=dt.UTC)
    assert april == dt.datetime(2026, 4, 24, 17, 0, tzinfo=dt.UTC)
    assert local(march, BERLIN).hour == local(april, BERLIN).hour == 19


def test_a_start_inside_the_dst_gap_becomes_the_same_instant_after_it() -> None:
    # 02:30 on 29 March 2026 does not exist in Berlin: it is 01:30 UTC = 03:30 summer time.
    rule = Rule("weekday", dt.time(2, 30), BERLIN, nth=-1, weekday=6)
    start = rule.occurrence(2026, 3)
    assert start == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)
    assert start.astimezone(BERLIN).hour == 3


def test_overrides_move_and_cancel_one_month() -> None:
    rule = Rule("day", dt.time(8), HCM, day=5)
    moved_to = dt.datetime(2026, 4, 9, 14, 0, tzinfo=HCM)
    result = meetings(
        rule,
        months_between(dt.date(2026, 3, 1), dt.date(2026, 5, 1)),
        [
            Override(dt.date(2026, 3, 1), cancelled=True, reason="bão"),
            Override(dt.date(2026, 4, 1), moved_to=moved_to),
        ],
    )
    assert [m.cancelled for m in result] == [True, False, False]
    assert result[1].moved and result[1].start == moved_to.astimezone(dt.UTC)
    nxt = next_meetings(
        rule,
        dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        2,
        [Override(dt.date(2026, 3, 1), cancelled=True)],
    )
    assert [local(m.start).date() for m in nxt] == [dt.date(2026, 4, 5), dt.date(2026, 5, 5)]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "day", "day": 0},
        {"kind": "day", "day": 32},
        {"kind": "weekday", "nth": 5, "weekday": 0},
        {"kind": "weekday", "nth": 1, "weekday": 7},
        {"kind": "monthly"},
    ],
)
def test_invalid_rules_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(RuleError):
        Rule(start=dt.time(8), tz=HCM, **kwargs)  # type: ignore[arg-type]
