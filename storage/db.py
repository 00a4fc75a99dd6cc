"""Engine and session factory, with the SQLite pragmas that make it a sound embedded store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

SessionFactory = async_sessionmaker[AsyncSession]

# Which asyncio task holds each open database transaction (by connection), so that code and
# tests can check "commit, then speak": no Bot API call while the caller's transaction is open.
_open_transactions: dict[int, asyncio.Task[Any]] = {}


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop (Alembic's synchronous run)
        return None


def _on_begin(conn: Any) -> None:
    task = _current_task()
    if task is not None:
        _open_transactions[id(conn)] = task


def _on_end(conn: Any) -> None:
    _open_transactions.pop(id(conn), None)


def transaction_open_in_this_task() -> bool:
    """True while the running task has a database transaction that has not ended."""
    task = _current_task()
    return task is not None and any(t is task for t in _open_transactions.values())


# SQLSTATEs of PostgreSQL's "try the whole transaction again" errors.
_RETRY_SQLSTATES = ("40001", "40P01")  # serialization failure, deadlock


def is_retryable(exc: BaseException) -> bool:
    """A conflict with another transaction that the same work, run again, can get past:
    SQLite's writer lock held past the busy timeout or a snapshot overtaken by another
    writer, PostgreSQL's serialization failure or deadlock."""
    if not isinstance(exc, DBAPIError):
        return False
    text = str(exc.orig).lower()
    if "database is locked" in text:
        return True
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in _RETRY_SQLSTATES


def _track_transactions(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "begin", _on_begin)
    event.listen(engine.sync_engine, "commit", _on_end)
    event.listen(engine.sync_engine, "rollback", _on_end)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # The driver would send BEGIN only before the first write: reads before it saw no snapshot
    # and a SAVEPOINT released before any write committed for good. SQLAlchemy's recipe: the
    # driver sends nothing and `_sqlite_begin` starts every transaction itself.
    dbapi_connection.isolation_level = None


# SQLite copies the write-ahead log back into the database file (a checkpoint) in the commit
# that takes the log past 1,000 pages: that commit's update then waits for it, 7-30 ms and up
# to 450 ms measured on the province's 670 MB file, against 0.4 ms for a commit. The bot's
# engine leaves it to a job (schedules/jobs.py, every CHECKPOINT_EVERY_S seconds); SQLite's
# own stays as the safety net should that job fall far behind (CHECKPOINT_FALLBACK_PAGES).
CHECKPOINT_EVERY_S = 10.0
CHECKPOINT_FALLBACK_PAGES = 10_000


def _checkpoints_in_background(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_FALLBACK_PAGES}")
    cursor.close()


async def checkpoint_wal(engine: AsyncEngine) -> tuple[int, int, int] | None:
    """A passive checkpoint of a SQLite database's log (none elsewhere): it copies what no
    reader still needs without waiting for readers or the writer. Returns SQLite's (busy,
    pages in the log, pages copied). On the driver's connection, outside any transaction."""
    if engine.dialect.name != "sqlite":
        return None
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        cursor = await driver.execute("PRAGMA wal_checkpoint(PASSIVE)")
        row = await cursor.fetchone()
        await cursor.close()
    return (int(row[0]), int(row[1]), int(row[2])) if row else None


# Set by `writing()`: the work about to run writes. On SQLite its transaction then begins
# IMMEDIATE, taking the single writer's lock at the start (waiting for it under the busy
# timeout) instead of failing at once with "database is locked" when it tries to write after
# another connection committed since its first read. Handler updates and jobs write almost
# always, and their transactions are short (replies go out after the commit).
_write_intent: ContextVar[bool] = ContextVar("cellbot_write_intent", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside this block are writers (see `_write_intent`)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


# The connection pool. An update holds at most one connection, and only while its transaction
# runs (replies go out after the commit), so one per update handled at once is enough; beyond
# POOL_MAX, more connections only queue inside the database server (a few cores), so updates
# queue for a connection here instead, first come first served. SQLite has one writer, and
# writers waiting for it poll (its busy handler sleeps up to 100 ms between tries, unfairly):
# 32-40 connections measured slower there, with waits near the 10 s busy timeout under a burst
# of 64 chats, so SQLite keeps a few. The overflow serves the persistence write-behind, the
# reminder jobs and CLI work beside the updates. A pool that stays exhausted fails the update
# after POOL_TIMEOUT seconds with SQLAlchemy's "QueuePool limit ... reached" (logged, and the
# user is told to try again) rather than leaving it hanging.
POOL_MAX = 32
SQLITE_POOL_MAX = 8
POOL_OVERFLOW = 8
SQLITE_POOL_OVERFLOW = 2
POOL_TIMEOUT = 10.0


def pool_size_for(concurrency: int, url: str) -> int:
    """Connections kept for `concurrency` updates handled at once on `url`'s database."""
    return max(5, min(concurrency, SQLITE_POOL_MAX if is_sqlite(url) else POOL_MAX))


def create_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, background_checkpoints: bool = False
) -> AsyncEngine:
    """`background_checkpoints` (the bot's engine on SQLite): see `checkpoint_wal`."""
    pool: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": SQLITE_POOL_OVERFLOW if is_sqlite(url) else POOL_OVERFLOW,
        "pool_timeout": POOL_TIMEOUT,
    }
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
        if make_url(url).database in (None, "", ":memory:"):
            pool = {}  # one shared connection, no queue to size
        engine = create_async_engine(url, echo=echo, **pool)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        if background_checkpoints:
            event.listen(engine.sync_engine, "connect", _checkpoints_in_background)
    else:
        engine = create_async_engine(url, echo=echo, pool_pre_ping=True, **pool)
    _track_transactions(engine)
    return engine


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade_to_head(url: str) -> None:
    """Run Alembic migrations synchronously (its env runs its own event loop)."""
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), "head")


async def upgrade_to_head_async(url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, url)


def analyze(url: str) -> None:
    """Refresh planner statistics after a bulk load (without them PostgreSQL may choose
    nested loops that turn a 0.1 s query into minutes)."""

    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.exec_driver_sql("ANALYZE")
        finally:
            await engine.dispose()

    asyncio.run(run())
