"""Commands every user has: /start without a token, /help, /language, /whoami, /cancel,
plus the replies to stray input and the error handler."""

from __future__ import annotations

import html
import logging

from telegram import BotCommand, InlineKeyboardMarkup, Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import (
    Application,
)

from bot.context import Ctx, Request, services, with_request
from bot.i18n import LANGUAGES, t
from bot.keyboards import button, markup, parse_cb
from storage import audit
from storage.accounts import Grant, cell_grants, supervised_grants
from storage.outage import database_unavailable, describe
from storage.revocation import RevokedGrant

log = logging.getLogger(__name__)

# Commands shown in Telegram's menu, by audience; texts come from the catalogs.
CELL_COMMANDS = (
    "checkin",
    "minutes",
    "brief",
    "thematic",
    "review_year",
    "members",
    "candidates",
    "initiatives",
    "schedule",
    "reminders",
)
SUPERVISOR_COMMANDS = (
    "summary",
    "missing",
    "cell",
    "proposals",
    "ranking",
    "initiatives",
    "candidates",
    "export",
    "chart",
    "broadcast",
    "review",
    "reviews",
    "lock",
    "unlock",
    "access",
)
EVERYONE_COMMANDS = ("help", "language", "whoami", "cancel")


def commands_for(grants: list[Grant]) -> list[str]:
    names: list[str] = []
    if cell_grants(grants):
        names.extend(CELL_COMMANDS)
    if supervised_grants(grants):
        names.extend(c for c in SUPERVISOR_COMMANDS if c not in names)
    names.extend(EVERYONE_COMMANDS)
    return names


def bot_commands(lang: str, names: list[str]) -> list[BotCommand]:
    return [BotCommand(name, t(lang, f"cmd.{name}")) for name in names]


def set_chat_commands(req: Request, chat_id: int, lang: str, grants: list[Grant]) -> None:
    """Give this chat the menu of its roles (after the commit; a failure is only logged)."""
    req.out.commands(chat_id, bot_commands(lang, commands_for(grants)))


def reset_menu(req: Request, gone: RevokedGrant) -> None:
    """The revoked person's command menu: what their remaining grants allow, in their
    language (sent after the commit, like every reply)."""
    lang = gone.language or req.settings.default_language
    req.out.commands(gone.telegram_id, bot_commands(lang, commands_for(gone.remaining)))


async def set_default_commands(app: Application) -> None:  # type: ignore[type-arg]
    """post_init: the menu for users without a role yet, in each language."""
    for lang in LANGUAGES:
        await app.bot.set_my_commands(
            bot_commands(lang, list(EVERYONE_COMMANDS)),
            language_code=None if lang == services(app).settings.default_language else lang,
        )


def role_label(req: Request, grant: Grant) -> str:
    return req.t(f"role.{grant.role}")


def grants_text(req: Request) -> str:
    lines = [
        req.t(
            "whoami.line",
            role=role_label(req, g),
            unit=html.escape(g.unit_name),
            code=html.escape(g.unit_code),
        )
        for g in req.grants
    ]
    return "\n".join(lines)


@with_request
async def start_without_token(update: Update, context: Ctx, req: Request) -> None:
    if req.grants:
        text = req.t("start.welcome_back", name=html.escape(req.account.display_name))
        text += "\n\n" + grants_text(req) + "\n\n" + req.t("start.see_help")
    else:
        text = req.t("start.no_invitation")
    req.reply(text)


@with_request
async def help_command(update: Update, context: Ctx, req: Request) -> None:
    parts = [req.t("help.title")]
    if cell_grants(req.grants):
        parts.append(
            req.t("help.secretary")
            + "\n"
            + req.t("help.minutes")
            + "\n"
            + req.t("help.brief")
            + "\n"
            + req.t("help.review_year")
            + "\n"
            + req.t("help.members")
        )
    if supervised_grants(req.grants):
        parts.append(
            req.t("help.supervisor")
            + "\n"
            + req.t("help.access")
            + "\n"
            + req.t("help.reviews")
            + "\n"
            + req.t("help.candidates_sv")
        )
    if not req.grants:
        parts.append(req.t("help.no_role"))
    parts.append(req.t("help.everyone"))
    req.reply("\n\n".join(parts))


@with_request
async def whoami(update: Update, context: Ctx, req: Request) -> None:
    if not req.grants:
        req.reply(req.t("whoami.none"))
        return
    text = req.t("whoami.title", name=html.escape(req.account.display_name))
    req.reply(text + "\n" + grants_text(req))


def language_keyboard() -> InlineKeyboardMarkup:
    return markup([button("🇻🇳 Tiếng Việt", "lang", "vi"), button("🇬🇧 English", "lang", "en")])


@with_request
async def language_command(update: Update, context: Ctx, req: Request) -> None:
    req.reply(req.t("language.choose"), language_keyboard())


@with_request
async def language_chosen(update: Update, context: Ctx, req: Request) -> None:
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    if len(parts) != 2 or parts[1] not in LANGUAGES:
        req.refuse()
        return
    before = req.account.language
    req.account.language = parts[1]
    req.lang = parts[1]
    audit.record(
        req.session,
        actor_account_id=req.account.id,
        entity="account",
        entity_id=req.account.id,
        action="language",
        before={"language": before},
        after={"language": parts[1]},
    )
    req.show(req.t("language.set"))
    if update.effective_chat is not None:
        set_chat_commands(req, update.effective_chat.id, req.lang, req.grants)


@with_request
async def cancel_outside(update: Update, context: Ctx, req: Request) -> None:
    req.reply(req.t("cancel.nothing"))


@with_request
async def unknown_command(update: Update, context: Ctx, req: Request) -> None:
    req.reply(req.t("common.unknown_command"))


@with_request
async def stray_text(update: Update, context: Ctx, req: Request) -> None:
    req.reply(req.t("common.not_understood"))


@with_request
async def stale_button(update: Update, context: Ctx, req: Request) -> None:
    req.refuse()


async def noop_button(update: Update, context: Ctx) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


async def error_handler(update: object, context: Ctx) -> None:
    """Log with the update's context; tell the user briefly, in their language.

    The database being unreachable (restarted, a network cut) is expected now and then: the
    update's transaction did not commit, so the user is asked to try again in a few minutes,
    and the log gets one line (the traceback only at DEBUG)."""
    if update is None and isinstance(context.error, NetworkError):
        # Fetching updates failed (no network, Telegram 5xx): PTB retries by itself.
        log.warning("polling Telegram failed, retrying: %s", context.error)
        return
    user_id = chat_id = None
    lang: str = services(context).settings.default_language
    if isinstance(update, Update):
        user = update.effective_user
        user_id = user.id if user else None
        chat_id = update.effective_chat.id if update.effective_chat else None
        if user is not None and user.language_code:
            lang = user.language_code
    update_id = getattr(update, "update_id", None)
    error = context.error
    key = "common.error"
    if (
        error is not None
        and not isinstance(error, TelegramError)  # Telegram unreachable is not the database
        and database_unavailable(error)
    ):
        key = "common.db_unavailable"
        log.warning(
            "database unavailable while handling update %s (user=%s chat=%s): %s",
            update_id,
            user_id,
            chat_id,
            describe(error),
        )
        log.debug("database error of update %s", update_id, exc_info=error)
    else:
        log.error(
            "error handling update %s (user=%s chat=%s)",
            update_id,
            user_id,
            chat_id,
            exc_info=error,
        )
    if isinstance(update, Update) and update.callback_query is not None:
        # The failed handler said nothing, so the tapped button would keep spinning.
        try:
            await update.callback_query.answer()
        except TelegramError:
            log.debug("could not answer the failed update's button", exc_info=True)
    if chat_id is None:
        return
    try:
        await context.bot.send_message(chat_id, t(lang, key))
    except TelegramError:
        log.warning("could not send the error apology to chat %s", chat_id, exc_info=True)
