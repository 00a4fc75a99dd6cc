"""Shared fixtures: a migrated database per test (SQLite temp file, or PostgreSQL when
CELLBOT_TEST_DATABASE_URL is set) and a session factory on it."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SessionFactory, create_engine, create_session_factory, upgrade_to_head
from storage.models import Base
from tests.harness import Driver, make_settings, start_driver, stop_driver

PG_URL = os.environ.get("CELLBOT_TEST_DATABASE_URL")


def _pg_reset_schema(url: str) -> None:
    """Drop every table of ours (and Alembic's) so the suite starts and ends clean."""
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    async def _drop() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(_drop())


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per test session.

    SQLite: a template file that each test copies. PostgreSQL: the test database itself,
    emptied between tests and dropped at the end so the suite can run again.
    """
    if PG_URL:
        _pg_reset_schema(PG_URL)
        upgrade_to_head(PG_URL)
        yield PG_URL
        _pg_reset_schema(PG_URL)
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade_to_head(f"sqlite+aiosqlite:///{path}")
        yield str(path)


@pytest.fixture
def db_url(migrated_template: str, tmp_path: Path) -> str:
    if PG_URL:
        return PG_URL
    target = tmp_path / "cellbot.db"
    shutil.copyfile(migrated_template, target)
    return f"sqlite+aiosqlite:///{target}"


async def _truncate_all(engine: AsyncEngine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(db_url, pool_size=5)
    if PG_URL:
        await _truncate_all(eng)
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
