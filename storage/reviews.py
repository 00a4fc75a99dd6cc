"""Supervisor review of submitted check-ins: the queue, the verdict and the note to the cell."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.periods import month_label
from storage import audit
from storage.accounts import CELL_ROLES
from storage.models import Account, Checkin, CheckinStatus, OrgUnit, RoleGrant
from storage.outbox import Notice, enqueue
from storage.scope import UnitRef, visible_unit
from storage.tree import under

REVIEW_KIND = "review"
REVIEW_APPROVED = "approved"
REVIEW_HAS_ISSUES = "has_issues"
REVIEW_STATUSES = (REVIEW_APPROVED, REVIEW_HAS_ISSUES)


@dataclass(frozen=True)
class ReviewItem:
    checkin_id: int
    cell_id: int
    cell_code: str
    cell_name: str
    month: dt.date
    slot: str
    submitted_at: dt.datetime | None
    review_status: str | None


async def review_queue(
    session: AsyncSession, unit: UnitRef, page: int, page_size: int
) -> tuple[list[ReviewItem], int]:
    """Submitted, not yet reviewed check-ins under `unit`, newest first."""
    where = (
        under(unit.path),
        Checkin.status == CheckinStatus.SUBMITTED.value,
        Checkin.review_status.is_(None),
    )
    total = int(
        await session.scalar(
            select(func.count())
            .select_from(Checkin)
            .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
            .where(*where)
        )
        or 0
    )
    rows = await session.execute(
        select(Checkin, OrgUnit.code, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
        .where(*where)
        .order_by(Checkin.submitted_at.desc(), Checkin.id.desc())
        .offset(page * page_size)
        .limit(page_size)
    )
    items = [
        ReviewItem(c.id, c.cell_id, code, name, c.month, c.slot, c.submitted_at, c.review_status)
        for c, code, name in rows.all()
    ]
    return items, total


async def checkin_in_scope(
    session: AsyncSession, roots: Sequence[UnitRef], checkin_id: int | None
) -> tuple[Checkin, UnitRef] | None:
    """A submitted check-in of a cell in scope; None otherwise (same answer for all)."""
    if checkin_id is None:
        return None
    checkin = await session.get(Checkin, checkin_id)
    if checkin is None or checkin.status != CheckinStatus.SUBMITTED.value:
        return None
    cell = await visible_unit(session, roots, checkin.cell_id)
    return None if cell is None else (checkin, cell)


async def set_review(
    session: AsyncSession,
    checkin: Checkin,
    cell: UnitRef,
    status: str,
    comment: str | None,
    *,
    actor_account_id: int,
    now: dt.datetime,
) -> int:
    """Record a review, audit it and queue a note to the cell's secretaries (count queued)."""
    if status not in REVIEW_STATUSES:
        raise ValueError(status)
    before = {"review_status": checkin.review_status, "review_comment": checkin.review_comment}
    checkin.review_status = status
    checkin.review_comment = comment
    checkin.reviewed_by = actor_account_id
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="checkin",
        entity_id=checkin.id,
        action="review",
        before=before,
        after={"review_status": status, "review_comment": comment},
    )
    recipients = (
        await session.execute(
            select(Account.id, Account.telegram_id)
            .join(RoleGrant, RoleGrant.account_id == Account.id)
            .where(RoleGrant.unit_id == checkin.cell_id, RoleGrant.role.in_(CELL_ROLES))
            .distinct()
        )
    ).all()
    queued = 0
    stamp = int(now.timestamp())
    for account_id, telegram_id in recipients:
        payload: Notice = {
            "notice": "review_ok" if status == REVIEW_APPROVED else "review_issues",
            "cell_id": checkin.cell_id,
            "cell": cell.name,
            "month": month_label(checkin.month),
            "comment": comment or "",
        }
        queued += await enqueue(
            session,
            dedup_key=f"review:{checkin.id}:{stamp}:{account_id}",
            kind=REVIEW_KIND,
            chat_id=int(telegram_id),
            due_at=now,
            cell_id=checkin.cell_id,
            account_id=int(account_id),
            payload=payload,
        )
    return queued
