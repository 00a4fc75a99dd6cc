"""`cellbot run` as deployed: a real process polling a local stand-in for the Bot API
(TELEGRAM_API_BASE_URL), answering a user, logging what an operator needs and no secret, and
stopping cleanly on SIGINT and SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.invitations import hash_token
from tests.e2e.run_standin import (
    BotProcess,
    StandIn,
    assert_no_secret,
    text_update,
    wait_until,
)


@pytest.fixture
def standin() -> Iterator[StandIn]:
    api = StandIn().start()
    yield api
    api.stop()


def test_cellbot_run_polls_answers_and_stops(tmp_path: Path, db_url: str, standin: StandIn) -> None:
    standin.push(text_update(1, 4242, "/start"))
    bot = BotProcess.start(tmp_path, db_url, standin.base_url, LOG_LEVEL="DEBUG")
    try:
        wait_until(lambda: bool(standin.sent()) or bot.process.poll() is not None, "a reply")
        replies = standin.replies_to(4242)
        assert replies, bot.output
        assert "invitation link" in replies[0]
    finally:
        code = bot.stop(signal.SIGINT)
    output = bot.output
    assert code == 0, output
    assert "Traceback" not in output
    assert_no_secret(output)
    methods = standin.methods()
    assert "setMyCommands" in methods and "getUpdates" in methods


def test_info_log_is_one_start_line_and_no_periodic_noise(
    tmp_path: Path, db_url: str, standin: StandIn
) -> None:
    bot = BotProcess.start(
        tmp_path,
        db_url,
        standin.base_url,
        LOG_LEVEL="INFO",
        DISPATCH_INTERVAL_SECONDS="0.2",  # many reminder ticks during the test
    )
    try:
        bot.wait_for_line("running (polling)")
        # Several dispatcher ticks go by: none of them may log at INFO.
        wait_until(lambda: standin.methods().count("getUpdates") >= 8, "polling")
        standin.push(text_update(1, 4242, "/start"))
        wait_until(lambda: bool(standin.replies_to(4242)), "a reply")
    finally:
        code = bot.stop(signal.SIGTERM)
    output = bot.output
    assert code == 0, output
    start_lines = [line for line in bot.lines() if "running (" in line]
    assert len(start_lines) == 1, output
    assert start_lines[0].endswith(
        f"cellbot @cellbot_test_bot running (polling), database {_masked(db_url)}"
    ), output
    for noise in ("Running job", "executed successfully", "HTTP Request", "PTBUserWarning"):
        assert noise not in output
    assert "Traceback" not in output
    assert_no_secret(output)


def test_debug_log_never_shows_an_invitation_token_or_its_hash(
    tmp_path: Path, db_url: str, standin: StandIn
) -> None:
    invite = "Zq9xK2mW7pR4tY8uI1oP3aS5dF6gH0jL"
    standin.push(text_update(1, 4242, f"/start {invite}"))
    bot = BotProcess.start(tmp_path, db_url, standin.base_url, LOG_LEVEL="DEBUG")
    try:
        wait_until(
            lambda: bool(standin.replies_to(4242)) or bot.process.poll() is not None, "reply"
        )
        assert standin.replies_to(4242), bot.output
    finally:
        code = bot.stop()
    output = bot.output
    assert code == 0, output
    # The update was logged (DEBUG), with its /start argument cut out.
    assert "/start <redacted>" in output, output
    assert_no_secret(output, invite, hash_token(invite))


def _masked(url: str) -> str:
    from bot.runner import masked_url

    return masked_url(url)
