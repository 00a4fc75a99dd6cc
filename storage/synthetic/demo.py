"""`cellbot demo seed`: a small, realistic organisation to try the bot with (idempotent)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.members import add_members
from storage.models import Member, MemberStatus
from storage.orgfile import UnitRow
from storage.orgs import ImportReport, get_unit_by_code, import_units
from storage.synthetic.demo_initiatives import seed_demo_initiatives
from storage.synthetic.names import VILLAGES, person_name

COMMUNES = [
    # (code, name, number of cells, members to spread over them)
    ("QN-BL-LH", "Đảng bộ xã Lục Hồn", 21, 322),
    ("QN-BL-DT", "Đảng bộ xã Đồng Tâm", 9, 131),
]


@dataclass
class SeedReport:
    units: ImportReport
    members_added: int


def demo_rows() -> list[UnitRow]:
    rows = [
        UnitRow(1, "QN", "Tỉnh ủy Quảng Ninh", "province", None),
        UnitRow(2, "QN-BL", "Huyện ủy Bình Liêu", "district", "QN"),
    ]
    line = 3
    for code, name, cells, _members in COMMUNES:
        rows.append(UnitRow(line, code, name, "grassroots", "QN-BL"))
        line += 1
        for index in range(1, cells + 1):
            village = VILLAGES[(index - 1 + line) % len(VILLAGES)]
            rows.append(
                UnitRow(line, f"{code}-C{index:02d}", f"Chi bộ thôn {village}", "cell", code)
            )
            line += 1
    return rows


def _sizes(total: int, cells: int, rng: random.Random) -> list[int]:
    weights = [rng.uniform(0.6, 1.6) for _ in range(cells)]
    scale = total / sum(weights)
    sizes = [max(5, round(w * scale)) for w in weights]
    sizes[0] += total - sum(sizes)
    return sizes


async def seed_demo(session: AsyncSession, seed: int = 2024) -> SeedReport:
    """Create the demo tree and rosters; running it again adds nothing."""
    rng = random.Random(seed)
    report = await import_units(session, demo_rows(), actor_label="demo seed")
    added = 0
    for code, _name, cells, members in COMMUNES:
        for index, size in enumerate(_sizes(members, cells, rng), start=1):
            cell = await get_unit_by_code(session, f"{code}-C{index:02d}")
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
    await seed_demo_initiatives(session, seed)
    return SeedReport(report, added)
