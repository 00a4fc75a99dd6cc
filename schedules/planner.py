"""Pure planning of reminder rows: facts about cells in, outbox rows out. No I/O, no clock.

Every function takes `now` explicitly so tests can plan across month ends, February, DST
changes and quiet hours without touching the wall clock.

Kinds (the `kind` column of the outbox) and their default timing, relative to a meeting:
- ``premeeting``   3 days before, 08:00 — the executive committee (chi ủy) meets first;
- ``meeting_eve``  the day before, 18:00;
- ``meeting_soon`` 2 hours before the start;
- ``checkin``      when the meeting should have ended (start + 2 h) — cannot be muted;
- ``overdue_1`` / ``overdue_2``  3 and 7 days after, 08:00, while no check-in is submitted;
- ``overdue_digest`` at the second overdue point, ONE message per grassroots unit and
  supervisor listing its overdue cells (grouped by due time, so cells sharing the unit's
  default schedule share one digest);
- ``thematic``     the first day of a quarter's last month, 08:00, when the cell has had no
  thematic (or combined) meeting that quarter;
- ``probation``    30 days before a probationary member's probation ends (admitted on + 12
  months), 08:00: prepare the conversion (chuyển đảng chính thức); once per member and
  probation, whether or not the cell has a schedule.
Each row expires when it stops being useful (a pre-meeting reminder at the meeting's start,
a check-in prompt when the first overdue reminder takes over, ...); expired rows are never
sent late.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.callbacks import start_checkin
from domain.periods import add_months, month_label, month_start
from schedules.rules import Meeting, Override, Rule, meetings

PREMEETING = "premeeting"
MEETING_EVE = "meeting_eve"
MEETING_SOON = "meeting_soon"
CHECKIN = "checkin"
OVERDUE_1 = "overdue_1"
OVERDUE_2 = "overdue_2"
DIGEST = "overdue_digest"
THEMATIC = "thematic"
PROBATION = "probation"

MEETING_KINDS = (PREMEETING, MEETING_EVE, MEETING_SOON)
# Everything tied to one month's meeting: stopped once that month's check-in is submitted.
MONTH_KINDS = (*MEETING_KINDS, CHECKIN, OVERDUE_1, OVERDUE_2)
CELL_KINDS = (*MONTH_KINDS, THEMATIC, PROBATION)
# What a secretary may mute in /reminders: everything but the check-in prompt.
MUTABLE_KINDS = (PREMEETING, MEETING_EVE, MEETING_SOON, OVERDUE_1, OVERDUE_2, THEMATIC)


@dataclass(frozen=True)
class Offsets:
    premeeting_days: int = 3
    morning_hour: int = 8
    eve_hour: int = 18
    soon_hours: float = 2
    checkin_after_hours: float = 2
    overdue_days: tuple[int, int] = (3, 7)
    digest_expiry_days: int = 3
    quiet_start: int = 21
    quiet_end: int = 7
    horizon_days: int = 40


@dataclass(frozen=True)
class Recipient:
    account_id: int
    chat_id: int


@dataclass(frozen=True)
class Probation:
    member_id: int
    name: str
    ends_on: dt.date
    remind_on: dt.date


@dataclass(frozen=True)
class CellFacts:
    cell_id: int
    name: str
    rule: Rule | None
    recipients: tuple[Recipient, ...]
    overrides: tuple[Override, ...] = ()
    muted: frozenset[str] = frozenset()
    submitted_months: frozenset[dt.date] = frozenset()  # months with a submitted check-in
    thematic_quarters: frozenset[str] = frozenset()  # "2026-Q1" with a thematic meeting
    grassroots_id: int | None = None
    probations: tuple[Probation, ...] = ()  # probationary members with an admission date


@dataclass(frozen=True)
class UnitFacts:
    unit_id: int
    name: str
    supervisors: tuple[Recipient, ...]


@dataclass(frozen=True)
class Planned:
    dedup_key: str
    kind: str
    chat_id: int
    account_id: int | None
    cell_id: int | None
    occurrence: dt.datetime | None
    due_at: dt.datetime
    expires_at: dt.datetime
    payload: dict[str, Any] = field(hash=False, compare=True)

    def insertable(self, now: dt.datetime, horizon_end: dt.datetime) -> bool:
        """Worth writing now: due within the horizon and still useful."""
        return (
            self.due_at <= horizon_end and self.expires_at > now and self.due_at < self.expires_at
        )


# ------------------------------------------------------------------------- time helpers


def in_quiet_hours(moment: dt.datetime, tz: ZoneInfo, start: int, end: int) -> bool:
    if start == end:
        return False
    hour = moment.astimezone(tz).hour
    return start <= hour or hour < end if start > end else start <= hour < end


def out_of_quiet_hours(moment: dt.datetime, tz: ZoneInfo, start: int, end: int) -> dt.datetime:
    """`moment` itself, or the end of the quiet period it falls in (local `end`:00)."""
    if not in_quiet_hours(moment, tz, start, end):
        return moment
    local = moment.astimezone(tz)
    day = local.date() if local.hour < end else local.date() + dt.timedelta(days=1)
    return local_at(day, end, 0, tz)


def local_at(day: dt.date, hour: int, minute: int, tz: ZoneInfo) -> dt.datetime:
    """Wall-clock time on `day` in `tz`, as UTC."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(dt.UTC)


def tomorrow_morning(now: dt.datetime, tz: ZoneInfo, offsets: Offsets) -> dt.datetime:
    day = now.astimezone(tz).date() + dt.timedelta(days=1)
    return out_of_quiet_hours(
        local_at(day, offsets.morning_hour, 0, tz), tz, offsets.quiet_start, offsets.quiet_end
    )


def quarter_of(month: dt.date) -> str:
    return f"{month.year}-Q{(month.month - 1) // 3 + 1}"


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M")


# ------------------------------------------------------------------------- cells


def planning_months(now: dt.datetime, tz: ZoneInfo, offsets: Offsets) -> list[dt.date]:
    """Months whose meetings can still have useful reminders: last month to the horizon."""
    first = add_months(month_start(now.astimezone(tz).date()), -1)
    last = (now + dt.timedelta(days=offsets.horizon_days)).astimezone(tz).date()
    months = []
    current = first
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def _payload(
    key: str, values: dict[str, Any], buttons: list[list[list[str]]], **extra: Any
) -> dict[str, Any]:
    return {"key": key, "values": values, "buttons": buttons, **extra}


def _buttons(cell_id: int, month: dt.date, kind: str) -> list[list[list[str]]]:
    """Labels are catalog keys; "{id}" is replaced by the outbox row id when sent."""
    rows = [
        [["reminders.btn_start", start_checkin(cell_id, month_label(month))]],
        [["reminders.btn_snooze", "rm:sn:{id}"], ["reminders.btn_tomorrow", "rm:tm:{id}"]],
    ]
    if kind in MEETING_KINDS:
        rows.append([["reminders.btn_moved", f"rm:mv:{cell_id}:{month_label(month)}"]])
    if kind == PREMEETING:
        # The chi ủy meets now: the pre-meeting brief of that month's meeting, as a new
        # message (handlers/brief.py, action "r").
        rows.insert(0, [["brief.btn_open", f"bf:{cell_id}:r:{month_label(month)}"]])
    return rows


def _meeting_times(
    meeting: Meeting, tz: ZoneInfo, o: Offsets
) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """(due, expires) of each kind for one meeting, before quiet hours."""
    day = meeting.start.astimezone(tz).date()
    start = meeting.start
    overdue_1 = local_at(day + dt.timedelta(days=o.overdue_days[0]), o.morning_hour, 0, tz)
    overdue_2 = local_at(day + dt.timedelta(days=o.overdue_days[1]), o.morning_hour, 0, tz)
    return {
        PREMEETING: (
            local_at(day - dt.timedelta(days=o.premeeting_days), o.morning_hour, 0, tz),
            start,
        ),
        MEETING_EVE: (local_at(day - dt.timedelta(days=1), o.eve_hour, 0, tz), start),
        MEETING_SOON: (start - dt.timedelta(hours=o.soon_hours), start),
        CHECKIN: (start + dt.timedelta(hours=o.checkin_after_hours), overdue_1),
        OVERDUE_1: (overdue_1, overdue_2),
        OVERDUE_2: (overdue_2, overdue_2 + dt.timedelta(days=o.overdue_days[1])),
    }


def plan_cell(cell: CellFacts, now: dt.datetime, offsets: Offsets) -> list[Planned]:
    """Every reminder row the cell should have for the planning window (insertable or not).

    The caller writes the insertable ones and cancels pending rows that are no longer here.
    """
    if cell.rule is None or not cell.recipients:
        return []
    tz = cell.rule.tz
    months = planning_months(now, tz, offsets)
    out: list[Planned] = []
    name = html.escape(cell.name)
    for meeting in meetings(cell.rule, months, cell.overrides):
        if meeting.cancelled or meeting.month in cell.submitted_months:
            continue
        local = meeting.start.astimezone(tz)
        values: dict[str, object] = {
            "cell": name,
            "date": local.strftime("%d/%m/%Y"),
            "time": local.strftime("%H:%M"),
        }
        for kind, (due, expires) in _meeting_times(meeting, tz, offsets).items():
            if kind in cell.muted and kind in MUTABLE_KINDS:
                continue
            due = out_of_quiet_hours(due, tz, offsets.quiet_start, offsets.quiet_end)
            if kind in (OVERDUE_1, OVERDUE_2):
                days = offsets.overdue_days[0 if kind == OVERDUE_1 else 1]
                kind_values: dict[str, object] = {**values, "days": days}
                key = "reminders.overdue"
            else:
                kind_values, key = values, f"reminders.{kind}"
            for r in cell.recipients:
                out.append(
                    Planned(
                        dedup_key=f"r:{cell.cell_id}:{stamp(meeting.start)}:{kind}:{r.account_id}",
                        kind=kind,
                        chat_id=r.chat_id,
                        account_id=r.account_id,
                        cell_id=cell.cell_id,
                        occurrence=meeting.start,
                        due_at=due,
                        expires_at=expires,
                        payload=_payload(
                            key,
                            kind_values,
                            _buttons(cell.cell_id, meeting.month, kind),
                            month=month_label(meeting.month),
                            tz=tz.key,
                        ),
                    )
                )
    out.extend(_thematic(cell, months, tz, name, offsets))
    return out


def _thematic(
    cell: CellFacts, months: list[dt.date], tz: ZoneInfo, name: str, o: Offsets
) -> list[Planned]:
    if THEMATIC in cell.muted:
        return []
    out = []
    for month in months:
        if month.month % 3 != 0 or quarter_of(month) in cell.thematic_quarters:
            continue
        quarter = quarter_of(month)
        due = out_of_quiet_hours(
            local_at(month, o.morning_hour, 0, tz), tz, o.quiet_start, o.quiet_end
        )
        expires = local_at(add_months(month, 1), 0, 0, tz)
        for r in cell.recipients:
            out.append(
                Planned(
                    dedup_key=f"th:{cell.cell_id}:{quarter}:{r.account_id}",
                    kind=THEMATIC,
                    chat_id=r.chat_id,
                    account_id=r.account_id,
                    cell_id=cell.cell_id,
                    occurrence=local_at(month, 0, 0, tz),
                    due_at=due,
                    expires_at=expires,
                    payload=_payload(
                        "reminders.thematic",
                        {"cell": name, "quarter": quarter},
                        [
                            [
                                [
                                    "reminders.btn_start",
                                    start_checkin(cell.cell_id, month_label(month)),
                                ]
                            ],
                            [
                                ["reminders.btn_snooze", "rm:sn:{id}"],
                                ["reminders.btn_tomorrow", "rm:tm:{id}"],
                            ],
                        ],
                        month=month_label(month),
                        quarter=quarter,
                        tz=tz.key,
                    ),
                )
            )
    return out


def plan_probations(cell: CellFacts, default_tz: ZoneInfo, o: Offsets) -> list[Planned]:
    """The probation reminders of the cell's secretaries: due on the reminder day's morning,
    useful until the probation ends. The key names the member and the end day, so a member
    is reminded once per probation however often the planner runs."""
    tz = cell.rule.tz if cell.rule is not None else default_tz
    out = []
    for p in cell.probations:
        due = out_of_quiet_hours(
            local_at(p.remind_on, o.morning_hour, 0, tz), tz, o.quiet_start, o.quiet_end
        )
        expires = local_at(p.ends_on + dt.timedelta(days=1), 0, 0, tz)
        values = {
            "cell": html.escape(cell.name),
            "name": html.escape(p.name),
            "date": p.ends_on.strftime("%d/%m/%Y"),
        }
        for r in cell.recipients:
            out.append(
                Planned(
                    dedup_key=f"pb:{cell.cell_id}:{p.member_id}:{p.ends_on:%Y%m%d}:{r.account_id}",
                    kind=PROBATION,
                    chat_id=r.chat_id,
                    account_id=r.account_id,
                    cell_id=cell.cell_id,
                    occurrence=local_at(p.ends_on, 0, 0, tz),
                    due_at=due,
                    expires_at=expires,
                    payload=_payload(
                        "members.probation_reminder",
                        values,
                        [[["members.btn_open_card", f"m:show:{cell.cell_id}:{p.member_id}"]]],
                        member_id=p.member_id,
                        tz=tz.key,
                    ),
                )
            )
    return out


# ------------------------------------------------------------------------- digests


def plan_digests(
    unit: UnitFacts, cells: Iterable[CellFacts], now: dt.datetime, offsets: Offsets
) -> list[Planned]:
    """One digest per (due time, supervisor) listing the unit's cells overdue at that time.

    Which cells are still overdue is decided again when the digest is sent (the dispatcher
    drops cells that have submitted meanwhile, and the whole digest when none is left).
    """
    if not unit.supervisors:
        return []
    groups: dict[tuple[dt.date, dt.datetime, str], list[int]] = defaultdict(list)
    for cell in cells:
        if cell.rule is None:
            continue
        tz = cell.rule.tz
        for meeting in meetings(cell.rule, planning_months(now, tz, offsets), cell.overrides):
            if meeting.cancelled or meeting.month in cell.submitted_months:
                continue
            due, _ = _meeting_times(meeting, tz, offsets)[OVERDUE_2]
            due = out_of_quiet_hours(due, tz, offsets.quiet_start, offsets.quiet_end)
            groups[(meeting.month, due, tz.key)].append(cell.cell_id)
    out = []
    for (month, due, tz_key), cell_ids in sorted(groups.items()):
        for r in unit.supervisors:
            out.append(
                Planned(
                    dedup_key=f"dg:{unit.unit_id}:{month_label(month)}:{stamp(due)}:{r.account_id}",
                    kind=DIGEST,
                    chat_id=r.chat_id,
                    account_id=r.account_id,
                    cell_id=None,
                    occurrence=due,
                    due_at=due,
                    expires_at=due + dt.timedelta(days=offsets.digest_expiry_days),
                    payload={
                        "key": "reminders.digest",
                        "values": {
                            "unit": html.escape(unit.name),
                            "month": f"{month.month:02d}/{month.year}",
                            "days": offsets.overdue_days[1],
                        },
                        "digest_cells": sorted(cell_ids),
                        "unit_id": unit.unit_id,
                        "month": month_label(month),
                        "tz": tz_key,
                    },
                )
            )
    return out
