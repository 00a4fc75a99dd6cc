"""The organisation tree: import, look-ups, subtrees."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.models import Account, Member, MemberStatus, OrgUnit, RoleGrant
from storage.orgfile import RowError, UnitRow, validate_rows
from storage.tree import under


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)


async def get_unit_by_code(session: AsyncSession, code: str) -> OrgUnit | None:
    return await session.scalar(select(OrgUnit).where(OrgUnit.code == code))


async def import_units(
    session: AsyncSession, rows: list[UnitRow], *, actor_label: str = "cli"
) -> ImportReport:
    """Create or update units from parsed rows; nothing is deleted. Caller commits."""
    existing = {u.code: u for u in (await session.scalars(select(OrgUnit))).all()}
    by_id = {u.id: u for u in existing.values()}
    existing_parents = {
        code: (by_id[u.parent_id].code if u.parent_id is not None else None)
        for code, u in existing.items()
    }
    existing_kinds = {code: (u.kind, u.sort) for code, u in existing.items()}
    accepted, errors = validate_rows(rows, existing_parents, existing_kinds)
    report = ImportReport(rejected=errors)

    moved = False
    for row in accepted:
        parent = existing.get(row.parent) if row.parent else None
        unit = existing.get(row.code)
        if unit is None:
            unit = OrgUnit(
                code=row.code,
                name=row.name,
                kind=row.kind,
                sort=row.sort,
                parent_id=parent and parent.id,
            )
            unit.path = ""
            session.add(unit)
            await session.flush()
            unit.path = f"{parent.path if parent else '/'}{unit.id}/"
            existing[row.code] = unit
            report.created += 1
            audit.record(
                session,
                actor_account_id=None,
                actor_label=actor_label,
                entity="org_unit",
                entity_id=unit.id,
                action="create",
                after={"code": unit.code, "name": unit.name, "kind": unit.kind, "sort": unit.sort},
            )
            continue
        before = {
            "name": unit.name,
            "kind": unit.kind,
            "sort": unit.sort,
            "parent": existing_parents.get(row.code),
        }
        after = {"name": row.name, "kind": row.kind, "sort": row.sort, "parent": row.parent}
        if before == after:
            report.unchanged += 1
            continue
        if before["parent"] != after["parent"]:
            moved = True
        unit.name, unit.kind, unit.sort = row.name, row.kind, row.sort
        unit.parent_id = parent.id if parent else None
        report.updated += 1
        audit.record(
            session,
            actor_account_id=None,
            actor_label=actor_label,
            entity="org_unit",
            entity_id=unit.id,
            action="update",
            before=before,
            after=after,
        )
    await session.flush()
    if moved:
        await rebuild_paths(session)
    return report


async def rebuild_paths(session: AsyncSession) -> None:
    """Recompute every materialised path after a unit moved to another parent."""
    units = (await session.scalars(select(OrgUnit))).all()
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    stack: list[tuple[OrgUnit, str]] = [(u, "/") for u in children.get(None, [])]
    while stack:
        unit, prefix = stack.pop()
        new_path = f"{prefix}{unit.id}/"
        if unit.path != new_path:
            await session.execute(
                update(OrgUnit).where(OrgUnit.id == unit.id).values(path=new_path)
            )
            unit.path = new_path
        stack.extend((child, new_path) for child in children.get(unit.id, []))


@dataclass(frozen=True)
class TreeLine:
    depth: int
    code: str
    name: str
    kind: str
    sort: str | None
    members: int
    roles: list[str]


async def tree_lines(session: AsyncSession, root: OrgUnit | None) -> list[TreeLine]:
    """The (sub)tree in display order with active member counts and role holders."""
    query = select(OrgUnit)
    if root is not None:
        query = query.where(under(root.path))
    units = (await session.scalars(query)).all()
    ids = [u.id for u in units]
    counts = dict(
        (
            await session.execute(
                select(Member.cell_id, func.count())
                .where(Member.cell_id.in_(ids), Member.status != MemberStatus.LEFT.value)
                .group_by(Member.cell_id)
            )
        ).all()
    )
    roles: dict[int, list[str]] = {}
    for unit_id, role, name in (
        await session.execute(
            select(RoleGrant.unit_id, RoleGrant.role, Account.display_name)
            .join(Account, Account.id == RoleGrant.account_id)
            .where(RoleGrant.unit_id.in_(ids))
            .order_by(RoleGrant.role)
        )
    ).all():
        roles.setdefault(unit_id, []).append(f"{role}: {name}")

    children: dict[int | None, list[OrgUnit]] = {}
    id_set = set(ids)
    for unit in sorted(units, key=lambda u: u.code):
        parent = unit.parent_id if unit.parent_id in id_set else None
        children.setdefault(parent, []).append(unit)
    lines: list[TreeLine] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in children.get(parent, []):
            lines.append(
                TreeLine(
                    depth,
                    unit.code,
                    unit.name,
                    unit.kind,
                    unit.sort,
                    counts.get(unit.id, 0),
                    roles.get(unit.id, []),
                )
            )
            walk(unit.id, depth + 1)

    walk(None, 0)
    return lines
