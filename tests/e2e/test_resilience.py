"""Restarts and failures: nothing lost, no traceback reaches a user."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.i18n import t
from handlers import checkin
from storage.db import SessionFactory
from storage.models import Member
from tests.e2e.checkin_helpers import Secretary, answers_of, find
from tests.factories import onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, make_settings, start_driver, stop_driver, texts

SEC = TgUser(3001, "Hà", "Vi Thị", "en")


async def test_conversation_state_survives_a_restart(
    db_url: str, session_factory: SessionFactory
) -> None:
    settings = make_settings(db_url)
    first = await start_driver(settings, session_factory)
    org = await small_org(session_factory, members_per_cell=1)
    await onboard(first, SEC, "QN-BL-LH-C01", "secretary")
    await first.press(SEC, f"m:add:{org.cells['C01']}")
    await stop_driver(first)

    second = await start_driver(settings, session_factory)
    calls = await second.send(SEC, "Đinh Thị Mai")
    assert "Added <b>Đinh Thị Mai</b>" in texts(calls)
    await stop_driver(second)
    async with session_factory() as session:
        names = (await session.scalars(select(Member.full_name))).all()
    assert "Đinh Thị Mai" in names


async def test_a_failing_handler_gets_an_apology_and_is_logged(
    driver: Driver, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler that raises after writing: its transaction is rolled back, so nothing it
    queued is said (no "Saved" for an answer that was not kept), the user gets the apology
    and the log has the update's context."""
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Regular")
    today = find(s.last, "Today")

    def boom(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(checkin, "next_question", boom)  # after the answer is written
    with caplog.at_level(logging.ERROR):
        calls = await s.press(today)
    # The tapped button is answered (no endless spinner), then the apology.
    assert [c.method for c in calls] == ["answerCallbackQuery", "sendMessage"]
    assert not calls[0].params.get("text")
    assert calls[1].text == t("en", "common.error")
    assert "Traceback" not in texts(calls) and "Saved" not in texts(calls)
    assert (await answers_of(driver, org.cells["C01"])).meeting_date is None
    record = next(r for r in caplog.records if "error handling update" in r.getMessage())
    assert f"user={SEC.id}" in record.getMessage() and record.exc_info is not None

    # Nothing was half done: the same button works once the fault is gone.
    monkeypatch.undo()
    calls = await s.press(today)
    assert texts(calls).startswith("Saved ✓") and "Start time" in texts(calls)
    assert (await answers_of(driver, org.cells["C01"])).meeting_date is not None


async def test_replies_failing_after_the_commit_lose_nothing(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    """Commit, then speak: the "Saved" toast and the next question are sent after the answer
    is committed, so a Bot API failure then is only logged (no apology, nothing undone) and
    `/checkin` rebuilds the question from the database."""
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Regular")

    def fail_replies(call: ApiCall) -> tuple[int, str, None] | None:
        if call.method == "answerCallbackQuery":
            return 400, "Bad Request: query is too old and response timeout expired", None
        if call.method == "editMessageText":
            return 400, "Bad Request: message is too long", None
        return None

    driver.request.failure_rules.append(fail_replies)
    with caplog.at_level(logging.WARNING):
        calls = await s.tap("Today")
    driver.request.failure_rules.remove(fail_replies)
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText"]
    assert calls[0].params.get("text") == "Saved ✓"  # the toast goes first, after the commit
    assert not [c for c in calls if c.method == "sendMessage"]  # no apology
    assert not [r for r in caplog.records if "error handling update" in r.getMessage()]
    failures = [r.getMessage() for r in caplog.records if "failed after commit" in r.getMessage()]
    assert any(m.startswith("answerCallbackQuery") for m in failures), failures
    assert any(m.startswith("editMessageText") for m in failures), failures
    assert (await answers_of(driver, org.cells["C01"])).meeting_date is not None
    text = texts(await s.command("/checkin"))
    assert "Continuing" in text and "Start time" in text
