"""Run every benchmark scenario, print a table, write benchmarks/results.json.

    python -m benchmarks.run            # full province (Quảng Ninh size), 12 and 36 months
    python -m benchmarks.run --quick    # a small province, for development (< 3 minutes)
    python -m benchmarks.run --db sqlite|postgres|both
    python -m benchmarks.run --latency-ms 0   # no simulated Bot API round trip (default 50)
    python -m benchmarks.run --only queries --keep /var/tmp/cellbot-bench   # one scenario

PostgreSQL runs when CELLBOT_TEST_DATABASE_URL is set (or with --db postgres): the benchmark
creates its own databases `cellbot_bench_*` on that server and drops them at the end; it
never touches the test database itself. See the README section "Performance".

`--only NAME[,NAME]` runs just those scenarios (queries: the supervisor views; exports: the
XLSX exports; fanout; throughput; submit: the submit tap alone), and seeds only the databases
they use. `--keep DIR` keeps
the seeded databases (SQLite files in DIR, the PostgreSQL databases on the server) and, on
the next run with the same DIR, reuses those seeded with the same shape, history and seed
instead of seeding again (minutes at full size); they are migrated to head first. A reused
database carries what earlier runs did to it (check-ins submitted by scenario 1): rerun
without --keep for a clean slate.
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

from benchmarks.scenarios import export, fanout, queries, throughput
from benchmarks.scenarios.base import Database, Figure, PeakRSS, migrate, safely, seed_database
from benchmarks.scenarios.throughput import Levels

RESULTS = Path(__file__).parent / "results.json"
LATENCY_MS = 50.0  # a server in Viet Nam to api.telegram.org and back
SCENARIOS = ("queries", "exports", "fanout", "throughput", "submit")
# The databases each scenario reads: p12/p36 one province with 12/36 months, p4x four.
# "queries" are the supervisor views; "exports" the province's and a commune's XLSX
# (reported under scenario 3 too, apart so that the views can be rerun alone).
USES = {
    "queries": {"p12", "p36", "p4x"},
    "exports": {"p12"},
    "fanout": {"p12"},
    "throughput": {"p36"},
    "submit": {"p36"},  # the submit tap alone, at full size (run with throughput, or alone)
}


@dataclass(frozen=True)
class Plan:
    shape: Any
    months: tuple[int, int]
    throughput: Levels
    reminders: int
    rate: float
    rate_seconds: float
    repeat: int
    # The views take a fifth of a second: enough rounds that a median of them shrugs off a
    # burst of load from a neighbour (3 rounds gave ratios from 0.55 to 1.72 on the same data).
    query_repeat: int = 11
    seed: int = 2024
    latency_ms: float = LATENCY_MS  # each Bot API call's simulated round trip

    @property
    def growth_shape(self) -> Any:
        """Four provinces' worth of cells and members under one root: the same (at most 54,
        real) commune-level committees four times bigger, four times the blocs' units."""
        from dataclasses import replace

        s = self.shape
        return replace(
            s,
            grassroots=4 * s.grassroots - 3 * s.communes,
            cells=4 * s.cells,
            members=4 * s.members,
        )


def plan(quick: bool, latency_ms: float = 0.0) -> Plan:
    from storage.synthetic.province import QUANG_NINH, ProvinceShape

    if quick:
        return Plan(
            # 300 cells: enough secretaries who have not reported this month for every level
            # (each check-in uses one up), at 0 ms too
            shape=ProvinceShape(communes=20, blocs=3, grassroots=30, cells=300, members=6_300),
            months=(12, 36),
            throughput=Levels(secretaries=40, rounds=1, least=2),
            reminders=500,
            rate=30.0,
            rate_seconds=2.0,
            repeat=1,
            query_repeat=1,
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


async def _seeded(
    db: Database, tag: str, months: int, p: Plan, shape: Any, keep: Path | None
) -> str:
    """A database of `tag` seeded with `shape` and `months` of history: a kept one seeded
    alike (same shape, months, seed and last month), else a fresh one seeded now."""
    from domain import clock

    record = {
        "shape": asdict(shape),
        "months": months,
        "seed": p.seed,
        "today": clock.today().isoformat()[:7],  # the seed ends the month before
    }
    marker = keep / f"{db.kind}-{db.prefix}{tag}.json" if keep is not None else None
    if marker is not None and marker.exists():
        if json.loads(marker.read_text()) == record:
            url = db.url(tag)
            await migrate(url)
            print(f"   reusing {tag} ({months} months, {shape.cells:,} cells)", flush=True)
            return url
        marker.unlink()
    url = await db.fresh(tag)
    print("  ", await seed_database(url, months=months, seed=p.seed, shape=shape), flush=True)
    if marker is not None:
        marker.write_text(json.dumps(record, indent=1) + "\n")
    return url


async def run_database(
    kind: str,
    pg_url: str | None,
    p: Plan,
    prefix: str = "",
    *,
    only: tuple[str, ...] = SCENARIOS,
    keep: Path | None = None,
) -> list[Figure]:
    if keep is None:
        db = Database(kind, base_url=pg_url, prefix=prefix)
    else:
        keep.mkdir(parents=True, exist_ok=True)
        db = Database(kind, base_url=pg_url, prefix=prefix, workdir=str(keep.absolute()))
    figures: list[Figure] = []
    short_months, long_months = p.months
    needed = set().union(*(USES[name] for name in only))
    try:
        print(f"[{kind}] seeding {', '.join(sorted(needed))} …", flush=True)
        started = time.perf_counter()
        urls: dict[str, str] = {}
        for tag, months, shape in (
            ("p12", short_months, p.shape),
            ("p36", long_months, p.shape),
            ("p4x", short_months, p.growth_shape),
        ):
            if tag in needed:
                urls[tag] = await _seeded(db, tag, months, p, shape, keep)
        figures.append(
            Figure(
                "0 synthetic province",
                kind,
                f"seed (or reuse) {', '.join(sorted(needed))}",
                time.perf_counter() - started,
                "s",
            )
        )
        if "queries" in only or "exports" in only:
            figures += await _queries(
                kind,
                p,
                urls,
                views="queries" in only,  # the exports: scenario 5 (scenarios/export.py)
                kept=keep is not None,
            )
        if "exports" in only:
            print(f"[{kind}] scenario 5: exports in a fresh bot process …", flush=True)
            year = _history_periods()[0]
            figures += await safely(
                export.SCENARIO,
                kind,
                "exports",
                lambda: export.run(kind, urls["p12"], year, p.repeat),
            )
        if "fanout" in only:
            print(f"[{kind}] scenario 2: reminder fan-out …", flush=True)
            figures += await safely(
                fanout.SCENARIO,
                kind,
                "reminder fan-out",
                lambda: fanout.run(
                    kind, urls["p12"], p.reminders, p.rate, p.rate_seconds, p.latency_ms
                ),
            )
        if "throughput" in only:
            figures += await _throughput(kind, p, urls["p36"])
        if "throughput" in only or "submit" in only:
            # The submit alone at full size, 0 ms Bot API (issue 14; a few in --quick).
            from benchmarks.scenarios import submit

            print(f"[{kind}] scenario 1: check-in submit alone …", flush=True)
            figures += await submit.run(kind, urls["p36"], 2 if p.repeat == 1 else submit.SUBMITS)
    finally:
        if keep is None:
            await db.cleanup()
    return figures


async def _queries(
    kind: str, p: Plan, urls: dict[str, str], *, views: bool, kept: bool
) -> list[Figure]:
    """Scenario 3: `cellbot rescore` builds the read model (as at start-up after a framework
    change; on `kept` databases only when it is not current), then the views are timed
    (`views`)."""
    print(f"[{kind}] scenario 3: rescore, supervisor queries …", flush=True)
    figures: list[Figure] = []
    short_months, long_months = p.months
    growth = p.growth_shape
    for tag, months in (("p12", short_months), ("p36", long_months), ("p4x", short_months)):
        if tag in urls:
            figures.append(await queries.rescore(kind, urls[tag], months, kept=kept))
            if tag == "p4x":
                figures[-1].figure += " (4 provinces)"
                figures[-1].target, figures[-1].met = "", None
    year, month = _history_periods()
    if not views:
        return figures
    rss3 = PeakRSS()

    async def scenario3() -> list[Figure]:
        with rss3:
            found = await queries.measure(
                {tag: urls[tag] for tag in ("p12", "p36", "p4x")},
                {
                    "p12": queries.QUERIES,
                    "p36": queries.QUERIES,
                    "p4x": (queries.SUMMARY_YEAR, queries.SUMMARY_MONTH),
                },
                year,
                month,
                p.query_repeat,
            )
        short, long, four = found["p12"], found["p36"], found["p4x"]
        return [
            *queries.figures(kind, short, long, p.months),
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

    return figures + await safely(queries.SCENARIO, kind, "supervisor queries", scenario3)


async def _throughput(kind: str, p: Plan, long_url: str) -> list[Figure]:
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

    return await safely(throughput.SCENARIO, kind, "update throughput", scenario1)


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
        figures += await run_database(kind, url, p, args.prefix, only=args.only, keep=args.keep)
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


def _scenarios(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown scenario {', '.join(unknown) or '(none)'}; choose from {', '.join(SCENARIOS)}"
        )
    return names


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
    parser.add_argument(
        "--only",
        type=_scenarios,
        default=SCENARIOS,
        help=f"run only these scenarios, comma-separated: {','.join(SCENARIOS)} (default all)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the seeded databases (SQLite files in this folder) and reuse them next time",
    )
    parser.add_argument(
        "--prefix",
        default="",
        help="PostgreSQL: name the databases cellbot_bench_<prefix>p12 … (two runs on one server)",
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
