"""The member ledger's rules: warnings at 2 months of 12 (absences without reason and unpaid
dues counted apart), excused absences 3 meetings in a row, the strike-off threshold at 3,
and the probation's dates."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.member_rules import (
    Attendance,
    Dues,
    MonthEntry,
    add_calendar_months,
    admission_problem,
    dues_amount_problem,
    probation_end,
    probation_reminder_day,
    recent_absences,
    warnings_of,
    window,
)

A, D = Attendance, Dues


def year(*months: tuple[Attendance, Dues]) -> list[MonthEntry]:
    """Entries from January 2026 on, one per given month."""
    return [MonthEntry(dt.date(2026, i + 1, 1), a, d) for i, (a, d) in enumerate(months)]


def test_window_is_twelve_months_ending_with_the_given_month() -> None:
    months = window(dt.date(2026, 3, 17))
    assert len(months) == 12
    assert months[0] == dt.date(2025, 4, 1) and months[-1] == dt.date(2026, 3, 1)


def test_a_clean_year_has_no_warning() -> None:
    found = warnings_of(year(*[(A.PRESENT, D.PAID)] * 12))
    assert (found.unexcused_months, found.unpaid_months, found.excused_streak) == (0, 0, 0)
    assert not found.any and not found.strike_off


def test_dues_unpaid_two_months_warns_one_does_not() -> None:
    one = warnings_of(year((A.PRESENT, D.UNPAID), *[(A.PRESENT, D.PAID)] * 11))
    assert not one.dues and not one.any
    two = warnings_of(year((A.PRESENT, D.UNPAID), (A.PRESENT, D.PAID), (A.PRESENT, D.UNPAID)))
    assert two.dues and two.unpaid_months == 2 and not two.absent and not two.strike_off


def test_absent_without_reason_and_unpaid_are_counted_apart() -> None:
    found = warnings_of(year((A.UNEXCUSED, D.PAID), (A.PRESENT, D.UNPAID)))
    assert (found.unexcused_months, found.unpaid_months) == (1, 1)
    assert not found.any


def test_three_months_reach_the_strike_off_threshold() -> None:
    found = warnings_of(year(*[(A.UNEXCUSED, D.UNKNOWN)] * 3))
    assert found.absent and found.strike_off


def test_not_recorded_dues_never_warn() -> None:
    assert not warnings_of(year(*[(A.PRESENT, D.UNKNOWN)] * 12)).any


def test_excused_three_in_a_row_warns_and_a_meeting_attended_breaks_the_run() -> None:
    run = warnings_of(year((A.EXCUSED, D.PAID), (A.EXCUSED, D.PAID), (A.EXCUSED, D.PAID)))
    assert run.streak and run.excused_streak == 3 and not run.absent
    broken = warnings_of(
        year(
            (A.EXCUSED, D.PAID),
            (A.EXCUSED, D.PAID),
            (A.PRESENT, D.PAID),
            (A.EXCUSED, D.PAID),
        )
    )
    assert not broken.streak and broken.excused_streak == 2


def test_months_without_a_meeting_neither_extend_nor_break_the_run() -> None:
    found = warnings_of(
        year(
            (A.EXCUSED, D.PAID),
            (A.NO_MEETING, D.UNKNOWN),
            (A.EXCUSED, D.PAID),
            (A.EXEMPT, D.UNKNOWN),
            (A.EXCUSED, D.PAID),
        )
    )
    assert found.excused_streak == 3 and found.streak


def test_an_unexcused_absence_breaks_the_excused_run() -> None:
    found = warnings_of(
        year((A.EXCUSED, D.PAID), (A.EXCUSED, D.PAID), (A.UNEXCUSED, D.PAID), (A.EXCUSED, D.PAID))
    )
    assert found.excused_streak == 2 and not found.streak


def test_order_of_entries_does_not_matter() -> None:
    entries = year((A.EXCUSED, D.PAID), (A.EXCUSED, D.PAID), (A.EXCUSED, D.PAID))
    assert warnings_of(list(reversed(entries))).excused_streak == 3


@pytest.mark.parametrize(
    ("admitted", "ends", "remind"),
    [
        (dt.date(2025, 12, 27), dt.date(2026, 12, 27), dt.date(2026, 11, 27)),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28), dt.date(2025, 1, 29)),
        (dt.date(2025, 3, 31), dt.date(2026, 3, 31), dt.date(2026, 3, 1)),
    ],
)
def test_probation_ends_twelve_months_after_admission(
    admitted: dt.date, ends: dt.date, remind: dt.date
) -> None:
    assert probation_end(admitted) == ends
    assert probation_reminder_day(admitted) == remind


def test_add_calendar_months_clamps_to_the_month_end() -> None:
    assert add_calendar_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_calendar_months(dt.date(2026, 5, 15), -5) == dt.date(2025, 12, 15)


def test_admission_day_problems() -> None:
    today = dt.date(2026, 12, 2)
    assert admission_problem(dt.date(2026, 12, 3), today) == "future"
    assert admission_problem(dt.date(1929, 1, 1), today) == "too_old"
    assert admission_problem(dt.date(2026, 12, 2), today) is None


def test_dues_amount_problems() -> None:
    assert dues_amount_problem(0) == "zero"
    assert dues_amount_problem(30_000) is None
    assert dues_amount_problem(50_000_000) == "too_big"


def test_recent_absences_look_at_the_last_three_months_only() -> None:
    # Absent without reason in January and February (out of the last 3 of six months), then
    # absent with a reason in April and without in June: 2 of the last 3, one without reason.
    months = year(
        (A.UNEXCUSED, D.PAID),
        (A.UNEXCUSED, D.PAID),
        (A.PRESENT, D.PAID),
        (A.EXCUSED, D.PAID),
        (A.NO_MEETING, D.UNKNOWN),
        (A.UNEXCUSED, D.PAID),
    )
    found = recent_absences(list(reversed(months)))  # any order
    assert (found.months, found.unexcused, found.warned) == (2, 1, True)
    found = recent_absences(months[:5])  # March to May: one absence, no warning
    assert (found.months, found.unexcused, found.warned) == (1, 0, False)
