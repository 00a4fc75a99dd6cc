"""Dates and times as secretaries type them on a phone: ``5/6``, ``05/06/2026``, ``5/6/26``,
``19h``, ``19:30``, ``7h30``. Pure functions; the caller supplies "today" in the user's zone.

Vietnamese order is day/month. Separators ``/``, ``-`` and ``.`` are all common.
"""

from __future__ import annotations

import datetime as dt
import re

MAX_DAYS_BACK = 62

_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?\s*$")
# 19h, 19h30, 19:30, 7h30, 19g30 ("giờ"), 19.30, 19 h 30, and a bare hour "19"
_TIME = re.compile(r"^\s*(\d{1,2})\s*(?:([h:g.])\s*(\d{2})?|h|g)?\s*$", re.IGNORECASE)


class DateInputError(ValueError):
    """`reason` is "format" (not a date we read) or "impossible" (31/02)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_date(text: str, today: dt.date) -> dt.date:
    """A typed day/month[/year]. Without a year, the most recent such date not after today
    (so ``28/12`` typed on 3 January means last December)."""
    match = _DATE.match(text)
    if match is None:
        raise DateInputError("format")
    day, month = int(match.group(1)), int(match.group(2))
    year_text = match.group(3)
    if year_text is None:
        year = today.year
    else:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    if not 1 <= month <= 12 or day < 1 or year < 1:
        raise DateInputError("impossible")
    try:
        value = dt.date(year, month, day)
    except ValueError:
        raise DateInputError("impossible") from None
    if year_text is None and value > today:
        try:
            value = dt.date(year - 1, month, day)
        except ValueError:
            raise DateInputError("impossible") from None
    return value


def date_problem(value: dt.date, today: dt.date, max_days_back: int = MAX_DAYS_BACK) -> str | None:
    """ "future", "too_old" or None for a meeting date."""
    if value > today:
        return "future"
    if (today - value).days > max_days_back:
        return "too_old"
    return None


def parse_time(text: str) -> dt.time:
    """A typed start time; raises DateInputError("format") when it is not one."""
    match = _TIME.match(text)
    if match is None:
        raise DateInputError("format")
    hour = int(match.group(1))
    separator, minutes = match.group(2), match.group(3)
    if separator in (":", ".") and minutes is None:
        raise DateInputError("format")
    minute = int(minutes) if minutes is not None else 0
    if hour > 23 or minute > 59:
        raise DateInputError("format")
    return dt.time(hour, minute)


def format_date(value: dt.date) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year}"
