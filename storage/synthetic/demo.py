"""`cellbot demo seed`: a small, real-shaped organisation to try the bot with (idempotent).

Tỉnh ủy Quảng Ninh → Đảng bộ xã Lục Hồn (the seed article's commune: 21 cells, 320+
members) and its neighbour Đảng bộ xã Bình Liêu; and the article's coal cell, under the coal
industry's bloc committee. Names come from storage/synthetic/quang_ninh_2025.py (real where a
source names them, generic otherwise). Rosters, then a year of history
(storage/synthetic/demo_history.py) and this year's initiatives
(storage/synthetic/demo_initiatives.py), so that a first /summary, /chart or `cellbot
report` shows real figures.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orgtree import CellSort, GrassrootsSort, UnitKind
from storage.members import add_members
from storage.models import Member, MemberStatus
from storage.orgfile import UnitRow
from storage.orgs import ImportReport, get_unit_by_code, import_units
from storage.synthetic.demo_history import HistoryReport, seed_demo_history
from storage.synthetic.demo_initiatives import seed_demo_initiatives
from storage.synthetic.names import person_name
from storage.synthetic.quang_ninh_2025 import COMMUNE_LEVEL, CommuneLevel, commune_cells

ROOT = "QN"
COAL_BLOC, COAL_COMPANY = "QN-THAN", "QN-THAN-HL"
# The article's coal cell ("mining technology department" of Hà Lầm Coal JSC; the Vietnamese
# name is rendered from the Hindi translation, not checked against the original).
COAL_CELL = "QN-THAN-HL-C01"


@dataclass(frozen=True)
class DemoCommune:
    code: str
    name: str  # as in quang_ninh_2025.COMMUNE_LEVEL
    cells: int
    members: int  # spread over its cells

    @property
    def place(self) -> CommuneLevel:
        return next(u for u in COMMUNE_LEVEL if u.name == self.name)


COMMUNES = [
    DemoCommune("QN-LH", "Lục Hồn", 21, 322),
    DemoCommune("QN-BLI", "Bình Liêu", 9, 131),
]
COAL_MEMBERS = 24


@dataclass
class SeedReport:
    units: ImportReport
    members_added: int
    history: HistoryReport | None = None
    initiatives: int = 0


class DemoRefused(Exception):
    """The database holds another tree (raised so that the caller's transaction rolls back
    whatever the import accepted)."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.rejected[0].reason)
        self.report = report


def demo_rows() -> list[UnitRow]:
    rows = [UnitRow(1, ROOT, "Tỉnh ủy Quảng Ninh", UnitKind.PROVINCE, None)]

    def add(code: str, name: str, kind: str, parent: str, sort: str | None) -> None:
        rows.append(UnitRow(len(rows) + 1, code, name, kind, parent, sort))

    for commune in COMMUNES:
        place = commune.place
        add(commune.code, place.committee, UnitKind.GRASSROOTS, ROOT, place.sort)
        for index, (name, sort) in enumerate(commune_cells(place, commune.cells), start=1):
            add(f"{commune.code}-C{index:02d}", name, UnitKind.CELL, commune.code, sort)
    add(COAL_BLOC, "Đảng bộ Than Quảng Ninh", UnitKind.BLOC, ROOT, None)
    add(
        COAL_COMPANY,
        "Đảng bộ Công ty Cổ phần Than Hà Lầm",
        UnitKind.GRASSROOTS,
        COAL_BLOC,
        GrassrootsSort.ENTERPRISE,
    )
    add(
        COAL_CELL,
        "Chi bộ Phòng Kỹ thuật công nghệ khai thác",
        UnitKind.CELL,
        COAL_COMPANY,
        CellSort.ENTERPRISE,
    )
    return rows


def rosters() -> list[tuple[str, int, int]]:
    """(cell code prefix, cells, members) of each group of demo cells."""
    return [(c.code, c.cells, c.members) for c in COMMUNES] + [(COAL_COMPANY, 1, COAL_MEMBERS)]


def _sizes(total: int, cells: int, rng: random.Random) -> list[int]:
    weights = [rng.uniform(0.6, 1.6) for _ in range(cells)]
    scale = total / sum(weights)
    sizes = [max(5, round(w * scale)) for w in weights]
    sizes[0] += total - sum(sizes)
    return sizes


async def seed_demo(session: AsyncSession, seed: int = 2024) -> SeedReport:
    """Create the demo tree, rosters and history; running it again adds nothing.

    A database that already holds another tree (the province seed, a real import) refuses
    the demo: DemoRefused, and the caller's transaction rolls back.
    """
    rng = random.Random(seed)
    report = await import_units(session, demo_rows(), actor_label="demo seed")
    if report.rejected:
        raise DemoRefused(report)
    added = 0
    for prefix, cells, members in rosters():
        for index, size in enumerate(_sizes(members, cells, rng), start=1):
            cell = await get_unit_by_code(session, f"{prefix}-C{index:02d}")
            assert cell is not None
            names = [person_name(rng) for _ in range(size)]
            has_members = await session.scalar(
                select(Member.id).where(Member.cell_id == cell.id).limit(1)
            )
            if has_members is not None:
                continue
            new = await add_members(session, cell.id, names, actor_account_id=None)
            for member in new:
                roll = rng.random()
                if roll < 0.06:
                    member.status = MemberStatus.PROBATIONARY.value
                elif roll < 0.10:
                    member.status = MemberStatus.EXEMPT.value
            added += len(new)
    await session.flush()
    history = await seed_demo_history(session, ROOT, seed)
    initiatives = await seed_demo_initiatives(session, seed)
    return SeedReport(report, added, history, initiatives)
