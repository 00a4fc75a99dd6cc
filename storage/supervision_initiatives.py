"""What supervisors read of initiatives: coverage and completion of a unit and of each
child unit for a year (per-cell figures from storage.initiatives, folded by the cells'
paths), and the completed initiatives with the largest realised benefit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.initiatives import Coverage, coverage_by_cell
from storage.models import Initiative, Member, OrgUnit, UnitKind
from storage.scope import UnitRef, children, group_by_child
from storage.tree import under


@dataclass(frozen=True)
class InitiativeLine:
    unit_id: int
    code: str
    name: str
    active_members: int
    covered: int  # active members with a non-dropped initiative this year
    completed: int  # active members with a completed initiative this year
    initiatives: int
    realised_vnd: int

    @property
    def coverage(self) -> float | None:
        return self.covered / self.active_members if self.active_members else None

    @property
    def completion(self) -> float | None:
        return self.completed / self.active_members if self.active_members else None


@dataclass(frozen=True)
class TopInitiative:
    id: int
    title: str
    cell_name: str
    member_name: str
    realised_vnd: int


async def initiative_overview(
    session: AsyncSession, unit: UnitRef, year: int
) -> tuple[InitiativeLine, list[InitiativeLine]]:
    """Coverage and completion of the unit and of each child unit for `year`.

    Per-cell figures come from the initiatives feature (storage.initiatives, two aggregate
    queries); here they are folded into child units by the cells' paths.
    """
    per_cell = await coverage_by_cell(session, unit.id, year)
    paths = dict(
        (
            await session.execute(
                select(OrgUnit.id, OrgUnit.path).where(
                    under(unit.path), OrgUnit.kind == UnitKind.CELL.value
                )
            )
        ).all()
    )
    kids = await children(session, unit.id) if unit.kind != UnitKind.CELL.value else []

    def fold(ref: UnitRef, cells: Sequence[Coverage]) -> InitiativeLine:
        return InitiativeLine(
            ref.id,
            ref.code,
            ref.name,
            sum(c.active_members for c in cells),
            sum(c.covered_members for c in cells),
            sum(c.completed_members for c in cells),
            sum(c.initiatives for c in cells),
            sum(c.realised_vnd for c in cells),
        )

    grouped = group_by_child(unit, per_cell, lambda cell_id: paths.get(cell_id, ""))
    return fold(unit, list(per_cell.values())), [
        fold(k, [per_cell[c] for c in grouped.get(k.id, [])]) for k in kids
    ]


async def top_initiatives(
    session: AsyncSession, unit: UnitRef, year: int, limit: int = 5
) -> list[TopInitiative]:
    """Completed initiatives with the largest realised benefit under `unit` in `year`."""
    rows = await session.execute(
        select(
            Initiative.id,
            Initiative.title,
            OrgUnit.name,
            Member.full_name,
            Initiative.realised_amount_vnd,
        )
        .join(OrgUnit, OrgUnit.id == Initiative.cell_id)
        .join(Member, Member.id == Initiative.member_id)
        .where(
            under(unit.path),
            Initiative.year == year,
            Initiative.status == "completed",
            Initiative.realised_amount_vnd > 0,
        )
        .order_by(Initiative.realised_amount_vnd.desc(), Initiative.id)
        .limit(limit)
    )
    return [TopInitiative(int(i), t, c, m, int(v or 0)) for i, t, c, m, v in rows.all()]
