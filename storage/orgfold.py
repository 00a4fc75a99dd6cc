"""`cellbot org fold-district`: remove a pre-2025 district level from a stored tree.

The district's children move up to the province; what the subtree inherited from the
district (its meeting rule, its period locks) is copied onto each child first, so no cell
meets on another day or reopens a closed period because of the fold. A district that sent
broadcasts keeps them as history and is not folded; role grants and invitations on it are
removed only when asked (the committee no longer exists, but its supervisors lose access).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orgtree import UnitKind, nesting_error
from storage import audit
from storage.models import (
    Broadcast,
    Invitation,
    MeetingSchedule,
    OrgUnit,
    PeriodLock,
    RoleGrant,
)
from storage.orgs import get_unit_by_code, rebuild_paths

SCHEDULE_FIELDS = ("rule_kind", "day", "nth", "weekday", "start_time", "timezone")


class FoldRefused(Exception):
    """The district cannot be folded; the message (English, one line) says why and what to do."""


class NoSuchUnit(FoldRefused):
    pass


@dataclass
class FoldReport:
    district: str
    province: str
    moved: list[str]
    schedules_copied: int
    locks_copied: int
    grants_dropped: int
    invitations_dropped: int


async def fold_district(
    session: AsyncSession, code: str, *, drop_roles: bool = False, actor_label: str = "cli"
) -> FoldReport:
    """Re-parent the district's children to the province and delete it. Caller commits;
    on FoldRefused nothing has been changed."""
    district = await get_unit_by_code(session, code)
    if district is None:
        raise NoSuchUnit(f"no unit with code {code}")
    if district.kind != UnitKind.DISTRICT:
        raise FoldRefused(f"{code} is a {district.kind}, not a district: nothing to fold")
    province = (
        await session.get(OrgUnit, district.parent_id) if district.parent_id is not None else None
    )
    if province is None or province.kind != UnitKind.PROVINCE:
        raise FoldRefused(f"{code} is not directly under a province committee: fold it by hand")
    children = (
        await session.scalars(
            select(OrgUnit).where(OrgUnit.parent_id == district.id).order_by(OrgUnit.code)
        )
    ).all()
    for child in children:
        if nesting_error(province.kind, province.sort, child.kind, child.sort) is not None:
            raise FoldRefused(
                f"{child.code} (a {child.kind}) may not sit directly under the province "
                f"{province.code}: move it under a grassroots committee first "
                "(`cellbot org import`), then fold"
            )
    broadcasts = await _count(session, Broadcast, Broadcast.unit_id == district.id)
    if broadcasts:
        raise FoldRefused(
            f"{code} sent {broadcasts} broadcast(s), kept as history: it stays, shown as a "
            "historical level"
        )
    grants = (
        await session.scalars(select(RoleGrant).where(RoleGrant.unit_id == district.id))
    ).all()
    invitations = await _count(session, Invitation, Invitation.unit_id == district.id)
    if (grants or invitations) and not drop_roles:
        raise FoldRefused(
            f"{code} still has {len(grants)} role grant(s) and {invitations} invitation(s): "
            "pass --drop-roles to remove them with the district"
        )

    schedules_copied = await _copy_schedule(session, district, children)
    locks_copied = await _copy_locks(session, district, children)
    for grant in grants:
        audit.record(
            session,
            actor_account_id=None,
            actor_label=actor_label,
            entity="role_grant",
            entity_id=grant.id,
            action="delete",
            before={"account_id": grant.account_id, "unit": code, "role": grant.role},
        )
    await session.execute(delete(RoleGrant).where(RoleGrant.unit_id == district.id))
    await session.execute(delete(Invitation).where(Invitation.unit_id == district.id))
    for child in children:
        child.parent_id = province.id
        audit.record(
            session,
            actor_account_id=None,
            actor_label=actor_label,
            entity="org_unit",
            entity_id=child.id,
            action="update",
            before={"parent": code},
            after={"parent": province.code},
        )
    await session.flush()
    audit.record(
        session,
        actor_account_id=None,
        actor_label=actor_label,
        entity="org_unit",
        entity_id=district.id,
        action="fold",
        before={"code": code, "name": district.name, "kind": district.kind},
        after={"children_to": province.code, "moved": [c.code for c in children]},
    )
    await session.execute(delete(OrgUnit).where(OrgUnit.id == district.id))
    session.expunge(district)
    await rebuild_paths(session)
    return FoldReport(
        district=code,
        province=province.code,
        moved=[c.code for c in children],
        schedules_copied=schedules_copied,
        locks_copied=locks_copied,
        grants_dropped=len(grants),
        invitations_dropped=invitations,
    )


async def _count(session: AsyncSession, model: type, condition: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(condition)) or 0)


async def _copy_schedule(
    session: AsyncSession, district: OrgUnit, children: Sequence[OrgUnit]
) -> int:
    schedule = await session.scalar(
        select(MeetingSchedule).where(MeetingSchedule.unit_id == district.id)
    )
    if schedule is None:
        return 0
    child_ids = [c.id for c in children]
    own = set(
        (
            await session.scalars(
                select(MeetingSchedule.unit_id).where(MeetingSchedule.unit_id.in_(child_ids))
            )
        ).all()
    )
    copied = 0
    for child_id in child_ids:
        if child_id not in own:
            values = {field: getattr(schedule, field) for field in SCHEDULE_FIELDS}
            session.add(MeetingSchedule(unit_id=child_id, updated_by=schedule.updated_by, **values))
            copied += 1
    await session.delete(schedule)
    return copied


async def _copy_locks(session: AsyncSession, district: OrgUnit, children: Sequence[OrgUnit]) -> int:
    locks = (
        await session.scalars(select(PeriodLock).where(PeriodLock.unit_id == district.id))
    ).all()
    if not locks:
        return 0
    child_ids = [c.id for c in children]
    held = set(
        (
            await session.execute(
                select(PeriodLock.unit_id, PeriodLock.period).where(
                    PeriodLock.unit_id.in_(child_ids)
                )
            )
        ).all()
    )
    copied = 0
    for lock in locks:
        for child_id in child_ids:
            if (child_id, lock.period) not in held:
                session.add(
                    PeriodLock(
                        unit_id=child_id,
                        period=lock.period,
                        locked_by=lock.locked_by,
                        locked_at=lock.locked_at,
                    )
                )
                copied += 1
        await session.delete(lock)
    return copied
