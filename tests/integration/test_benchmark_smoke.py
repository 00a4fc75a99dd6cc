"""The benchmark harness on a tiny province: every scenario runs against the real
application and yields a figure, so `make bench` cannot rot unnoticed. Nothing here looks at
how fast anything is (speed is for `make bench`, never for tests)."""

from __future__ import annotations

import pytest

from benchmarks.run import Plan, run_database
from storage.synthetic.province import ProvinceShape

TINY = Plan(
    shape=ProvinceShape(districts=1, grassroots=3, cells=16, members=480, roster_min=12),
    months=(3, 6),
    secretaries=4,
    concurrency=2,
    reminders=40,
    rate=40.0,
    rate_seconds=0.5,
    repeat=1,
)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")
async def test_every_scenario_yields_figures_on_a_tiny_province() -> None:
    figures = await run_database("sqlite", None, TINY)
    missing = [f"{f.scenario}: {f.figure}: {f.note}" for f in figures if f.value is None]
    assert missing == []
    scenarios = {f.scenario.split()[0] for f in figures}
    assert scenarios == {"0", "1", "2", "3", "4"}
    by_name = {(f.scenario.split()[0], f.figure.split(",")[0]): f for f in figures}
    # Scenario 1 checks itself that every check-in was submitted; its ratios are positive.
    assert by_name[("1", "ratio check-in / durable floor")].value > 0
    assert by_name[("1", "check-in")].value > 0
    assert all(f.value > 0 for f in figures if f.unit in ("ms", "MB", "updates/s"))
