"""SQLite's write-ahead log is copied back into the database file by a job, not by the commit
that takes it past 1,000 pages (that commit's update waited for it: up to 450 ms measured on
the province's file). SQLite's own checkpoint stays as a safety net, at 10,000 pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from schedules.jobs import CHECKPOINT_JOB, JOB_NAME, checkpoint
from storage.db import CHECKPOINT_FALLBACK_PAGES, checkpoint_wal, create_engine, is_sqlite
from tests.harness import Driver

ROWS = 3000  # ~3 MB: well past SQLite's default of 1,000 pages of log


async def _autocheckpoint(url: str, background: bool) -> int:
    engine = create_engine(url, background_checkpoints=background)
    try:
        async with engine.connect() as conn:
            return int((await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar_one())
    finally:
        await engine.dispose()


async def test_the_bots_engine_leaves_checkpoints_to_the_job(db_url: str) -> None:
    if not is_sqlite(db_url):
        pytest.skip("SQLite's log")
    assert await _autocheckpoint(db_url, background=True) == CHECKPOINT_FALLBACK_PAGES
    assert await _autocheckpoint(db_url, background=False) == 1000  # SQLite's default


async def test_a_checkpoint_copies_the_whole_log(db_url: str) -> None:
    engine = create_engine(db_url, background_checkpoints=True)
    try:
        if not is_sqlite(db_url):
            assert await checkpoint_wal(engine) is None  # PostgreSQL: nothing to do
            return
        database = Path(str(make_url(db_url).database))
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE scratch (x TEXT)")
        await checkpoint_wal(engine)
        before = database.stat().st_size
        async with engine.begin() as conn:
            for i in range(ROWS):
                await conn.exec_driver_sql("INSERT INTO scratch VALUES (?)", (f"{i:04d}" * 256,))
        # The commit did not copy the log into the file (SQLite's default would have, at
        # 1,000 pages): the new pages are in the log only.
        assert database.stat().st_size == before
        found = await checkpoint_wal(engine)
        assert found is not None
        busy, pages, copied = found
        assert (busy, copied) == (0, pages) and pages > 1000, found
        assert database.stat().st_size > before + 2_000_000
        async with engine.begin() as conn:
            await conn.exec_driver_sql("INSERT INTO scratch VALUES ('one more')")
        # The log started again from its beginning: the next checkpoint has a page or two.
        assert (await checkpoint_wal(engine) or (0, 0, 0))[1] < 10
    finally:
        await engine.dispose()


async def test_the_job_runs_on_sqlite_only(driver: Driver, db_url: str) -> None:
    queue = driver.app.job_queue
    assert queue is not None
    names = {job.name for job in queue.jobs()}
    assert JOB_NAME in names
    assert (CHECKPOINT_JOB in names) == is_sqlite(db_url)
    await checkpoint(driver.app)  # on the test's engine: runs, says nothing
