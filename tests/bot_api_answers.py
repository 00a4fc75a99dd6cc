"""Telegram's side of the Bot API, answered locally: what a method returns, the body of an
error, what a call carries (its chat, its inline buttons), and `LocalRequest`, the PTB
request that answers in-process.

One implementation for every stand-in that answers the bot without a network: the in-process
request of tests/harness.py, the HTTP stand-ins of tests/e2e (a real `cellbot run` process)
and the benchmarks' request (benchmarks/scenarios/base.py). What differs between them is what
they record and when they answer, never what Telegram would say.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from telegram.request import BaseRequest, RequestData

# The token the bot is given: Telegram's format, so PTB accepts it; no server knows it.
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
BOT_USER: dict[str, Any] = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Cellbot",
    "username": "cellbot_test_bot",
}

# Methods whose result is the Message they sent or edited (the others answer True).
MESSAGE_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument", "sendPhoto"}
)


def chat_of(params: Mapping[str, Any]) -> int | None:
    """The numeric chat a call goes to; None for calls without one (answerCallbackQuery) or
    with a channel's @name."""
    raw = params.get("chat_id")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.lstrip("-").isdigit():
        return int(raw)
    return None


def reply_markup(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The call's reply_markup as a mapping (PTB sends it JSON-encoded)."""
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    return markup if isinstance(markup, dict) else None


def buttons(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(text, callback_data or url) of every inline button of a call, row by row."""
    markup = reply_markup(params) or {}
    return [
        (button["text"], button.get("callback_data") or button.get("url") or "")
        for row in markup.get("inline_keyboard", [])
        for button in row
    ]


def answer(
    method: str, params: Mapping[str, Any], *, next_message_id: Callable[[], int], date: int
) -> Any:
    """The `result` Telegram returns for `method` called with `params`: the bot for getMe, the
    Message for a send or an edit (a new id from `next_message_id` unless the call names one;
    `date` in Unix seconds), True for everything else."""
    if method == "getMe":
        return BOT_USER
    if method not in MESSAGE_METHODS:
        return True
    message_id = int(params.get("message_id") or next_message_id())
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": date,
        "chat": {"id": chat_of(params) or 0, "type": "private"},
        "from": BOT_USER,
    }
    if "text" in params:
        message["text"] = params["text"]
    markup = reply_markup(params)
    if markup is not None and "inline_keyboard" in markup:
        message["reply_markup"] = markup
    if method == "sendDocument":
        message["document"] = {"file_id": f"doc{message_id}", "file_unique_id": f"u{message_id}"}
    elif method == "sendPhoto":
        message["photo"] = [
            {
                "file_id": f"ph{message_id}",
                "file_unique_id": f"p{message_id}",
                "width": 1,
                "height": 1,
            }
        ]
    return message


def ok(result: Any) -> dict[str, Any]:
    """A successful response's body."""
    return {"ok": True, "result": result}


def error(status: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    """An error response's body, as Telegram words it (429 carries `retry_after`)."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


class LocalRequest(BaseRequest):
    """A PTB request that answers in-process, with no network: a subclass's `respond` says
    what Telegram returns for one call (status and JSON body); the rest is PTB's plumbing."""

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        params = dict(request_data.parameters) if request_data is not None else {}
        return await self.respond(url.rsplit("/", 1)[-1], params)

    async def respond(self, method: str, params: dict[str, Any]) -> tuple[int, bytes]:
        """(HTTP status, JSON body) of the Bot API `method` called with `params`."""
        raise NotImplementedError
