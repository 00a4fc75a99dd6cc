"""Access management's reads: who holds which role where, pending invitations, cells
without a secretary, the access log, and the subtree listings of `cellbot access|invite list`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.orgpath import path_ids
from storage.access_model import (
    INVITATION_ENTITY,
    ROLE_ORDER,
    AccessEvent,
    Holder,
    PendingInvite,
    UnitAccess,
)
from storage.models import Account, AuditEntry, Invitation, OrgUnit, Role, RoleGrant, UnitKind
from storage.revocation import GRANT_ENTITY
from storage.scope import UnitRef, children, group_by_child
from storage.tree import under

# ------------------------------------------------------------------------------ reading


_HOLDER_COLUMNS = (
    RoleGrant.id,
    Account.id,
    Account.telegram_id,
    Account.display_name,
    RoleGrant.role,
    RoleGrant.created_at,
    Account.last_seen_at,
)


_HOLDERS = (
    select(RoleGrant.unit_id, *_HOLDER_COLUMNS)
    .join(Account, Account.id == RoleGrant.account_id)
    .order_by(RoleGrant.created_at, RoleGrant.id)
)


async def _holders(session: AsyncSession, unit_ids: Sequence[int]) -> dict[int, list[Holder]]:
    out: dict[int, list[Holder]] = {}
    if not unit_ids:
        return out
    for row in (await session.execute(_HOLDERS.where(RoleGrant.unit_id.in_(unit_ids)))).all():
        out.setdefault(row[0], []).append(Holder(*row[1:]))
    for holders in out.values():
        holders.sort(key=lambda h: ROLE_ORDER.get(h.role, 9))
    return out


_Creator = aliased(Account)


_PENDING = select(
    Invitation.id,
    Invitation.unit_id,
    Invitation.role,
    Invitation.created_at,
    Invitation.expires_at,
    func.coalesce(_Creator.display_name, Invitation.created_by),
    Invitation.handover,
    Invitation.created_by_account_id,
).outerjoin(_Creator, _Creator.id == Invitation.created_by_account_id)


def _is_pending(now: dt.datetime) -> ColumnElement[bool]:
    """A WHERE clause on Invitation: not used, cancelled or expired at `now`."""
    return and_(
        Invitation.used_at.is_(None),
        Invitation.cancelled_at.is_(None),
        Invitation.expires_at > now,
    )


def _pending(row: Sequence[object]) -> PendingInvite:
    return PendingInvite(*row)  # type: ignore[arg-type]


async def _pending_of(
    session: AsyncSession, unit_ids: Sequence[int], now: dt.datetime
) -> dict[int, list[PendingInvite]]:
    out: dict[int, list[PendingInvite]] = {}
    if not unit_ids:
        return out
    query = _PENDING.where(_is_pending(now), Invitation.unit_id.in_(unit_ids))
    for row in (await session.execute(query.order_by(Invitation.created_at, Invitation.id))).all():
        out.setdefault(row[1], []).append(_pending(row))
    return out


def _without_secretary() -> ColumnElement[bool]:
    """A WHERE clause on OrgUnit: a cell with no secretary grant."""
    has_secretary = exists().where(
        RoleGrant.unit_id == OrgUnit.id, RoleGrant.role == Role.SECRETARY.value
    )
    return (OrgUnit.kind == UnitKind.CELL.value) & ~has_secretary


async def cells_without_secretary(session: AsyncSession, unit: UnitRef) -> list[UnitRef]:
    """The cells of `unit`'s subtree (the unit itself when it is a cell) with no secretary,
    by path."""
    rows = await session.scalars(
        select(OrgUnit).where(under(unit.path), _without_secretary()).order_by(OrgUnit.path)
    )
    return [UnitRef.of(u) for u in rows.all()]


async def unit_access(session: AsyncSession, unit_id: int, *, now: dt.datetime) -> UnitAccess:
    """Who holds which role on the unit, its pending invitations, and how many cells of its
    subtree have no secretary. A unit that does not exist raises LookupError."""
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise LookupError(unit_id)
    own, _ = await access_page(session, UnitRef.of(unit), now=now, with_children=False)
    return own


async def access_page(
    session: AsyncSession, unit: UnitRef, *, now: dt.datetime, with_children: bool = True
) -> tuple[UnitAccess, list[UnitAccess]]:
    """The unit's access and each direct child's, in /summary's order (by code). The caller
    has checked that the unit is in scope (storage.scope.visible_unit). The subtree's cells
    without a secretary are read once, for the unit's count and its children's: four
    statements whatever the number of children."""
    kids = (
        await children(session, unit.id)
        if with_children and unit.kind != UnitKind.CELL.value
        else []
    )
    ids = [unit.id, *(k.id for k in kids)]
    holders = await _holders(session, ids)
    pending = await _pending_of(session, ids, now)
    missing = (
        await session.scalars(select(OrgUnit.path).where(under(unit.path), _without_secretary()))
    ).all()
    own = UnitAccess(unit, holders.get(unit.id, []), pending.get(unit.id, []), len(missing))
    by_child = group_by_child(unit, missing, lambda path: path) if kids else {}
    return own, [
        UnitAccess(k, holders.get(k.id, []), pending.get(k.id, []), len(by_child.get(k.id, [])))
        for k in kids
    ]


async def pending_invitations(
    session: AsyncSession, unit: UnitRef | None, *, now: dt.datetime
) -> list[PendingInvite]:
    """Invitations not used, cancelled or expired, to `unit`'s subtree (None: everywhere),
    oldest first."""
    query = _PENDING.where(_is_pending(now))
    if unit is not None:
        query = query.join(OrgUnit, OrgUnit.id == Invitation.unit_id).where(under(unit.path))
    rows = await session.execute(query.order_by(Invitation.created_at, Invitation.id))
    return [_pending(row) for row in rows.all()]


async def current_secretaries(session: AsyncSession, cell_id: int) -> list[Holder]:
    rows = await session.execute(
        _HOLDERS.where(RoleGrant.unit_id == cell_id, RoleGrant.role == Role.SECRETARY.value)
    )
    return [Holder(*row[1:]) for row in rows.all()]


async def supervisor_count(session: AsyncSession, unit_id: int) -> int:
    """How many supervisor grants the unit has."""
    count = await session.scalar(
        select(func.count())
        .select_from(RoleGrant)
        .where(RoleGrant.unit_id == unit_id, RoleGrant.role == Role.SUPERVISOR.value)
    )
    return int(count or 0)


# ------------------------------------------------------------------------------ the log


async def access_log(
    session: AsyncSession, unit: UnitRef | None, *, limit: int = 50
) -> list[AccessEvent]:
    """The latest access events (invitations made, cancelled, redeemed; grants revoked or
    handed over) about `unit`'s subtree (None: everywhere), newest first."""
    query = (
        select(AuditEntry, Account.display_name, Account.telegram_id)
        .outerjoin(Account, Account.id == AuditEntry.actor_account_id)
        .where(AuditEntry.entity.in_((INVITATION_ENTITY, GRANT_ENTITY)))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if unit is not None:
        query = query.where(
            AuditEntry.entity_id.in_(select(OrgUnit.id).where(under(unit.path)).scalar_subquery())
        )
    out = []
    for entry, actor_name, actor_tg in (await session.execute(query)).all():
        facts = entry.after or entry.before or {}
        if entry.action == "redeem_invitation":
            # the person is the actor (rows before 0008 carry no name)
            subject_name = facts.get("name", actor_name)
            subject_tg = facts.get("telegram_id", actor_tg)
        else:
            subject_name = facts.get("name")
            subject_tg = facts.get("telegram_id")
        out.append(
            AccessEvent(
                at=entry.at,
                actor=actor_name or entry.actor_label or "",
                action=entry.action,
                role=facts.get("role"),
                unit_code=facts.get("unit"),
                subject_name=subject_name,
                subject_telegram_id=int(subject_tg) if subject_tg is not None else None,
            )
        )
    return out


# ------------------------------------------------------------------------------ the CLI's


async def subtree_access(
    session: AsyncSession, unit: UnitRef, *, now: dt.datetime
) -> list[tuple[int, UnitAccess]]:
    """`unit_access` of the unit and of every unit under it, with its depth below `unit`,
    in the tree's display order (children by code, as `cellbot org show`)."""
    units = (await session.scalars(select(OrgUnit).where(under(unit.path)))).all()
    ids = [u.id for u in units]
    holders = await _holders(session, ids)
    pending = await _pending_of(session, ids, now)
    missing: dict[int, int] = {}
    for path in (
        await session.scalars(select(OrgUnit.path).where(under(unit.path), _without_secretary()))
    ).all():
        for unit_id in path_ids(path):
            missing[unit_id] = missing.get(unit_id, 0) + 1
    kids: dict[int | None, list[OrgUnit]] = {}
    for row in sorted(units, key=lambda u: u.code):
        kids.setdefault(None if row.id == unit.id else row.parent_id, []).append(row)
    out: list[tuple[int, UnitAccess]] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in kids.get(parent, []):
            out.append(
                (
                    depth,
                    UnitAccess(
                        UnitRef.of(row),
                        holders.get(row.id, []),
                        pending.get(row.id, []),
                        missing.get(row.id, 0),
                    ),
                )
            )
            walk(row.id, depth + 1)

    walk(None, 0)
    return out


@dataclass(frozen=True)
class InvitationLine:
    """An invitation as `cellbot invite list` shows it (never its token: only a hash is
    stored)."""

    id: int
    unit_code: str
    role: str
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    status: str  # pending | used | cancelled | expired
    handover: bool


async def invitation_lines(
    session: AsyncSession, unit: UnitRef | None, *, now: dt.datetime, everything: bool = False
) -> list[InvitationLine]:
    """The pending invitations to `unit`'s subtree (None: everywhere), oldest first; with
    `everything` also the used, cancelled and expired ones."""
    query = (
        select(
            Invitation,
            OrgUnit.code,
            func.coalesce(_Creator.display_name, Invitation.created_by),
        )
        .join(OrgUnit, OrgUnit.id == Invitation.unit_id)
        .outerjoin(_Creator, _Creator.id == Invitation.created_by_account_id)
        .order_by(Invitation.created_at, Invitation.id)
    )
    if unit is not None:
        query = query.where(under(unit.path))
    if not everything:
        query = query.where(_is_pending(now))
    out = []
    for inv, code, creator in (await session.execute(query)).all():
        if inv.used_at is not None:
            status = "used"
        elif inv.cancelled_at is not None:
            status = "cancelled"
        elif inv.expires_at <= now:
            status = "expired"
        else:
            status = "pending"
        out.append(
            InvitationLine(
                inv.id,
                code,
                inv.role,
                creator,
                inv.created_at,
                inv.expires_at,
                status,
                inv.handover,
            )
        )
    return out


async def find_grant(
    session: AsyncSession,
    unit_id: int,
    role: str,
    *,
    telegram_id: int | None = None,
    account_id: int | None = None,
) -> int | None:
    """The id of the grant of `role` on the unit held by the account (named by its Telegram
    id or its account id), or None."""
    query = (
        select(RoleGrant.id)
        .join(Account, Account.id == RoleGrant.account_id)
        .where(RoleGrant.unit_id == unit_id, RoleGrant.role == role)
    )
    if telegram_id is not None:
        query = query.where(Account.telegram_id == telegram_id)
    if account_id is not None:
        query = query.where(Account.id == account_id)
    return await session.scalar(query)
