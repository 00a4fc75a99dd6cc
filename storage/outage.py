"""Is an error the database being unreachable (restarted, a network cut), not a bug?

The bot tells the user a short "try again in a few minutes" for these and logs one line; the
transaction of the update was never committed, so nothing is half-written, and the pool's
pre-ping reconnects as soon as the database is back (storage/db.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import asyncpg.exceptions as pg  # type: ignore[import-untyped]
from sqlalchemy import exc as sa

# SQLite says "database is locked" when the writer is held too long, and has a few other
# failures of the file itself; every other OperationalError of SQLite is a bug (no such
# table, a syntax error) and keeps its traceback.
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error")

_ASYNCPG_UNAVAILABLE = (
    pg.PostgresConnectionError,  # class 08: connection failures
    pg.OperatorInterventionError,  # 57P01-03: shut down, crashed, starting up
    pg.TooManyConnectionsError,
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < 20:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _unavailable(error: BaseException) -> bool:
    if isinstance(error, sa.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, sa.OperationalError | sa.InterfaceError):
            if "sqlite" in type(error.orig).__module__.lower():
                return any(m in str(error.orig).lower() for m in _SQLITE_UNAVAILABLE)
            return True
        return False
    if isinstance(error, sa.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(error, _ASYNCPG_UNAVAILABLE):
        return True
    if isinstance(error, pg.InterfaceError):  # also misuse ("another operation is in progress")
        return "closed" in str(error)  # "connection is closed", "... was closed"
    # Refused, reset, timed out, name lookup; and asyncpg's plain OSError when every address
    # of the host refused. Other OSErrors (a missing file) are not the database.
    return isinstance(error, ConnectionError | TimeoutError | socket.gaierror) or (
        type(error) is OSError
    )


def database_unavailable(error: BaseException) -> bool:
    """True when `error`, or what caused it, says the database cannot be reached now."""
    return any(_unavailable(e) for e in _chain(error))


def describe(error: BaseException) -> str:
    """One line for the log: the error's type and the first line of its message (the next
    lines of a SQLAlchemy error hold the statement and its parameters: user data)."""
    lines = str(error).splitlines()
    first = lines[0][:200] if lines else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
