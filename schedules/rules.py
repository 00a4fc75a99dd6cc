"""Meeting rules: a cell's regular monthly meeting as an APScheduler `CronTrigger`.

A rule is either a day of the month (1..31, or -1 for "last day") or the nth weekday of the
month (nth 1..4 or -1 for "last", weekday 0=Monday..6=Sunday), plus a local start time, in a
time zone. CronTrigger does the calendar and time-zone arithmetic (last weekdays, DST).

One decision is ours: a cell meets every month, so "the 31st" means the last day in shorter
months (CronTrigger alone would skip February). We therefore build one trigger per month,
with `day="last"` when the month is shorter than the rule's day.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from domain.periods import add_months, month_start

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NTH_NAMES = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", -1: "last"}


class RuleError(ValueError):
    """A rule that cannot describe a monthly meeting."""


@dataclass(frozen=True)
class Rule:
    kind: str  # "day" | "weekday"
    start: dt.time
    tz: ZoneInfo
    day: int | None = None
    nth: int | None = None
    weekday: int | None = None

    def __post_init__(self) -> None:
        if self.kind == "day":
            if self.day is None or not (self.day == -1 or 1 <= self.day <= 31):
                raise RuleError(f"day must be 1..31 or -1 (last), not {self.day}")
        elif self.kind == "weekday":
            if self.nth not in NTH_NAMES:
                raise RuleError(f"nth must be 1..4 or -1 (last), not {self.nth}")
            if self.weekday is None or not 0 <= self.weekday <= 6:
                raise RuleError(f"weekday must be 0..6, not {self.weekday}")
        else:
            raise RuleError(f"unknown rule kind {self.kind!r}")

    def day_expression(self, year: int, month: int) -> str:
        """CronTrigger's `day` field for this rule in one month."""
        if self.kind == "weekday":
            assert self.nth is not None and self.weekday is not None
            return f"{NTH_NAMES[self.nth]} {WEEKDAY_NAMES[self.weekday]}"
        assert self.day is not None
        if self.day == -1 or self.day > calendar.monthrange(year, month)[1]:
            return "last"
        return str(self.day)

    def trigger(self, year: int, month: int) -> CronTrigger:
        return CronTrigger(
            year=year,
            month=month,
            day=self.day_expression(year, month),
            hour=self.start.hour,
            minute=self.start.minute,
            timezone=self.tz,
        )

    def occurrence(self, year: int, month: int) -> dt.datetime:
        """The meeting's start in that month, as an aware UTC datetime.

        A start inside a DST gap (e.g. 02:30 on the last Sunday of March in Berlin) comes out
        of zoneinfo with the pre-transition offset: the same instant as 03:30 summer time.
        """
        first = dt.datetime(year, month, 1, tzinfo=self.tz)
        fire = self.trigger(year, month).get_next_fire_time(None, first)
        if fire is None:  # cannot happen for validated rules; keep mypy and readers honest
            raise RuleError(f"no occurrence of {self} in {year}-{month:02d}")
        result: dt.datetime = fire.astimezone(dt.UTC)
        return result


def parse_time(text: str) -> dt.time:
    hour, _, minute = text.partition(":")
    try:
        return dt.time(int(hour), int(minute or 0))
    except ValueError:
        raise RuleError(f"bad time {text!r}, use HH:MM") from None


def rule_from_row(
    kind: str,
    day: int | None,
    nth: int | None,
    weekday: int | None,
    start_time: str,
    timezone: str | None,
    default_tz: ZoneInfo,
) -> Rule:
    tz = ZoneInfo(timezone) if timezone else default_tz
    return Rule(kind, parse_time(start_time), tz, day=day, nth=nth, weekday=weekday)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from `first`'s month to `last`'s month, inclusive."""
    out = []
    current = month_start(first)
    while current <= last:
        out.append(current)
        current = add_months(current, 1)
    return out


@dataclass(frozen=True)
class Override:
    """A one-off change of one month's meeting."""

    month: dt.date
    moved_to: dt.datetime | None = None
    cancelled: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class Meeting:
    month: dt.date  # first day of the meeting's month (the check-in month)
    start: dt.datetime  # UTC
    moved: bool = False
    cancelled: bool = False


def meetings(
    rule: Rule, months: Iterable[dt.date], overrides: Iterable[Override] = ()
) -> list[Meeting]:
    """The meeting of each month, with that month's override applied."""
    by_month = {o.month: o for o in overrides}
    out = []
    for month in months:
        override = by_month.get(month)
        if override is not None and override.cancelled:
            out.append(Meeting(month, rule.occurrence(month.year, month.month), cancelled=True))
        elif override is not None and override.moved_to is not None:
            out.append(Meeting(month, override.moved_to.astimezone(dt.UTC), moved=True))
        else:
            out.append(Meeting(month, rule.occurrence(month.year, month.month)))
    return out


def next_meetings(
    rule: Rule, after: dt.datetime, count: int, overrides: Iterable[Override] = ()
) -> list[Meeting]:
    """The next `count` meetings (not cancelled) starting at or after `after`."""
    overrides = list(overrides)
    local = after.astimezone(rule.tz).date()
    found: list[Meeting] = []
    month = month_start(local)
    for _ in range(count + 14):
        for meeting in meetings(rule, [month], overrides):
            if not meeting.cancelled and meeting.start >= after:
                found.append(meeting)
        if len(found) >= count:
            break
        month = add_months(month, 1)
    return found[:count]
