"""Drive the real Application offline.

`OfflineRequest` is a `telegram.request.BaseRequest` that records every Bot API call and
answers it the way Telegram would (including errors on demand), so the real handlers, the
real database, the rate limiter and the error handler all run, with no network.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docx import Document
from telegram import Update
from telegram.error import TimedOut
from telegram.ext import AIORateLimiter, Application
from telegram.request import RequestData

from bot.app import build_application
from bot.replies import files_sent
from bot.settings import Settings
from domain import clock
from storage.db import SessionFactory, transaction_open_in_this_task
from tests.bot_api_answers import (
    BOT_USER,
    TOKEN,
    LocalRequest,
    answer,
    buttons,
    chat_of,
    error,
    ok,
)


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    result: Any = None
    # Applied as Telegram would, but the caller got TimedOut (see OfflineRequest.timeout_rules).
    timed_out: bool = False

    @property
    def chat_id(self) -> int | None:
        return chat_of(self.params)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data or url) of every inline button, row by row."""
        return buttons(self.params)


# A failure rule: given a call, return (status, description, retry_after) or None.
FailureRule = Callable[[ApiCall], tuple[int, str, int | None] | None]
# A timeout rule: True for a call that Telegram applies but whose response never arrives.
TimeoutRule = Callable[[ApiCall], bool]


class OfflineRequest(LocalRequest):
    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        # Calls made while the calling task had a database transaction open: "commit, then
        # speak" forbids them, and stop_driver fails the test when there are any.
        self.calls_in_transaction: list[ApiCall] = []
        self.failure_rules: list[FailureRule] = []
        # Calls matching one of these are recorded and answered as usual (Telegram applied
        # them: the message is shown), then the caller gets TimedOut, as when the response
        # is lost on the way back. The caller cannot tell that from a call never applied.
        self.timeout_rules: list[TimeoutRule] = []
        self._message_ids = itertools.count(1000)
        self.latency: float = 0.0
        # Every file the bot uploaded (sendDocument, sendPhoto…), in order: (name, content).
        self.uploads: list[tuple[str, bytes]] = []

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        if request_data is not None and request_data.multipart_data:
            for name, content, _mime in dict(request_data.multipart_data).values():
                self.uploads.append((name, content if isinstance(content, bytes) else b""))
        return await super().do_request(url, method, request_data, *args, **kwargs)

    async def respond(self, method: str, params: dict[str, Any]) -> tuple[int, bytes]:
        call = ApiCall(method, params)
        if transaction_open_in_this_task():
            self.calls_in_transaction.append(call)
        if self.latency:
            await asyncio.sleep(self.latency)
        for rule in self.failure_rules:
            failure = rule(call)
            if failure is not None:
                status, description, retry_after = failure
                call.result = error(status, description, retry_after)
                self.calls.append(call)
                return status, json.dumps(call.result).encode()
        call.result = answer(
            method,
            params,
            next_message_id=lambda: next(self._message_ids),
            date=int(clock.now().timestamp()),
        )
        self.calls.append(call)
        if any(rule(call) for rule in self.timeout_rules):
            call.timed_out = True
            raise TimedOut(f"{method}: no response (applied by Telegram)")
        return 200, json.dumps(ok(call.result)).encode()


@dataclass
class TgUser:
    id: int
    first_name: str = "Test"
    last_name: str = "User"
    language_code: str | None = "vi"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "last_name": self.last_name,
        }
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class Driver:
    app: Application  # type: ignore[type-arg]
    request: OfflineRequest
    sessions: SessionFactory
    settings: Settings
    _update_ids: Any = field(default_factory=lambda: itertools.count(1))
    _message_ids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def calls(self) -> list[ApiCall]:
        return self.request.calls

    @property
    def uploads(self) -> list[tuple[str, bytes]]:
        """The files the bot uploaded, in order: (file name, content)."""
        return self.request.uploads

    async def _process(self, data: dict[str, Any]) -> list[ApiCall]:
        before = len(self.request.calls)
        await self.app.process_update(Update.de_json(data, self.app.bot))
        await self.drain()
        await files_sent()
        return self.request.calls[before:]

    async def drain(self) -> None:
        """Wait for tasks the handlers spawned (e.g. a command re-dispatched)."""
        for _ in range(10):
            pending = [
                t
                for t in asyncio.all_tasks()
                if t is not asyncio.current_task()
                and not t.done()
                and "process_update" in repr(t.get_coro())
            ]
            if not pending:
                return
            await asyncio.gather(*pending, return_exceptions=True)

    def _message_data(self, user: TgUser, text: str, **extra: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(clock.now().timestamp()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_dict(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message.update(extra)
        return {"update_id": next(self._update_ids), "message": message}

    async def send(self, user: TgUser, text: str) -> list[ApiCall]:
        """A text or a command (when it starts with '/') typed by `user`."""
        return await self._process(self._message_data(user, text))

    async def send_photo(self, user: TgUser, file_id: str = "photo-file-id") -> list[ApiCall]:
        data = self._message_data(user, "")
        message = data["message"]
        del message["text"]
        message["photo"] = [{"file_id": file_id, "file_unique_id": "uq", "width": 10, "height": 10}]
        return await self._process(data)

    async def press(self, user: TgUser, data: str, message_id: int | None = None) -> list[ApiCall]:
        """A tap on an inline button carrying `data`."""
        update = {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._update_ids)),
                "from": user.as_dict(),
                "chat_instance": str(user.id),
                "data": data,
                "message": {
                    "message_id": message_id or next(self._message_ids),
                    "date": int(clock.now().timestamp()),
                    "chat": {"id": user.id, "type": "private"},
                    "from": BOT_USER,
                    "text": "…",
                },
            },
        }
        return await self._process(update)

    async def tap(self, user: TgUser, calls: list[ApiCall], label: str) -> list[ApiCall]:
        """Press the button whose text contains `label` in the latest keyboard of `calls`."""
        for call in reversed(calls):
            for text, data in call.buttons():
                if label in text:
                    return await self.press(user, data)
        raise AssertionError(f"no button {label!r} in {[c.buttons() for c in calls]}")

    def replies(self, user: TgUser) -> list[ApiCall]:
        return [
            c
            for c in self.request.calls
            if c.chat_id == user.id and c.method != "answerCallbackQuery"
        ]


def texts(calls: list[ApiCall]) -> str:
    """All visible text of a batch of calls (messages, edits, alerts), joined for asserts."""
    parts = []
    for call in calls:
        if call.method == "answerCallbackQuery":
            parts.append(str(call.params.get("text") or ""))
        else:
            parts.append(call.text)
    return "\n".join(p for p in parts if p)


def docx_text(content: bytes) -> str:
    """The text of an uploaded DOCX: its paragraphs, then its tables' cells, one a line."""
    doc = Document(io.BytesIO(content))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines += [p.text for cell in row.cells for p in cell.paragraphs]
    return "\n".join(lines)


def all_buttons(calls: list[ApiCall]) -> list[tuple[str, str]]:
    return [b for call in calls for b in call.buttons()]


def make_settings(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "database_url": db_url,
        "admin_telegram_ids": [],
        "default_language": "vi",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def start_driver(
    settings: Settings,
    sessions: SessionFactory,
    *,
    rate_limiter: AIORateLimiter | None = None,
    request: OfflineRequest | None = None,
) -> Driver:
    request = request or OfflineRequest()
    app = build_application(
        settings,
        token=TOKEN,
        session_factory=sessions,
        request=request,
        updates_request=OfflineRequest(),
        rate_limiter=rate_limiter,
    )
    await app.initialize()
    return Driver(app, request, sessions, settings)


async def stop_driver(driver: Driver, *, graceful: bool = True) -> None:
    """Shut the application down; `graceful=False` skips the final persistence flush, as a
    killed process would."""
    if graceful:
        await driver.app.update_persistence()
    await driver.app.shutdown()
    spoken = [c.method for c in driver.request.calls_in_transaction]
    assert not spoken, f"Bot API called while a database transaction was open: {spoken}"
