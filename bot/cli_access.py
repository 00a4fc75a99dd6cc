"""`cellbot access list|revoke|log` and `cellbot invite list|cancel`: managing who holds
which role, for operators (issue 18). The CLI acts as an admin ("cli" in the audit log): it
may end a unit's last supervisor grant (with a warning), never grant admin from here.

One line on stderr for every failure; exit 0 done, 1 nothing found or refused, 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Any, Literal

from bot.cli_db import with_db
from bot.cli_errors import EXIT_FAILED, EXIT_USAGE
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.access_model import AccessRefusal, Actor, UnitAccess
    from storage.revocation import RevokedGrant
    from storage.scope import UnitRef

GRANTABLE = ["secretary", "deputy", "supervisor"]
CLI_LABEL = "cli"

# Why the CLI refused, one line each (storage.access.AccessRefusal values).
REFUSALS = {
    "not_allowed": "not allowed",
    "gone": "no such grant or invitation (already ended?)",
    "last_supervisor": "that is the unit's last supervisor",
    "rate_limited": "too many invitations in the last hour",
    "own_grant": "one's own grant cannot be ended",
    "role_does_not_fit": "that role does not fit that unit",
    "nothing_to_do": "nothing to do",
    "too_many": "too many links at once",
}


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"cellbot: {message}", file=sys.stderr)
    return code


def _settings() -> Settings:
    return load_settings()


def _actor() -> Actor:
    from storage.access_model import Actor

    return Actor(None, CLI_LABEL, [], True)


def _when(value: dt.datetime | None, settings: Settings) -> str:
    if value is None:
        return "never"
    return value.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")


def _refusal(refusal: AccessRefusal) -> int:
    return _fail(f"nothing changed: {REFUSALS.get(refusal.value, refusal.value)}", EXIT_FAILED)


# ------------------------------------------------------------------------------ access list


def cmd_access_list(args: argparse.Namespace) -> int:
    from domain import clock
    from storage.access_read import subtree_access
    from storage.orgs import get_unit_by_code
    from storage.scope import UnitRef

    settings = _settings()

    async def work(session: AsyncSession) -> list[tuple[int, UnitAccess]] | None:
        unit = await get_unit_by_code(session, args.unit)
        if unit is None:
            return None
        return await subtree_access(session, UnitRef.of(unit), now=clock.now())

    lines = with_db(settings, work)
    if lines is None:
        return _fail(f"no unit with code {args.unit}", EXIT_FAILED)
    if args.json:
        print(json.dumps(_as_json(lines), ensure_ascii=False, indent=1))
        return 0
    top = lines[0][1]
    holders = sum(len(a.holders) for _, a in lines)
    pending = sum(len(a.pending) for _, a in lines)
    print(
        f"{top.unit.code} {top.unit.name}: {len(lines)} unit(s), "
        f"{top.cells_without_secretary} cell(s) without a secretary, "
        f"{holders} role holder(s), {pending} pending invitation(s)"
    )
    for depth, access in lines:
        unit = access.unit
        flag = ""
        if unit.kind == "cell" and access.cells_without_secretary:
            flag = "  [no secretary]"
        elif unit.kind != "cell" and access.cells_without_secretary:
            flag = f"  [{access.cells_without_secretary} cell(s) without a secretary]"
        pad = "  " * depth
        print(f"{pad}{unit.code}  {unit.name} ({unit.kind}){flag}")
        for h in access.holders:
            print(
                f"{pad}    {h.role}: {h.name} (telegram id {h.telegram_id}, account "
                f"{h.account_id}), since {_when(h.since, settings)}, last seen "
                f"{_when(h.last_seen_at, settings)}"
            )
        for p in access.pending:
            handover = ", hands the cell over" if p.handover else ""
            print(
                f"{pad}    invited {p.role} #{p.id} by {p.created_by}, expires "
                f"{_when(p.expires_at, settings)}{handover}"
            )
    return 0


def _as_json(lines: list[tuple[int, UnitAccess]]) -> dict[str, Any]:
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    top = lines[0][1]
    return {
        "unit": top.unit.code,
        "cells_without_secretary": top.cells_without_secretary,
        "units": [
            {
                "code": a.unit.code,
                "name": a.unit.name,
                "kind": a.unit.kind,
                "depth": depth,
                "cells_without_secretary": a.cells_without_secretary,
                "holders": [
                    {
                        "grant_id": h.grant_id,
                        "account_id": h.account_id,
                        "telegram_id": h.telegram_id,
                        "name": h.name,
                        "role": h.role,
                        "since": iso(h.since),
                        "last_seen_at": iso(h.last_seen_at),
                    }
                    for h in a.holders
                ],
                "pending": [
                    {
                        "id": p.id,
                        "role": p.role,
                        "created_by": p.created_by,
                        "created_at": iso(p.created_at),
                        "expires_at": iso(p.expires_at),
                        "handover": p.handover,
                    }
                    for p in a.pending
                ],
            }
            for depth, a in lines
        ],
    }


# ------------------------------------------------------------------------------ access revoke


def cmd_access_revoke(args: argparse.Namespace) -> int:
    from domain import clock
    from storage.access import grant_for_confirmation, revoke
    from storage.access_model import AccessRefusal
    from storage.access_read import find_grant, supervisor_count
    from storage.orgs import get_unit_by_code
    from storage.revocation import RevokedGrant

    settings = _settings()
    who = (
        f"telegram id {args.telegram_id}"
        if args.telegram_id is not None
        else f"account {args.account}"
    )

    async def work(session: AsyncSession) -> tuple[str, Any, bool]:
        unit = await get_unit_by_code(session, args.unit)
        if unit is None:
            return "no_unit", None, False
        grant_id = await find_grant(
            session, unit.id, args.role, telegram_id=args.telegram_id, account_id=args.account
        )
        if grant_id is None:
            return "no_grant", None, False
        last = args.role == "supervisor" and await supervisor_count(session, unit.id) <= 1
        if not args.yes:
            found = await grant_for_confirmation(session, _actor(), grant_id)
            return "ask", found, last
        return "done", await revoke(session, _actor(), grant_id, now=clock.now()), last

    outcome, result, last = with_db(settings, work)
    if outcome == "no_unit":
        return _fail(f"no unit with code {args.unit}", EXIT_FAILED)
    if outcome == "no_grant":
        return _fail(f"{args.unit} has no {args.role} with {who}", EXIT_FAILED)
    if isinstance(result, AccessRefusal):
        return _refusal(result)
    if outcome == "ask":
        holder, unit = result
        return _fail(
            f"nothing changed: this would end the {holder.role} grant of {holder.name} "
            f"(telegram id {holder.telegram_id}) on {unit.code} {unit.name}; "
            "run again with --yes"
        )
    assert isinstance(result, RevokedGrant)
    if last:
        print(
            f"cellbot: warning: {args.unit} has no supervisor left; invite one with "
            f"`cellbot invite create --unit {args.unit} --role supervisor`",
            file=sys.stderr,
        )
    _reset_menu(settings, result)
    print(
        f"revoked: {result.name} (telegram id {result.telegram_id}) is no longer "
        f"{result.role} of {result.unit.code} {result.unit.name}; "
        f"{len(result.remaining)} other grant(s) kept; a note is queued for them"
    )
    return 0


def _reset_menu(settings: Settings, gone: RevokedGrant) -> None:
    """The person's command menu: what their remaining grants allow (as the bot does after
    a revoke). Only with a bot token; a failure is one warning line (their old commands are
    refused anyway: the grant is gone)."""
    from telegram import Bot, BotCommandScopeChat
    from telegram.error import TelegramError

    from bot.settings import SettingsError
    from handlers.common import bot_commands, commands_for

    try:
        token = settings.require_token()
    except SettingsError:
        return
    lang = gone.language or settings.default_language
    menu = bot_commands(lang, commands_for(gone.remaining))

    async def send() -> None:
        base_url = settings.telegram_api_base_url or "https://api.telegram.org/bot"
        async with Bot(token, base_url=base_url) as bot:
            await bot.set_my_commands(menu, scope=BotCommandScopeChat(gone.telegram_id))

    try:
        asyncio.run(send())
    except (TelegramError, OSError) as exc:
        print(
            f"cellbot: warning: the menu of telegram id {gone.telegram_id} was not reset "
            f"({exc}); its commands are refused all the same",
            file=sys.stderr,
        )


# ------------------------------------------------------------------------------ access log


async def _optional_unit(
    session: AsyncSession, code: str | None
) -> UnitRef | Literal[False] | None:
    """The unit of an optional ``--unit CODE``: False when none was given (the whole
    tree), None when no unit has that code."""
    from storage.orgs import get_unit_by_code
    from storage.scope import UnitRef as Ref

    if not code:
        return False
    found = await get_unit_by_code(session, code)
    return None if found is None else Ref.of(found)


def cmd_access_log(args: argparse.Namespace) -> int:
    from storage.access_model import AccessEvent
    from storage.access_read import access_log

    if args.limit < 1:
        return _fail("--limit: at least 1")
    settings = _settings()

    async def work(session: AsyncSession) -> list[AccessEvent] | None:
        unit = await _optional_unit(session, args.unit)
        if unit is None:
            return None
        return await access_log(session, unit or None, limit=args.limit)

    events = with_db(settings, work)
    if events is None:
        return _fail(f"no unit with code {args.unit}", EXIT_FAILED)
    for e in events:
        subject = ""
        if e.subject_name is not None or e.subject_telegram_id is not None:
            subject = f"  {e.subject_name or ''} (telegram id {e.subject_telegram_id})"
        print(
            f"{_when(e.at, settings)}  {e.actor}  {e.action}  {e.role or '-'}  "
            f"{e.unit_code or '-'}{subject}"
        )
    return 0


# ------------------------------------------------------------------------------ invite list|cancel


def cmd_invite_list(args: argparse.Namespace) -> int:
    from domain import clock
    from storage.access_read import InvitationLine, invitation_lines

    settings = _settings()

    async def work(session: AsyncSession) -> list[InvitationLine] | None:
        unit = await _optional_unit(session, args.unit)
        if unit is None:
            return None
        return await invitation_lines(session, unit or None, now=clock.now(), everything=args.all)

    lines = with_db(settings, work)
    if lines is None:
        return _fail(f"no unit with code {args.unit}", EXIT_FAILED)
    for line in lines:
        handover = "  handover" if line.handover else ""
        print(
            f"#{line.id}  {line.unit_code}  {line.role}  by {line.created_by}  "
            f"expires {_when(line.expires_at, settings)}  {line.status}{handover}"
        )
    return 0


def cmd_invite_cancel(args: argparse.Namespace) -> int:
    from domain import clock
    from storage.access import cancel_invitation
    from storage.access_model import AccessRefusal, PendingInvite

    async def work(session: AsyncSession) -> PendingInvite | AccessRefusal:
        return await cancel_invitation(session, _actor(), args.id, now=clock.now())

    result = with_db(_settings(), work)
    if isinstance(result, AccessRefusal):
        return _fail(
            f"no pending invitation #{args.id} (unknown, used, cancelled or expired)",
            EXIT_FAILED,
        )
    print(f"cancelled invitation #{result.id} ({result.role}); its link no longer works")
    return 0


# ------------------------------------------------------------------------------ registration


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    access = sub.add_parser("access", help="who holds which role; ending grants").add_subparsers(
        dest="access_command", required=True
    )
    show = access.add_parser(
        "list", help="role holders and pending invitations of a unit and the units under it"
    )
    show.add_argument("--unit", required=True, help="unit code")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_access_list)

    end = access.add_parser("revoke", help="end a role grant (the person gets a note)")
    end.add_argument("--unit", required=True, help="unit code")
    who = end.add_mutually_exclusive_group(required=True)
    who.add_argument("--telegram-id", type=int, help="the holder's Telegram user id")
    who.add_argument("--account", type=int, help="the holder's account id (access list)")
    end.add_argument("--role", required=True, choices=[*GRANTABLE, "admin"])
    end.add_argument("--yes", action="store_true", help="do it (without: say what it would do)")
    end.set_defaults(func=cmd_access_revoke)

    log = access.add_parser("log", help="the latest access events, newest first")
    log.add_argument("--unit", help="only this unit and the units under it")
    log.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    log.set_defaults(func=cmd_access_log)


def register_invite(invite: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`invite list` and `invite cancel`, beside bot/cli.py's `invite create`."""
    listing = invite.add_parser("list", help="pending invitations (never their links)")
    listing.add_argument("--unit", help="only this unit and the units under it")
    listing.add_argument(
        "--all", action="store_true", help="also the used, cancelled and expired ones"
    )
    listing.set_defaults(func=cmd_invite_list)
    cancel = invite.add_parser("cancel", help="cancel a pending invitation: its link stops working")
    cancel.add_argument("id", type=int, help="the invitation's number (invite list)")
    cancel.set_defaults(func=cmd_invite_cancel)
