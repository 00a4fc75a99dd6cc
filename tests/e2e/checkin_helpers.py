"""Shared steps of the check-in e2e tests: find buttons, count taps, read the draft."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from bot.i18n import t
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
    """A user driving the check-in who counts the buttons they tap and the answers they
    type (commands are not counted)."""

    driver: Driver
    user: TgUser
    taps: int = 0
    typed: int = 0
    last: list[ApiCall] = field(default_factory=list)

    async def command(self, text: str) -> list[ApiCall]:
        self.last = await self.driver.send(self.user, text)
        return self.last

    async def type(self, text: str) -> list[ApiCall]:
        self.typed += 1
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


# What the shared walks answer to the questions of issue 16.
NEXT_TASK = "Sửa đường liên thôn trước mùa mưa"


async def answer_next_tasks(
    s: Secretary, tasks: tuple[tuple[str, str | None], ...] = ((NEXT_TASK, None),)
) -> list[ApiCall]:
    """Next month's tasks: each typed, then its owner tapped by name (None: the whole
    cell); then «Done»."""
    lang = s.user.language_code
    for text, owner in tasks:
        await s.type(text)
        await s.tap(owner or t(lang, "checkin.btn_whole_cell"))
    return await s.tap(t(lang, "checkin.btn_done_n", n=len(tasks)))


async def answer_proposals(s: Secretary, text: str | None = None) -> list[ApiCall]:
    """The recommendations: typed, or «No recommendations»."""
    if text is not None:
        return await s.type(text)
    return await s.tap(t(s.user.language_code, "checkin.btn_no_proposals"))


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


# What the shared walks answer to the questions of issue 16 part 1 (the opening, the vote).
PLACE = "Nhà văn hóa thôn Khe Mằn"


def member_buttons(s: Secretary, question: str) -> list[tuple[str, int]]:
    """(label, member id) of the names offered by the picker of `question`, in order."""
    found = []
    for text, data in last_keyboard(s.last):
        parts = data.split(":")
        if parts[:2] == ["ci", "k"] and len(parts) > 5 and parts[4] == question:
            found.append((text, int(parts[5])))
    return found


async def tap_member(s: Secretary, question: str, name: str | None = None) -> list[ApiCall]:
    """Tap `name` (or the first name offered) in the picker of `question`."""
    for text, _member in member_buttons(s, question):
        if name is None or name in text:
            return await s.tap(text)
    raise AssertionError(f"no {name!r} in the {question} picker: {last_keyboard(s.last)}")


async def answer_place(s: Secretary, place: str = PLACE) -> list[ApiCall]:
    return await s.type(place)


async def answer_chair(
    s: Secretary, chair: str | None = None, clerk: str | None = None
) -> list[ApiCall]:
    """The chair and the thư ký tapped by name (None: the first name offered), and no
    upper-committee attendee."""
    await tap_member(s, "chair", chair)
    await tap_member(s, "clerk", clerk)
    return await s.tap(t(s.user.language_code, "checkin.btn_no_guest"))


async def answer_documents(s: Secretary) -> list[ApiCall]:
    return await s.tap(t(s.user.language_code, "checkin.btn_no_documents"))


async def answer_speakers(s: Secretary, count: int = 3) -> list[ApiCall]:
    """The first `count` names offered tapped as speakers, then «Done»."""
    offered = member_buttons(s, "speakers")
    assert len(offered) >= count, offered
    for text, _member in offered[:count]:
        await s.tap(text)
    return await s.tap(t(s.user.language_code, "checkin.btn_done_n", n=count))


async def answer_vote(s: Secretary) -> list[ApiCall]:
    """«All for» (the default)."""
    label = t(s.user.language_code, "checkin.btn_vote_all", n=0).split(" (")[0]
    return await s.tap(label)
