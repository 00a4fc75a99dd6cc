"""The outbox: messages to send later, one row each, deduplicated by `dedup_key`.

Payload conventions (rendered by the dispatcher in the recipient's language at send time):
- ``{"text": "..."}``: a text already written by a person (a broadcast);
- ``{"key": "catalog.key", "values": {...}}``: a catalog message, formatted with values;
- optional ``"buttons": [[["catalog.key", "callback:data"], ...], ...]``: inline buttons
  whose labels are catalog keys (the reminder planner's payloads);
- a `Notice` or an `AccessNotice` (``{"notice": ...}``): facts only, written by storage; the
  dispatcher turns it into text and buttons (bot/notices.py), so storage holds no catalog
  key, HTML or callback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from storage.models import OutboxMessage, OutboxStatus

NoticeKind = Literal["nudge", "review_ok", "review_issues"]


class Notice(TypedDict):
    """An outbox payload about one cell's month, stored as facts (plain text, not HTML)."""

    notice: NoticeKind
    cell_id: int
    cell: str  # the cell's name
    month: str  # YYYY-MM
    comment: NotRequired[str]  # a review's comment ("" when none)


AccessNoticeKind = Literal["access_revoked", "access_replaced"]
ACCESS_KIND = "access"  # the outbox kind of the notes below


class AccessNotice(TypedDict):
    """An outbox payload telling a person that one of their grants ended: revoked by a
    supervisor, an admin or the operator, or replaced by a new secretary (a handover)."""

    notice: AccessNoticeKind
    unit: str  # the unit's name
    role: str  # storage.models.Role


async def enqueue(
    session: AsyncSession,
    *,
    dedup_key: str,
    kind: str,
    chat_id: int,
    due_at: dt.datetime,
    payload: Mapping[str, Any],
    cell_id: int | None = None,
    account_id: int | None = None,
    occurrence: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    batch_id: int | None = None,
) -> bool:
    """Insert a message unless one with the same key exists; True when inserted."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboxMessage)
        .values(
            dedup_key=dedup_key,
            kind=kind,
            chat_id=chat_id,
            due_at=due_at,
            payload=dict(payload),
            cell_id=cell_id,
            account_id=account_id,
            occurrence=occurrence,
            expires_at=expires_at,
            batch_id=batch_id,
            status=OutboxStatus.PENDING.value,
            attempts=0,
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedup_key])
        .returning(OutboxMessage.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None
