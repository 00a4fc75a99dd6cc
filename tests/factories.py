"""Test data through the production code paths (import, invitations, /start)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storage.db import SessionFactory
from storage.invitations import new_invitation
from storage.members import add_members
from storage.models import Member
from storage.orgfile import UnitRow
from storage.orgs import get_unit_by_code, import_units
from tests.harness import Driver, TgUser


@dataclass(frozen=True)
class Org:
    province: int
    district: int
    grassroots: dict[str, int]
    cells: dict[str, int]


SMALL_TREE = [
    UnitRow(1, "QN", "Tỉnh ủy Quảng Ninh", "province", None),
    UnitRow(2, "QN-BL", "Huyện ủy Bình Liêu", "district", "QN"),
    UnitRow(3, "QN-BL-LH", "Đảng bộ xã Lục Hồn", "grassroots", "QN-BL"),
    UnitRow(4, "QN-BL-LH-C01", "Chi bộ thôn Bản Pắt", "cell", "QN-BL-LH"),
    UnitRow(5, "QN-BL-LH-C02", "Chi bộ thôn Khe Tiền", "cell", "QN-BL-LH"),
    UnitRow(6, "QN-BL-DT", "Đảng bộ xã Đồng Tâm", "grassroots", "QN-BL"),
    UnitRow(7, "QN-BL-DT-C01", "Chi bộ thôn Nà Làng", "cell", "QN-BL-DT"),
]


async def small_org(sessions: SessionFactory, members_per_cell: int = 20) -> Org:
    async with sessions.begin() as session:
        await import_units(session, list(SMALL_TREE))
        ids = {}
        for row in SMALL_TREE:
            unit = await get_unit_by_code(session, row.code)
            assert unit is not None
            ids[row.code] = unit.id
        for code in ("QN-BL-LH-C01", "QN-BL-LH-C02", "QN-BL-DT-C01"):
            names = [f"Nguyễn Văn {chr(65 + i % 26)}{i}" for i in range(members_per_cell)]
            await add_members(session, ids[code], names, actor_account_id=None)
    return Org(
        province=ids["QN"],
        district=ids["QN-BL"],
        grassroots={"LH": ids["QN-BL-LH"], "DT": ids["QN-BL-DT"]},
        cells={"C01": ids["QN-BL-LH-C01"], "C02": ids["QN-BL-LH-C02"], "DT1": ids["QN-BL-DT-C01"]},
    )


async def members_of(sessions: SessionFactory, cell_id: int) -> list[Member]:
    """The cell's roster (those who left included), in the order they were added."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Member).where(Member.cell_id == cell_id).order_by(Member.id)
        )
        return list(rows.all())


async def invitation(sessions: SessionFactory, unit_code: str, role: str) -> str:
    async with sessions.begin() as session:
        unit = await get_unit_by_code(session, unit_code)
        assert unit is not None
        token, _ = await new_invitation(session, unit, role, created_by="test")
        return token


async def onboard(driver: Driver, user: TgUser, unit_code: str, role: str) -> None:
    token = await invitation(driver.sessions, unit_code, role)
    calls = await driver.send(user, f"/start {token}")
    assert any("<b>" in c.text for c in calls), calls
