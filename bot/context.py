"""What a handler callback gets: the services of the app and a per-update request context.

`with_request` opens ONE database transaction per update (measured: each extra transaction
costs about as much as the whole update), loads the caller's account, language and role
grants, and commits when the callback returns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.i18n import normalize_language, t
from bot.settings import Settings
from storage.accounts import Grant, load_caller
from storage.db import SessionFactory
from storage.models import Account

Ctx = ContextTypes.DEFAULT_TYPE
R = TypeVar("R")


@dataclass
class Services:
    settings: Settings
    sessions: SessionFactory
    extras: dict[str, Any] = field(default_factory=dict)


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
    # Facts already read in this update's transaction (say, whether a check-in is frozen),
    # so that a second helper asking the same does not cost another statement.
    memo: dict[Any, Any] = field(default_factory=dict)

    def t(self, key: str, /, **values: object) -> str:
        return t(self.lang, key, **values)

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
        async with svc.sessions.begin() as session:
            account, grants = await load_caller(session, user.id, display_name(update))
            lang = language_of(account, update, svc.settings.default_language)
            request = Request(session, account, lang, grants, svc.settings)
            return await func(update, context, request)

    return wrapper
