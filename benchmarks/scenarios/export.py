"""Scenario 5: the XLSX export of the province's year and of a commune's, through the bot.

Issue 14's targets: the province (4,971 cells, ~50,000 check-ins and ~90,000 absences a
year) in < 10 s with a peak resident memory < 300 MB, a commune in < 2 s.

Each measurement runs in a fresh child process, as the bot runs: the real Application
(benchmarks.scenarios.checkins.real_app) offline, a supervisor typing `/export <year>`. So the
memory figure is that of a bot process doing the export, not of a benchmark process that
seeded and queried before (the child's own peak, `VmHWM`, with its resident size before the
export beside it). The child first warms up with one untimed commune export (imports,
statement caches), times `repeat` commune exports (median), then the province's once: wall
time and the process's CPU time (every thread: the file is written in worker threads).

    python -m benchmarks.scenarios.export --url postgresql+asyncpg://…/db [--year 2026]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from benchmarks.scenarios.base import Figure, own_peak_mb
from benchmarks.scenarios.queries import supervisor_id

SCENARIO = "5 exports"
PROVINCE_S = 10.0
PROVINCE_RSS_MB = 300.0
COMMUNE_S = 2.0


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


async def _measure(url: str, year: int, repeat: int) -> dict[str, Any]:

    from benchmarks.scenarios.base import Updates, timed_update
    from benchmarks.scenarios.checkins import real_app
    from storage.db import create_engine, create_session_factory

    engine = create_engine(url)
    sessions = create_session_factory(engine)

    app, request = real_app(url, sessions)
    updates = Updates()
    await app.initialize()
    try:
        province = await supervisor_id(sessions, "province")
        commune = await supervisor_id(sessions, "grassroots")

        async def export(user: int) -> float:
            request.take()
            seconds = await timed_update(app, updates.message(user, f"/export {year}"))
            if not any(c.method == "sendDocument" for c in request.take()):
                raise RuntimeError(f"/export {year}: no document sent")
            return seconds

        await export(commune)  # warm-up
        commune_s = statistics.median([await export(commune) for _ in range(repeat)])
        rss_before = _rss_mb()
        cpu = time.process_time()
        province_s = await export(province)
        cpu = time.process_time() - cpu
    finally:
        await app.shutdown()
        await engine.dispose()
    return {
        "commune_s": commune_s,
        "province_s": province_s,
        "province_cpu_s": cpu,
        "rss_before_mb": rss_before,
        # The province's export is the largest thing this process did.
        "peak_mb": own_peak_mb(),
    }


def _in_child(url: str, year: int, repeat: int) -> dict[str, Any]:
    import logging

    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(_measure(url, year, repeat))


async def measure(url: str, year: int, repeat: int) -> dict[str, Any]:
    """The figures of one fresh bot process (see the module's docstring)."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return await loop.run_in_executor(pool, _in_child, url, year, repeat)


def figures(database: str, year: int, m: dict[str, Any]) -> list[Figure]:
    return [
        Figure(
            SCENARIO,
            database,
            f"/export XLSX commune, year {year}",
            m["commune_s"] * 1000,
            "ms",
            f"< {COMMUNE_S:g} s",
            m["commune_s"] < COMMUNE_S,
        ),
        Figure(
            SCENARIO,
            database,
            f"/export XLSX province, year {year}",
            m["province_s"],
            "s",
            f"< {PROVINCE_S:g} s",
            m["province_s"] < PROVINCE_S,
            note=f"{m['province_cpu_s']:.1f} s of CPU (all threads)",
        ),
        Figure(
            SCENARIO,
            database,
            f"peak RSS of the bot process, /export XLSX province, year {year}",
            m["peak_mb"],
            "MB",
            f"< {PROVINCE_RSS_MB:g} MB",
            m["peak_mb"] < PROVINCE_RSS_MB,
            note=f"{m['rss_before_mb']:.0f} MB before the export",
        ),
    ]


async def run(database: str, url: str, year: int, repeat: int = 3) -> list[Figure]:
    return figures(database, year, await measure(url, year, repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scenarios.export")
    parser.add_argument("--url", required=True, help="a seeded province's database URL")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", default="", help="the label (default: from the URL)")
    args = parser.parse_args(argv)
    database = args.database or ("sqlite" if args.url.startswith("sqlite") else "postgres")
    result = asyncio.run(run(database, args.url, args.year, args.repeat))
    json.dump([f.as_dict() for f in result], sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0 if all(f.met is not False for f in result) else 1


if __name__ == "__main__":
    sys.exit(main())
