"""Which errors mean "the database cannot be reached now" (a short "try again" for the user,
one log line) and which are bugs (the apology and a traceback)."""

from __future__ import annotations

import sqlite3

import asyncpg.exceptions as pg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import exc as sa

from storage.outage import database_unavailable, describe


def wrapped(cls: type[sa.DBAPIError], orig: Exception, invalidated: bool = False) -> Exception:
    return cls("SELECT 1", {"secret": "x"}, orig, connection_invalidated=invalidated)


def caused_by(outer: Exception, cause: BaseException) -> Exception:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(104, "Connection reset by peer"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed"),
        TimeoutError(),
        pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        pg.CannotConnectNowError("the database system is starting up"),
        pg.AdminShutdownError("terminating connection due to administrator command"),
        pg.InterfaceError("cannot call Connection.fetch(): connection is closed"),
        wrapped(sa.DBAPIError, Exception("closed"), invalidated=True),
        wrapped(sa.OperationalError, Exception("server closed the connection")),
        wrapped(sa.InterfaceError, Exception("connection is closed")),
        wrapped(sa.OperationalError, sqlite3.OperationalError("database is locked")),
        sa.TimeoutError("QueuePool limit of size 10 overflow 10 reached"),
        caused_by(RuntimeError("while saving"), ConnectionRefusedError(111, "refused")),
    ],
)
def test_unreachable_database(error: Exception) -> None:
    assert database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("invalid literal for int()"),
        FileNotFoundError(2, "No such file"),
        PermissionError(13, "Permission denied"),
        wrapped(sa.OperationalError, sqlite3.OperationalError("no such table: checkins")),
        wrapped(sa.IntegrityError, Exception("duplicate key value")),
        wrapped(sa.DBAPIError, pg.DataError("value out of int32 range")),
        sa.NoResultFound("No row was found"),
        pg.InterfaceError("cannot perform operation: another operation is in progress"),
    ],
)
def test_bugs_are_not_outages(error: Exception) -> None:
    assert not database_unavailable(error)


def test_a_cycle_in_the_chain_ends() -> None:
    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a
    assert not database_unavailable(a)


def test_the_log_line_is_one_line_without_the_statement() -> None:
    error = wrapped(sa.OperationalError, Exception("server closed the connection"))
    line = describe(error)
    assert line.startswith("OperationalError: ") and "\n" not in line
    assert "SELECT" not in line and "secret" not in line
    assert describe(TimeoutError()) == "TimeoutError"
