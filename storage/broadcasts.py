"""What supervisors send down the tree: broadcasts to every secretary under a unit, and
nudges to the secretaries of the cells that have not reported a month (with the list of
those cells and the reminders already queued about them)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from domain.periods import add_months, month_label, month_start
from storage import audit
from storage.accounts import CELL_ROLES
from storage.models import (
    Account,
    Broadcast,
    Checkin,
    CheckinStatus,
    OrgUnit,
    OutboxMessage,
    RoleGrant,
    UnitKind,
)
from storage.outbox import Notice, enqueue
from storage.scope import UnitRef, visible_unit
from storage.tree import under

# Outbox kinds that are not reminders about a cell's report (excluded from "was reminded").
NOT_REMINDER_KINDS = ("broadcast", "review", "overdue_digest")
NUDGE_KIND = "nudge"
BROADCAST_KIND = "broadcast"


# ---------------------------------------------------------------- missing reports and nudges


@dataclass(frozen=True)
class MissingCell:
    cell_id: int
    code: str
    name: str
    group_name: str | None
    secretaries: list[str]  # display names
    reminders: dict[str, int]  # outbox status -> count, this month

    @property
    def reminder_state(self) -> str:
        """none | pending | sent | undeliverable | failed: the most telling status."""
        for status in ("undeliverable", "sent", "failed", "pending", "claimed"):
            if self.reminders.get(status):
                return "pending" if status == "claimed" else status
        return "none"


async def missing_cells(
    session: AsyncSession, unit: UnitRef, month: dt.date, tz: dt.tzinfo = clock.DEFAULT_TZ
) -> list[MissingCell]:
    """Cells under `unit` without a submitted check-in for `month` (three queries), with the
    reminders about that month: those whose occurrence lies in the month where the cell is
    (1 May 06:00 in Viet Nam is still 30 April in UTC)."""
    month = month_start(month)
    reported = exists().where(
        Checkin.cell_id == OrgUnit.id,
        Checkin.month == month,
        Checkin.status == CheckinStatus.SUBMITTED.value,
    )
    cells = (
        await session.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.parent_id)
            .where(under(unit.path), OrgUnit.kind == UnitKind.CELL.value, ~reported)
            .order_by(OrgUnit.code)
        )
    ).all()
    if not cells:
        return []
    ids = [int(r.id) for r in cells]
    parent_ids = {int(r.parent_id) for r in cells if r.parent_id is not None}
    parents = dict(
        (
            await session.execute(
                select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(parent_ids))
            )
        ).all()
    )
    secretaries: dict[int, list[str]] = defaultdict(list)
    for cell_id, name in (
        await session.execute(
            select(RoleGrant.unit_id, Account.display_name)
            .join(Account, Account.id == RoleGrant.account_id)
            .where(RoleGrant.unit_id.in_(ids), RoleGrant.role.in_(CELL_ROLES))
            .order_by(RoleGrant.unit_id, RoleGrant.role.desc(), Account.display_name)
        )
    ).all():
        secretaries[int(cell_id)].append(name)
    statuses: dict[int, dict[str, int]] = defaultdict(dict)
    start = dt.datetime.combine(month, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(add_months(month, 1), dt.time(), tz).astimezone(dt.UTC)
    about = func.coalesce(OutboxMessage.occurrence, OutboxMessage.due_at)
    for outbox_cell, status, count in (
        await session.execute(
            select(OutboxMessage.cell_id, OutboxMessage.status, func.count())
            .where(
                OutboxMessage.cell_id.in_(ids),
                OutboxMessage.kind.not_in(NOT_REMINDER_KINDS),
                about >= start,
                about < end,
            )
            .group_by(OutboxMessage.cell_id, OutboxMessage.status)
        )
    ).all():
        statuses[int(outbox_cell or 0)][str(status)] = int(count)
    return [
        MissingCell(
            cell_id=int(r.id),
            code=r.code,
            name=r.name,
            group_name=parents.get(r.parent_id) if r.parent_id is not None else None,
            secretaries=secretaries.get(int(r.id), []),
            reminders=statuses.get(int(r.id), {}),
        )
        for r in cells
    ]


async def remind_missing(
    session: AsyncSession,
    unit: UnitRef,
    month: dt.date,
    *,
    now: dt.datetime,
    local_day: dt.date,
    actor_account_id: int,
    tz: dt.tzinfo = clock.DEFAULT_TZ,
) -> tuple[int, int]:
    """Queue a "please report" message to the secretaries of every missing cell.

    The dedup key holds the local day, so each cell's secretaries get at most one such
    message per day however often supervisors tap the button. Returns (cells, queued).
    """
    month = month_start(month)
    missing = await missing_cells(session, unit, month, tz)
    if not missing:
        return 0, 0
    ids = [m.cell_id for m in missing]
    names = {m.cell_id: m.name for m in missing}
    rows = (
        await session.execute(
            select(RoleGrant.unit_id, Account.id, Account.telegram_id)
            .join(Account, Account.id == RoleGrant.account_id)
            .where(RoleGrant.unit_id.in_(ids), RoleGrant.role.in_(CELL_ROLES))
        )
    ).all()
    queued = 0
    cells: set[int] = set()
    label = month_label(month)
    for cell_id, account_id, telegram_id in rows:
        inserted = await enqueue(
            session,
            dedup_key=f"nudge:{cell_id}:{local_day.isoformat()}:{account_id}",
            kind=NUDGE_KIND,
            chat_id=int(telegram_id),
            # Filed under the month it is about, where the cell is (not the UTC month).
            occurrence=dt.datetime.combine(month, dt.time(), tz).astimezone(dt.UTC),
            due_at=now,
            expires_at=now + dt.timedelta(days=1),
            cell_id=int(cell_id),
            account_id=int(account_id),
            payload=Notice(
                notice="nudge", cell_id=int(cell_id), cell=names[int(cell_id)], month=label
            ),
        )
        if inserted:
            queued += 1
            cells.add(int(cell_id))
    if queued:
        audit.record(
            session,
            actor_account_id=actor_account_id,
            entity="org_unit",
            entity_id=unit.id,
            action="remind_missing",
            after={"month": label, "cells": len(cells), "messages": queued},
        )
    return len(cells), queued


# ---------------------------------------------------------------- broadcasts


async def broadcast_recipients(session: AsyncSession, unit: UnitRef) -> list[tuple[int, int]]:
    """(account id, Telegram id) of every secretary and deputy under `unit`, once each."""
    rows = await session.execute(
        select(Account.id, Account.telegram_id)
        .join(RoleGrant, RoleGrant.account_id == Account.id)
        .join(OrgUnit, OrgUnit.id == RoleGrant.unit_id)
        .where(under(unit.path), RoleGrant.role.in_(CELL_ROLES))
        .distinct()
        .order_by(Account.id)
    )
    return [(int(a), int(t)) for a, t in rows.all()]


async def create_broadcast(
    session: AsyncSession, unit: UnitRef, text: str, *, actor_account_id: int, now: dt.datetime
) -> Broadcast:
    """Store the broadcast and queue one outbox row per recipient (batch_id = its id)."""
    recipients = await broadcast_recipients(session, unit)
    item = Broadcast(
        unit_id=unit.id, text=text, created_by=actor_account_id, recipients=len(recipients)
    )
    session.add(item)
    await session.flush()
    for account_id, telegram_id in recipients:
        await enqueue(
            session,
            dedup_key=f"broadcast:{item.id}:{account_id}",
            kind=BROADCAST_KIND,
            chat_id=telegram_id,
            due_at=now,
            account_id=account_id,
            batch_id=item.id,
            payload={"text": text},
        )
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="broadcast",
        entity_id=item.id,
        action="create",
        after={"unit": unit.code, "recipients": len(recipients)},
    )
    return item


async def broadcast_in_scope(
    session: AsyncSession, roots: Sequence[UnitRef], broadcast_id: int | None
) -> Broadcast | None:
    if broadcast_id is None:
        return None
    item = await session.get(Broadcast, broadcast_id)
    if item is None or await visible_unit(session, roots, item.unit_id) is None:
        return None
    return item


async def delivery_report(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.batch_id == broadcast_id, OutboxMessage.kind == BROADCAST_KIND)
        .group_by(OutboxMessage.status)
    )
    return {str(s): int(n) for s, n in rows.all()}


async def recent_broadcasts(
    session: AsyncSession, unit: UnitRef, limit: int = 5
) -> list[Broadcast]:
    rows = await session.scalars(
        select(Broadcast)
        .where(Broadcast.unit_id == unit.id)
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
        .limit(limit)
    )
    return list(rows.all())
