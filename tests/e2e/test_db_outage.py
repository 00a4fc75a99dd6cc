"""The database drops mid-update (PostgreSQL restarted, a network cut).

A small TCP proxy on loopback stands between the application's engine and PostgreSQL. It is
cut while an answer is being committed (its COMMIT never reaches the server), then refuses
connections, then comes back: the user is asked to try again in their language, nothing
half-written stays, and the same application serves the next update without a restart
(the pool's pre-ping replaces the dead connections).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.i18n import t
from domain.checkin_schema import parse_answers
from storage.db import SessionFactory, create_engine, create_session_factory
from storage.models import Checkin
from tests.conftest import PG_URL
from tests.e2e.checkin_helpers import Secretary, find
from tests.factories import onboard, small_org
from tests.harness import (
    ApiCall,
    Driver,
    TgUser,
    make_settings,
    start_driver,
    stop_driver,
    texts,
)

pytestmark = pytest.mark.skipif(not PG_URL, reason="the proxy stands in front of PostgreSQL")

SEC = TgUser(3201, "Hà", "Vi Thị", "vi")
STRANGER = TgUser(3202, "Tom", "Smith", "en")


class Proxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL; can be cut (connections closed, new ones
    refused) and restored on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._cut_marker: bytes | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def cut_at(self, marker: bytes) -> None:
        """Cut everything when the client next sends `marker`, which is not forwarded."""
        self._cut_marker = marker

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    @property
    def is_cut(self) -> bool:
        return self._server is None

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self.target)
        self._writers |= {client_w, server_w}
        await asyncio.gather(
            self._pipe(client_r, server_w, outbound=True), self._pipe(server_r, client_w)
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, outbound: bool = False
    ) -> None:
        try:
            while data := await reader.read(65536):
                if outbound and self._cut_marker is not None and self._cut_marker in data:
                    self._cut_marker = None
                    task = asyncio.create_task(self.cut())
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                    return
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()


@pytest.fixture
async def proxy(db_url: str) -> AsyncIterator[Proxy]:
    url = make_url(db_url)
    p = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await p.start()
    yield p
    await p.cut()


@pytest.fixture
async def outage_driver(db_url: str, proxy: Proxy) -> AsyncIterator[Driver]:
    """The application with its own engine, through the proxy."""
    proxied = make_url(db_url).set(host="127.0.0.1", port=proxy.port)
    url = proxied.render_as_string(hide_password=False)
    engine = create_engine(url, pool_size=5)
    drv = await start_driver(make_settings(url), create_session_factory(engine))
    yield drv
    if proxy.is_cut:
        await proxy.start()
    await stop_driver(drv)
    await engine.dispose()


async def saved(direct: SessionFactory, cell_id: int) -> Checkin:
    """The check-in as PostgreSQL has it, read past the proxy."""
    async with direct() as session:
        rows = (await session.scalars(select(Checkin).where(Checkin.cell_id == cell_id))).all()
    assert len(rows) == 1
    return rows[0]


async def at_start_time(driver: Driver) -> tuple[Secretary, int, list[ApiCall]]:
    """A secretary on the start-time question of a new check-in (the date is saved)."""
    org = await small_org(driver.sessions, members_per_cell=3)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Thường kỳ")
    asked = await s.tap("Hôm nay")
    return s, org.cells["C01"], asked


async def test_an_outage_asks_to_try_again_and_the_bot_recovers(
    outage_driver: Driver,
    proxy: Proxy,
    session_factory: SessionFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    driver = outage_driver
    s, cell_id, asked = await at_start_time(driver)
    before = await saved(session_factory, cell_id)
    assert before.meeting_date is not None and parse_answers(before.answers).start_time is None
    try_again_vi = t("vi", "common.db_unavailable")

    # 1. The connection drops while the answer is being committed.
    proxy.cut_at(b"COMMIT")
    with caplog.at_level(logging.DEBUG, logger="handlers.common"):
        calls = await s.type("19h30")
    assert proxy.is_cut
    assert texts(calls) == try_again_vi
    assert [c.method for c in calls] == ["sendMessage"]  # no "✓", no next question

    # 2. While PostgreSQL cannot be reached at all: another user, in English.
    with caplog.at_level(logging.DEBUG, logger="handlers.common"):
        calls = await driver.send(STRANGER, "/help")
    assert texts(calls) == t("en", "common.db_unavailable")

    # One line each at WARNING with the update's context; the traceback only at DEBUG.
    records = [r for r in caplog.records if r.name == "handlers.common"]
    warnings = [r for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, [r.getMessage() for r in records]
    assert all("database unavailable" in r.getMessage() for r in warnings)
    assert f"user={SEC.id}" in warnings[0].getMessage() and warnings[0].exc_info is None
    assert "\n" not in warnings[0].getMessage()
    assert not [r for r in records if r.levelno >= logging.ERROR]
    assert [r.exc_info is not None for r in records if r.levelno == logging.DEBUG] == [True, True]

    # Nothing half-written: the answer whose commit was cut is not there.
    after = await saved(session_factory, cell_id)
    assert parse_answers(after.answers).start_time is None and after.version == before.version

    # 3. PostgreSQL is back: the same application answers, without a restart.
    await proxy.start()
    assert t("en", "help.title") in texts(await driver.send(STRANGER, "/help"))
    calls = await driver.press(SEC, find(asked, "19:30"))  # the start-time button again
    assert try_again_vi not in texts(calls)
    after = await saved(session_factory, cell_id)
    assert parse_answers(after.answers).start_time == "19:30"
    assert after.meeting_date == before.meeting_date


async def test_a_typed_retry_answers_the_same_question(
    outage_driver: Driver, proxy: Proxy, session_factory: SessionFactory
) -> None:
    s, cell_id, _ = await at_start_time(outage_driver)
    proxy.cut_at(b"COMMIT")
    assert texts(await s.type("19h30")) == t("vi", "common.db_unavailable")
    await proxy.start()
    await s.type("19h30")
    assert parse_answers((await saved(session_factory, cell_id)).answers).start_time == "19:30"
