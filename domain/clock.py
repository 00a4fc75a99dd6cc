"""The one clock: every "now" and "today" of the bot, its jobs and its queries comes from here.

Production reads the system clock. Tests pin the whole process to any instant (1 January 00:30
in Viet Nam, the first hours of a month when UTC is still in the previous one, Tết) with
`CELLBOT_TEST_NOW` or `set_clock`, and time keeps moving from there, so timeouts, throttles
and "updated at" stamps behave as they do in production.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol
from zoneinfo import ZoneInfo

# Where "today" is when a caller names no zone: the deployments are in Viet Nam (UTC+7).
DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """An aware datetime in UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ShiftedClock:
    """Starts at `start` and runs at the speed of the system's monotonic clock."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the start of a shifted clock needs a time zone")
        self._start = start.astimezone(dt.UTC)
        self._origin = time.monotonic()

    def now(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=time.monotonic() - self._origin)


class FixedClock:
    """Stands still until moved: for tests that need an exact instant."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a fixed clock needs a time zone")
        self.at = at.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self.at


_clock: Clock = SystemClock()


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return _clock.now()


def today(tz: ZoneInfo | dt.tzinfo = DEFAULT_TZ) -> dt.date:
    """Today's date where the user is (a Vietnamese evening is still 'today' there)."""
    return _clock.now().astimezone(tz).date()


def current() -> Clock:
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Replace the process clock; returns the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def parse_instant(text: str) -> dt.datetime:
    """`2027-01-01T00:30+07:00` (ISO 8601 with an offset) as an aware datetime."""
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"{text!r} needs an offset, e.g. 2027-01-01T00:30+07:00")
    return value
