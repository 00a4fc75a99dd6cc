"""Shared steps of the check-in e2e tests: find buttons, count taps, read the draft."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from domain.checkin_schema import CheckinAnswers, parse_answers
from storage.models import Checkin
from tests.harness import ApiCall, Driver, TgUser


def last_keyboard(calls: list[ApiCall]) -> list[tuple[str, str]]:
    for call in reversed(calls):
        buttons = call.buttons()
        if buttons:
            return buttons
    return []


def find(calls: list[ApiCall], label: str) -> str:
    """The callback data of the button whose text contains `label` in the latest keyboard."""
    buttons = last_keyboard(calls)
    for text, data in buttons:
        if label in text:
            return data
    raise AssertionError(f"no button {label!r} in {buttons}")


@dataclass
class Secretary:
    """A user driving the check-in who counts the buttons they tap."""

    driver: Driver
    user: TgUser
    taps: int = 0
    last: list[ApiCall] = field(default_factory=list)

    async def command(self, text: str) -> list[ApiCall]:
        self.last = await self.driver.send(self.user, text)
        return self.last

    async def type(self, text: str) -> list[ApiCall]:
        self.last = await self.driver.send(self.user, text)
        return self.last

    async def tap(self, label: str) -> list[ApiCall]:
        data = find(self.last, label)
        self.taps += 1
        self.last = await self.driver.press(self.user, data)
        return self.last

    async def press(self, data: str) -> list[ApiCall]:
        self.last = await self.driver.press(self.user, data)
        return self.last


async def checkins_of(driver: Driver, cell_id: int) -> list[Checkin]:
    async with driver.sessions() as session:
        rows = await session.scalars(
            select(Checkin).where(Checkin.cell_id == cell_id).order_by(Checkin.id)
        )
        return list(rows)


async def answers_of(driver: Driver, cell_id: int) -> CheckinAnswers:
    rows = await checkins_of(driver, cell_id)
    assert len(rows) == 1, rows
    return parse_answers(rows[0].answers, rows[0].schema_version)
