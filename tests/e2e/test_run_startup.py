"""`cellbot run` at start-up, as a real process: a token Telegram rejects is one line and
exit status 2; no network, or Telegram answering 5xx, is one line and then retries until it
connects. Everything the process writes (every log record, exception text included, and
stderr) is captured and searched for the token."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.run_standin import (
    BotProcess,
    StandIn,
    assert_no_secret,
    free_port,
    text_update,
    wait_until,
)


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_rejected_token_is_one_line_and_exit_2(tmp_path: Path, db_url: str, level: str) -> None:
    standin = StandIn(reject_token=True).start()
    try:
        bot = BotProcess.start(tmp_path, db_url, standin.base_url, LOG_LEVEL=level)
        code = bot.process.wait(timeout=120)
    finally:
        standin.stop()
    output = bot.output
    assert code == 2, output
    assert_no_secret(output)
    rejected = [line for line in bot.lines() if "rejected TELEGRAM_BOT_TOKEN" in line]
    assert len(rejected) == 1, output
    assert "@BotFather" in rejected[0]
    if level == "INFO":
        assert bot.lines() == rejected, output  # nothing else: one line
    else:
        # At DEBUG the traceback is logged too — through the redaction.
        assert "InvalidToken" in output


@pytest.mark.parametrize("outage", ["no network", "Telegram 502"])
def test_waits_for_telegram_then_serves(tmp_path: Path, db_url: str, outage: str) -> None:
    port = free_port()
    standin = StandIn(failures_left=3 if outage == "Telegram 502" else 0)
    if outage == "Telegram 502":
        standin.start(port)
    base_url = f"http://127.0.0.1:{port}/bot"
    bot = BotProcess.start(tmp_path, db_url, base_url)
    try:
        # One line says what is wrong, then every retry is logged.
        bot.wait_for_line("Telegram still not reachable (attempt 2")
        assert bot.process.poll() is None, bot.output
        if outage == "no network":
            standin.start(port)  # the network comes back
        standin.push(text_update(1, 4242, "/start"))
        wait_until(
            lambda: bool(standin.replies_to(4242)) or bot.process.poll() is not None, "a reply"
        )
        assert standin.replies_to(4242), bot.output
    finally:
        code = bot.stop(signal.SIGTERM)
        standin.stop()
    output = bot.output
    assert code == 0, output
    assert output.count("cannot reach Telegram") == 1, output
    assert "Traceback" not in output
    assert "reached Telegram after" in output
    assert output.count("running (polling)") == 1
    assert_no_secret(output)


def test_stop_while_waiting_for_telegram_is_clean(tmp_path: Path, db_url: str) -> None:
    bot = BotProcess.start(tmp_path, db_url, f"http://127.0.0.1:{free_port()}/bot")
    bot.wait_for_line("cannot reach Telegram")
    code = bot.stop(signal.SIGTERM)
    assert code == 0, bot.output
    assert "Traceback" not in bot.output
    assert_no_secret(bot.output)
