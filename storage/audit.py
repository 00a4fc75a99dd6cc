"""The audit log: who changed which record, when, before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def record(
    session: AsyncSession,
    *,
    actor_account_id: int | None,
    entity: str,
    entity_id: int | None,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str = "",
) -> None:
    """Add an audit row to the caller's transaction (committed with the change itself)."""
    session.add(
        AuditEntry(
            actor_account_id=actor_account_id,
            actor_label=actor_label,
            entity=entity,
            entity_id=entity_id,
            action=action,
            before=before,
            after=after,
        )
    )
