"""One member's twelve months: attendance and dues per month, the warnings drawn from them,
and the probation's dates. Pure: the caller supplies the months and "today".

The warnings give secretaries early notice before the strike-off rule (Party Statute Art. 8;
QĐ 24-QĐ/TW §8.1: missing meetings or not paying dues for 3 months in a year without good
reason), so they fire at 2 months of the last 12, counted apart for absences without reason
and for unpaid dues; and when a member was absent with a reason at 3 meetings in a row
(12-HD/BTCTW: a good meeting has no one absent with reason more than 3 times in a row).
The pre-meeting brief adds an earlier, shorter look: absent (with or without a reason) from
2 of the last 3 months' meetings, before the 3 months after which striking off is considered.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from domain.periods import add_months, month_start

WINDOW_MONTHS = 12
WARN_AT = 2  # months of the window: the early warning
STRIKE_OFF_AT = 3  # months of the window: striking off is considered
EXCUSED_STREAK = 3  # excused absences in a row
RECENT_MONTHS = 3  # the brief's look back: "absent 2 of the last 3 months"
RECENT_WARN_AT = 2
PROBATION_MONTHS = 12
REMIND_DAYS_BEFORE = 30  # the secretary prepares the conversion (chuyển đảng chính thức)


class Attendance(enum.StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"
    UNEXCUSED = "unexcused"
    EXEMPT = "exempt"  # a meeting was held, the member was not expected
    NO_MEETING = "none"  # no submitted, held meeting that month


class Dues(enum.StrEnum):
    PAID = "paid"
    UNPAID = "unpaid"
    UNKNOWN = "unknown"  # not recorded


@dataclass(frozen=True)
class MonthEntry:
    month: dt.date  # first day of the month
    attendance: Attendance
    dues: Dues


@dataclass(frozen=True)
class MemberWarnings:
    unexcused_months: int
    unpaid_months: int
    excused_streak: int  # the longest run of excused absences at meetings in a row

    @property
    def absent(self) -> bool:
        return self.unexcused_months >= WARN_AT

    @property
    def dues(self) -> bool:
        return self.unpaid_months >= WARN_AT

    @property
    def streak(self) -> bool:
        return self.excused_streak >= EXCUSED_STREAK

    @property
    def strike_off(self) -> bool:
        """At the strike-off threshold (considered by the cell, never decided here)."""
        return max(self.unexcused_months, self.unpaid_months) >= STRIKE_OFF_AT

    @property
    def any(self) -> bool:
        return self.absent or self.dues or self.streak


@dataclass(frozen=True)
class RecentAbsences:
    months: int  # of the last RECENT_MONTHS months, those whose meeting the member missed
    unexcused: int  # of them, without a reason

    @property
    def warned(self) -> bool:
        return self.months >= RECENT_WARN_AT


def window(last_month: dt.date, count: int = WINDOW_MONTHS) -> list[dt.date]:
    """The `count` months ending with the month of `last_month`, oldest first."""
    end = month_start(last_month)
    return [add_months(end, i - count + 1) for i in range(count)]


def warnings_of(entries: Sequence[MonthEntry]) -> MemberWarnings:
    """The warnings of a member's months (any order; one entry per month)."""
    unexcused = sum(1 for e in entries if e.attendance is Attendance.UNEXCUSED)
    unpaid = sum(1 for e in entries if e.dues is Dues.UNPAID)
    longest = run = 0
    for entry in sorted(entries, key=lambda e: e.month):
        # A month without a meeting the member was expected at neither extends nor breaks
        # the run: "in a row" counts meetings, not calendar months.
        if entry.attendance in (Attendance.NO_MEETING, Attendance.EXEMPT):
            continue
        run = run + 1 if entry.attendance is Attendance.EXCUSED else 0
        longest = max(longest, run)
    return MemberWarnings(unexcused, unpaid, longest)


def recent_absences(entries: Sequence[MonthEntry]) -> RecentAbsences:
    """The absences of the last RECENT_MONTHS months of `entries` (consecutive months, any
    order): with or without a reason, and of them without."""
    last = sorted(entries, key=lambda e: e.month)[-RECENT_MONTHS:]
    absent = [e for e in last if e.attendance in (Attendance.EXCUSED, Attendance.UNEXCUSED)]
    return RecentAbsences(
        len(absent), sum(1 for e in absent if e.attendance is Attendance.UNEXCUSED)
    )


def add_calendar_months(day: dt.date, count: int) -> dt.date:
    """The same day `count` months later; the month's last day when it has no such day
    (admitted 29/02 ends probation on 28/02)."""
    first = add_months(month_start(day), count)
    last_day = calendar.monthrange(first.year, first.month)[1]
    return first.replace(day=min(day.day, last_day))


def probation_end(admitted_on: dt.date) -> dt.date:
    return add_calendar_months(admitted_on, PROBATION_MONTHS)


def probation_reminder_day(admitted_on: dt.date) -> dt.date:
    """When the secretary is told to prepare the conversion."""
    return probation_end(admitted_on) - dt.timedelta(days=REMIND_DAYS_BEFORE)


def admission_problem(day: dt.date, today: dt.date) -> str | None:
    """ "future" or "too_old" (before 1930, the Party's founding) or None."""
    if day > today:
        return "future"
    if day < dt.date(1930, 2, 3):
        return "too_old"
    return None


MAX_MONTHLY_DUES = 10_000_000  # VND; a typo guard, far above any member's monthly dues


def dues_amount_problem(amount: int) -> str | None:
    if amount <= 0:
        return "zero"
    if amount > MAX_MONTHLY_DUES:
        return "too_big"
    return None
