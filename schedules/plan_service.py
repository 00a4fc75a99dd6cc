"""Planning against the database: gather facts, call the pure planner, sync the outbox.

Syncing is idempotent: planning twice writes the same rows. Rows the plan no longer wants
(the schedule changed, the meeting moved or was cancelled, the month's check-in was
submitted, a kind was muted, a secretary left) are marked ``cancelled`` while still pending;
a row whose key comes back (the schedule is changed back) is revived. Rows already sent,
failed or expired are never touched.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from domain.member_rules import probation_end, probation_reminder_day
from domain.orgpath import path_ids
from domain.periods import add_months, month_label
from schedules.planner import (
    CELL_KINDS,
    MONTH_KINDS,
    CellFacts,
    Offsets,
    Planned,
    Probation,
    Recipient,
    UnitFacts,
    plan_cell,
    plan_digests,
    plan_probations,
    planning_months,
    quarter_of,
)
from schedules.rules import Override, Rule, rule_from_row
from storage.accounts import secretaries_of
from storage.db import SessionFactory
from storage.ledger import on_probation
from storage.models import (
    Account,
    Checkin,
    CheckinStatus,
    MeetingOverride,
    MeetingSchedule,
    OrgUnit,
    OutboxMessage,
    OutboxStatus,
    ReminderMute,
    Role,
    RoleGrant,
)
from storage.tree import under

# Snoozed copies ("snz:") are the user's, not the plan's; "pb:" probation reminders.
PLANNED_PREFIXES = ("r:", "th:", "dg:", "pb:")
THEMATIC_TYPES = ("thematic", "combined")


def offsets_from(settings: Settings) -> Offsets:
    return Offsets(
        premeeting_days=settings.reminder_premeeting_days,
        morning_hour=settings.reminder_morning_hour,
        eve_hour=settings.reminder_eve_hour,
        soon_hours=settings.reminder_soon_hours,
        checkin_after_hours=settings.reminder_checkin_after_hours,
        overdue_days=(settings.reminder_overdue_first_days, settings.reminder_overdue_second_days),
        quiet_start=settings.quiet_hours_start,
        quiet_end=settings.quiet_hours_end,
        horizon_days=settings.reminder_horizon_days,
    )


@dataclass
class PlanReport:
    cells: int = 0
    inserted: int = 0
    updated: int = 0
    cancelled: int = 0

    def add(self, other: PlanReport) -> None:
        self.cells += other.cells
        self.inserted += other.inserted
        self.updated += other.updated
        self.cancelled += other.cancelled


# ------------------------------------------------------------------------- facts


def _ancestor_ids(path: str) -> list[int]:
    """Ids on a materialised path "/1/7/42/", nearest first (the unit itself first)."""
    return path_ids(path)[::-1]


async def effective_schedules(
    session: AsyncSession, units: Iterable[OrgUnit]
) -> dict[int, MeetingSchedule | None]:
    """Each unit's own schedule, or its nearest ancestor's (None when nobody set one)."""
    units = list(units)
    wanted = {i for u in units for i in _ancestor_ids(u.path)}
    rows = (
        await session.scalars(select(MeetingSchedule).where(MeetingSchedule.unit_id.in_(wanted)))
    ).all()
    by_unit = {s.unit_id: s for s in rows}
    result: dict[int, MeetingSchedule | None] = {}
    for unit in units:
        result[unit.id] = next((by_unit[i] for i in _ancestor_ids(unit.path) if i in by_unit), None)
    return result


def rule_of(schedule: MeetingSchedule | None, default_tz: ZoneInfo) -> Rule | None:
    if schedule is None:
        return None
    return rule_from_row(
        schedule.rule_kind,
        schedule.day,
        schedule.nth,
        schedule.weekday,
        schedule.start_time,
        schedule.timezone,
        default_tz,
    )


async def gather_facts(
    session: AsyncSession,
    cells: list[OrgUnit],
    now: dt.datetime,
    offsets: Offsets,
    default_tz: ZoneInfo,
) -> list[CellFacts]:
    if not cells:
        return []
    ids = [c.id for c in cells]
    schedules = await effective_schedules(session, cells)
    # A month before the planning window, and from the start of its quarter (thematic check).
    first_month = add_months(planning_months(now, default_tz, offsets)[0], -3)
    overrides: dict[int, list[Override]] = defaultdict(list)
    for o in (
        await session.scalars(
            select(MeetingOverride).where(
                MeetingOverride.cell_id.in_(ids), MeetingOverride.month >= first_month
            )
        )
    ).all():
        overrides[o.cell_id].append(Override(o.month, o.moved_to, o.cancelled, o.reason))
    muted: dict[int, set[str]] = defaultdict(set)
    for cell_id, kind in (
        await session.execute(
            select(ReminderMute.cell_id, ReminderMute.kind).where(ReminderMute.cell_id.in_(ids))
        )
    ).all():
        muted[cell_id].add(kind)
    submitted: dict[int, set[dt.date]] = defaultdict(set)
    thematic: dict[int, set[str]] = defaultdict(set)
    for cell_id, month, slot, meeting_type in (
        await session.execute(
            select(Checkin.cell_id, Checkin.month, Checkin.slot, Checkin.meeting_type).where(
                Checkin.cell_id.in_(ids),
                Checkin.status == CheckinStatus.SUBMITTED.value,
                Checkin.month >= first_month,
            )
        )
    ).all():
        if slot == "regular":
            submitted[cell_id].add(month)
        if meeting_type in THEMATIC_TYPES or slot == "thematic":
            thematic[cell_id].add(quarter_of(month))
    recipients = await secretaries_of(session, ids)
    probations = await on_probation(session, ids)
    facts = []
    for cell in cells:
        try:
            rule = rule_of(schedules[cell.id], default_tz)
        except ValueError:
            rule = None  # a broken stored rule plans nothing rather than stopping everyone
        facts.append(
            CellFacts(
                cell_id=cell.id,
                name=cell.name,
                rule=rule,
                recipients=tuple(
                    Recipient(a.id, a.telegram_id) for a in recipients.get(cell.id, [])
                ),
                overrides=tuple(overrides[cell.id]),
                muted=frozenset(muted[cell.id]),
                submitted_months=frozenset(submitted[cell.id]),
                thematic_quarters=frozenset(thematic[cell.id]),
                grassroots_id=cell.parent_id,
                probations=tuple(
                    Probation(
                        p.member_id,
                        p.name,
                        probation_end(p.admitted_on),
                        probation_reminder_day(p.admitted_on),
                    )
                    for p in probations.get(cell.id, [])
                ),
            )
        )
    return facts


async def supervisors_of(session: AsyncSession, unit_ids: list[int]) -> dict[int, list[Recipient]]:
    rows = await session.execute(
        select(RoleGrant.unit_id, Account.id, Account.telegram_id)
        .join(Account, Account.id == RoleGrant.account_id)
        .where(RoleGrant.unit_id.in_(unit_ids), RoleGrant.role == Role.SUPERVISOR.value)
        .order_by(RoleGrant.unit_id, Account.id)
    )
    out: dict[int, list[Recipient]] = defaultdict(list)
    for unit_id, account_id, telegram_id in rows.all():
        out[unit_id].append(Recipient(account_id, telegram_id))
    return out


# ------------------------------------------------------------------------- planning


async def plan_groups(
    session: AsyncSession,
    parent_ids: list[int],
    now: dt.datetime,
    offsets: Offsets,
    default_tz: ZoneInfo,
) -> PlanReport:
    """(Re-)plan every cell whose parent is in `parent_ids`, and the parents' digests."""
    report = PlanReport()
    if not parent_ids:
        return report
    cells = list(
        (
            await session.scalars(
                select(OrgUnit)
                .where(OrgUnit.parent_id.in_(parent_ids), OrgUnit.kind == "cell")
                .order_by(OrgUnit.id)
            )
        ).all()
    )
    parents = {
        u.id: u
        for u in (await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(parent_ids)))).all()
    }
    facts = await gather_facts(session, cells, now, offsets, default_tz)
    supervisors = await supervisors_of(session, list(parents))
    desired: list[Planned] = []
    for cell in facts:
        desired.extend(plan_cell(cell, now, offsets))
        desired.extend(plan_probations(cell, default_tz, offsets))
    by_parent: dict[int, list[CellFacts]] = defaultdict(list)
    for cell in facts:
        if cell.grassroots_id is not None:
            by_parent[cell.grassroots_id].append(cell)
    for parent_id, parent in parents.items():
        unit = UnitFacts(parent.id, parent.name, tuple(supervisors.get(parent_id, [])))
        desired.extend(plan_digests(unit, by_parent.get(parent_id, []), now, offsets))
    report.cells = len(cells)
    window_start = now - dt.timedelta(days=62)
    await _sync(
        session, [c.id for c in cells], list(parents), desired, now, offsets, window_start, report
    )
    return report


async def _sync(
    session: AsyncSession,
    cell_ids: list[int],
    parent_ids: list[int],
    desired: list[Planned],
    now: dt.datetime,
    offsets: Offsets,
    window_start: dt.datetime,
    report: PlanReport,
) -> None:
    horizon_end = now + dt.timedelta(days=offsets.horizon_days)
    scope: list[ColumnElement[bool]] = (
        [OutboxMessage.cell_id.in_(cell_ids) & OutboxMessage.kind.in_(CELL_KINDS)]
        if cell_ids
        else []
    )
    scope += [OutboxMessage.dedup_key.startswith(f"dg:{pid}:") for pid in parent_ids]
    existing = {
        row.dedup_key: row
        for row in (
            await session.scalars(
                select(OutboxMessage).where(
                    or_(*scope),
                    OutboxMessage.status.in_(
                        (OutboxStatus.PENDING.value, OutboxStatus.CANCELLED.value)
                    ),
                    OutboxMessage.due_at >= window_start,
                )
            )
        ).all()
        if row.dedup_key.startswith(PLANNED_PREFIXES)
    }
    wanted = {p.dedup_key: p for p in desired}
    new_rows: list[dict[str, Any]] = []
    for key, plan in wanted.items():
        row = existing.get(key)
        if not plan.insertable(now, horizon_end):
            continue  # not yet (beyond the horizon) or no longer useful
        if row is None:
            new_rows.append(_values(plan, now))
        elif _differs(row, plan):
            row.status = OutboxStatus.PENDING.value
            row.due_at, row.expires_at, row.payload = plan.due_at, plan.expires_at, plan.payload
            row.chat_id, row.occurrence = plan.chat_id, plan.occurrence
            report.updated += 1
    for key, row in existing.items():
        if key not in wanted and row.status == OutboxStatus.PENDING.value:
            row.status = OutboxStatus.CANCELLED.value
            report.cancelled += 1
    if new_rows:
        report.inserted += await _insert_many(session, new_rows)
    await session.flush()


def _differs(row: OutboxMessage, plan: Planned) -> bool:
    return (
        row.status != OutboxStatus.PENDING.value
        or row.due_at != plan.due_at
        or row.expires_at != plan.expires_at
        or row.payload != plan.payload
        or row.chat_id != plan.chat_id
    )


def _values(plan: Planned, now: dt.datetime) -> dict[str, Any]:
    return {
        "dedup_key": plan.dedup_key,
        "kind": plan.kind,
        "chat_id": plan.chat_id,
        "account_id": plan.account_id,
        "cell_id": plan.cell_id,
        "occurrence": plan.occurrence,
        "due_at": plan.due_at,
        "expires_at": plan.expires_at,
        "payload": plan.payload,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "created_at": now,
    }


async def _insert_many(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert, skipping keys that exist (e.g. already sent); returns how many were new."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    count = 0
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        result = await session.execute(
            insert(OutboxMessage)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=[OutboxMessage.dedup_key])
            .returning(OutboxMessage.id)
        )
        count += len(result.all())
    return count


async def groups_for(session: AsyncSession, unit_id: int) -> list[int]:
    """Parent ids of every cell at or below `unit_id` (the unit of planning)."""
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        return []
    if unit.kind == "cell":
        return [unit.parent_id] if unit.parent_id is not None else []
    rows = await session.scalars(
        select(OrgUnit.parent_id).where(under(unit.path), OrgUnit.kind == "cell").distinct()
    )
    return [r for r in rows.all() if r is not None]


async def replan_unit(
    session: AsyncSession, unit_id: int, now: dt.datetime, settings: Settings
) -> PlanReport:
    """Re-plan after a schedule, override or mute change of a cell or a unit's default."""
    return await plan_groups(
        session, await groups_for(session, unit_id), now, offsets_from(settings), settings.tz
    )


async def plan_all(
    sessions: SessionFactory, now: dt.datetime, settings: Settings, chunk: int = 50
) -> PlanReport:
    """Plan every cell, `chunk` parent units per transaction (bounded memory and locks)."""
    async with sessions() as session:
        parent_ids = sorted(
            {
                p
                for p in (
                    await session.scalars(
                        select(OrgUnit.parent_id).where(OrgUnit.kind == "cell").distinct()
                    )
                ).all()
                if p is not None
            }
        )
    report = PlanReport()
    offsets = offsets_from(settings)
    for start in range(0, len(parent_ids), chunk):
        async with sessions.begin() as session:
            report.add(
                await plan_groups(
                    session, parent_ids[start : start + chunk], now, offsets, settings.tz
                )
            )
    return report


async def stop_month(session: AsyncSession, cell_id: int, month: dt.date) -> int:
    """Cancel the month's remaining meeting reminders (its check-in was submitted).

    The dispatcher also checks this when sending, so calling it is an optimisation that
    keeps /reminders accurate right away.
    """
    label = month_label(month)
    rows = (
        await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.cell_id == cell_id,
                OutboxMessage.kind.in_(MONTH_KINDS),
                OutboxMessage.status == OutboxStatus.PENDING.value,
            )
        )
    ).all()
    count = 0
    for row in rows:
        if (row.payload or {}).get("month") == label:
            row.status = OutboxStatus.CANCELLED.value
            count += 1
    return count
