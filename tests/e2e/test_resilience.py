"""Restarts and failures: nothing lost, no traceback reaches a user."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from storage.db import SessionFactory
from storage.models import Member
from tests.factories import onboard, small_org
from tests.harness import ApiCall, TgUser, make_settings, start_driver, stop_driver, texts

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
    db_url: str, session_factory: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    driver = await start_driver(make_settings(db_url), session_factory)
    failed: list[ApiCall] = []

    def fail_first_reply(call: ApiCall) -> tuple[int, str, None] | None:
        if call.method == "sendMessage" and not failed:
            failed.append(call)
            return 400, "Bad Request: message is too long", None
        return None

    driver.request.failure_rules.append(fail_first_reply)
    with caplog.at_level(logging.ERROR):
        calls = await driver.send(SEC, "/help")
    await stop_driver(driver)
    assert failed, "the first reply should have failed"
    sent = [c for c in calls if c.method == "sendMessage" and c is not failed[0]]
    assert any("Sorry, something went wrong" in c.text for c in sent)
    assert "Traceback" not in texts(calls)
    record = next(r for r in caplog.records if "error handling update" in r.getMessage())
    assert f"user={SEC.id}" in record.getMessage() and record.exc_info is not None
