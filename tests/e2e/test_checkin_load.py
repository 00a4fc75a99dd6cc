"""200 secretaries answering at the same time (their updates interleaved) never mix answers."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select

from domain import clock
from domain.checkin_schema import parse_answers
from storage.models import Account, Checkin, Member, RoleGrant
from storage.orgfile import UnitRow
from storage.orgs import get_unit_by_code, import_units
from tests.e2e.checkin_helpers import Secretary
from tests.harness import Driver, TgUser

CELLS = 200


async def build_org(driver: Driver) -> dict[int, int]:
    """telegram id -> cell id: one secretary and 5 members per cell, written directly."""
    rows = [UnitRow(1, "P", "Tỉnh", "province", None), UnitRow(2, "P-D", "Huyện", "district", "P")]
    rows += [UnitRow(3 + i, f"P-D-G{i}", f"Xã {i}", "grassroots", "P-D") for i in range(10)]
    rows += [
        UnitRow(20 + i, f"P-D-G{i % 10}-C{i}", f"Chi bộ {i}", "cell", f"P-D-G{i % 10}")
        for i in range(CELLS)
    ]
    cells: dict[int, int] = {}
    async with driver.sessions.begin() as session:
        await import_units(session, rows)
        for i in range(CELLS):
            unit = await get_unit_by_code(session, f"P-D-G{i % 10}-C{i}")
            assert unit is not None
            account = Account(telegram_id=50_000 + i, display_name=f"Bí thư {i}")
            session.add(account)
            await session.flush()
            session.add(RoleGrant(account_id=account.id, unit_id=unit.id, role="secretary"))
            session.add_all(
                Member(cell_id=unit.id, full_name=f"Đảng viên {i}-{k}") for k in range(5)
            )
            cells[50_000 + i] = unit.id
    return cells


def expected(i: int, today: dt.date) -> tuple[dt.date, str]:
    """Different for every secretary: a date and a start time (unique for i < 1440)."""
    return today - dt.timedelta(days=i % 40), f"{i // 60:02d}:{i % 60:02d}"


async def test_200_secretaries_interleaved(driver: Driver) -> None:
    cells = await build_org(driver)
    today = clock.today()
    people = [Secretary(driver, TgUser(50_000 + i, language_code="en")) for i in range(CELLS)]
    month = today.replace(day=1).strftime("%Y-%m")
    started = time.perf_counter()
    # The reminder's button opens the month's check-in straight away (one update).
    for i, s in enumerate(people):
        await s.press(f"ci:new:{cells[50_000 + i]}:{month}:regular")
    for i, s in enumerate(people):
        day = expected(i, today)[0]
        await s.type(f"{day.day}/{day.month}/{day.year}")
    for i, s in enumerate(people):
        await s.type(f"{i // 60}h{i % 60:02d}")
    elapsed = time.perf_counter() - started
    print(f"{CELLS * 3} interleaved check-in updates in {elapsed:.1f}s")

    async with driver.sessions() as session:
        rows = {c.cell_id: c for c in (await session.scalars(select(Checkin))).all()}
    assert len(rows) == CELLS
    for i in range(CELLS):
        row = rows[cells[50_000 + i]]
        a = parse_answers(row.answers)
        assert (row.meeting_date, a.start_time) == expected(i, today), i
        assert row.pre_meeting is None and row.status == "draft"
        assert row.created_by == row.updated_by
