"""`cellbot run --webhook URL` as a real process on loopback: it registers the webhook with
its secret token (setWebhook on the stand-in Bot API), handles an update POSTed with the
secret header, and refuses (403, not handled) one without it or with a wrong one."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.run_standin import (
    BotProcess,
    StandIn,
    assert_no_secret,
    free_port,
    text_update,
    wait_until,
)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def post(url: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    request = urllib.request.Request(
        url, data=json.dumps(update).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def standin() -> Iterator[StandIn]:
    api = StandIn().start()
    yield api
    api.stop()


@pytest.mark.parametrize("secret", ["s3cret-Webhook_token-for-tests", None])
def test_webhook_delivers_with_the_secret_and_refuses_without(
    tmp_path: Path, db_url: str, standin: StandIn, secret: str | None
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/cellbot"
    env = {"WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port)}
    if secret is not None:
        env["WEBHOOK_SECRET"] = secret
    else:
        env["LOG_LEVEL"] = "DEBUG"  # a generated secret must not be logged either
    bot = BotProcess.start(tmp_path, db_url, standin.base_url, "--webhook", url, **env)
    try:
        bot.wait_for_line("running (webhook)")
        registered = standin.sent("setWebhook")
        assert registered and registered[-1]["url"] == url, standin.calls
        used = str(registered[-1]["secret_token"])
        if secret is not None:
            assert used == secret
        assert "getUpdates" not in standin.methods()

        assert post(url, text_update(1, 1001, "/start"), secret=None) == 403
        assert post(url, text_update(2, 1002, "/start"), secret="wrong-secret") == 403
        assert post(url, text_update(3, 1003, "/start"), secret=used) == 200
        wait_until(lambda: bool(standin.replies_to(1003)), "the reply to the accepted update")
    finally:
        code = bot.stop(signal.SIGTERM)
    output = bot.output
    assert code == 0, output
    # A refused request never reaches the application: 403 comes before the update queue.
    assert standin.replies_to(1001) == [] and standin.replies_to(1002) == []
    assert "invitation link" in standin.replies_to(1003)[0]
    if secret is not None:  # INFO: the start line and the stop line, nothing else
        assert [line.split(" cellbot: ")[-1] for line in bot.lines()] == [
            f"cellbot @cellbot_test_bot running (webhook), database {_masked(db_url)}",
            "cellbot stopped",
        ], output
    assert_no_secret(output, used)


def _masked(url: str) -> str:
    from bot.runner import masked_url

    return masked_url(url)
