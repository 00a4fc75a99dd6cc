"""Access management (issue 18): invitations from the bot, revoking grants, cancelling
invitations: the changes. The records are in storage/access_model.py, the reads in
storage/access_read.py, the rules in domain/access_rules.py. Every change is audited
(storage.audit) and the people who lose a grant get a note through the outbox.

Nothing here commits: the caller's transaction carries the change, its audit rows and its
notes together.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import access_rules
from domain.access_rules import BULK_MAX_LINKS, BULK_RUNS_PER_HOUR, INVITES_PER_HOUR
from storage import audit
from storage.access_model import (
    HOUR,
    INVITATION_ENTITY,
    AccessRefusal,
    Actor,
    Holder,
    PendingInvite,
    acts_as_admin,
    may_grant,
    sees,
    supervised_paths,
)
from storage.access_read import (
    cells_without_secretary,
)
from storage.invitations import new_invitation
from storage.models import Account, AuditEntry, Invitation, OrgUnit, Role, RoleGrant
from storage.revocation import RevokedGrant, end_grant
from storage.scope import UnitRef


async def _locked_supervisors(session: AsyncSession, unit_id: int) -> int:
    """`supervisor_count`, the rows locked (PostgreSQL) until the commit: two supervisors
    ending each other's grant at once cannot leave the unit without one (the second waits,
    then no longer sees the first's deleted row)."""
    rows = await session.scalars(
        select(RoleGrant.id)
        .where(RoleGrant.unit_id == unit_id, RoleGrant.role == Role.SUPERVISOR.value)
        .with_for_update()
    )
    return len(rows.all())


# ------------------------------------------------------------------------------ invite


async def _unit_for(session: AsyncSession, actor: Actor, unit_id: int) -> OrgUnit | AccessRefusal:
    unit = await session.get(OrgUnit, unit_id)
    if unit is None or not sees(actor, unit.path):
        return AccessRefusal.GONE
    return unit


async def _bulk_runs(session: AsyncSession, account_id: int, now: dt.datetime) -> list[AuditEntry]:
    """The account's bulk runs of the last hour (their audit rows)."""
    rows = await session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == INVITATION_ENTITY,
            AuditEntry.action == "create_bulk",
            AuditEntry.actor_account_id == account_id,
            AuditEntry.at > now - HOUR,
        )
    )
    return list(rows.all())


async def invite_window(
    session: AsyncSession, account_id: int, now: dt.datetime, *, bulk: bool = False
) -> tuple[int, dt.datetime]:
    """How many single invitations (or, with `bulk`, bulk runs) the account made in the
    rolling hour, and when the oldest of them leaves it, so one more may be made (now + 1 h
    when there is none): the limit and the refusal's "try again at" read the same rows."""
    if bulk:
        made = [r.at for r in await _bulk_runs(session, account_id, now)]
    else:
        made = list(
            (
                await session.scalars(
                    select(Invitation.created_at).where(
                        Invitation.created_by_account_id == account_id,
                        Invitation.created_at > now - HOUR,
                        Invitation.bulk.is_(False),
                    )
                )
            ).all()
        )
    return len(made), min(made, default=now) + HOUR


def _checked_role(actor: Actor, unit: OrgUnit, role: str) -> AccessRefusal | None:
    if role not in access_rules.GRANTABLE_ROLES:
        return AccessRefusal.NOT_ALLOWED
    if not access_rules.role_fits_unit(role, unit.kind):
        return AccessRefusal.ROLE_DOES_NOT_FIT
    if not may_grant(actor, UnitRef.of(unit), role):
        return AccessRefusal.NOT_ALLOWED
    return None


async def invite(
    session: AsyncSession,
    actor: Actor,
    unit_id: int,
    role: str,
    *,
    handover: bool = False,
    now: dt.datetime,
    ttl: dt.timedelta = dt.timedelta(days=7),
) -> tuple[str, PendingInvite] | AccessRefusal:
    """A single-use invitation to `role` on the unit: its token (in clear this once) and
    what is stored. `handover` (secretaries only): accepting it ends the cell's current
    secretary grants. An actor with an account may make INVITES_PER_HOUR an hour."""
    unit = await _unit_for(session, actor, unit_id)
    if isinstance(unit, AccessRefusal):
        return unit
    refused = _checked_role(actor, unit, role)
    if refused is not None:
        return refused
    if handover and role != Role.SECRETARY.value:
        return AccessRefusal.ROLE_DOES_NOT_FIT
    limited = actor.account_id is not None
    if (
        limited
        and (await invite_window(session, actor.account_id or 0, now))[0] >= INVITES_PER_HOUR
    ):
        return AccessRefusal.RATE_LIMITED
    token, row = await new_invitation(
        session,
        unit,
        role,
        created_by=actor.label,
        created_by_account_id=actor.account_id,
        ttl=ttl,
        now=now,
        handover=handover,
    )
    creator = await _actor_name(session, actor)
    return token, PendingInvite(
        row.id, unit.id, role, row.created_at, row.expires_at, creator, handover, actor.account_id
    )


async def _actor_name(session: AsyncSession, actor: Actor) -> str:
    if actor.account_id is None:
        return actor.label
    name = await session.scalar(select(Account.display_name).where(Account.id == actor.account_id))
    return name or actor.label


async def invite_cells_without_secretary(
    session: AsyncSession,
    actor: Actor,
    unit_id: int,
    *,
    now: dt.datetime,
    ttl: dt.timedelta = dt.timedelta(days=7),
) -> list[tuple[UnitRef, str, dt.datetime]] | AccessRefusal:
    """A secretary's invitation for every cell of the unit's subtree that has no secretary:
    (cell, token, expires at) by path. At most BULK_MAX_LINKS links (TOO_MANY), and
    BULK_RUNS_PER_HOUR runs an hour for an actor with an account; NOTHING_TO_DO when every
    cell has a secretary."""
    unit = await _unit_for(session, actor, unit_id)
    if isinstance(unit, AccessRefusal):
        return unit
    cells = await cells_without_secretary(session, UnitRef.of(unit))
    if any(not may_grant(actor, c, Role.SECRETARY.value) for c in cells):
        return AccessRefusal.NOT_ALLOWED  # not reached: a unit in scope has its cells in it
    if not cells:
        return AccessRefusal.NOTHING_TO_DO
    if len(cells) > BULK_MAX_LINKS:
        return AccessRefusal.TOO_MANY
    limited = actor.account_id is not None
    if limited and (await invite_window(session, actor.account_id or 0, now, bulk=True))[0] >= (
        BULK_RUNS_PER_HOUR
    ):
        return AccessRefusal.RATE_LIMITED
    cell_rows = {
        u.id: u
        for u in (
            await session.scalars(select(OrgUnit).where(OrgUnit.id.in_([c.id for c in cells])))
        ).all()
    }
    out: list[tuple[UnitRef, str, dt.datetime]] = []
    for cell in cells:
        token, row = await new_invitation(
            session,
            cell_rows[cell.id],
            Role.SECRETARY.value,
            created_by=actor.label,
            created_by_account_id=actor.account_id,
            ttl=ttl,
            now=now,
            flush=False,
            bulk=True,
        )
        out.append((cell, token, row.expires_at))
    audit.record(
        session,
        actor_account_id=actor.account_id,
        actor_label=actor.label,
        entity=INVITATION_ENTITY,
        entity_id=unit.id,
        action="create_bulk",
        after={"unit": unit.code, "role": Role.SECRETARY.value, "links": len(out)},
    )
    await session.flush()
    return out


# ------------------------------------------------------------------------------ revoke


async def _grant_checked(
    session: AsyncSession, actor: Actor, grant_id: int
) -> tuple[RoleGrant, Account, OrgUnit] | AccessRefusal:
    row = (
        await session.execute(
            select(RoleGrant, Account, OrgUnit)
            .join(Account, Account.id == RoleGrant.account_id)
            .join(OrgUnit, OrgUnit.id == RoleGrant.unit_id)
            .where(RoleGrant.id == grant_id)
        )
    ).first()
    if row is None or not sees(actor, row[2].path):
        return AccessRefusal.GONE
    grant, account, unit = row
    if actor.account_id is not None and grant.account_id == actor.account_id:
        return AccessRefusal.OWN_GRANT
    # The operator (the CLI, no account) ends admin grants too: it is who made them.
    operator_admin = actor.account_id is None and acts_as_admin(actor) and grant.role == Role.ADMIN
    if not operator_admin and not may_grant(actor, UnitRef.of(unit), grant.role):
        return AccessRefusal.NOT_ALLOWED
    if not acts_as_admin(actor) and access_rules.is_last_supervisor(
        grant.role, await _locked_supervisors(session, unit.id)
    ):
        return AccessRefusal.LAST_SUPERVISOR
    return grant, account, unit


def _holder(grant: RoleGrant, account: Account) -> Holder:
    return Holder(
        grant.id,
        account.id,
        account.telegram_id,
        account.display_name,
        grant.role,
        grant.created_at,
        account.last_seen_at,
    )


async def grant_for_confirmation(
    session: AsyncSession, actor: Actor, grant_id: int
) -> tuple[Holder, UnitRef] | AccessRefusal:
    """The grant's holder and unit, to name them in the "are you sure", or why `revoke`
    would refuse (GONE also for a grant outside the actor's scope)."""
    checked = await _grant_checked(session, actor, grant_id)
    if isinstance(checked, AccessRefusal):
        return checked
    grant, account, unit = checked
    return _holder(grant, account), UnitRef.of(unit)


async def revoke(
    session: AsyncSession, actor: Actor, grant_id: int, *, now: dt.datetime
) -> RevokedGrant | AccessRefusal:
    """End a grant: never one's own (OWN_GRANT), nor a unit's last supervisor unless the
    actor is an admin (LAST_SUPERVISOR). Audited; the person gets a note (outbox)."""
    checked = await _grant_checked(session, actor, grant_id)
    if isinstance(checked, AccessRefusal):
        return checked
    grant, account, unit = checked
    return await end_grant(
        session,
        grant,
        unit,
        account,
        actor_account_id=actor.account_id,
        actor_label=actor.label,
        reason="revoke",
        now=now,
    )


async def cancel_invitation(
    session: AsyncSession, actor: Actor, invitation_id: int, *, now: dt.datetime
) -> PendingInvite | AccessRefusal:
    """Cancel a pending invitation: whoever could make it, or its own creator. GONE for one
    already used, cancelled or expired, or outside the actor's scope."""
    row = (
        await session.execute(
            select(Invitation, OrgUnit)
            .join(OrgUnit, OrgUnit.id == Invitation.unit_id)
            .where(Invitation.id == invitation_id)
        )
    ).first()
    if row is None:
        return AccessRefusal.GONE
    invitation, unit = row
    own = actor.account_id is not None and invitation.created_by_account_id == actor.account_id
    if not own and not sees(actor, unit.path):
        return AccessRefusal.GONE
    if (
        invitation.used_at is not None
        or invitation.cancelled_at is not None
        or invitation.expires_at <= now
    ):
        return AccessRefusal.GONE
    allowed = access_rules.may_cancel(
        invitation.role,
        unit.kind,
        unit.path,
        supervised=supervised_paths(actor),
        is_admin=acts_as_admin(actor),
        is_creator=own,
    )
    if not allowed:
        return AccessRefusal.NOT_ALLOWED
    invitation.cancelled_at = now
    invitation.cancelled_by = actor.label
    audit.record(
        session,
        actor_account_id=actor.account_id,
        actor_label=actor.label,
        entity=INVITATION_ENTITY,
        entity_id=unit.id,
        action="cancel",
        after={"unit": unit.code, "role": invitation.role, "invitation_id": invitation.id},
    )
    creator = invitation.created_by
    if invitation.created_by_account_id is not None:
        name = await session.scalar(
            select(Account.display_name).where(Account.id == invitation.created_by_account_id)
        )
        creator = name or creator
    return PendingInvite(
        invitation.id,
        unit.id,
        invitation.role,
        invitation.created_at,
        invitation.expires_at,
        creator,
        invitation.handover,
        invitation.created_by_account_id,
    )
