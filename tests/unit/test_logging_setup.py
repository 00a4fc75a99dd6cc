"""Redaction of secrets in formatted log records, the masked database URL, webhook settings."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from telegram.error import InvalidToken, NetworkError

from bot.logging_setup import RedactingFilter, RedactingFormatter, Redactor
from bot.runner import masked_url
from bot.settings import SettingsError, load_settings
from bot.webhook import webhook_from
from storage.invitations import hash_token

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
INVITE = "Zq9xK2mW7pR4tY8uI1oP3aS5dF6gH0jL"


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    redact = Redactor([TOKEN, TOKEN.split(":")[1]])
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(RedactingFormatter(redact))
    handler.addFilter(RedactingFilter(redact))
    logger = logging.getLogger("test.redaction")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, out
    logger.removeHandler(handler)


def test_token_is_redacted_in_message_arguments_exception_and_stack(
    capture: tuple[logging.Logger, io.StringIO],
) -> None:
    log, out = capture
    log.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise InvalidToken(f"The token `{TOKEN}` was rejected by the server.")
    except InvalidToken:
        log.exception("start failed", stack_info=True)
    log.debug("url-encoded: %s", TOKEN.replace(":", "%3A"))
    text = out.getvalue()
    assert TOKEN.split(":")[1] not in text
    assert "bot<redacted>/getMe" in text
    assert "InvalidToken" in text and "Traceback" in text  # the traceback itself is kept


def test_start_argument_and_its_hash_are_redacted(
    capture: tuple[logging.Logger, io.StringIO],
) -> None:
    log, out = capture
    log.debug("update %s", {"message": {"text": f"/start {INVITE}"}})
    log.debug('json {"text": "/start@cellbot_bot %s", "x": 1}', INVITE)
    log.debug("SELECT ... WHERE token_hash = %r", hash_token(INVITE))
    log.debug("link https://t.me/cellbot_bot?start=%s", INVITE)
    text = out.getvalue()
    assert INVITE not in text and hash_token(INVITE) not in text
    assert "'/start <redacted>'" in text
    assert '"/start@cellbot_bot <redacted>", "x": 1' in text
    assert "?start=<redacted>" in text
    # A word after /start in prose is cut there, but not remembered as a token.
    log.debug("help: send /start afterwards")
    log.debug("then afterwards the menu")
    assert out.getvalue().splitlines()[-1].endswith("then afterwards the menu")


def test_network_errors_are_one_line(capture: tuple[logging.Logger, io.StringIO]) -> None:
    log, out = capture
    try:
        raise NetworkError("httpx.ConnectError: All connection attempts failed")
    except NetworkError:
        log.exception("error while polling")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(
        "error while polling (NetworkError: httpx.ConnectError: All connection attempts failed)"
    )


def test_masked_url_hides_the_password() -> None:
    url = "postgresql+asyncpg://cellbot:s3cret-pw@db:5432/cellbot"
    assert masked_url(url) == "postgresql+asyncpg://cellbot:***@db:5432/cellbot"
    assert (
        masked_url("sqlite+aiosqlite:///data/cellbot.db") == "sqlite+aiosqlite:///data/cellbot.db"
    )


def test_webhook_settings() -> None:
    assert webhook_from(load_settings()) is None
    hook = webhook_from(
        load_settings(webhook_secret="abc-DEF_123", webhook_port=9000),
        "https://bot.example.org/tg/cellbot",
    )
    assert hook is not None
    assert (hook.path, hook.port, hook.secret, hook.secret_generated) == (
        "tg/cellbot",
        9000,
        "abc-DEF_123",
        False,
    )
    generated = webhook_from(load_settings(webhook_url="https://bot.example.org/"))
    assert generated is not None and generated.secret_generated and len(generated.secret) >= 32
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        webhook_from(load_settings(webhook_secret="has spaces"), "https://bot.example.org/x")
    with pytest.raises(SettingsError, match="not a URL"):
        webhook_from(load_settings(), "bot.example.org/x")


def test_a_short_database_password_is_cut_from_urls_but_not_from_words() -> None:
    from bot.runner import _secrets
    from bot.settings import Settings

    url = "postgresql+asyncpg://cellbot:pw@db.internal:5432/cellbot"
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    redact = Redactor(_secrets(settings, TOKEN, None))
    line = redact(f"connecting to {url}; a pwned password was never used")
    assert ":pw@" not in line and "cellbot" in line
    assert "a pwned password" in line
