"""`cellbot db upgrade|backup` and `cellbot health`, and how every command opens the database.

No command but `run`, `db upgrade`, `org import` and `demo seed` creates a SQLite database:
the others, pointed at a file that is not there (run from the wrong folder, a typo in
DATABASE_URL), say where they looked and how to point them at the right one.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.cli_errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, describe, masked
from bot.settings import Settings, load_settings

T = TypeVar("T")


def check_database(settings: Settings, *, create: bool) -> None:
    """Refuse a missing SQLite file unless this command may create it (then say so)."""
    path = settings.sqlite_path
    if path is None:
        return
    if path.is_dir():
        raise CliError(f"{path} is a folder, not a SQLite database: fix DATABASE_URL", EXIT_USAGE)
    if path.exists():
        return
    if not create and not settings.default_database:
        raise CliError(
            f"no database at {path}: fix DATABASE_URL (settings: {settings.source}), or "
            "create it with `cellbot db upgrade`",
            EXIT_USAGE,
        )
    if not create:  # the default place: most likely cellbot was started from elsewhere
        raise CliError(
            f"no database at {path} (home: {settings.why_home}): run cellbot where your "
            ".env is, or pass --env-file PATH or set CELLBOT_HOME; `cellbot db upgrade` "
            "creates a new one",
            EXIT_USAGE,
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(
            f"cannot create the folder {path.parent} for the SQLite database "
            f"({exc.strerror}): choose a writable place with DATABASE_URL or CELLBOT_HOME",
            EXIT_USAGE,
        ) from None
    print(f"cellbot: creating a new database at {path}", file=sys.stderr)


def with_db(
    settings: Settings,
    work: Callable[[Any], Awaitable[T]],
    *,
    create: bool = False,
) -> T:
    """Upgrade the schema, then run `work(session)` in one transaction."""
    from storage.db import create_engine, create_session_factory, upgrade_to_head

    check_database(settings, create=create)
    upgrade_to_head(settings.database_url)

    async def main() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine).begin() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


# ------------------------------------------------------------------------- db


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.db import upgrade_to_head

    settings = load_settings()
    check_database(settings, create=True)
    upgrade_to_head(settings.database_url)
    print(f"{masked(settings.database_url)} is at the latest schema")
    return EXIT_OK


def cmd_db_backup(args: argparse.Namespace) -> int:
    from storage.backup import BackupError, backup_postgres, backup_sqlite

    settings = load_settings()
    target: Path = args.path
    if target.is_dir():
        raise CliError(f"{target} is a folder: give the backup's file name", EXIT_USAGE)
    if target.exists() and not args.force:
        raise CliError(f"{target} exists: choose a new name, or pass --force", EXIT_USAGE)
    if not target.absolute().parent.is_dir():
        raise CliError(
            f"{target.parent}: no such folder: create it or choose another path", EXIT_USAGE
        )
    source = settings.sqlite_path
    try:
        if source is not None:
            check_database(settings, create=False)
            if source.resolve() == target.resolve():
                raise CliError("the backup cannot overwrite the database itself", EXIT_USAGE)
            result = backup_sqlite(source, target)
        else:
            result = backup_postgres(settings.database_url, target)
    except BackupError as exc:
        raise CliError(str(exc), EXIT_FAILED) from None
    print(f"backed up {masked(settings.database_url)} to {result.path} ({result.size:,} bytes)")
    return EXIT_OK


# ------------------------------------------------------------------------- health


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: not run, because an earlier check failed
    detail: str

    def line(self) -> str:
        status = {True: "ok", False: "FAIL", None: "skip"}[self.ok]
        return f"{status:<4}  {self.name}: {self.detail}"


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


async def health_checks(settings: Settings, max_age: dt.timedelta) -> list[Check]:
    """Database reachable, schema at head, a dispatcher tick within `max_age`."""
    from sqlalchemy import text

    from domain import clock
    from storage.db import create_engine, create_session_factory
    from storage.health import last_dispatcher_tick, schema_revisions

    url = settings.database_url
    try:
        check_database(settings, create=False)
    except CliError as exc:
        return [Check("database", False, str(exc)), *_skipped("schema", "dispatcher")]
    engine = create_engine(url, pool_size=1)
    try:
        started = time.perf_counter()
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                elapsed = (time.perf_counter() - started) * 1000
                current, heads, known = await schema_revisions(conn, url)
        except Exception as exc:
            message, _ = describe(exc, url)
            return [Check("database", False, message), *_skipped("schema", "dispatcher")]
        checks = [Check("database", True, f"answers in {elapsed:.0f} ms ({masked(url)})")]
        if current == heads:
            checks.append(Check("schema", True, f"at the latest migration ({', '.join(heads)})"))
        elif current - known:
            checks.append(
                Check(
                    "schema",
                    False,
                    f"at {', '.join(sorted(current - known))}, which this cellbot does not "
                    "know: the database was migrated by a newer cellbot; run that version",
                )
            )
            return [*checks, *_skipped("dispatcher")]
        else:
            at = ", ".join(sorted(current)) or "empty"
            checks.append(
                Check(
                    "schema",
                    False,
                    f"at {at}, this cellbot expects {', '.join(sorted(heads))}: run "
                    "`cellbot db upgrade` (cellbot run does it when it starts)",
                )
            )
            return [*checks, *_skipped("dispatcher")]
        async with create_session_factory(engine)() as session:
            tick = await last_dispatcher_tick(session)
    finally:
        await engine.dispose()
    if tick is None:
        checks.append(Check("dispatcher", False, "no tick recorded yet: is `cellbot run` running?"))
        return checks
    age = (clock.now() - tick).total_seconds()
    limit = max_age.total_seconds()
    if age <= limit:
        checks.append(Check("dispatcher", True, f"last tick {_age(max(age, 0))} ago"))
    else:
        checks.append(
            Check(
                "dispatcher",
                False,
                f"last tick {_age(age)} ago, more than {_age(limit)}: is `cellbot run` "
                "running (see its log)?",
            )
        )
    return checks


def _skipped(*names: str) -> list[Check]:
    return [Check(name, None, "not checked") for name in names]


def cmd_health(args: argparse.Namespace) -> int:
    settings = load_settings()
    seconds = args.max_age or max(300.0, 3 * settings.dispatch_interval_seconds)
    checks = asyncio.run(health_checks(settings, dt.timedelta(seconds=seconds)))
    for check in checks:
        print(check.line())
    return EXIT_OK if all(c.ok for c in checks) else EXIT_FAILED


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database schema and backups").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="migrate the database to the latest schema").set_defaults(
        func=cmd_db_upgrade
    )
    backup = db.add_parser(
        "backup", help="copy the database to PATH while the bot runs (SQLite, or pg_dump)"
    )
    backup.add_argument("path", type=Path, metavar="PATH")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    backup.set_defaults(func=cmd_db_backup)

    health = sub.add_parser(
        "health", help="check the database, the schema and the dispatcher; exit 0 or 1"
    )
    health.add_argument(
        "--max-age",
        type=float,
        metavar="SECONDS",
        help="oldest acceptable dispatcher tick (default: 5 min, or 3 dispatch intervals)",
    )
    health.set_defaults(func=cmd_health)
