"""Hot standby: two `cellbot run` processes against one database.

PostgreSQL: the first serves, the second waits on the leader lock (a session advisory lock);
after `kill -9` of the leader the standby serves the next update, and no update is handled
twice — the stand-in keeps Telegram's getUpdates offsets, so an update the leader had not
confirmed would be delivered again and answered twice. SQLite: no standby; a second process
on the same file is refused in one line.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.e2e.run_standin import BotProcess, StandIn, assert_no_secret, text_update, wait_until


@pytest.fixture
def standin() -> Iterator[StandIn]:
    api = StandIn().start()
    yield api
    api.stop()


@pytest.mark.skipif(not PG_URL, reason="a hot standby needs PostgreSQL")
def test_standby_takes_over_when_the_leader_is_killed(
    tmp_path: Path, db_url: str, standin: StandIn
) -> None:
    leader = BotProcess.start(tmp_path, db_url, standin.base_url_for("leader"), name="leader")
    standby: BotProcess | None = None
    try:
        leader.wait_for_line("running (polling)")
        standby = BotProcess.start(
            tmp_path, db_url, standin.base_url_for("standby"), name="standby"
        )
        standby.wait_for_line("standby: another cellbot process serves this database")
        assert "running (" not in standby.output
        assert "standby" not in {c.process for c in standin.calls}  # not even getMe

        standin.push(text_update(1, 5001, "/start"))
        wait_until(lambda: bool(standin.replies_to(5001)), "the leader's reply")
        # The leader confirmed update 1 (a getUpdates with a higher offset) before it dies.
        wait_until(lambda: standin.confirmed >= 1, "update 1 confirmed")
        leader.kill()  # SIGKILL: no clean shutdown, the lock goes with the connection

        killed_at = time.monotonic()
        standby.wait_for_line("running (polling)")
        standin.push(text_update(2, 5002, "/start"))
        wait_until(lambda: bool(standin.replies_to(5002)), "the standby's reply")
        print(f"standby served {time.monotonic() - killed_at:.1f} s after the kill")
    finally:
        leader.kill()
        code = standby.stop(signal.SIGTERM) if standby is not None else 0
    assert code == 0, standby.output
    assert "taking over" in standby.output
    # Each update answered exactly once: by the leader, then by the standby.
    assert [p for p, _ in standin.replies_by_process(5001)] == ["leader"]
    assert [p for p, _ in standin.replies_by_process(5002)] == ["standby"]
    assert "Traceback" not in leader.output + standby.output
    assert_no_secret(leader.output + standby.output)


@pytest.mark.skipif(not PG_URL, reason="a hot standby needs PostgreSQL")
def test_leader_that_loses_its_lock_connection_stops(
    tmp_path: Path, db_url: str, standin: StandIn
) -> None:
    leader = BotProcess.start(tmp_path, db_url, standin.base_url, name="leader")
    try:
        leader.wait_for_line("running (polling)")
        _terminate_lock_sessions(db_url)  # as if the database restarted under it
        code = leader.process.wait(timeout=120)
    finally:
        leader.kill()
    # Exit 1: the service manager restarts it, as leader or as standby.
    assert code == 1, leader.output
    assert "lost the database connection that holds the leader lock" in leader.output
    assert "Traceback" not in leader.output


def _terminate_lock_sessions(db_url: str) -> None:
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def terminate() -> int:
        engine = create_async_engine(db_url)
        async with engine.begin() as conn:
            killed = await conn.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'cellbot leader lock' "
                    "AND datname = current_database()"
                )
            )
        await engine.dispose()
        return int(killed or 0)

    assert asyncio.run(terminate()) == 1


@pytest.mark.skipif(bool(PG_URL), reason="SQLite only: PostgreSQL offers a standby")
def test_sqlite_refuses_a_second_process_in_one_line(
    tmp_path: Path, db_url: str, standin: StandIn
) -> None:
    first = BotProcess.start(tmp_path, db_url, standin.base_url, name="first")
    try:
        first.wait_for_line("running (polling)")
        second = BotProcess.start(tmp_path, db_url, standin.base_url, name="second")
        assert second.process.wait(timeout=120) == 1
    finally:
        assert first.stop(signal.SIGTERM) == 0, first.output
    assert len(second.lines()) == 1, second.output
    assert "a hot standby needs PostgreSQL" in second.output
    assert "Traceback" not in second.output
