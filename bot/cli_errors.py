"""Every failure of the `cellbot` command as ONE line naming the cause and the fix.

Exit statuses (README "Command line"): 1 a runtime failure that may pass by itself or after
fixing data (the database server is down, an unknown unit, a broken pipe); 2 a usage or
configuration error that needs the command line or the settings changed (bad arguments, a
bad setting, wrong database credentials, a missing database, an unwritable path).
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEBUG_VARIABLE = "CELLBOT_DEBUG"


class CliError(Exception):
    """A failure already phrased for the person at the terminal."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def masked(url: str) -> str:
    """The database URL without its password, fit to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by the settings check
        return "DATABASE_URL"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _sqlstate(exc: BaseException) -> str | None:
    for link in _chain(exc):
        state = getattr(link, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


def _where(url: str | None) -> str:
    if not url:
        return "the database"
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return f"the SQLite database {parsed.database}"
    return f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}"


# SQLSTATE -> (what happened, how to fix it, exit status); see PostgreSQL's appendix A.
_PG_STATES = {
    "28000": ("the server refused the login", "create the role (createuser) or fix the user "
              "in DATABASE_URL, and check pg_hba.conf", EXIT_USAGE),
    "28P01": ("the password was refused", "fix the password in DATABASE_URL", EXIT_USAGE),
    "3D000": ("the database does not exist", "create it (createdb -O ROLE NAME) or fix its "
              "name in DATABASE_URL", EXIT_USAGE),
    "42501": ("the role lacks a privilege", "make the role the owner of the database "
              "(ALTER DATABASE name OWNER TO role)", EXIT_USAGE),
    "42P01": ("a table is missing", "run `cellbot db upgrade`", EXIT_FAILED),
    "53300": ("the server has too many connections", "try again later or raise "
              "max_connections", EXIT_FAILED),
    "57P03": ("the server is starting or stopping", "try again in a moment", EXIT_FAILED),
}  # fmt: skip


def describe(exc: BaseException, database_url: str | None = None) -> tuple[str, int]:
    """The one line (without the `cellbot: ` prefix) and exit status for `exc`."""
    if isinstance(exc, CliError):
        return str(exc), exc.code
    from alembic.util.exc import CommandError

    if isinstance(exc, CommandError):  # e.g. a database migrated by a newer cellbot
        return (
            f"database schema: {_first_line(exc)}: use the cellbot version that migrated "
            "this database, or a newer one",
            EXIT_USAGE,
        )
    where = _where(database_url)
    state = _sqlstate(exc)
    if state in _PG_STATES:
        what, fix, code = _PG_STATES[state]
        return f"{where}: {what} ({_first_line(exc)}): {fix}", code
    for link in _chain(exc):
        if isinstance(link, socket.gaierror):
            return (
                f"{where}: the host name does not resolve ({link.strerror}): fix the host in "
                "DATABASE_URL, or check the network",
                EXIT_FAILED,
            )
        if isinstance(link, ConnectionRefusedError):
            return (
                f"{where}: connection refused: is the server running, and are the host and "
                "port in DATABASE_URL right?",
                EXIT_FAILED,
            )
        if isinstance(link, TimeoutError):
            return (
                f"{where}: no answer (timed out): check the host in DATABASE_URL, the network "
                "and the firewall",
                EXIT_FAILED,
            )
        if isinstance(link, sqlite3.Error):
            return _sqlite(link, where)
    if isinstance(exc, SQLAlchemyError):
        return f"{where}: {_first_line(exc)}", EXIT_FAILED
    if isinstance(exc, OSError) and exc.filename is not None:
        return (
            f"{exc.filename}: {exc.strerror or _first_line(exc)}: check that the path is right "
            "and its folder exists and is writable",
            EXIT_USAGE,
        )
    if isinstance(exc, OSError):
        return f"{_first_line(exc)}: check the network and the paths given", EXIT_FAILED
    return (
        f"unexpected error: {type(exc).__name__}: {_first_line(exc)} "
        f"(set {DEBUG_VARIABLE}=1 to see the traceback, and please report it)",
        EXIT_FAILED,
    )


def _sqlite(exc: sqlite3.Error, where: str) -> tuple[str, int]:
    text = _first_line(exc)
    if "unable to open" in text or "readonly" in text:
        return (
            f"{where}: cannot be opened for writing ({text}): make its folder writable, or "
            "choose another place with DATABASE_URL or CELLBOT_HOME",
            EXIT_USAGE,
        )
    if "not a database" in text:
        return f"{where}: the file is not a SQLite database: fix DATABASE_URL", EXIT_USAGE
    if "locked" in text:
        return f"{where}: it is locked by another process: try again", EXIT_FAILED
    if "no such table" in text:
        return f"{where}: {text}: run `cellbot db upgrade`", EXIT_FAILED
    return f"{where}: {text}", EXIT_FAILED
