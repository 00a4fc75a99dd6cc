"""What a handler callback gets: the services of the app and a per-update request context.

`with_request` opens ONE database transaction per update (measured: each extra transaction
costs about as much as the whole update), loads the caller's account, language and role
grants, and commits when the callback returns. Commit, then speak: the callback queues what it
wants said on `req.out` (see bot/replies.py) and the wrapper sends it only after the commit,
so an acknowledged answer is always durable and no lock is held across a network round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.i18n import normalize_language, t
from bot.replies import Markup, Replies
from bot.settings import Settings
from storage.accounts import Grant, load_caller
from storage.db import SessionFactory, is_retryable, is_sqlite, writing
from storage.models import Account

Ctx = ContextTypes.DEFAULT_TYPE


def user_data(context: Ctx) -> dict[Any, Any]:
    """The user's conversation memory. PTB sets it for every update that has a user, which
    every handler that keeps memory has (private chats only)."""
    data = context.user_data
    assert data is not None
    return data


log = logging.getLogger(__name__)
# How often an update whose transaction lost a conflict (storage.db.is_retryable) is run.
ATTEMPTS = 3
R = TypeVar("R")


@dataclass
class Services:
    settings: Settings
    sessions: SessionFactory
    extras: dict[str, Any] = field(default_factory=dict)
    # SQLite has one writer, and connections waiting for it poll with sleeps (its busy
    # handler), which lets a chat that floods the bot take the lock again and again while
    # another chat's update sleeps. The updates' transactions take their turn here first,
    # first come first served; they held the writer's lock from BEGIN IMMEDIATE to COMMIT
    # anyway, so nothing that ran at once before is serialised now. None on PostgreSQL.
    write_turn: asyncio.Lock | None = None

    def __post_init__(self) -> None:
        if self.write_turn is None and is_sqlite(self.settings.database_url):
            self.write_turn = asyncio.Lock()

    @property
    def engine(self) -> AsyncEngine | None:
        """The engine the sessions are bound to (None when they are bound otherwise)."""
        bind = self.sessions.kw.get("bind")
        return bind if isinstance(bind, AsyncEngine) else None


def services(context: Ctx | Application[Any, Any, Any, Any, Any, Any]) -> Services:
    bot_data = context.bot_data
    svc = bot_data["services"]
    assert isinstance(svc, Services)
    return svc


@dataclass
class Request:
    session: AsyncSession
    account: Account
    lang: str
    grants: list[Grant]
    settings: Settings
    out: Replies
    # Facts already read in this update's transaction (say, whether a check-in is frozen),
    # so that a second helper asking the same does not cost another statement.
    memo: dict[Any, Any] = field(default_factory=dict)

    def t(self, key: str, /, **values: object) -> str:
        return t(self.lang, key, **values)

    # Shortcuts to the most common replies (all sent after the commit).
    def reply(self, text: str, markup: Markup = None) -> None:
        self.out.reply(text, markup)

    def show(self, text: str, markup: Markup = None) -> None:
        self.out.show(text, markup)

    def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        self.out.answer(text, alert=alert)

    def alert(self, key: str, /, **values: object) -> None:
        """A refusal or warning: an alert on a tapped button, a message otherwise."""
        self.out.answer(self.t(key, **values), alert=True)

    def refuse(self) -> None:
        """The one answer to a forged, stale, foreign or out-of-scope button: an alert that
        reveals nothing (the same whether the thing is gone or not the caller's)."""
        self.alert("common.stale_button")

    @property
    def is_admin(self) -> bool:
        return self.account.telegram_id in self.settings.admin_telegram_ids or any(
            g.role == "admin" for g in self.grants
        )


def display_name(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return ""
    return user.full_name or (user.username or str(user.id))


def language_of(account: Account, update: Update, default: str) -> str:
    if account.language:
        return account.language
    user = update.effective_user
    return normalize_language(user.language_code if user else None, default)


Callback = Callable[[Update, Ctx, Request], Coroutine[Any, Any, R]]


def with_request(func: Callback[R]) -> Callable[[Update, Ctx], Coroutine[Any, Any, R]]:
    @functools.wraps(func)
    async def wrapper(update: Update, context: Ctx) -> R:
        svc = services(context)
        user = update.effective_user
        assert user is not None, "handlers using with_request need a user"
        # The conversation's memory (which question a typed answer is for) moves with the
        # answer: if the transaction does not commit, it is put back as it was.
        remembered = copy.deepcopy(context.user_data) if context.user_data is not None else None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with svc.write_turn or contextlib.nullcontext():
                    with writing():
                        async with svc.sessions.begin() as session:
                            account, grants = await load_caller(
                                session, user.id, display_name(update)
                            )
                            lang = language_of(account, update, svc.settings.default_language)
                            request = Request(
                                session, account, lang, grants, svc.settings, Replies(update)
                            )
                            result = await func(update, context, request)
                break
            except BaseException as exc:
                if remembered is not None and context.user_data is not None:
                    context.user_data.clear()
                    context.user_data.update(copy.deepcopy(remembered))
                # Nothing was said yet, so the whole update can run again from the start.
                if attempt == ATTEMPTS or not is_retryable(exc):
                    raise
                log.info("update %s: transaction conflict, attempt %d", update.update_id, attempt)
                await asyncio.sleep(0.05 * attempt)
        # Committed: only now does the user hear about it.
        await request.out.flush(context.bot)
        return result

    return wrapper
