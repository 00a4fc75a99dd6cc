"""Meeting notices to the supervising committee (HD 42-HD/BTCTW: members and the supervising
committee are told the time, place and content in advance): who receives one, sending it
through the outbox, and the record of each send (``meeting_notices``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from storage import audit
from storage.models import Account, MeetingNotice, OrgUnit, Role, RoleGrant
from storage.outbox import enqueue

KIND = "meeting_notice"  # the outbox kind


@dataclass(frozen=True)
class NoticeSent:
    sent_at: dt.datetime
    recipients: int
    count: int  # how many times the month's notice was sent


async def last_sent(session: AsyncSession, cell_id: int, month: dt.date) -> NoticeSent | None:
    row = (
        await session.execute(
            select(func.max(MeetingNotice.sent_at), func.count(MeetingNotice.id)).where(
                MeetingNotice.cell_id == cell_id, MeetingNotice.month == month
            )
        )
    ).one()
    if not row[1]:
        return None
    latest = await session.scalar(
        select(MeetingNotice)
        .where(MeetingNotice.cell_id == cell_id, MeetingNotice.month == month)
        .order_by(MeetingNotice.sent_at.desc(), MeetingNotice.id.desc())
        .limit(1)
    )
    assert latest is not None
    return NoticeSent(latest.sent_at, latest.recipients, int(row[1]))


async def parent_supervisors(session: AsyncSession, cell_id: int) -> list[Account]:
    """The accounts holding a supervisor grant on the cell's parent unit (the committee that
    supervises it directly), in a stable order."""
    parent_id = await session.scalar(select(OrgUnit.parent_id).where(OrgUnit.id == cell_id))
    if parent_id is None:
        return []
    rows = await session.scalars(
        select(Account)
        .join(RoleGrant, RoleGrant.account_id == Account.id)
        .where(RoleGrant.unit_id == parent_id, RoleGrant.role == Role.SUPERVISOR.value)
        .order_by(Account.id)
        .distinct()
    )
    return list(rows.all())


async def send_notice(
    session: AsyncSession,
    cell_id: int,
    month: dt.date,
    payload: Mapping[str, Any],
    *,
    actor: int,
) -> int:
    """Queue the notice to every supervisor of the parent unit and record the send, in the
    caller's transaction (the dispatcher delivers after the commit). Returns the number of
    recipients; nothing is recorded when there is nobody to tell."""
    recipients = await parent_supervisors(session, cell_id)
    if not recipients:
        return 0
    now = clock.now()
    notice = MeetingNotice(
        cell_id=cell_id, month=month, sent_at=now, sent_by=actor, recipients=len(recipients)
    )
    session.add(notice)
    await session.flush()
    for account in recipients:
        await enqueue(
            session,
            dedup_key=f"mtn:{notice.id}:{account.id}",
            kind=KIND,
            chat_id=account.telegram_id,
            due_at=now,
            payload=payload,
            cell_id=cell_id,
            account_id=account.id,
        )
    audit.record(
        session,
        actor_account_id=actor,
        entity="meeting_notice",
        entity_id=notice.id,
        action="send",
        after={"cell": cell_id, "month": month.isoformat(), "recipients": len(recipients)},
    )
    return len(recipients)
