"""One serving process per database: the leader lock, and the hot standby that waits on it.

On PostgreSQL every `cellbot run` first takes a session-level advisory lock on a connection
of its own. The first process gets it and serves; a second one is a hot standby: it asks again
every second and takes over as soon as the leader's connection drops — PostgreSQL releases a
session lock the moment the session ends, which is what happens when the leader's process
dies (even by `kill -9`) or its host disappears (TCP keepalives, set below, bound that to
about half a minute). The leader checks its lock connection every few seconds and stops if it
lost it, so that two processes never serve at once for longer than that check.

On SQLite there is no standby (one file, one writer, one host): a second `cellbot run` on
the same file is refused with one line, through a file lock next to the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from storage.db import is_sqlite

log = logging.getLogger("cellbot.standby")

# Distinct from the dispatcher's lock (0x63656C6C, "cell", schedules/dispatcher.py), which is
# taken per tick; this one is held for the life of the serving process.
LEADER_LOCK_KEY = 0x6C656164  # "lead"
POLL_SECONDS = 1.0  # how often a standby asks for the lock: the takeover delay
CHECK_SECONDS = 5.0  # how often the leader checks that its lock connection is alive
RECONNECT_MAX_SECONDS = 30.0
_KEEPALIVES = {  # the server notices a vanished leader host within ~25 s
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "application_name": "cellbot leader lock",
}


class StandbyUnavailable(Exception):
    """Another process serves this database and this one cannot wait for it (SQLite)."""


class LeaderLock(Protocol):
    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until this process may serve (True), or until `stop` is set (False)."""

    async def watch(self, on_lost: Callable[[], None]) -> None:
        """Run while serving; call `on_lost` once if the lock is lost."""

    async def release(self) -> None: ...


def leader_lock_for(database_url: str) -> LeaderLock:
    if is_sqlite(database_url):
        return SqliteInstanceLock(database_url)
    return PostgresLeaderLock(database_url)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class PostgresLeaderLock:
    def __init__(self, database_url: str, key: int = LEADER_LOCK_KEY) -> None:
        self._url = database_url
        self._key = key
        self._engine: AsyncEngine | None = None
        self._conn: AsyncConnection | None = None

    async def _connect(self) -> AsyncConnection:
        if self._engine is None:
            self._engine = create_async_engine(
                self._url,
                poolclass=NullPool,
                connect_args={"server_settings": _KEEPALIVES, "timeout": 10, "command_timeout": 10},
            )
        conn = await self._engine.connect()
        # Autocommit: the lock belongs to the session, and no transaction stays open for the
        # life of the process.
        return await conn.execution_options(isolation_level="AUTOCOMMIT")

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def acquire(self, stop: asyncio.Event) -> bool:
        waiting_said = False
        connected_once = False
        delay = POLL_SECONDS
        while not stop.is_set():
            try:
                if self._conn is None:
                    self._conn = await self._connect()
                    connected_once = True
                got = await self._conn.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
                )
            except (SQLAlchemyError, OSError, TimeoutError) as exc:
                if not connected_once:
                    raise  # a wrong URL or password at start: the caller says so, in one line
                await self._drop_connection()
                log.warning(
                    "standby: lost the database connection (%s); retrying in %.0f s",
                    _first_line(exc),
                    delay,
                )
                await _wait(stop, delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
                continue
            delay = POLL_SECONDS
            if got:
                if waiting_said:
                    log.warning("standby: the serving process is gone; taking over")
                return True
            if not waiting_said:
                log.info(
                    "standby: another cellbot process serves this database; "
                    "taking over when it stops"
                )
                waiting_said = True
            await _wait(stop, POLL_SECONDS)
        return False

    async def watch(self, on_lost: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            try:
                assert self._conn is not None
                await asyncio.wait_for(self._conn.execute(text("SELECT 1")), CHECK_SECONDS * 2)
            except (SQLAlchemyError, OSError, TimeoutError, AssertionError) as exc:
                log.error(
                    "lost the database connection that holds the leader lock (%s): stopping, "
                    "so that a standby can serve; restart to serve or wait again",
                    _first_line(exc),
                )
                await self._drop_connection()
                on_lost()
                return

    async def release(self) -> None:
        await self._drop_connection()  # ending the session releases the lock
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


class SqliteInstanceLock:
    def __init__(self, database_url: str) -> None:
        database = make_url(database_url).database
        self._path = Path(f"{database}.lock") if database and database != ":memory:" else None
        self._file: IO[str] | None = None

    async def acquire(self, stop: asyncio.Event) -> bool:
        if self._path is None:
            return True
        try:
            import fcntl
        except ImportError:  # Windows: no advisory file locks; one process is the rule anyway
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StandbyUnavailable(
                f"another `cellbot run` already serves {self._path.with_suffix('')}; a hot "
                "standby needs PostgreSQL (see README, Running in production)"
            ) from None
        self._file = handle  # held (and so locked) until this process ends
        return True

    async def watch(self, on_lost: Callable[[], None]) -> None:
        return None

    async def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
