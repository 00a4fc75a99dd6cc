"""An edited message never changes an answer silently: the user gets a short note, the
answer in the database stays, and the conversation stays on its question."""

from __future__ import annotations

import time
from typing import Any

from bot.i18n import t
from tests.e2e.checkin_helpers import Secretary, answers_of
from tests.factories import onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, texts

SEC = TgUser(3101, "Hà", "Vi Thị", "en")
SEC_VI = TgUser(3102, "Nam", "Lục Văn", "vi")


async def typed(driver: Driver, user: TgUser, text: str) -> tuple[dict[str, Any], list[ApiCall]]:
    """Send a typed message; return it too, to edit it later."""
    data = driver._message_data(user, text)
    return data["message"], await driver._process(data)


async def edit(driver: Driver, message: dict[str, Any], text: str) -> list[ApiCall]:
    edited = {**message, "text": text, "edit_date": int(time.time())}
    if text.startswith("/"):
        edited["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    else:
        edited.pop("entities", None)
    return await driver._process({"update_id": next(driver._update_ids), "edited_message": edited})


async def test_editing_a_typed_answer_changes_nothing(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Regular")
    await s.tap("Today")
    time_message, calls = await typed(driver, SEC, "19h30")  # now at the duration question
    asked = texts(calls)
    assert t("en", "checkin.q.duration").split("{")[0][:20] in asked

    # Editing the time into "120" while the duration is asked: not a duration of 120.
    calls = await edit(driver, time_message, "120")
    sent = [c for c in calls if c.method == "sendMessage"]
    assert [c.text for c in sent] == [t("en", "common.edit_ignored")]
    assert [c.method for c in calls] == ["sendMessage"]
    a = await answers_of(driver, org.cells["C01"])
    assert a.start_time == "19:30" and a.duration_min is None

    # Still at the same question: the next typed message answers it.
    _, calls = await typed(driver, SEC, "90")
    a = await answers_of(driver, org.cells["C01"])
    assert a.start_time == "19:30" and a.duration_min == 90
    assert t("en", "common.edit_ignored") not in texts(calls)


async def test_an_edited_command_is_not_run_and_keeps_the_conversation(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC_VI, "QN-BL-LH-C01", "secretary")
    help_message, _ = await typed(driver, SEC_VI, "/help")
    s = Secretary(driver, SEC_VI)
    await s.command("/checkin")
    await s.tap("Thường kỳ")
    await s.tap("Hôm nay")
    # "/help" edited into "/cancel": the check-in is not left, and nothing runs but the note.
    calls = await edit(driver, help_message, "/cancel")
    assert texts(calls) == t("vi", "common.edit_ignored")
    assert "Đồng chí" in texts(calls)
    _, calls = await typed(driver, SEC_VI, "19h30")
    a = await answers_of(driver, org.cells["C01"])
    assert a.start_time == "19:30"


async def test_an_edit_outside_a_conversation_gets_the_note(driver: Driver) -> None:
    stranger = TgUser(3103, "Tom", "Smith", "en")
    message, _ = await typed(driver, stranger, "hello")
    calls = await edit(driver, message, "hello again")
    assert texts(calls) == t("en", "common.edit_ignored")
    # An edited channel post has no user: stopped without a word.
    post = {
        "message_id": 5,
        "date": int(time.time()),
        "edit_date": int(time.time()),
        "chat": {"id": -100123, "type": "channel", "title": "News"},
        "text": "x",
    }
    calls = await driver._process(
        {"update_id": next(driver._update_ids), "edited_channel_post": post}
    )
    assert calls == []
