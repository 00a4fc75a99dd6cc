"""Commit, then speak: the Bot API calls a handler asks for, made after its transaction commits.

A handler never awaits the Bot API itself. It queues what it wants said on `Replies`
(`reply`, `show`, `answer`, `send_to`, `document`, `photo`, `commands`); `with_request` commits
the update's one transaction and only then calls `flush`. So every "✓" a user sees is already
durable, no database lock waits on a network round trip, and a failed or timed-out send is
logged and never undoes anything: the user's next tap or `/checkin` rebuilds the question from
the database.

A send that fails is not retried here: a timeout does not mean Telegram did not apply it, and
the rate limiter already retries `RetryAfter`. An edit whose message is gone (deleted, too old)
is sent as a new message instead, so the user still gets the next question.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, TelegramError

from bot import file_workers

log = logging.getLogger(__name__)
# Tasks sending files after their update (Replies.files_later); kept so they are not collected.
_LATER: set[asyncio.Task[None]] = set()


async def files_sent() -> None:
    """Wait until every file queued with `files_later` is sent (the tests; a clean stop)."""
    while _LATER:
        await asyncio.gather(*list(_LATER), return_exceptions=True)


Markup = InlineKeyboardMarkup | None
Action = Callable[[Bot], Awaitable[object]]
# Files sent after an update (Replies.files_later): (file name, what writes it, caption).
LaterFiles = Sequence[tuple[str, Callable[[], bytes], str | None]]

# BadRequest texts after which an edit is better sent as a new message.
_EDIT_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


@dataclass
class _Pending:
    what: str  # the Bot API method, for the log line
    chat_id: int | None
    action: Action
    fallback: Action | None = None


@dataclass
class Replies:
    """What one update wants said, in order. Built empty for each update."""

    update: Update
    _answer: _Pending | None = None
    _queue: list[_Pending] = field(default_factory=list)

    # ------------------------------------------------------------------ queueing

    @property
    def chat_id(self) -> int | None:
        chat = self.update.effective_chat
        return chat.id if chat is not None else None

    def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the tapped button (the toast or alert). Only the last call counts:
        Telegram accepts one answer per callback query."""
        query = self.update.callback_query
        if query is None:
            if text:
                self.reply(text)
            return
        query_id = query.id

        async def call(bot: Bot) -> object:
            return await bot.answer_callback_query(query_id, text=text, show_alert=alert)

        self._answer = _Pending("answerCallbackQuery", self.chat_id, call)

    def reply(self, text: str, markup: Markup = None) -> None:
        """A new message in the chat the update came from."""
        chat_id = self.chat_id
        if chat_id is None:
            return
        self.send_to(chat_id, text, markup)

    def send_to(self, chat_id: int, text: str, markup: Markup = None) -> None:
        async def call(bot: Bot) -> object:
            return await bot.send_message(chat_id, text, reply_markup=markup)

        self._queue.append(_Pending("sendMessage", chat_id, call))

    def show(self, text: str, markup: Markup = None) -> None:
        """Replace the message whose button was tapped; for a typed message, a new message."""
        query = self.update.callback_query
        message = query.message if query is not None else None
        if message is None:
            self.reply(text, markup)
            return
        chat_id, message_id = message.chat.id, message.message_id

        async def edit(bot: Bot) -> object:
            return await bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )

        async def send(bot: Bot) -> object:
            return await bot.send_message(chat_id, text, reply_markup=markup)

        self._queue.append(_Pending("editMessageText", chat_id, edit, send))

    def drop_buttons(self) -> None:
        """Remove the keyboard of the message whose button was tapped."""
        query = self.update.callback_query
        message = query.message if query is not None else None
        if message is None:
            return
        chat_id, message_id = message.chat.id, message.message_id

        async def call(bot: Bot) -> object:
            return await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=None
            )

        self._queue.append(_Pending("editMessageReplyMarkup", chat_id, call))

    def document(
        self, content: bytes | str, filename: str = "", caption: str | None = None
    ) -> None:
        """`content` is the file's bytes, or (a str) the file_id of a file Telegram has."""
        chat_id = self.chat_id
        if chat_id is None:
            return
        file = content if isinstance(content, str) else InputFile(content, filename=filename)

        async def call(bot: Bot) -> object:
            return await bot.send_document(chat_id, file, caption=caption)

        self._queue.append(_Pending("sendDocument", chat_id, call))

    def files_later(self, files: LaterFiles | Callable[[], Awaitable[LaterFiles]]) -> None:
        """(name, what writes it, caption) of files written and sent by a task of their own,
        started once this update's other replies are out (so after the commit): CPU work such
        as two DOCX files (~90 ms) holds no transaction and does not delay the update or the
        chat's next one. `files` may also be a coroutine function giving them, run in that
        task: what the files need is then read in a transaction of its own, after the
        update's has committed, rather than inside it. A file lost to a stop in between is
        made again on demand (/minutes)."""
        chat_id = self.chat_id
        if chat_id is None or (not callable(files) and not files):
            return

        async def send_all(bot: Bot) -> None:
            todo: LaterFiles = []
            try:
                todo = await files() if callable(files) else files
                if not todo:
                    return  # say nothing, not even "sending a file…"
                await bot.send_chat_action(chat_id, "upload_document")
                for name, make, caption in todo:
                    content = await file_workers.make(make)
                    await bot.send_document(
                        chat_id, InputFile(content, filename=name), caption=caption
                    )
            except Exception:
                log.exception("chat %s: files %s not sent", chat_id, [n for n, _, _ in todo])

        async def call(bot: Bot) -> object:
            task = asyncio.create_task(send_all(bot))
            _LATER.add(task)
            task.add_done_callback(_LATER.discard)
            return None

        self._queue.append(_Pending("sendDocument (later)", chat_id, call))

    def photo(self, content: bytes | str, filename: str = "", caption: str | None = None) -> None:
        """`content` is the file's bytes, or (a str) the file_id of a file Telegram has."""
        chat_id = self.chat_id
        if chat_id is None:
            return
        file = content if isinstance(content, str) else InputFile(content, filename=filename)

        async def call(bot: Bot) -> object:
            return await bot.send_photo(chat_id, file, caption=caption)

        self._queue.append(_Pending("sendPhoto", chat_id, call))

    def chat_action(self, action: str) -> None:
        """A status such as "sending a file…", shown while the upload that follows it runs."""
        chat_id = self.chat_id
        if chat_id is None:
            return

        async def call(bot: Bot) -> object:
            return await bot.send_chat_action(chat_id, action)

        self._queue.append(_Pending("sendChatAction", chat_id, call))

    def commands(self, chat_id: int, commands: Sequence[BotCommand]) -> None:
        """Set the command menu of one chat (after a role or language change)."""
        menu = list(commands)

        async def call(bot: Bot) -> object:
            return await bot.set_my_commands(menu, scope=BotCommandScopeChat(chat_id))

        self._queue.append(_Pending("setMyCommands", chat_id, call))

    @property
    def empty(self) -> bool:
        return self._answer is None and not self._queue

    # ------------------------------------------------------------------ sending

    async def flush(self, bot: Bot) -> None:
        """Send everything queued; called only after the transaction has committed.

        A tapped button is always answered first (or with an empty answer), so the phone's
        spinner stops even when the handler had nothing to toast."""
        pending = list(self._queue)
        self._queue.clear()
        answer, self._answer = self._answer, None
        if answer is None and self.update.callback_query is not None:
            query_id = self.update.callback_query.id

            async def call(bot: Bot) -> object:
                return await bot.answer_callback_query(query_id)

            answer = _Pending("answerCallbackQuery", self.chat_id, call)
        if answer is not None:
            pending.insert(0, answer)
        for item in pending:
            await self._send(bot, item)

    async def _send(self, bot: Bot, item: _Pending) -> None:
        try:
            await item.action(bot)
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                return  # the same text again (a double tap): nothing to change
            if item.fallback is not None and any(h in reason for h in _EDIT_GONE):
                await self._send(bot, _Pending("sendMessage", item.chat_id, item.fallback))
                return
            self._log_failure(item, exc)
        except TelegramError as exc:
            self._log_failure(item, exc)

    def _log_failure(self, item: _Pending, exc: TelegramError) -> None:
        # Saved data is untouched: the answer was committed before this call.
        log.warning(
            "%s failed after commit (update=%s chat=%s): %s: %s",
            item.what,
            self.update.update_id,
            item.chat_id,
            type(exc).__name__,
            exc,
        )
