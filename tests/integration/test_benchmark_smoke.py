"""The benchmark harness on a tiny province: every scenario runs against the real
application and yields a figure, so `make bench` cannot rot unnoticed. It runs on the
database the suite runs on (PostgreSQL when CELLBOT_TEST_DATABASE_URL is set, SQLite
otherwise), with a 1 ms Bot API round trip so the latency path runs too. Nothing here looks
at how fast anything is (speed is for `make bench`, never for tests)."""

from __future__ import annotations

import os

import pytest

from benchmarks.run import Plan, run_database
from benchmarks.scenarios.throughput import Levels
from storage.synthetic.province import ProvinceShape

PG_URL = os.environ.get("CELLBOT_TEST_DATABASE_URL")

TINY = Plan(
    shape=ProvinceShape(communes=2, blocs=1, grassroots=3, cells=24, members=720, roster_min=12),
    months=(3, 6),
    # 1 secretary alone, then 2 at once at the peak level, each run one more for its
    # warm-up: 5 check-ins in all
    throughput=Levels(levels=(1,), peak=2, secretaries=1, rounds=1, least=1),
    reminders=40,
    rate=40.0,
    rate_seconds=0.5,
    repeat=1,
    latency_ms=1.0,
)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")
async def test_every_scenario_yields_figures_on_a_tiny_province() -> None:
    kind = "postgres" if PG_URL else "sqlite"
    # Its own database names on a shared server: a `make bench` there is left alone.
    figures = await run_database(kind, PG_URL, TINY, prefix=f"smoke{os.getpid()}_")
    missing = [f"{f.scenario}: {f.figure}: {f.note}" for f in figures if f.value is None]
    assert missing == []
    assert {f.database for f in figures} == {kind}
    scenarios = {f.scenario.split()[0] for f in figures}
    assert scenarios == {"0", "1", "2", "3", "4", "5"}
    # Scenario 1 checks itself that every check-in was submitted; a level has its three runs
    # and a ratio, the peak level the check-in alone, all with latency and concurrency.
    first = [f for f in figures if f.scenario.startswith("1 ")]
    by_name = {f.figure: f for f in first}
    for label in ("bare PTB", "durable floor", "check-in"):
        assert by_name[f"{label}, 1 chat"].concurrency == 1
    assert (by_name["ratio check-in / durable floor, 1 chat"].value or 0) > 0
    assert by_name["check-in, 2 chats"].concurrency == 2
    assert (by_name["check-in, 2 chats"].value or 0) > 0
    # The submit figure is the bot's own time: measured without the simulated round trip.
    submit = [f for f in first if f.figure.startswith("check-in submit at full size")]
    assert [(f.latency_ms, f.concurrency) for f in submit] == [(0.0, 1)]
    assert all(f.latency_ms == 1.0 for f in first if f not in submit)
    assert all((f.value or 0) > 0 for f in figures if f.unit in ("ms", "MB", "updates/s"))
