"""Invitations: random tokens stored only as hashes, single use, with an expiry."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import access_rules
from storage import audit
from storage.accounts import add_grant
from storage.models import Account, Invitation, InviteFailure, OrgUnit, Role, RoleGrant, utcnow
from storage.revocation import RevokedGrant, end_grant

TOKEN_BYTES = 18  # 144 bits -> 24 base64url characters, well inside Telegram's 64
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{24}$")
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=10)
# Failed attempts per minute across ALL accounts: the per-account limit alone lets many
# accounts guess in parallel. Settings.invite_failures_per_minute overrides it.
GLOBAL_FAILURES_PER_MINUTE = 30
GLOBAL_WINDOW = dt.timedelta(minutes=1)


class RedeemOutcome(enum.StrEnum):
    OK = "ok"
    ALREADY = "already"  # valid token, but the account already holds that role
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    CANCELLED = "cancelled"
    THROTTLED = "throttled"
    BUSY = "busy"  # too many failures across all accounts in the last minute


@dataclass(frozen=True)
class Redeemed:
    outcome: RedeemOutcome
    role: str | None = None
    unit_name: str | None = None
    unit_kind: str | None = None
    # A handover's redeem: the grants it ended (the old secretaries), whose menus the
    # handler resets after the commit.
    ended: list[RevokedGrant] = field(default_factory=list)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


async def new_invitation(
    session: AsyncSession,
    unit: OrgUnit,
    role: str,
    *,
    created_by: str,
    ttl: dt.timedelta = dt.timedelta(days=7),
    now: dt.datetime | None = None,
    handover: bool = False,
    created_by_account_id: int | None = None,
    flush: bool = True,
    bulk: bool = False,
) -> tuple[str, Invitation]:
    """Store a new invitation; returns its token (the only time it exists in clear) and
    the row (with its id unless `flush` is off). `bulk`: one link of a bulk run, which the
    single-invitation rate limit does not count."""
    if not access_rules.role_fits_unit(role, unit.kind):
        raise ValueError(f"role {role} does not fit a unit of kind {unit.kind}")
    if handover and role != Role.SECRETARY.value:
        raise ValueError("only a secretary's invitation can hand a cell over")
    token = new_token()
    now = now or utcnow()
    invitation = Invitation(
        token_hash=hash_token(token),
        unit_id=unit.id,
        role=role,
        created_by=created_by,
        created_by_account_id=created_by_account_id,
        created_at=now,
        expires_at=now + ttl,
        handover=handover,
        bulk=bulk,
    )
    session.add(invitation)
    if flush:
        await session.flush()
    after: dict[str, Any] = {
        "unit": unit.code,
        "role": role,
        "expires_at": (now + ttl).isoformat(),
    }
    if flush:
        after["invitation_id"] = invitation.id
    if handover:
        after["handover"] = True
    audit.record(
        session,
        actor_account_id=created_by_account_id,
        actor_label=created_by,
        entity="invitation",
        entity_id=unit.id,
        action="create",
        after=after,
    )
    return token, invitation


async def _throttled(session: AsyncSession, telegram_id: int, now: dt.datetime) -> bool:
    count = await session.scalar(
        select(func.count())
        .select_from(InviteFailure)
        .where(InviteFailure.telegram_id == telegram_id, InviteFailure.at > now - FAILURE_WINDOW)
    )
    return (count or 0) >= MAX_FAILURES


async def _busy(session: AsyncSession, now: dt.datetime, limit: int) -> bool:
    # The table holds at most 2 * FAILURE_WINDOW of failures (pruned below), and refused
    # attempts are not recorded, so this count stays small without an index on `at`.
    # Concurrent attempts can each see limit - 1: the overshoot is bounded by the number of
    # updates handled at once.
    count = await session.scalar(
        select(func.count())
        .select_from(InviteFailure)
        .where(InviteFailure.at > now - GLOBAL_WINDOW)
    )
    return (count or 0) >= limit


async def redeem(
    session: AsyncSession,
    token: str,
    account: Account,
    *,
    now: dt.datetime | None = None,
    global_limit: int = GLOBAL_FAILURES_PER_MINUTE,
) -> Redeemed:
    """Bind `account` to the invitation's unit and role, or say why not. Caller commits.

    Refused without looking at the token: an account with MAX_FAILURES failures in
    FAILURE_WINDOW (THROTTLED), and anyone while all accounts together have failed
    `global_limit` times in the last minute (BUSY). A refused attempt is not recorded."""
    now = now or utcnow()
    if await _throttled(session, account.telegram_id, now):
        return Redeemed(RedeemOutcome.THROTTLED)
    if await _busy(session, now, global_limit):
        return Redeemed(RedeemOutcome.BUSY)
    outcome = await _redeem(session, token, account, now)
    if outcome.outcome not in (RedeemOutcome.OK, RedeemOutcome.ALREADY):
        session.add(InviteFailure(telegram_id=account.telegram_id, at=now))
        await session.execute(
            delete(InviteFailure).where(InviteFailure.at < now - 2 * FAILURE_WINDOW)
        )
    return outcome


async def _redeem(
    session: AsyncSession, token: str, account: Account, now: dt.datetime
) -> Redeemed:
    if not TOKEN_PATTERN.match(token):
        return Redeemed(RedeemOutcome.MALFORMED)
    invitation = await session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token)).with_for_update()
    )
    if invitation is None:
        return Redeemed(RedeemOutcome.UNKNOWN)
    if invitation.used_at is not None:
        return Redeemed(RedeemOutcome.USED)
    if invitation.cancelled_at is not None:
        return Redeemed(RedeemOutcome.CANCELLED)
    if invitation.expires_at <= now:
        return Redeemed(RedeemOutcome.EXPIRED)
    unit = await session.get(OrgUnit, invitation.unit_id)
    assert unit is not None
    invitation.used_at = now
    invitation.used_by_account_id = account.id
    added = await add_grant(
        session, account.id, unit.id, invitation.role, granted_by=invitation.created_by
    )
    label = f"tg:{account.telegram_id}"
    audit.record(
        session,
        actor_account_id=account.id,
        actor_label=label,
        entity="role_grant",
        entity_id=unit.id,
        action="redeem_invitation",
        after={
            "unit": unit.code,
            "role": invitation.role,
            "invitation_id": invitation.id,
            "account_id": account.id,
            "telegram_id": account.telegram_id,
            "name": account.display_name,
            "handover": invitation.handover,
        },
    )
    outcome = RedeemOutcome.OK if added else RedeemOutcome.ALREADY
    ended: list[RevokedGrant] = []
    if invitation.handover and added and invitation.role == Role.SECRETARY.value:
        # The cell's other secretaries end with this commit; a redeemer who already was the
        # secretary (ALREADY) ends nobody.
        previous = (
            await session.execute(
                select(RoleGrant, Account)
                .join(Account, Account.id == RoleGrant.account_id)
                .where(
                    RoleGrant.unit_id == unit.id,
                    RoleGrant.role == Role.SECRETARY.value,
                    RoleGrant.account_id != account.id,
                )
                .order_by(RoleGrant.id)
            )
        ).all()
        for grant, holder in previous:
            ended.append(
                await end_grant(
                    session,
                    grant,
                    unit,
                    holder,
                    actor_account_id=account.id,
                    actor_label=label,
                    reason="handover",
                    now=now,
                )
            )
    return Redeemed(outcome, invitation.role, unit.name, unit.kind, ended)
