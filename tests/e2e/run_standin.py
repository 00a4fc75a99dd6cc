"""A local stand-in for the Telegram Bot API, and helpers to run `cellbot run` against it
(used by tests/e2e/test_run_*.py; tests/e2e/bot_api_standin.py is the durability tests' one).

The stand-in keeps Telegram's getUpdates contract: an update is returned until a later call
confirms it with `offset` > its id, so a process killed before confirming would get it
again — which is what makes "no update handled twice" checkable. It can also refuse the
token (401) or answer 5xx for a while, like Telegram on a bad day. Each process may get its
own base URL (`base_url_for(name)`), so that calls are told apart by process.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bot_api_answers import answer, error, ok
from tests.e2e.bot_api_standin import BotApiServer
from tests.harness import TOKEN

LONG_POLL_SECONDS = 0.5  # an empty getUpdates waits this long, like a (short) long poll
DEADLINE_SECONDS = 90.0  # generous: the machine is shared; no test asserts a duration


@dataclass(frozen=True)
class Call:
    process: str  # the name in the base URL, "" for `base_url`
    method: str
    params: dict[str, Any]


@dataclass
class StandIn:
    reject_token: bool = False
    failures_left: int = 0  # answer this many calls with 502 Bad Gateway first
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)  # not yet confirmed
    confirmed: int = 0  # highest update_id confirmed by an offset
    cond: threading.Condition = field(default_factory=threading.Condition)
    server: BotApiServer | None = None
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # ------------------------------------------------------------------ control

    def start(self, port: int = 0) -> StandIn:
        def handle(path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            parts = path.strip("/").split("/")
            return self.answer(parts[0] if len(parts) > 2 else "", parts[-1], params)

        self.server = BotApiServer(handle, port).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/bot"

    def base_url_for(self, process: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/{process}/bot"

    def methods(self) -> list[str]:
        with self.cond:
            return [c.method for c in self.calls]

    def push(self, update: dict[str, Any]) -> None:
        with self.cond:
            self.updates.append(update)
            self.cond.notify_all()

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self.cond:
            return [c.params for c in self.calls if c.method == method]

    def replies_to(self, chat_id: int) -> list[str]:
        return [text for _, text in self.replies_by_process(chat_id)]

    def replies_by_process(self, chat_id: int) -> list[tuple[str, str]]:
        with self.cond:
            return [
                (c.process, str(c.params.get("text", "")))
                for c in self.calls
                if c.method == "sendMessage" and int(c.params["chat_id"]) == chat_id
            ]

    # ------------------------------------------------------------------ the API

    def answer(
        self, process: str, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        with self.cond:
            self.calls.append(Call(process, method, params))
            if self.reject_token:
                return 401, error(401, "Unauthorized")
            if self.failures_left > 0:
                self.failures_left -= 1
                return 502, error(502, "Bad Gateway")
            if method == "getUpdates":
                return 200, ok(self._get_updates(params))
            result = answer(
                method, params, next_message_id=self._message_ids.__next__, date=int(time.time())
            )
        return 200, ok(result)

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        if offset > 0:  # Telegram: every update below the offset is confirmed, forgotten
            self.confirmed = max(self.confirmed, offset - 1)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self.cond.wait(LONG_POLL_SECONDS)
        return [u for u in self.updates if u["update_id"] > self.confirmed]


def wait_until(check: Callable[[], bool], what: str, timeout: float = DEADLINE_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    update: dict[str, Any] = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Lan", "language_code": "en"},
            "text": text,
        },
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return update


@dataclass
class BotProcess:
    """`cellbot run` in a subprocess; everything it writes (stdout and stderr) goes to a file."""

    process: subprocess.Popen[bytes]
    output_path: Path

    @classmethod
    def start(
        cls, cwd: Path, db_url: str, base_url: str, *args: str, name: str = "bot", **env: str
    ) -> BotProcess:
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_", "LOG_", "CELLBOT_"))
        }
        environ.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=base_url,
            DATABASE_URL=db_url,
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        environ.update(env)
        output_path = cwd / f"{name}.log"
        with output_path.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-c", "from bot.cli import main; main()", "run", *args],
                cwd=cwd,
                env=environ,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return cls(process, output_path)

    @property
    def output(self) -> str:
        return self.output_path.read_text(encoding="utf-8", errors="replace")

    def lines(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.strip()]

    def wait_for_line(self, fragment: str, count: int = 1) -> None:
        wait_until(
            lambda: self.output.count(fragment) >= count or self.process.poll() is not None,
            f"{fragment!r} in the output",
        )
        assert self.output.count(fragment) >= count, self.output

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=DEADLINE_SECONDS)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=DEADLINE_SECONDS)


def assert_no_secret(output: str, *secrets: str) -> None:
    for secret in (TOKEN, TOKEN.split(":", 1)[1], *secrets):
        assert secret not in output, f"a secret reached the output:\n{output}"
