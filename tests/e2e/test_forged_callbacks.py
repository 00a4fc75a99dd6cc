"""Forged button data (huge ids, full-width digits, negative, empty parts) gets the same clean
answer on PostgreSQL as on SQLite: the tap is answered, and no error apology is sent.

The buttons are the bot's own: a secretary and a supervisor open their screens, every button
they are shown is collected, and each id-like part of each kind of button is forged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.i18n import t
from storage.db import SessionFactory
from tests.factories import onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, make_settings, start_driver, stop_driver

SEC = TgUser(3301, "Hà", "Vi Thị", "en")
SUP = TgUser(3302, "Minh", "Hoàng Văn", "en")

FORGED = (
    "2147483648",  # 2**31: out of PostgreSQL's integer range
    "9223372036854775808",  # 2**63: out of bigint too
    "１２",  # full-width digits
    "²",  # a digit to str.isdigit(), not to int()
    "-1",
    "",
)
# The cases named in the issue, pressed whatever the crawl finds.
NAMED = ("ci:a:2147483648:1:time:1930", "sv:cell:2147483648:2026-01", "m:show:2147483648:1")
PREFIXES = ("ci", "sv", "m", "in", "sc", "rm")


@pytest.fixture
async def forge_driver(session_factory: SessionFactory, db_url: str) -> AsyncIterator[Driver]:
    # A rate limiter that does not slow hundreds of presses down.
    drv = await start_driver(make_settings(db_url, messages_per_second=5000), session_factory)
    yield drv
    await stop_driver(drv)


def buttons_of(calls: list[ApiCall]) -> list[str]:
    return [data for call in calls for _, data in call.buttons() if ":" in data]


async def crawl(driver: Driver) -> dict[str, TgUser]:
    """Every button the two users are shown on their main screens, with who was shown it."""
    seen: dict[str, TgUser] = {}

    def keep(user: TgUser, calls: list[ApiCall]) -> list[str]:
        found = buttons_of(calls)
        for data in found:
            seen.setdefault(data, user)
        return found

    for user, commands in (
        (SEC, ("/checkin", "/members", "/initiatives", "/schedule", "/reminders")),
        (SUP, ("/summary", "/cell", "/ranking", "/missing", "/initiatives", "/review", "/lock")),
    ):
        for command in commands:
            first = keep(user, await driver.send(user, command))
            # One level deeper: the first few buttons of each screen.
            for data in first[:4]:
                keep(user, await driver.press(user, data))
    return seen


def forgeries(seen: dict[str, TgUser]) -> list[tuple[str, TgUser]]:
    """Each id-like part of each kind of button (prefix and action), forged."""
    out: dict[str, TgUser] = {}
    shapes: set[tuple[str, str, int]] = set()
    for data, user in seen.items():
        parts = data.split(":")
        prefix, action = parts[0], parts[1] if len(parts) > 1 else ""
        out.setdefault(f"{prefix}:", user)
        out.setdefault(f"{prefix}:{action}", user)
        out.setdefault(f"{prefix}:{action}" + ":" * 6, user)
        for index in range(2, len(parts)):
            if not parts[index].isascii() or not parts[index].isdigit():
                continue
            if (prefix, action, index) in shapes:
                continue
            shapes.add((prefix, action, index))
            for value in FORGED:
                forged = [*parts[:index], value, *parts[index + 1 :]]
                out.setdefault(":".join(forged), user)
    return list(out.items())


async def test_forged_buttons_are_answered_without_an_apology(forge_driver: Driver) -> None:
    driver = forge_driver
    await small_org(driver.sessions, members_per_cell=3)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, SUP, "QN-BL", "supervisor")
    seen = await crawl(driver)
    prefixes = {data.split(":")[0] for data in seen}
    assert {"ci", "sv", "m", "in", "sc"} <= prefixes, prefixes
    cases = forgeries(seen) + [(data, SEC) for data in NAMED] + [(data, SUP) for data in NAMED]
    apology = t("en", "common.error")
    failures = []
    for data, user in cases:
        before = len(driver.calls)
        calls = await driver.press(user, data)
        answered = any(c.method == "answerCallbackQuery" for c in calls)
        if any(apology in c.text for c in driver.calls[before:]) or not answered:
            failures.append(data)
    assert not failures, failures
    print(f"\nforged presses: {len(cases)} over {len(seen)} buttons seen")


# ---------------------------------------------------------------- forged answer values

# An answer button's value, forged: "{q}" is the question, the check-in id and version are
# the real ones (read before each press), so the value is what gets parsed.
VALUES = [
    f"ci:a:{{id}}:{{ver}}:{question}:{value}"
    for question in ("time", "duration", "speakers", "dues_paid")
    for value in ("2147483648", "１２０", "-1", "", "1_0", " 90")
] + [
    "sc:save:{cell}:d15:2147483648",
    "sc:save:{cell}:d15:１９３０",
    "sc:save:{cell}:w9.9:1930",
    "sc:h:{cell}:d15:2147483648",
    "sc:mvs:{cell}:2026-01:2147483648:1930",
]
# str.isdigit() is true for "²", and int("²") raises: domain/checkin_rules.py
# (`value.isdigit() and int(value)`, the duration button) and handlers/schedule.py (`_hhmm`)
# end in the error handler. Routed to the lead; flip to VALUES when fixed.
DIGIT_LOOKALIKES = ["ci:a:{id}:{ver}:duration:²", "sc:save:{cell}:d15:²²²²"]


async def press_values(driver: Driver, templates: list[str]) -> list[str]:
    from sqlalchemy import select

    from storage.models import Checkin

    org = await small_org(driver.sessions, members_per_cell=3)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await driver.send(SEC, "/checkin")
    calls = await driver.press(SEC, next(d for d in buttons_of(driver.calls) if "regular" in d))
    today = next(d for d in buttons_of(calls) if ":date:" in d)
    await driver.press(SEC, today)  # a regular meeting, held today: time and duration apply
    apology = t("en", "common.error")
    failures = []
    for template in templates:
        async with driver.sessions() as session:
            checkin = (await session.scalars(select(Checkin))).one()
        data = template.format(id=checkin.id, ver=checkin.version, cell=org.cells["C01"])
        calls = await driver.press(SEC, data)
        answered = any(c.method == "answerCallbackQuery" for c in calls)
        if any(apology in c.text for c in calls) or not answered:
            failures.append(data)
    return failures


async def test_forged_values_are_refused_or_read_plainly(forge_driver: Driver) -> None:
    assert await press_values(forge_driver, VALUES) == []


async def test_digit_lookalikes_are_refused(forge_driver: Driver) -> None:
    assert await press_values(forge_driver, DIGIT_LOOKALIKES) == []
