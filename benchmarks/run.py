"""Run every benchmark scenario, print a table, write benchmarks/results.json.

    python -m benchmarks.run            # full province (Quảng Ninh size), 12 and 36 months
    python -m benchmarks.run --quick    # a small province, for development (< 3 minutes)
    python -m benchmarks.run --db sqlite|postgres|both
    python -m benchmarks.run --latency-ms 0   # no simulated Bot API round trip (default 50)

PostgreSQL runs when CELLBOT_TEST_DATABASE_URL is set (or with --db postgres): the benchmark
creates its own databases `cellbot_bench_*` on that server and drops them at the end; it
never touches the test database itself. See the README section "Performance".
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks.scenarios import fanout, queries, throughput
from benchmarks.scenarios.base import Database, Figure, PeakRSS, safely, seed_database
from benchmarks.scenarios.throughput import Levels

RESULTS = Path(__file__).parent / "results.json"
LATENCY_MS = 50.0  # a server in Viet Nam to api.telegram.org and back


@dataclass(frozen=True)
class Plan:
    shape: Any
    months: tuple[int, int]
    throughput: Levels
    reminders: int
    rate: float
    rate_seconds: float
    repeat: int
    seed: int = 2024
    latency_ms: float = LATENCY_MS  # each Bot API call's simulated round trip

    @property
    def growth_shape(self) -> Any:
        """Four provinces' worth of cells (and units, members) under one root."""
        from dataclasses import replace

        s = self.shape
        return replace(
            s,
            districts=4 * s.districts,
            grassroots=4 * s.grassroots,
            cells=4 * s.cells,
            members=4 * s.members,
        )


def plan(quick: bool, latency_ms: float = 0.0) -> Plan:
    from storage.synthetic.province import QUANG_NINH, ProvinceShape

    if quick:
        return Plan(
            # 300 cells: enough secretaries who have not reported this month for every level
            # (each check-in uses one up), at 0 ms too
            shape=ProvinceShape(districts=3, grassroots=30, cells=300, members=6_300),
            months=(12, 36),
            throughput=Levels(secretaries=40, rounds=1, least=2),
            reminders=500,
            rate=30.0,
            rate_seconds=2.0,
            repeat=1,
            latency_ms=latency_ms,
        )
    return Plan(
        shape=QUANG_NINH,
        months=(12, 36),
        throughput=Levels(secretaries=500, rounds=4, least=8),
        reminders=5_000,
        rate=30.0,
        rate_seconds=10.0,
        repeat=3,
        latency_ms=latency_ms,
    )


def _history_periods() -> tuple[int, str]:
    """The year of the last seeded month, and the month before it (both fully seeded)."""
    from domain import clock
    from domain.periods import add_months, month_start

    last = add_months(month_start(clock.today()), -1)
    before = add_months(last, -1)
    return last.year, f"{before:%Y-%m}"


async def run_database(kind: str, pg_url: str | None, p: Plan, prefix: str = "") -> list[Figure]:
    db = Database(kind, base_url=pg_url, prefix=prefix)
    figures: list[Figure] = []
    short_months, long_months = p.months
    try:
        print(f"[{kind}] seeding {short_months} and {long_months} months …", flush=True)
        started = time.perf_counter()
        short_url = await db.fresh("p12")
        print(
            "  ",
            await seed_database(short_url, months=short_months, seed=p.seed, shape=p.shape),
            flush=True,
        )
        long_url = await db.fresh("p36")
        print(
            "  ",
            await seed_database(long_url, months=long_months, seed=p.seed, shape=p.shape),
            flush=True,
        )
        growth = p.growth_shape
        growth_url = await db.fresh("p4x")
        print(
            "  ",
            await seed_database(growth_url, months=short_months, seed=p.seed, shape=growth),
            flush=True,
        )
        figures.append(
            Figure(
                "0 synthetic province",
                kind,
                f"seed {short_months} + {long_months} months, 4 provinces × {short_months}",
                time.perf_counter() - started,
                "s",
            )
        )

        print(f"[{kind}] scenario 3: rescore, supervisor queries …", flush=True)
        # The read model is built by `cellbot rescore` (as at start-up after a framework
        # change); the views are then timed on it.
        for url, months in ((short_url, short_months), (long_url, long_months)):
            figures.append(await queries.rescore(kind, url, months))
        figures.append(await queries.rescore(kind, growth_url, short_months))
        figures[-1].figure += " (4 provinces)"
        figures[-1].target, figures[-1].met = "", None
        year, month = _history_periods()
        rss3 = PeakRSS()

        async def scenario3() -> list[Figure]:
            with rss3:
                short = await queries.measure(kind, short_url, year, month, p.repeat, exports=True)
                long = await queries.measure(kind, long_url, year, month, p.repeat)
                four = await queries.measure(
                    kind,
                    growth_url,
                    year,
                    month,
                    p.repeat,
                    queries=(queries.SUMMARY_YEAR, queries.SUMMARY_MONTH),
                )
            return [
                *queries.figures(kind, short, long, p.months),
                *short.figures,
                *queries.growth_figures(kind, short, four, growth.cells),
                Figure(
                    "4 memory",
                    kind,
                    "peak RSS during scenario 3",
                    rss3.peak_mb,
                    "MB",
                    "< 300 MB",
                    rss3.peak_mb < 300,
                    note=f"{rss3.start_mb:.0f} MB at start",
                ),
            ]

        figures += await safely(queries.SCENARIO, kind, "supervisor queries", scenario3)

        print(f"[{kind}] scenario 2: reminder fan-out …", flush=True)
        figures += await safely(
            fanout.SCENARIO,
            kind,
            "reminder fan-out",
            lambda: fanout.run(kind, short_url, p.reminders, p.rate, p.rate_seconds, p.latency_ms),
        )

        print(f"[{kind}] scenario 1: update throughput …", flush=True)

        async def scenario1() -> list[Figure]:
            found, rss = await throughput.run(kind, long_url, p.throughput, p.latency_ms)
            return [
                *found,
                Figure(
                    "4 memory",
                    kind,
                    "peak RSS during scenario 1",
                    rss.peak_mb,
                    "MB",
                    "< 300 MB",
                    rss.peak_mb < 300,
                    note=f"{rss.start_mb:.0f} MB at start",
                ),
            ]

        figures += await safely(throughput.SCENARIO, kind, "update throughput", scenario1)
    finally:
        await db.cleanup()
    return figures


def _value(f: Figure) -> str:
    if f.value is None:
        return "n/a"
    if f.unit == "ratio":
        return f"{f.value:.2f}"
    return f"{f.value:,.1f}" if f.value < 1000 else f"{f.value:,.0f}"


def table(figures: list[Figure]) -> str:
    rows = [("scenario", "db", "figure", "value", "unit", "target", "met")]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "NO")
        rows.append((f.scenario, f.database, f.figure, _value(f), f.unit, f.target, met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(w) if i != 3 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"  * {f.database} {f.figure}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + (["", *notes] if notes else []))


def databases(choice: str | None) -> list[tuple[str, str | None]]:
    pg = os.environ.get("CELLBOT_TEST_DATABASE_URL")
    if choice == "sqlite":
        return [("sqlite", None)]
    if choice == "postgres":
        if not pg:
            raise SystemExit(
                "--db postgres needs CELLBOT_TEST_DATABASE_URL (a PostgreSQL server URL)"
            )
        return [("postgres", pg)]
    return [("sqlite", None)] + ([("postgres", pg)] if pg else [])


async def main_async(args: argparse.Namespace) -> int:
    p = replace(plan(args.quick), latency_ms=args.latency_ms)
    load_start = os.getloadavg()
    started = time.perf_counter()
    figures: list[Figure] = []
    for kind, url in databases(args.db):
        figures += await run_database(kind, url, p)
    elapsed = time.perf_counter() - started
    print()
    print(table(figures))
    print()
    print(throughput.matrix(figures))
    result = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "seconds": round(elapsed, 1),
        "latency_ms": p.latency_ms,
        "concurrency_levels": [*p.throughput.levels, p.throughput.peak],
        "plan": {**asdict(p), "shape": asdict(p.shape)},
        "figures": [f.as_dict() for f in figures],
        "ratios": [f.as_dict() for f in figures if f.unit == "ratio"],
    }
    args.output.write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(
        f"\nwrote {args.output} ({elapsed:.0f} s, Bot API latency {p.latency_ms:g} ms; "
        f"load average {load_start[0]:.1f} → "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a small province, for development")
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres", "both"],
        help="default: sqlite, plus postgres when CELLBOT_TEST_DATABASE_URL is set",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=LATENCY_MS,
        help="simulated Bot API round trip per call, ms (default 50; 0: none)",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="where to write the JSON results"
    )
    args = parser.parse_args(argv)
    if args.db == "both":
        args.db = None
    import logging
    import warnings

    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", message="If 'per_message=False'")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
