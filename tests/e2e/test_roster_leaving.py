"""Leaving the roll with a reason (transfer, death, struck off, expelled, resigned), history
kept; the roster in Vietnamese name order; exempt members as "(MSH)"."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from domain import clock
from storage.models import AttendanceMark, AuditEntry, Checkin, Member
from tests.factories import onboard, small_org
from tests.harness import Driver, TgUser, all_buttons, texts

SEC = TgUser(2101, "Thu", "Hà Thị", "vi")
NAMES = [
    "Đỗ Văn Đức",
    "Hoàng Thị Yến",
    "Dương Thị Dung",
    "Trần Thị Ánh",
    "Lê Văn Bình",
    "Nguyễn Văn An",
]
VIETNAMESE_ORDER = [
    "Nguyễn Văn An",
    "Trần Thị Ánh",
    "Lê Văn Bình",
    "Dương Thị Dung",
    "Đỗ Văn Đức",
    "Hoàng Thị Yến",
]


async def _members(driver: Driver, cell_id: int) -> dict[str, Member]:
    async with driver.sessions() as session:
        rows = await session.scalars(select(Member).where(Member.cell_id == cell_id))
        return {m.full_name: m for m in rows}


def _member_buttons(calls: list, cell_id: int) -> list[str]:
    return [text for text, data in all_buttons(calls) if data.startswith(f"m:show:{cell_id}:")]


async def test_roster_order_and_leaving_with_a_reason_keeps_history(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=0)
    cell = org.cells["C01"]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await driver.press(SEC, f"m:paste:{cell}")
    calls = await driver.send(SEC, "\n".join(NAMES))
    calls = await driver.tap(SEC, calls, "Thêm cả 6 đồng chí")

    # Given name first, Vietnamese letters: Đức after Dung, not after Yến.
    assert _member_buttons(calls, cell) == VIETNAMESE_ORDER
    members = await _members(driver, cell)

    # Exempt members are "(MSH)", never 💤.
    await driver.press(SEC, f"m:st:{cell}:{members['Nguyễn Văn An'].id}:exempt")
    calls = await driver.send(SEC, "/members")
    assert "Nguyễn Văn An (MSH)" in _member_buttons(calls, cell)
    assert "💤" not in texts(calls) + str(all_buttons(calls))

    # Lê Văn Bình was absent at a submitted meeting: that history must survive his leaving.
    binh = members["Lê Văn Bình"]
    async with driver.sessions() as session, session.begin():
        checkin = Checkin(cell_id=cell, month=dt.date(2026, 1, 1), status="submitted")
        session.add(checkin)
        await session.flush()
        session.add(AttendanceMark(checkin_id=checkin.id, member_id=binh.id, status="excused"))

    calls = await driver.press(SEC, f"m:show:{cell}:{binh.id}")
    calls = await driver.tap(SEC, calls, "Ra khỏi danh sách")
    assert "vì lý do nào" in texts(calls)
    reasons = [text for text, data in all_buttons(calls) if data.startswith("m:lvr:")]
    assert reasons == ["Chuyển sinh hoạt", "Từ trần", "Xóa tên", "Khai trừ", "Xin ra khỏi Đảng"]
    calls = await driver.tap(SEC, calls, "Từ trần")
    assert "lý do: <b>Từ trần</b>" in texts(calls)
    calls = await driver.tap(SEC, calls, "Có")
    assert "5 đảng viên" in texts(calls)
    assert "Lê Văn Bình" not in _member_buttons(calls, cell)

    today = clock.today(driver.settings.tz)
    calls = await driver.tap(SEC, calls, "Đã ra khỏi danh sách (1)")
    assert f"• Lê Văn Bình — Từ trần, ngày {today:%d/%m/%Y}" in texts(calls)

    async with driver.sessions() as session:
        stored = await session.get(Member, binh.id)
        marks = (
            await session.scalars(select(AttendanceMark).where(AttendanceMark.member_id == binh.id))
        ).all()
        audit = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "member", AuditEntry.action == "left")
            )
        ).all()
    assert stored is not None
    assert (stored.status, stored.left_reason, stored.left_on) == ("left", "death", today)
    assert [m.status for m in marks] == ["excused"]
    assert [a.after and a.after.get("left_reason") for a in audit] == ["death"]

    # The card says why; a transfer can be undone, and the reason goes with it.
    calls = await driver.press(SEC, f"m:show:{cell}:{binh.id}")
    assert "Đã ra khỏi danh sách: Từ trần" in texts(calls)
    await driver.tap(SEC, calls, "Đưa trở lại danh sách")
    async with driver.sessions() as session:
        back = await session.get(Member, binh.id)
    assert back is not None and (back.status, back.left_reason, back.left_on) == (
        "official",
        None,
        None,
    )


async def test_every_reason_is_recorded_and_a_forged_reason_refused(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=6)
    cell = org.cells["C01"]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    members = sorted((await _members(driver, cell)).values(), key=lambda m: m.id)
    reasons = ["transfer", "death", "struck_off", "expelled", "resigned"]
    for member, reason in zip(members, reasons, strict=False):
        await driver.press(SEC, f"m:leftok:{cell}:{member.id}:{reason}")
    last = members[-1]
    for data in (
        f"m:leftok:{cell}:{last.id}:moved_away",
        f"m:leftok:{cell}:{last.id}",
        f"m:lvr:{cell}:{last.id}:nonsense",
        # Already off the roll: no second reason over the first.
        f"m:leftok:{cell}:{members[0].id}:death",
    ):
        calls = await driver.press(SEC, data)
        assert "không còn" in texts(calls), data
    stored = {m.id: m for m in (await _members(driver, cell)).values()}
    assert [stored[m.id].left_reason for m in members] == [*reasons, None]
    assert stored[last.id].status == "official"
    calls = await driver.send(SEC, "/members")
    assert "1 đảng viên" in texts(calls) and "Đã ra khỏi danh sách (5)" in str(all_buttons(calls))
