"""Ending a role grant: the row goes (storage.accounts.load_caller reads the grants on every
update, so the very next update of the person is refused), an audit row keeps who held what
since when and who ended it, and the person gets a note through the outbox.

Used by storage/access.py (revoke) and storage/invitations.py (a handover's redeem).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.accounts import Grant, grants_of
from storage.models import Account, OrgUnit, RoleGrant
from storage.outbox import ACCESS_KIND, AccessNotice, enqueue
from storage.scope import UnitRef

GRANT_ENTITY = "role_grant"


@dataclass(frozen=True)
class RevokedGrant:
    telegram_id: int
    account_id: int
    name: str
    language: str | None
    role: str
    unit: UnitRef
    remaining: list[Grant]  # the account's grants left, for its menu reset


async def end_grant(
    session: AsyncSession,
    grant: RoleGrant,
    unit: OrgUnit,
    account: Account,
    *,
    actor_account_id: int | None,
    actor_label: str,
    reason: Literal["revoke", "handover"],
    now: dt.datetime,
) -> RevokedGrant:
    """Delete `grant` (of `account` on `unit`), audit it and queue the note. Caller commits."""
    grant_id, role, since, granted_by = grant.id, grant.role, grant.created_at, grant.granted_by
    await session.delete(grant)
    await session.flush()
    audit.record(
        session,
        actor_account_id=actor_account_id,
        actor_label=actor_label,
        entity=GRANT_ENTITY,
        entity_id=unit.id,
        action=reason,
        before={
            "grant_id": grant_id,
            "unit": unit.code,
            "role": role,
            "account_id": account.id,
            "telegram_id": account.telegram_id,
            "name": account.display_name,
            "since": since.isoformat(),
            "granted_by": granted_by,
        },
    )
    note: AccessNotice = {
        "notice": "access_revoked" if reason == "revoke" else "access_replaced",
        "unit": unit.name,
        "role": role,
    }
    await enqueue(
        session,
        dedup_key=f"access:{reason}:{grant_id}:{int(now.timestamp())}",
        kind=ACCESS_KIND,
        chat_id=account.telegram_id,
        due_at=now,
        account_id=account.id,
        payload=note,
    )
    return RevokedGrant(
        telegram_id=account.telegram_id,
        account_id=account.id,
        name=account.display_name,
        language=account.language,
        role=role,
        unit=UnitRef.of(unit),
        remaining=await grants_of(session, account.id),
    )
