"""Access management's records and the one check of who may act where (the rules
themselves are domain/access_rules.py): shared by storage/access.py (changes) and
storage/access_read.py (reads)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from domain import access_rules
from storage.accounts import Grant
from storage.models import Role
from storage.scope import UnitRef

INVITATION_ENTITY = "invitation"
HOUR = dt.timedelta(hours=1)
# Holders are listed supervisors first, then secretaries, deputies, admins.
ROLE_ORDER = {
    Role.SUPERVISOR.value: 0,
    Role.SECRETARY.value: 1,
    Role.DEPUTY.value: 2,
    Role.ADMIN.value: 3,
}


@dataclass(frozen=True)
class Holder:
    grant_id: int
    account_id: int
    telegram_id: int
    name: str
    role: str
    since: dt.datetime
    last_seen_at: dt.datetime | None


@dataclass(frozen=True)
class PendingInvite:
    id: int
    unit_id: int
    role: str
    created_at: dt.datetime
    expires_at: dt.datetime
    created_by: str  # the inviter's name, or the CLI's label
    handover: bool
    created_by_account_id: int | None  # None: made by the operator (CLI)


@dataclass(frozen=True)
class UnitAccess:
    unit: UnitRef
    holders: list[Holder]
    pending: list[PendingInvite]
    cells_without_secretary: int  # in the unit's subtree (a cell: 0 or 1)


class AccessRefusal(enum.StrEnum):
    NOT_ALLOWED = "not_allowed"
    GONE = "gone"
    LAST_SUPERVISOR = "last_supervisor"
    RATE_LIMITED = "rate_limited"
    OWN_GRANT = "own_grant"
    ROLE_DOES_NOT_FIT = "role_does_not_fit"
    NOTHING_TO_DO = "nothing_to_do"
    TOO_MANY = "too_many"  # a bulk run over BULK_MAX_LINKS links


@dataclass(frozen=True)
class Actor:
    """Who acts: the bot's Actor(account.id, f"tg:{telegram_id}", req.grants, req.is_admin);
    the CLI's Actor(None, "cli", [], True)."""

    account_id: int | None
    label: str
    grants: Sequence[Grant]
    is_admin: bool


@dataclass(frozen=True)
class AccessEvent:
    at: dt.datetime
    actor: str  # the actor's name, or label ("cli", "tg:123") when it has no account
    action: str  # invite, invite_bulk, cancel, revoke, handover, redeem
    role: str | None
    unit_code: str | None
    subject_name: str | None
    subject_telegram_id: int | None


# ------------------------------------------------------------------------------ who may


def supervised_paths(actor: Actor) -> list[str]:
    return [g.unit_path for g in actor.grants if g.role == Role.SUPERVISOR.value]


def acts_as_admin(actor: Actor) -> bool:
    return actor.is_admin or any(g.role == Role.ADMIN.value for g in actor.grants)


def sees(actor: Actor, path: str) -> bool:
    """Whether the unit at `path` lies in the actor's scope: outside it, a unit is answered
    as gone (the same answer as for one that does not exist)."""
    if acts_as_admin(actor):
        return True
    return any(path.startswith(p) for p in supervised_paths(actor))


def may_grant(actor: Actor, unit: UnitRef, role: str) -> bool:
    """Whether `actor` may invite to, or revoke, `role` on `unit` (domain.access_rules)."""
    return access_rules.may_grant(
        role,
        unit.kind,
        unit.path,
        supervised=supervised_paths(actor),
        is_admin=acts_as_admin(actor),
    )
