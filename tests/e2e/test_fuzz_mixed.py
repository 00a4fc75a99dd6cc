"""A stream of mixed updates from a secretary, a supervisor and a stranger: typed text,
buttons from the bot's own keyboards with their ids forged, made-up callback data, edited
messages, media and commands in the middle of conversations.

Every update gets an answer in its chat (a message, an edit or a button answer) and none
reaches the error handler. The suite runs a few hundred updates; FUZZ_UPDATES=10000 runs the
issue's full figure (about a minute on SQLite).
"""

from __future__ import annotations

import logging
import os
import random
from typing import Any

import pytest

from domain import clock
from tests.factories import onboard, small_org
from tests.harness import ApiCall, Driver, TgUser

SEC = TgUser(7101, "Mờ", "Nguyễn", "vi")
SUP = TgUser(7102, "Sup", "Visor", "en")
STRANGER = TgUser(7103, "Lạ", "Người", "vi")
UPDATES = int(os.environ.get("FUZZ_UPDATES", "400"))

COMMANDS = (
    "/checkin",
    "/members",
    "/initiatives",
    "/schedule",
    "/reminders",
    "/summary",
    "/missing",
    "/ranking",
    "/cell",
    "/help",
    "/cancel",
    "/whoami",
    "/language",
    "/start",
    "/start not-a-token",
    "/nosuchcommand",
    "/export csv",
)
TEXTS = (
    "",
    "19h30",
    "90",
    '=HYPERLINK("http://x","y")',
    "١٢",
    "１２",
    "2147483648",
    "-1",
    "Nguyễn Văn A\nTrần Thị B",
    "🙂" * 50,
    "x" * 5000,
    "<b>not html</b>",
    "02/13/2026",
    "31/02/2026",
)
FORGED_PARTS = ("2147483648", "-1", "１", "", "x", "99999", "0", "a:b:c")


def _edit_update(driver: Driver, user: TgUser, text: str) -> dict[str, Any]:
    data = driver._message_data(user, text)
    message = data.pop("message")
    message["edit_date"] = int(clock.now().timestamp())
    return {"update_id": data["update_id"], "edited_message": message}


def _media_update(driver: Driver, user: TgUser, kind: str) -> dict[str, Any]:
    data = driver._message_data(user, "")
    message = data["message"]
    del message["text"]
    if kind == "photo":
        message["photo"] = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
    elif kind == "document":
        message["document"] = {"file_id": "d", "file_unique_id": "v", "file_name": "x.pdf"}
    elif kind == "location":
        message["location"] = {"latitude": 21.0, "longitude": 105.8}
    else:
        message["sticker"] = {
            "file_id": "s",
            "file_unique_id": "w",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
    return data


def _forge(data: str, rng: random.Random) -> str:
    parts = data.split(":")
    if len(parts) > 1:
        parts[rng.randrange(1, len(parts))] = rng.choice(FORGED_PARTS)
    return ":".join(parts)[:64]


def _answered(calls: list[ApiCall], user: TgUser) -> bool:
    return any(c.chat_id == user.id or c.method == "answerCallbackQuery" for c in calls)


async def test_mixed_updates_always_get_an_answer_and_never_an_error(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, SUP, "QN-BL", "supervisor")
    rng = random.Random(20261202)
    users = (SEC, SEC, SEC, SUP, SUP, STRANGER)
    keyboards: dict[int, list[str]] = {SEC.id: [], SUP.id: [], STRANGER.id: []}
    silent: list[str] = []
    caplog.set_level(logging.ERROR)
    for n in range(UPDATES):
        user = rng.choice(users)
        roll = rng.random()
        buttons = keyboards[user.id]
        if roll < 0.35 and buttons:
            data = rng.choice(buttons)
            what = f"tap {data}"
            calls = await driver.press(user, data)
        elif roll < 0.45 and buttons:
            data = _forge(rng.choice(buttons), rng)
            what = f"forged {data}"
            calls = await driver.press(user, data)
        elif roll < 0.5:
            data = rng.choice(("ci:a:1:1:duration:90", "sv:cell:1", "m:st:1:x", "zz", ""))
            what = f"made-up {data}"
            calls = await driver.press(user, data)
        elif roll < 0.65:
            text = rng.choice(COMMANDS)
            what = f"command {text}"
            calls = await driver.send(user, text)
        elif roll < 0.85:
            text = rng.choice(TEXTS)
            what = f"text {text[:20]!r}"
            calls = await driver.send(user, text) if text else await driver.send(user, " ")
        elif roll < 0.93:
            kind = rng.choice(("photo", "document", "location", "sticker"))
            what = f"media {kind}"
            calls = await driver._process(_media_update(driver, user, kind))
        else:
            what = "edited message"
            update = _edit_update(driver, user, rng.choice(TEXTS) or "x")
            calls = await driver._process(update)
        if not _answered(calls, user):
            silent.append(f"#{n} {user.id} {what}")
        fresh = [data for call in calls for _, data in call.buttons() if ":" in data]
        if fresh:
            keyboards[user.id] = fresh
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors[:5]
    assert not silent, silent[:10]
