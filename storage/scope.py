"""A supervisor's scope: the units whose subtrees they may see, and the units in it.

A supervisor of unit U sees U's subtree (a materialised-path prefix) and nothing else; an
admin sees everything. Every function that takes a unit id from a caller goes through
`visible_unit`, which answers None both for "not yours" and "does not exist", so callers
cannot tell the two apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orgpath import path_ids
from storage.accounts import Grant
from storage.models import OrgUnit, Role, UnitKind
from storage.tree import under_any

_T = TypeVar("_T")
SUPERVISOR_ROLES = (Role.SUPERVISOR.value, Role.ADMIN.value)


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    kind: str
    path: str
    parent_id: int | None

    @classmethod
    def of(cls, unit: OrgUnit) -> UnitRef:
        return cls(unit.id, unit.code, unit.name, unit.kind, unit.path, unit.parent_id)


def is_supervisor(grants: Sequence[Grant], is_admin: bool) -> bool:
    return is_admin or any(g.role in SUPERVISOR_ROLES for g in grants)


def _outermost(units: Iterable[UnitRef]) -> list[UnitRef]:
    """Drop units that lie inside another unit of the list (their subtree is covered)."""
    ordered = sorted({u.id: u for u in units}.values(), key=lambda u: (len(u.path), u.path))
    kept: list[UnitRef] = []
    for unit in ordered:
        if not any(unit.path.startswith(k.path) for k in kept):
            kept.append(unit)
    return sorted(kept, key=lambda u: u.code)


async def scope_roots(
    session: AsyncSession, grants: Sequence[Grant], is_admin: bool
) -> list[UnitRef]:
    """The units whose subtrees the caller may see: the tree's roots for an admin."""
    if is_admin:
        roots = (await session.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))).all()
        return _outermost(UnitRef.of(u) for u in roots)
    return _outermost(
        UnitRef(g.unit_id, g.unit_code, g.unit_name, g.unit_kind, g.unit_path, None)
        for g in grants
        if g.role in SUPERVISOR_ROLES
    )


def in_scope(path: str, roots: Sequence[UnitRef]) -> bool:
    return any(path.startswith(r.path) for r in roots)


async def visible_unit(
    session: AsyncSession, roots: Sequence[UnitRef], unit_id: int | None
) -> UnitRef | None:
    """The unit if it exists AND lies in the caller's scope; None otherwise (same answer)."""
    if unit_id is None or not roots:
        return None
    unit = await session.get(OrgUnit, unit_id)
    if unit is None or not in_scope(unit.path, roots):
        return None
    return UnitRef.of(unit)


async def find_cells(
    session: AsyncSession, roots: Sequence[UnitRef], text: str, limit: int = 10
) -> list[UnitRef]:
    """Cells in scope whose code equals `text` or whose name or code contains it."""
    needle = text.strip()
    if not needle or not roots:
        return []
    in_roots = under_any(r.path for r in roots)
    lowered = needle.lower()
    query = (
        select(OrgUnit)
        .where(
            in_roots,
            OrgUnit.kind == UnitKind.CELL.value,
            or_(
                func.lower(OrgUnit.code) == lowered,
                func.lower(OrgUnit.name).contains(lowered, autoescape=True),
                func.lower(OrgUnit.code).contains(lowered, autoescape=True),
            ),
        )
        # An exact code match first, then by code.
        .order_by((func.lower(OrgUnit.code) == lowered).desc(), OrgUnit.code)
        .limit(limit)
    )
    return [UnitRef.of(u) for u in (await session.scalars(query)).all()]


async def children(session: AsyncSession, unit_id: int) -> list[UnitRef]:
    rows = await session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == unit_id).order_by(OrgUnit.code)
    )
    return [UnitRef.of(u) for u in rows.all()]


def child_finder(unit: UnitRef) -> Callable[[str], int | None]:
    """Which child of `unit` the unit at a path lies under (None: the unit itself), for many
    paths under one unit (the unit's depth is computed once)."""
    depth = len(path_ids(unit.path))

    def child(path: str) -> int | None:
        parts = path.strip("/").split("/")
        return int(parts[depth]) if len(parts) > depth and parts[depth] else None

    return child


def group_by_child(
    unit: UnitRef, items: Iterable[_T], path_of: Callable[[_T], str]
) -> dict[int, list[_T]]:
    """`items` grouped by the child of `unit` their path lies under, in their order."""
    child_of_path = child_finder(unit)
    grouped: dict[int, list[_T]] = defaultdict(list)
    for item in items:
        child = child_of_path(path_of(item))
        if child is not None:
            grouped[child].append(item)
    return grouped
