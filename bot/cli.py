"""The `cellbot` command line: run the bot, manage the database, the org tree, invitations.

Every failure is one line on stderr naming the cause and the fix, never a traceback (set
CELLBOT_DEBUG=1 to see one). Exit status: 0 done, 1 a runtime failure, 2 a usage or
configuration error (bot/cli_errors.py).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from bot.cli_db import check_database, with_db
from bot.cli_errors import DEBUG_VARIABLE, EXIT_FAILED, EXIT_USAGE, describe
from bot.settings import Settings, SettingsError, load_settings, use_env_file


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"cellbot: {message}", file=sys.stderr)
    return code


def _settings() -> Settings:
    return load_settings()


# ------------------------------------------------------------------------- commands


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    settings.require_token()
    from bot.cli_score import load_framework_or_exit, rescore_if_framework_changed
    from bot.runner import run_bot  # heavy imports only once the settings are sound

    fw = load_framework_or_exit(settings.criteria_framework)  # a bad file: exit 2
    check_database(settings, create=True)  # a new SQLite file is announced, not silent
    rescore_if_framework_changed(settings, fw)  # with a progress line on stderr

    return run_bot(settings, webhook_url=args.webhook)


def cmd_org_import(args: argparse.Namespace) -> int:
    from storage.orgfile import FORMATS, OrgFileError, parse_org_bytes
    from storage.orgs import ImportReport, import_units

    path = Path(args.file)
    if not path.is_file():
        return _fail(f"no such file: {path}")
    try:
        rows = parse_org_bytes(path.read_bytes(), fmt=FORMATS.get(path.suffix.lower(), ""))
    except OrgFileError as exc:
        return _fail(f"{path}: {exc}")

    class Rejected(Exception):
        def __init__(self, report: ImportReport) -> None:
            self.report = report

    async def work(session: AsyncSession) -> ImportReport:
        report = await import_units(session, rows, actor_label=f"import {path.name}")
        if report.rejected:
            raise Rejected(report)  # rolls the whole file back
        return report

    settings = _settings()
    try:
        report = with_db(settings, work, create=True)
    except Rejected as rejected:
        from bot.orgtree_text import nesting_text

        lang = args.lang or settings.default_language
        for error in rejected.report.rejected:
            reason = nesting_text(lang, error.nesting) if error.nesting else error.reason
            print(f"{path}:{error.line}: {error.code or '?'}: {reason}", file=sys.stderr)
        print(
            f"nothing imported: {len(rejected.report.rejected)} rejected row(s); "
            "fix them and import again",
            file=sys.stderr,
        )
        return 1
    print(
        f"created {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}, rejected 0"
    )
    return 0


def cmd_org_show(args: argparse.Namespace) -> int:
    from bot.i18n import t
    from bot.orgtree_text import unit_kind_label
    from storage.orgs import TreeLine, get_unit_by_code, tree_lines

    async def work(session: AsyncSession) -> list[TreeLine] | None:
        root = None
        if args.code:
            root = await get_unit_by_code(session, args.code)
            if root is None:
                return None
        return await tree_lines(session, root)

    settings = _settings()
    lines = with_db(settings, work)
    if lines is None:
        return _fail(f"no unit with code {args.code}", EXIT_FAILED)
    if not lines:
        print("the organisation tree is empty: import one with `cellbot org import FILE`")
        return 0
    lang = args.lang or settings.default_language
    for line in lines:
        roles = f"  [{'; '.join(line.roles)}]" if line.roles else ""
        members = f"  {t(lang, 'org.members', count=line.members)}" if line.kind == "cell" else ""
        label = unit_kind_label(lang, line.kind, line.sort)
        print(f"{'  ' * line.depth}{line.code}  {line.name} ({label}){members}{roles}")
    return 0


def cmd_org_fold_district(args: argparse.Namespace) -> int:
    from storage.orgfold import FoldRefused, FoldReport, NoSuchUnit, fold_district

    async def work(session: AsyncSession) -> FoldReport:
        return await fold_district(
            session, args.code, drop_roles=args.drop_roles, actor_label="cli fold-district"
        )

    try:
        report = with_db(_settings(), work)
    except NoSuchUnit as exc:
        return _fail(str(exc), EXIT_FAILED)
    except FoldRefused as exc:
        return _fail(f"nothing changed: {exc}", EXIT_FAILED)
    print(
        f"folded {report.district}: {len(report.moved)} unit(s) now directly under "
        f"{report.province}; {report.schedules_copied} meeting rule(s) and "
        f"{report.locks_copied} period lock(s) copied down, {report.grants_dropped} role "
        f"grant(s) and {report.invitations_dropped} invitation(s) removed"
    )
    return 0


def parse_duration(text: str) -> dt.timedelta:
    match = re.fullmatch(r"(\d+)\s*([dhm])", text.strip().lower())
    if not match:
        raise ValueError("use a number and d, h or m, e.g. 7d")
    value, unit = int(match[1]), match[2]
    delta = {
        "d": dt.timedelta(days=value),
        "h": dt.timedelta(hours=value),
        "m": dt.timedelta(minutes=value),
    }[unit]
    if not dt.timedelta(minutes=5) <= delta <= dt.timedelta(days=90):
        raise ValueError("between 5m and 90d")
    return delta


def cmd_invite_create(args: argparse.Namespace) -> int:
    from telegram.helpers import create_deep_linked_url

    from domain.access_rules import role_fits_unit
    from storage.invitations import new_invitation
    from storage.orgs import get_unit_by_code

    try:
        ttl = parse_duration(args.expires)
    except ValueError as exc:
        return _fail(f"--expires {args.expires}: {exc}")
    if args.handover and args.role != "secretary":
        return _fail("--handover: only a secretary's invitation hands a cell over")
    settings = _settings()
    username = args.bot_username or _bot_username(settings)
    if username is None:
        return _fail("could not ask Telegram for the bot's username; pass --bot-username NAME")

    async def work(session: AsyncSession) -> str | None:
        unit = await get_unit_by_code(session, args.unit)
        if unit is None:
            return None
        if not role_fits_unit(args.role, unit.kind):
            raise ValueError(
                f"a {args.role} is invited to a cell, and {args.unit} is a {unit.kind}"
            )
        token, _ = await new_invitation(
            session, unit, args.role, created_by="cli", ttl=ttl, handover=args.handover
        )
        return token

    try:
        token = with_db(settings, work)
    except ValueError as exc:
        return _fail(str(exc))
    if token is None:
        return _fail(f"no unit with code {args.unit}", EXIT_FAILED)
    print(create_deep_linked_url(username.lstrip("@"), token))
    print(f"valid for {args.expires}, single use", file=sys.stderr)
    return 0


def _bot_username(settings: Settings) -> str | None:
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        token = settings.require_token()
    except SettingsError:
        return None

    async def ask() -> str:
        base_url = settings.telegram_api_base_url or "https://api.telegram.org/bot"
        async with Bot(token, base_url=base_url) as bot:
            return bot.username

    try:
        return asyncio.run(ask())
    except (TelegramError, OSError):
        return None


def cmd_demo_seed(args: argparse.Namespace) -> int:
    if args.scale == "province":
        from storage.synthetic.province import ProvinceReport, seed_province

        if not 1 <= args.months <= 120:
            return _fail(f"--months {args.months}: between 1 and 120")

        async def seed_big(session: AsyncSession) -> ProvinceReport:
            return await seed_province(session, months=args.months, seed=args.seed)

        from storage.db import analyze

        settings = _settings()
        big = with_db(settings, seed_big, create=True)
        if big.other_root is not None:
            return _fail(f"demo seed --scale province: {big.summary()}", 1)
        print(big.summary())
        analyze(settings.database_url)
        return 0

    from storage.synthetic.demo import DemoRefused, SeedReport, seed_demo

    async def work(session: AsyncSession) -> SeedReport:
        return await seed_demo(session, seed=args.seed)

    try:
        report = with_db(_settings(), work, create=True)
    except DemoRefused as refused:
        why = refused.report.rejected[0]
        return _fail(
            f"demo seed: {why.code}: {why.reason}: the demo needs a database of its own "
            "(or the one it made before)",
            1,
        )
    history = report.history
    print(
        f"demo organisation: {report.units.created} units created, "
        f"{report.units.unchanged + report.units.updated} already there; "
        f"{report.members_added} members added"
        + (
            f"; {history.checkins} check-ins {history.span} with {history.absences} absences, "
            f"{history.schedules} meeting schedules"
            if history and history.checkins
            else ""
        )
        + (f"; {report.initiatives} initiatives" if report.initiatives else "")
    )
    return 0


# ------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (exit 2) instead of usage text + error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cellbot",
        description=__doc__.split("\n\n", 1)[0],
        epilog="Settings: --env-file PATH, else $CELLBOT_HOME/.env, else ./.env (README "
        "'Settings'). Exit status: 0 done, 1 runtime failure, 2 usage or configuration error.",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="read the settings from this file (its folder is CELLBOT_HOME unless that is set)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot (long polling, or a webhook)")
    run.add_argument(
        "--webhook", metavar="URL", help="receive updates at this public HTTPS URL (WEBHOOK_URL)"
    )
    run.set_defaults(func=cmd_run)

    org = sub.add_parser("org", help="the organisation tree").add_subparsers(
        dest="org_command", required=True
    )
    imp = org.add_parser("import", help="import units from a CSV or YAML file")
    imp.add_argument("file")
    imp.add_argument("--lang", choices=["vi", "en"], help="language of the nesting reasons")
    imp.set_defaults(func=cmd_org_import)
    show = org.add_parser("show", help="print the tree or a subtree")
    show.add_argument("code", nargs="?")
    show.add_argument("--lang", choices=["vi", "en"], help="language of the unit kinds")
    show.set_defaults(func=cmd_org_show)
    fold = org.add_parser(
        "fold-district",
        help="move a pre-2025 district's units up to the province and delete the district",
    )
    fold.add_argument("code")
    fold.add_argument(
        "--drop-roles",
        action="store_true",
        help="also remove the role grants and invitations of the district",
    )
    fold.set_defaults(func=cmd_org_fold_district)

    invite = sub.add_parser("invite", help="invitations").add_subparsers(
        dest="invite_command", required=True
    )
    create = invite.add_parser("create", help="create a single-use invitation link")
    create.add_argument("--unit", required=True)
    create.add_argument(
        "--role", required=True, choices=["secretary", "deputy", "supervisor", "admin"]
    )
    create.add_argument("--expires", default="7d", help="e.g. 7d, 12h (default 7d)")
    create.add_argument("--bot-username", help="the bot's @username, when offline")
    create.add_argument(
        "--handover",
        action="store_true",
        help="a secretary's link: accepting it ends the cell's current secretary grants",
    )
    create.set_defaults(func=cmd_invite_create)
    from bot import cli_access

    cli_access.register_invite(invite)

    demo = sub.add_parser("demo", help="demo data").add_subparsers(
        dest="demo_command", required=True
    )
    seed = demo.add_parser(
        "seed", help="create a demo tree (Quảng Ninh since 2025) with a year of history"
    )
    seed.add_argument("--seed", type=int, default=2024)
    seed.add_argument(
        "--scale",
        choices=["demo", "province"],
        default="demo",
        help="demo: Lục Hồn and its neighbour; province: all of Quảng Ninh, with history",
    )
    seed.add_argument(
        "--months", type=int, default=36, help="months of check-in history (province scale)"
    )
    seed.set_defaults(func=cmd_demo_seed)

    for register in _feature_registrars():
        register(sub, demo)
    return parser


if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    Subparsers = argparse._SubParsersAction[_Parser]


def _feature_registrars() -> list[Callable[[Subparsers, Subparsers], None]]:
    from bot import cli_access, cli_db, cli_minutes, cli_reminders, cli_report, cli_score

    return [
        lambda sub, demo: cli_access.register(sub),
        lambda sub, demo: cli_db.register(sub),
        lambda sub, demo: cli_minutes.register(sub),
        lambda sub, demo: cli_reminders.register(sub),
        lambda sub, demo: cli_report.register(sub),
        lambda sub, demo: cli_score.register(sub),
    ]


def run(argv: list[str] | None = None) -> int:
    """Run one command and return its exit status; every failure is one line on stderr."""
    args = build_parser().parse_args(argv)
    try:
        use_env_file(args.env_file)
        _pin_clock()
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows up here, while its handler below is active
        return code
    except SettingsError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("cellbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`cellbot org show | head`): nothing to fix, and the output
        # still buffered must not raise again when Python flushes it at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(
            "cellbot: the output was closed before the end (broken pipe, e.g. `| head`); "
            "nothing else went wrong",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except Exception as exc:
        if os.environ.get(DEBUG_VARIABLE):
            raise
        message, code = describe(exc, _database_url())
        print(f"cellbot: {message}", file=sys.stderr)
        return code


def _database_url() -> str | None:
    """The database the failed command used, to name it in the message."""
    try:
        return load_settings(warn=lambda _line: None).database_url
    except Exception:
        return None


def _pin_clock() -> None:
    """CELLBOT_TEST_NOW: the test suite runs a command at a pinned instant (domain/clock.py)."""
    from domain import clock

    instant = os.environ.get("CELLBOT_TEST_NOW")
    if instant and isinstance(clock.current(), clock.SystemClock):  # not twice in-process
        clock.set_clock(clock.ShiftedClock(clock.parse_instant(instant)))


def main(argv: list[str] | None = None) -> NoReturn:
    sys.exit(run(argv))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
