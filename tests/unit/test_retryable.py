"""Which database errors make `with_request` run an update again (nothing was said yet)."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, OperationalError

from storage.db import is_retryable


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"pg error {sqlstate}")
        self.sqlstate = sqlstate


def _wrap(orig: Exception) -> DBAPIError:
    return OperationalError("UPDATE checkins SET …", {}, orig)


def test_sqlite_lock_and_postgres_conflicts_are_retried() -> None:
    assert is_retryable(_wrap(sqlite3.OperationalError("database is locked")))
    assert is_retryable(_wrap(_PgError("40001")))  # serialization failure
    assert is_retryable(_wrap(_PgError("40P01")))  # deadlock detected


def test_other_errors_are_not() -> None:
    assert not is_retryable(_wrap(sqlite3.OperationalError("no such table: checkins")))
    assert not is_retryable(_wrap(_PgError("23505")))  # unique violation: a real conflict
    assert not is_retryable(ValueError("database is locked"))
