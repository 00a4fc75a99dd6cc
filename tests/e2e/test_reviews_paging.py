"""/reviews for a province: thousands of cells would not fit one Telegram message (4,096
characters), so the list is paged 10 cells at a time, as /summary, with the caps of the
grassroots committees on the page; ◀ from a cell goes back to the page it was on."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain import clock
from storage.models import OrgUnit, YearReview
from storage.orgfile import UnitRow
from storage.orgs import import_units
from tests.e2e.review_year_data import YEAR
from tests.factories import onboard, small_org
from tests.harness import ApiCall, Driver, TgUser

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
PROV = TgUser(7311, "Minh", "Hoàng Văn", "vi")  # supervisor of the province
NOW = dt.datetime(2027, 1, 8, 9, tzinfo=HCM).astimezone(dt.UTC)
COMMITTEES = 6
CELLS_EACH = 6  # 36 cells beside the small tree's, 4 pages with its 2 of Lục Hồn
LIMIT = 4096


def cell_lines(calls: list[ApiCall]) -> list[str]:
    (shown,) = [c for c in calls if c.method in ("sendMessage", "editMessageText")]
    assert len(shown.text) <= LIMIT, len(shown.text)
    return [line for line in shown.text.splitlines() if line.startswith("• ")]


def pager(calls: list[ApiCall]) -> dict[str, str]:
    return {
        label: data for c in calls for label, data in c.buttons() if "/" in label or label in "◀▶"
    }


async def seed(driver: Driver) -> tuple[int, dict[str, int]]:
    """36 cells with long names in 6 communes, each proposing "excellent" (every commune
    over its cap, the cells beyond it named), plus Lục Hồn's C01 and C02."""
    org = await small_org(driver.sessions, members_per_cell=1)
    clock.set_clock(clock.FixedClock(NOW))
    rows = []
    for g in range(COMMITTEES):
        commune = f"QN-BL-X{g}"
        rows.append(
            UnitRow(100 + g, commune, f"Đảng bộ xã số {g} huyện Bình Liêu", "grassroots", "QN-BL")
        )
        rows += [
            UnitRow(
                200 + g * 10 + i,
                f"{commune}-C{i}",
                f"Chi bộ thôn số {i} của xã số {g}, huyện Bình Liêu, tỉnh Quảng Ninh",
                "cell",
                commune,
            )
            for i in range(CELLS_EACH)
        ]  # fmt: skip
    async with driver.sessions.begin() as session:
        await import_units(session, rows)
        cells = {
            code: unit_id
            for code, unit_id in await session.execute(
                select(OrgUnit.code, OrgUnit.id).where(OrgUnit.kind == "cell")
            )
        }
        for i, cell_id in enumerate(cells.values()):
            session.add(
                YearReview(
                    cell_id=cell_id, year=YEAR, status="submitted", score=90.0 - i % 7,
                    proposed_level="xuat_sac", tasks_on_time=True, leader_disciplined=False,
                )
            )  # fmt: skip
    await onboard(driver, PROV, "QN", "supervisor")
    return org.province, cells


async def test_a_province_list_is_paged_under_the_message_limit(driver: Driver) -> None:
    province, cells = await seed(driver)
    total = len(cells)
    assert total == COMMITTEES * CELLS_EACH + 3
    calls = await driver.send(PROV, f"/reviews {YEAR}")
    assert f"Tỉnh ủy Quảng Ninh: {total} chi bộ đã gửi đề xuất" in calls[-1].text
    seen = cell_lines(calls)
    assert len(seen) == 10 and "vượt" in calls[-1].text  # a commune's cap, on its page
    assert pager(calls) == {"1/4": "noop", "▶": f"rc:u:{province}:{YEAR}:1"}
    for page in range(1, 4):
        calls = await driver.press(PROV, f"rc:u:{province}:{YEAR}:{page}")
        seen += cell_lines(calls)
    # Every cell once, the last page holds the rest; on one page they would not fit.
    assert len(seen) == total and len(set(seen)) == total
    assert sum(len(line) + 1 for line in seen) > LIMIT
    assert len(cell_lines(calls)) == total - 30 and "▶" not in pager(calls)
    # A page beyond the end (the list shrank since the button was drawn): the last one.
    assert cell_lines(await driver.press(PROV, f"rc:u:{province}:{YEAR}:9")) == cell_lines(calls)

    # A cell of the third page; ◀ goes back to that page, not to the first.
    async with driver.sessions() as session:
        review_id = await session.scalar(
            select(YearReview.id).where(YearReview.cell_id == cells["QN-BL-X3-C5"])
        )
    calls = await driver.press(PROV, f"rc:c:{review_id}:{province}")
    assert "Chi bộ thôn số 5 của xã số 3" in calls[-1].text
    back = [data for c in calls for label, data in c.buttons() if data.startswith("rc:b:")]
    assert back == [f"rc:b:{review_id}:{province}"]
    calls = await driver.press(PROV, back[0])
    lines = cell_lines(calls)
    assert "3/4" in pager(calls) and any("Chi bộ thôn số 5 của xã số 3" in ln for ln in lines)
