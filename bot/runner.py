"""`cellbot run`: wait for the leader lock, migrate, reach Telegram, then poll or serve a webhook.

Start-up never dies of a transient condition: with no network, or Telegram answering 5xx,
the process says so in one line and retries with a bounded exponential backoff (each retry
logged) until Telegram answers — a bot started at boot before the network is up simply waits.
A token Telegram rejects is a configuration error: one line, exit status 2 (the systemd unit
does not restart on it). Every failure ends as one log line; no traceback reaches the
terminal or the journal except at LOG_LEVEL=DEBUG, and never a secret (bot/logging_setup.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import signal
import warnings
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, ContextTypes
from telegram.warnings import PTBDeprecationWarning

from bot.logging_setup import configure_logging
from bot.settings import Settings
from bot.standby import LeaderLock, StandbyUnavailable, leader_lock_for
from bot.webhook import Webhook, webhook_from

log = logging.getLogger("cellbot")

App = Application[Any, Any, Any, Any, Any, Any]
EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def masked_url(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


def run_bot(settings: Settings, webhook_url: str | None = None) -> int:
    """Serve until stopped; returns the exit status. Raises only SettingsError (the CLI
    prints it as one line, exit 2)."""
    token = settings.require_token()
    webhook = webhook_from(settings, webhook_url)
    configure_logging(settings.log_level, _secrets(settings, token, webhook))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # PTB's run_polling/run_webhook use the current loop
    try:
        return _Run(loop, settings, token, webhook).main()
    except KeyboardInterrupt:  # Ctrl-C in the instant before a stop handler is installed
        return EXIT_OK
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)


def _secrets(settings: Settings, token: str, webhook: Webhook | None) -> list[str]:
    found = [token, token.split(":", 1)[-1]]
    if webhook is not None:
        found.append(webhook.secret)
    password = make_url(settings.database_url).password
    if password and len(password) >= 8:
        found.append(str(password))
    elif password:
        # A short password alone would blank ordinary words: cut it where a URL carries it.
        found += [f":{password}@", f":{quote(str(password), safe='')}@"]
    return found


async def connect(
    app: App,
    stop: asyncio.Event,
    *,
    first_delay: float = FIRST_RETRY_SECONDS,
    max_delay: float = MAX_RETRY_SECONDS,
) -> bool:
    """Initialize the application (getMe), retrying network failures and 5xx answers with a
    bounded exponential backoff. True once connected; False if `stop` was set first.
    InvalidToken and anything unexpected propagate: retrying cannot fix them."""
    delay = first_delay
    attempt = 0
    while not stop.is_set():
        attempt += 1
        try:
            await app.initialize()
        except RetryAfter as exc:  # flood control on getMe: wait as long as Telegram asks
            with warnings.catch_warnings():  # PTB 22: an int now, a timedelta in v23
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                asked = exc.retry_after
            seconds = asked.total_seconds() if isinstance(asked, dt.timedelta) else float(asked)
            wait, cause = max(delay, seconds), f"RetryAfter: {exc}"
        except NetworkError as exc:  # no route, DNS, refused, timed out, Telegram 5xx
            wait, cause = delay, f"{type(exc).__name__}: {exc}"
        else:
            if attempt > 1:
                log.warning("reached Telegram after %d attempts", attempt)
            return True
        if attempt == 1:
            log.warning(
                "cannot reach Telegram (%s): retrying in %.0f s, then with backoff up to %.0f s",
                cause,
                wait,
                max_delay,
            )
        else:
            log.warning(
                "Telegram still not reachable (attempt %d, %s): next try in %.0f s",
                attempt,
                cause,
                wait,
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        delay = min(delay * 2, max_delay)
    return False


class _Run:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        settings: Settings,
        token: str,
        webhook: Webhook | None,
    ) -> None:
        self.loop = loop
        self.settings = settings
        self.token = token
        self.webhook = webhook
        self.lock: LeaderLock = leader_lock_for(settings.database_url)
        self.lock_lost = False
        self.app: App | None = None
        # What start-up is doing, so that a failure can be named in one line.
        self.stage = "database"

    def main(self) -> int:
        try:
            return self._serve()
        except InvalidToken as exc:
            hint = (
                " (or TELEGRAM_API_BASE_URL is wrong)"
                if self.settings.telegram_api_base_url
                else ""
            )
            log.critical(
                "Telegram rejected TELEGRAM_BOT_TOKEN (%s)%s: copy the current token from "
                "@BotFather (/mybots -> API Token) into .env",
                exc.__cause__ or "rejected",
                hint,
            )
            # PTB's text of this error contains the token: at DEBUG it goes through redaction.
            log.debug("traceback of the rejection", exc_info=True)
            return EXIT_CONFIG
        except StandbyUnavailable as exc:
            log.critical("%s", exc)
            return EXIT_FAILURE
        except Exception as exc:
            message, code = self._describe(exc)
            log.critical("%s", message)
            log.debug("traceback of the failure above", exc_info=True)
            return code
        finally:
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(self.lock.release())

    def _describe(self, exc: BaseException) -> tuple[str, int]:
        """One line and the exit status: the CLI's wording for database and path errors
        (bot/cli_errors.py), and the stage start-up was in for anything else."""
        from bot.cli_errors import describe

        if self.stage == "webhook" and isinstance(exc, OSError) and self.webhook is not None:
            return (
                f"cannot listen on {self.webhook.listen}:{self.webhook.port} for the webhook "
                f"({type(exc).__name__}: {exc.strerror or exc}): change WEBHOOK_LISTEN/"
                "WEBHOOK_PORT, or stop what uses the port",
                EXIT_FAILURE,
            )
        if isinstance(exc, (SQLAlchemyError, OSError)) or self.stage == "database":
            return describe(exc, self.settings.database_url)
        lines = str(exc).strip().splitlines()
        cause = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
        return f"cellbot stopped during {self.stage}: {cause}", EXIT_FAILURE

    def _request_stop(self, stop: asyncio.Event) -> None:
        stop.set()
        if self.app is not None:
            self.app.stop_running()

    def _serve(self) -> int:
        stop = asyncio.Event()
        for sig in STOP_SIGNALS:  # until PTB installs its own: stop cleanly while waiting
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C still works
                self.loop.add_signal_handler(sig, self._request_stop, stop)

        # Imported late: the CLI's quick failures should not pay for them.
        from bot.app import build_application
        from storage.db import upgrade_to_head_async

        # Built before waiting for the lock (it touches neither Telegram nor the schema), so
        # that a standby taking over only migrates, says getMe and starts.
        self.stage = "configuration"
        self.app = app = build_application(self.settings, token=self.token)
        self.stage = "database"
        if not self.loop.run_until_complete(self.lock.acquire(stop)):
            return EXIT_OK
        # Only the process holding the lock migrates.
        self.loop.run_until_complete(upgrade_to_head_async(self.settings.database_url))
        self.stage = "telegram"
        if not self.loop.run_until_complete(connect(app, stop)):
            return EXIT_OK

        watcher = self.loop.create_task(self.lock.watch(self._lock_lost))
        self._announce_when_started(app)
        # Everything loaded so far lives as long as the process: keep the collector from
        # walking it again and again (measured: 0.1–0.3 s of a province summary went to full
        # collections).
        gc.freeze()
        try:
            if self.webhook is not None:
                self.stage = "webhook"
                app.run_webhook(
                    listen=self.webhook.listen,
                    port=self.webhook.port,
                    url_path=self.webhook.path,
                    webhook_url=self.webhook.url,
                    secret_token=self.webhook.secret,
                    allowed_updates=Update.ALL_TYPES,
                    bootstrap_retries=-1,
                    close_loop=False,
                )
            else:
                self.stage = "polling"
                app.run_polling(
                    allowed_updates=Update.ALL_TYPES,
                    drop_pending_updates=False,
                    bootstrap_retries=-1,
                    close_loop=False,
                )
        finally:
            watcher.cancel()
            with contextlib.suppress(BaseException):
                self.loop.run_until_complete(watcher)
        if self.lock_lost:
            return EXIT_FAILURE
        log.info("cellbot stopped")
        return EXIT_OK

    def _lock_lost(self) -> None:
        self.lock_lost = True
        if self.app is not None:
            self.app.stop_running()

    def _announce_when_started(self, app: App) -> None:
        """The one start line, said once the updater and the application are running."""
        mode = "webhook" if self.webhook is not None else "polling"
        database = masked_url(self.settings.database_url)

        def say() -> None:
            log.info("cellbot @%s running (%s), database %s", app.bot.username, mode, database)

        async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
            say()

        if app.job_queue is None:
            say()
            return
        # No misfire limit: a slow start (bootstrap retries) must not skip the line.
        app.job_queue.run_once(job, 0, name="start line", job_kwargs={"misfire_grace_time": None})
