"""Shared fixtures: a migrated database per test (SQLite temp file, or PostgreSQL when
CELLBOT_TEST_DATABASE_URL is set) and a session factory on it."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import clock
from storage.db import SessionFactory, create_engine, create_session_factory, upgrade_to_head
from storage.models import Base
from tests.harness import Driver, make_settings, start_driver, stop_driver

PG_URL = os.environ.get("CELLBOT_TEST_DATABASE_URL")

# CELLBOT_TEST_NOW pins the whole run (and the `cellbot` subprocesses it starts, which read the
# same variable) to an instant such as 2027-01-01T00:30+07:00; time moves on from there.
TEST_NOW = os.environ.get("CELLBOT_TEST_NOW")
if TEST_NOW:
    clock.set_clock(clock.ShiftedClock(clock.parse_instant(TEST_NOW)))


def _pg_admin(url: str, statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    async def _run() -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(statement))
        await engine.dispose()

    asyncio.run(_run())


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per test session.

    SQLite: a template file that each test copies. PostgreSQL: a database of its own for
    this run, created next to the configured one and dropped at the end, so that two runs
    (two developers, or CI twice in a row) never see each other's rows.
    """
    if PG_URL:
        name = f"cellbot_test_{os.getpid()}_{secrets.token_hex(3)}"
        _pg_admin(PG_URL, f'CREATE DATABASE "{name}"')
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade_to_head(url)
            yield url
        finally:
            _pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade_to_head(f"sqlite+aiosqlite:///{path}")
        yield str(path)


@pytest.fixture(autouse=True)
def _restore_clock() -> Iterator[None]:
    """A test may stop or move the clock; the next one starts on the run's clock again."""
    run_clock = clock.current()
    yield
    clock.set_clock(run_clock)


def empty_pg_database(url: str) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    _pg_admin(url, f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture
def db_url(migrated_template: str, tmp_path: Path) -> str:
    """An empty migrated database for this test (PostgreSQL: emptied here, so that tests
    which only take the URL, e.g. CLI subprocess tests, start clean too)."""
    if PG_URL:
        empty_pg_database(migrated_template)
        return migrated_template
    target = tmp_path / "cellbot.db"
    shutil.copyfile(migrated_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(db_url, pool_size=5)
    yield eng
    await eng.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> SessionFactory:
    return create_session_factory(engine)


@pytest.fixture
async def driver(session_factory: SessionFactory, db_url: str) -> AsyncIterator[Driver]:
    """The production Application, offline, on a fresh migrated database."""
    drv = await start_driver(make_settings(db_url), session_factory)
    yield drv
    await stop_driver(drv)
