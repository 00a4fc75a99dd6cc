"""Meeting schedules, one-off changes of a month's meeting, and reminder mutes: the reads
and audited writes of /schedule and /reminders (the planner's own queries live in
schedules/plan_service.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.models import (
    MeetingOverride,
    MeetingSchedule,
    OrgUnit,
    OutboxMessage,
    OutboxStatus,
    ReminderMute,
)


async def get_unit(session: AsyncSession, unit_id: int) -> OrgUnit | None:
    return await session.get(OrgUnit, unit_id)


async def outbox_row(session: AsyncSession, row_id: int) -> OutboxMessage | None:
    return await session.get(OutboxMessage, row_id)


# ---------------------------------------------------------------- the standing rule


def _schedule_dict(schedule: MeetingSchedule | None) -> dict[str, Any] | None:
    if schedule is None:
        return None
    return {
        "rule_kind": schedule.rule_kind,
        "day": schedule.day,
        "nth": schedule.nth,
        "weekday": schedule.weekday,
        "start_time": schedule.start_time,
    }


async def set_schedule(
    session: AsyncSession,
    unit_id: int,
    *,
    rule_kind: str,
    day: int | None,
    nth: int | None,
    weekday: int | None,
    start_time: str,
    actor_account_id: int,
) -> None:
    """Set the unit's own meeting rule (its cells inherit it unless they set their own)."""
    existing = await session.scalar(
        select(MeetingSchedule).where(MeetingSchedule.unit_id == unit_id)
    )
    before = _schedule_dict(existing)
    if existing is None:
        existing = MeetingSchedule(unit_id=unit_id, rule_kind=rule_kind)
        session.add(existing)
    existing.rule_kind = rule_kind
    existing.day = day
    existing.nth = nth
    existing.weekday = weekday
    existing.start_time = start_time
    existing.updated_by = actor_account_id
    await session.flush()
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="meeting_schedule",
        entity_id=unit_id,
        action="set",
        before=before,
        after=_schedule_dict(existing),
    )


async def clear_schedule(session: AsyncSession, unit_id: int, *, actor_account_id: int) -> bool:
    """Drop the unit's own rule so it inherits its parent's; False when it had none."""
    existing = await session.scalar(
        select(MeetingSchedule).where(MeetingSchedule.unit_id == unit_id)
    )
    if existing is None:
        return False
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="meeting_schedule",
        entity_id=unit_id,
        action="inherit",
        before=_schedule_dict(existing),
    )
    await session.delete(existing)
    await session.flush()
    return True


# ---------------------------------------------------------------- one month's meeting


async def overrides_since(
    session: AsyncSession, cell_id: int, since: dt.date
) -> Sequence[MeetingOverride]:
    rows = await session.scalars(
        select(MeetingOverride).where(
            MeetingOverride.cell_id == cell_id, MeetingOverride.month >= since
        )
    )
    return rows.all()


def _override_dict(o: MeetingOverride) -> dict[str, Any]:
    return {
        "month": o.month.isoformat(),
        "moved_to": o.moved_to.isoformat() if o.moved_to else None,
        "cancelled": o.cancelled,
        "reason": o.reason,
    }


async def set_override(
    session: AsyncSession,
    cell_id: int,
    month: dt.date,
    *,
    moved_to: dt.datetime | None,
    cancelled: bool,
    reason: str | None,
    actor_account_id: int,
) -> None:
    """Move or cancel the cell's meeting of `month` (one change per month, replaced)."""
    existing = await session.scalar(
        select(MeetingOverride).where(
            MeetingOverride.cell_id == cell_id, MeetingOverride.month == month
        )
    )
    before = _override_dict(existing) if existing else None
    if existing is None:
        existing = MeetingOverride(cell_id=cell_id, month=month, created_by=actor_account_id)
        session.add(existing)
    existing.moved_to, existing.cancelled, existing.reason = moved_to, cancelled, reason
    existing.created_by = actor_account_id
    await session.flush()
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="meeting_override",
        entity_id=cell_id,
        action="cancel" if cancelled else "move",
        before=before,
        after=_override_dict(existing),
    )


async def restore_month(
    session: AsyncSession, cell_id: int, month: dt.date, *, actor_account_id: int
) -> bool:
    """Undo the month's move or cancellation; False when there was none."""
    existing = await session.scalar(
        select(MeetingOverride).where(
            MeetingOverride.cell_id == cell_id, MeetingOverride.month == month
        )
    )
    if existing is None:
        return False
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="meeting_override",
        entity_id=cell_id,
        action="restore",
        before=_override_dict(existing),
    )
    await session.execute(delete(MeetingOverride).where(MeetingOverride.id == existing.id))
    return True


# ---------------------------------------------------------------- reminders


async def pending_reminders(
    session: AsyncSession, cell_id: int, kinds: Sequence[str], since: dt.datetime
) -> list[tuple[dt.datetime, str]]:
    """(due, kind) of the cell's pending reminders due from `since`, soonest first."""
    rows = await session.execute(
        select(OutboxMessage.due_at, OutboxMessage.kind)
        .where(
            OutboxMessage.cell_id == cell_id,
            OutboxMessage.kind.in_(kinds),
            OutboxMessage.status == OutboxStatus.PENDING.value,
            OutboxMessage.due_at >= since,
        )
        .distinct()
        .order_by(OutboxMessage.due_at)
    )
    return [(due, kind) for due, kind in rows.all()]


async def muted_kinds(session: AsyncSession, cell_id: int) -> set[str]:
    rows = await session.scalars(select(ReminderMute.kind).where(ReminderMute.cell_id == cell_id))
    return set(rows.all())


async def toggle_mute(
    session: AsyncSession, cell_id: int, kind: str, *, actor_account_id: int
) -> bool:
    """Mute the cell's reminders of `kind`, or unmute them; True when now muted."""
    existing = await session.scalar(
        select(ReminderMute).where(ReminderMute.cell_id == cell_id, ReminderMute.kind == kind)
    )
    if existing is None:
        session.add(ReminderMute(cell_id=cell_id, kind=kind))
    else:
        await session.delete(existing)
    await session.flush()
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="reminder_mute",
        entity_id=cell_id,
        action="mute" if existing is None else "unmute",
        after={"kind": kind},
    )
    return existing is None
