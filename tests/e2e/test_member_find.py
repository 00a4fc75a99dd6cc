"""`/member <name>`: a member's card by part of the name, tones and case aside, in the cells
the caller runs and nowhere else."""

from __future__ import annotations

from sqlalchemy import update

from bot.i18n import t
from storage.models import Member
from tests.factories import members_of, onboard, small_org
from tests.harness import Driver, TgUser, all_buttons, texts

SEC = TgUser(6401, "Hà", "Vi Thị", "vi")
SEC_EN = TgUser(6402, "Nam", "Lục Văn", "en")
STRANGER = TgUser(6403, "Lạ", "Người", "en")


async def test_member_finds_the_card_by_part_of_the_name(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    c01, c02 = org.cells["C01"], org.cells["C02"]
    people = await members_of(driver.sessions, c01)
    others = await members_of(driver.sessions, c02)
    async with driver.sessions.begin() as session:
        for member, name in ((people[0], "Nguyễn Văn Hòa"), (people[1], "Lò Thị Hoa")):
            await session.execute(
                update(Member).where(Member.id == member.id).values(full_name=name)
            )
        # A namesake in a cell the secretary does not run stays out of sight.
        await session.execute(
            update(Member).where(Member.id == others[0].id).values(full_name="Đỗ Thị Hòa")
        )
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")

    calls = await driver.send(SEC, "/member văn hoa")
    assert "Nguyễn Văn Hòa" in texts(calls) and "Lò Thị Hoa" not in texts(calls)
    # The card itself, with its buttons (the admission date of this member).
    assert f"m:adm:{c01}:{people[0].id}" in [data for _, data in all_buttons(calls)]

    calls = await driver.send(SEC, "/member HOA")
    labels = [text for text, _ in all_buttons(calls)]
    assert sorted(labels[:2]) == ["Lò Thị Hoa", "Nguyễn Văn Hòa"] and len(labels) == 2
    assert all(data.startswith(f"m:show:{c01}:") for _, data in all_buttons(calls))
    assert "Đỗ Thị Hòa" not in texts(calls)

    tapped = texts(await driver.press(SEC, f"m:show:{c01}:{people[1].id}"))
    assert "Lò Thị Hoa" in tapped

    none = texts(await driver.send(SEC, "/member Đỗ Thị Hòa"))
    assert "Không có đảng viên" in none and "/members" in none
    assert "/member Hòa" in texts(await driver.send(SEC, "/member"))


async def test_member_needs_a_cell(driver: Driver) -> None:
    await small_org(driver.sessions)
    await onboard(driver, SEC_EN, "QN-BL-LH-C02", "deputy")
    assert "Type /member" in texts(await driver.send(SEC_EN, "/member"))
    said = texts(await driver.send(STRANGER, "/member Hoa"))
    assert said == t("en", "common.not_secretary")
