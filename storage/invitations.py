"""Invitations: random tokens stored only as hashes, single use, with an expiry."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.accounts import add_grant
from storage.models import Account, Invitation, InviteFailure, OrgUnit, Role, utcnow

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
    THROTTLED = "throttled"
    BUSY = "busy"  # too many failures across all accounts in the last minute


@dataclass(frozen=True)
class Redeemed:
    outcome: RedeemOutcome
    role: str | None = None
    unit_name: str | None = None
    unit_kind: str | None = None


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def role_fits_unit(role: str, unit_kind: str) -> bool:
    if role in (Role.SECRETARY.value, Role.DEPUTY.value):
        return unit_kind == "cell"
    return role in (Role.SUPERVISOR.value, Role.ADMIN.value)


async def create_invitation(
    session: AsyncSession,
    unit: OrgUnit,
    role: str,
    *,
    created_by: str,
    ttl: dt.timedelta = dt.timedelta(days=7),
    now: dt.datetime | None = None,
) -> str:
    """Store a new invitation and return its token (the only time it exists in clear)."""
    if not role_fits_unit(role, unit.kind):
        raise ValueError(f"role {role} does not fit a unit of kind {unit.kind}")
    token = new_token()
    now = now or utcnow()
    session.add(
        Invitation(
            token_hash=hash_token(token),
            unit_id=unit.id,
            role=role,
            created_by=created_by,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    audit.record(
        session,
        actor_account_id=None,
        actor_label=created_by,
        entity="invitation",
        entity_id=unit.id,
        action="create",
        after={"unit": unit.code, "role": role, "expires_at": (now + ttl).isoformat()},
    )
    return token


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
    if invitation.expires_at <= now:
        return Redeemed(RedeemOutcome.EXPIRED)
    unit = await session.get(OrgUnit, invitation.unit_id)
    assert unit is not None
    invitation.used_at = now
    invitation.used_by_account_id = account.id
    added = await add_grant(session, account.id, unit.id, invitation.role)
    audit.record(
        session,
        actor_account_id=account.id,
        entity="role_grant",
        entity_id=unit.id,
        action="redeem_invitation",
        after={"unit": unit.code, "role": invitation.role, "invitation_id": invitation.id},
    )
    outcome = RedeemOutcome.OK if added else RedeemOutcome.ALREADY
    return Redeemed(outcome, invitation.role, unit.name, unit.kind)
