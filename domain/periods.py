"""Review periods: a year (``2026``), a quarter (``2026-Q2``) or a month (``2026-05``).

Dates are half-open ranges ``[start, end)`` of calendar days, so that SQL filters are
``month >= :start AND month < :end`` with bound parameters: no dialect date functions, the
same answer on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_SLASH = re.compile(r"^(\d{1,2})/(\d{4})$")  # 05/2026, as Vietnamese users write it
MIN_YEAR, MAX_YEAR = 2000, 2100


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month `count` months after `month` (negative goes back)."""
    index = month.year * 12 + (month.month - 1) + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_label(month: dt.date) -> str:
    """``2026-05``: a month in callback data, outbox keys and payloads (a month `Period`'s
    label)."""
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(text: str) -> dt.date | None:
    """The first day of the month `month_label` wrote (``2026-05``), or None."""
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        return None


def month_text(month: dt.date) -> str:
    """``05/2026``: a month as Vietnamese users write it, in texts shown to them."""
    return f"{month.month:02d}/{month.year}"


@dataclass(frozen=True, order=True)
class Period:
    kind: PeriodKind
    year: int
    index: int  # month 1..12, quarter 1..4, 1 for a year

    @property
    def start(self) -> dt.date:
        if self.kind == "year":
            return dt.date(self.year, 1, 1)
        if self.kind == "quarter":
            return dt.date(self.year, 3 * (self.index - 1) + 1, 1)
        return dt.date(self.year, self.index, 1)

    @property
    def end(self) -> dt.date:
        """The first day after the period (exclusive bound)."""
        return add_months(self.start, {"year": 12, "quarter": 3, "month": 1}[self.kind])

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.index}"
        return f"{self.year}-{self.index:02d}"

    def __str__(self) -> str:
        return self.label

    def months(self) -> list[dt.date]:
        """First days of the months in the period, in order."""
        count = {"year": 12, "quarter": 3, "month": 1}[self.kind]
        return [add_months(self.start, i) for i in range(count)]

    def quarters(self) -> list[Period]:
        """The quarters overlapping the period (a month lies inside exactly one)."""
        if self.kind == "year":
            return [Period("quarter", self.year, q) for q in range(1, 5)]
        if self.kind == "quarter":
            return [self]
        return [Period("quarter", self.year, (self.index - 1) // 3 + 1)]

    def contains(self, day: dt.date) -> bool:
        return self.start <= day < self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one (for ranking movement)."""
        if self.kind == "year":
            return Period("year", self.year - 1, 1)
        span = 4 if self.kind == "quarter" else 12
        if self.index == 1:
            return Period(self.kind, self.year - 1, span)
        return Period(self.kind, self.year, self.index - 1)

    @classmethod
    def of(cls, kind: PeriodKind, day: dt.date) -> Period:
        """The period of `kind` that contains `day`."""
        if kind == "year":
            return cls("year", day.year, 1)
        if kind == "quarter":
            return cls("quarter", day.year, (day.month - 1) // 3 + 1)
        return cls("month", day.year, day.month)


def parse_period(text: str) -> Period:
    """``2026`` | ``2026-Q2`` | ``2026-05`` (also ``2026-5``, ``2026Q2``, ``05/2026``).

    Raises ValueError with a message that says what is expected.
    """
    value = text.strip()
    year: int
    if match := _YEAR.match(value):
        period = Period("year", int(match[1]), 1)
    elif match := _QUARTER.match(value):
        period = Period("quarter", int(match[1]), int(match[2]))
    elif (match := _MONTH.match(value)) or (match := _MONTH_SLASH.match(value)):
        year, month = (
            (int(match[1]), int(match[2])) if match.re is _MONTH else (int(match[2]), int(match[1]))
        )
        if not 1 <= month <= 12:
            raise ValueError(f"month {month} is not between 1 and 12 in period '{text}'")
        period = Period("month", year, month)
    else:
        raise ValueError(
            f"period '{text}' is not understood; use a year (2026), a quarter (2026-Q2) "
            "or a month (2026-05)"
        )
    if not MIN_YEAR <= period.year <= MAX_YEAR:
        raise ValueError(f"year {period.year} is out of range {MIN_YEAR}-{MAX_YEAR}")
    return period
