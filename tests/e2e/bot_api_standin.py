"""A local stand-in for the Bot API, for tests that run `cellbot run` as a real process.

It serves `getUpdates` the way Telegram does (an update stays pending until a later call's
`offset` confirms it, so an update fetched by a process that dies before confirming it is
delivered again), records every call, and can hold one call open: a *trap* armed for a chat
fires on the first call for that chat, tells the test, and keeps that request unanswered until
the test releases it, so a test can kill the bot while its request is in flight.

Each bot process is given its own base URL (`/c<n>/bot`), so calls are told apart by process.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.bot_api_answers import answer, buttons, chat_of, ok

# getUpdates with nothing pending waits at most this long (PTB asks for 10 s long polls; a
# shorter wait keeps the server's threads few and the test's shutdown quick).
LONG_POLL_CAP = 1.0


@dataclass
class Call:
    process: str  # the `c<n>` tag of the bot process that made it
    method: str
    params: dict[str, Any]
    at: float
    seq: int
    result: Any = None  # what the stand-in answered (None while held, or for getUpdates)

    @property
    def chat_id(self) -> int | None:
        return chat_of(self.params)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or "")

    def buttons(self) -> list[tuple[str, str]]:
        return buttons(self.params)


@dataclass
class Trap:
    """Fires on the first call of `process` about `chat_id` (or `callback_id`) made after
    `update_id` was handed to that process: the first call of its answer to that update."""

    process: str
    chat_id: int
    callback_id: str | None = None
    update_id: int | None = None
    hit: Call | None = None
    fired: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def matches(self, call: Call) -> bool:
        if call.process != self.process or call.method in ("getUpdates", "getMe"):
            return False
        if (
            self.callback_id is not None
            and call.params.get("callback_query_id") == self.callback_id
        ):
            return True
        return call.chat_id == self.chat_id


class BotApiStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.cond = threading.Condition()
        self._pending: list[dict[str, Any]] = []  # updates not yet confirmed
        self._served: dict[int, list[str]] = {}  # update_id -> processes it was given to
        self._last_update_id = 0
        self._message_ids = itertools.count(5000)
        self._seq = itertools.count()
        self.trap: Trap | None = None
        self.server = BotApiServer(lambda path, params: (200, ok(self._handle(path, params))))

    # ------------------------------------------------------------------ test side

    def start(self) -> BotApiStandIn:
        self.server.start()
        return self

    def stop(self) -> None:
        if self.trap is not None:
            self.trap.released.set()
        self.server.stop()

    def base_url(self, process: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{process}/bot"

    def feed(self, update: dict[str, Any]) -> int:
        """Queue an update (its update_id is assigned here) and return its id."""
        with self.cond:
            self._last_update_id += 1
            update_id = self._last_update_id
            self._pending.append({"update_id": update_id, **update})
            self.cond.notify_all()
            return update_id

    def next_update_id(self) -> int:
        """The id the next fed update will get."""
        with self.cond:
            return self._last_update_id + 1

    def served_to(self, update_id: int) -> list[str]:
        with self.cond:
            return list(self._served.get(update_id, []))

    def pending(self, update_id: int) -> bool:
        """Whether an update is still unconfirmed (the next process to poll will get it)."""
        with self.cond:
            return any(u["update_id"] == update_id for u in self._pending)

    def mark(self) -> int:
        """The sequence number the next recorded call will have."""
        with self.cond:
            return len(self.calls)

    def wait_for(self, predicate: Any, timeout: float) -> Call:
        """The first recorded call matching `predicate`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for call in self.calls:
                    if predicate(call):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    methods = [(c.process, c.method) for c in self.calls[-20:]]
                    raise AssertionError(f"no matching Bot API call; last calls: {methods}")
                self.cond.wait(left)

    def calls_of(self, process: str) -> list[Call]:
        with self.cond:
            return [c for c in self.calls if c.process == process]

    def next_message_id(self) -> int:
        with self.cond:
            return next(self._message_ids)

    # ------------------------------------------------------------------ server side

    def _record(self, process: str, method: str, params: dict[str, Any]) -> Call:
        with self.cond:
            call = Call(process, method, params, time.monotonic(), next(self._seq))
            self.calls.append(call)
            self.cond.notify_all()
            return call

    def _get_updates(self, process: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        with self.cond:
            if offset > 0:  # confirms every update below it, as Telegram does
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            while not self._pending and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())
            for update in self._pending:
                self._served.setdefault(update["update_id"], []).append(process)
            return list(self._pending)

    def _handle(self, path: str, params: dict[str, Any]) -> Any:
        parts = path.strip("/").split("/")
        process, method = parts[0], parts[-1]
        call = self._record(process, method, params)
        if method == "getUpdates":
            return self._get_updates(process, params)
        trap = self.trap
        if (
            trap is not None
            and trap.hit is None
            and trap.matches(call)
            and trap.process in self.served_to(trap.update_id or 0)
        ):
            trap.hit = call
            trap.fired.set()
            # Hold the request open: the test kills the bot while it waits for this answer.
            trap.released.wait(30)
        call.result = answer(
            method, params, next_message_id=self.next_message_id, date=int(time.time())
        )
        return call.result


# What a server does with a POST to `path` with `params`: (HTTP status, JSON body).
Handle = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


class BotApiServer(ThreadingHTTPServer):
    """Answers the Bot API's HTTP requests (JSON, form or multipart) on 127.0.0.1 with
    `handle`, each in its own thread; shared by both stand-ins (see tests/e2e/run_standin.py)."""

    daemon_threads = True

    def __init__(self, handle: Handle, port: int = 0) -> None:
        self.handle_call = handle
        super().__init__(("127.0.0.1", port), _BotApiRequestHandler)

    def start(self) -> BotApiServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A killed bot drops its connections mid-request: expected here, not worth a traceback.
        return None


class _BotApiRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: BotApiServer

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        params = parse_params(self.headers.get("Content-Type", ""), raw)
        status, payload = self.server.handle_call(self.path, params)
        body = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the bot process was killed (or stopped) while it waited: nobody to answer


def parse_params(content_type: str, raw: bytes) -> dict[str, Any]:
    """The parameters of a Bot API request: JSON, a form, or multipart (uploads)."""
    if content_type.startswith("application/json"):
        data = json.loads(raw or b"{}")
        return data if isinstance(data, dict) else {}
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
        )
        params: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name and not part.get_filename():
                params[str(name)] = part.get_content()
        return params
    return {k: v[0] for k, v in parse_qs(raw.decode()).items()}
