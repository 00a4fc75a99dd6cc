"""Dump everything a supervisor or the CLI sees on the province seed, and compare two dumps.

    python -m benchmarks.dump run --out DIR [--pg SERVER_URL] [--months 12] [--now INSTANT]
    python -m benchmarks.dump compare BEFORE AFTER

`run` seeds a fresh database (`cellbot demo seed --scale province`), then records, one file
per result: `cellbot score` and `cellbot report` (vi and en, text/json/csv/xlsx) at the
province, a district, a commune-level unit and a cell; and the real Application driven
offline (tests/harness.py) by an admin: /summary (this month, a month, a quarter, a year, the
year before) drilled through its buttons to every level, /ranking and its buttons, /cell,
/missing, /export (XLSX and CSV, year and month; the CSV bytes as sent, the XLSX as its sheet
values, since the file itself carries a creation time). It only uses interfaces that do not
change with the code inside: the `cellbot` command line, tests/harness.py, `storage.db`'s
engine helpers, `domain.clock` and the table `org_units`; so the same files run on the code
before and after a refactor (copy benchmarks/dump*.py: this module, dump_common, dump_bot and
dump_compare), and `compare` says whether the outputs are byte for byte equal.

The clock is pinned (CELLBOT_TEST_NOW for the CLI, a fixed clock in-process) so "today" is
the same in both runs. PostgreSQL: `--pg` names a server URL; a database `cellbot_dump_<tag>`
is created there and dropped at the end (`--keep` keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.dump_bot import dump_bot
from benchmarks.dump_common import (
    Out,
    Picks,
    pg_admin,
    pg_database_url,
    pick_units,
    units,
    xlsx_values,
)
from benchmarks.dump_compare import compare

NOW = "2026-11-20T10:00+07:00"


# ---------------------------------------------------------------- the command line


def cli_env(url: str, home: Path, now: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELLBOT_", "DATABASE_"))}
    env.update(
        {
            "DATABASE_URL": url,
            "CELLBOT_HOME": str(home),  # an empty folder: no .env of a developer is read
            "CELLBOT_TEST_NOW": now,
            "PYTHONPATH": os.getcwd(),
        }
    )
    return env


def cellbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, check=False
    )


def _result(proc: subprocess.CompletedProcess[bytes]) -> bytes:
    return b"exit %d\n--- stdout\n%s--- stderr\n%s" % (proc.returncode, proc.stdout, proc.stderr)


def dump_cli(out: Out, env: dict[str, str], picks: Picks, year: str, month: str) -> None:
    tmp = Path(env["CELLBOT_HOME"])
    for unit in picks.cli_units():
        for period in (year, f"{year}-Q3", month):
            started = time.perf_counter()
            base = f"cli/score/{unit.kind}-{unit.code}/{period}"
            for lang in ("vi", "en"):
                proc = cellbot(
                    env, "score", "--unit", unit.code, "--period", period, "--lang", lang
                )
                out.write(f"{base}.{lang}.txt", _result(proc))
            proc = cellbot(
                env, "score", "--unit", unit.code, "--period", period, "--format", "json"
            )
            out.write(f"{base}.json.txt", _result(proc))
            out.timed(f"cellbot score {unit.kind} {period} (3 runs)", time.perf_counter() - started)
        for period in (year, month):
            started = time.perf_counter()
            base = f"cli/report/{unit.kind}-{unit.code}/{period}"
            for lang in ("vi", "en"):
                for fmt in ("text", "csv"):
                    proc = cellbot(
                        env,
                        "report",
                        "--unit",
                        unit.code,
                        "--period",
                        period,
                        "--format",
                        fmt,
                        "--lang",
                        lang,
                    )
                    out.write(f"{base}.{fmt}.{lang}.txt", _result(proc))
                xlsx = tmp / "report.xlsx"
                xlsx.unlink(missing_ok=True)
                proc = cellbot(
                    env,
                    "report",
                    *("--unit", unit.code, "--period", period, "--format", "xlsx"),
                    *("--lang", lang, "--output", str(xlsx)),
                )
                out.write(f"{base}.xlsx.{lang}.txt", _result(proc))
                if xlsx.exists():
                    out.write(f"{base}.xlsx.{lang}.values.txt", xlsx_values(xlsx.read_bytes()))
            proc = cellbot(
                env, "report", "--unit", unit.code, "--period", period, "--format", "json"
            )
            out.write(f"{base}.json.txt", _result(proc))
            out.timed(
                f"cellbot report {unit.kind} {period} (7 runs)", time.perf_counter() - started
            )


# ---------------------------------------------------------------- run


def periods(now: str) -> tuple[str, str]:
    """The pinned date's year, and the last month the seed filled (the one before now's)."""
    today = dt.datetime.fromisoformat(now).date()
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return str(today.year), f"{last:%Y-%m}"


async def run(args: argparse.Namespace) -> int:
    from domain import clock

    out = Out(Path(args.out))
    if out.root.exists():
        shutil.rmtree(out.root)
    out.root.mkdir(parents=True)
    home = Path(tempfile.mkdtemp(prefix="cellbot-dump-"))
    if args.pg:
        name = f"cellbot_dump_{args.tag}"
        url = pg_database_url(args.pg, name)
        if not args.reuse:
            await pg_admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await pg_admin(args.pg, f'CREATE DATABASE "{name}"')
    else:
        db = Path(args.sqlite) if args.sqlite else home / "dump.db"
        url = f"sqlite+aiosqlite:///{db.absolute()}"
        if not args.reuse:  # a fresh seed needs an empty database
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
    year, month = periods(args.now)
    env = cli_env(url, home, args.now)
    total = time.perf_counter()
    try:
        if not args.reuse:
            started = time.perf_counter()
            proc = cellbot(env, "demo", "seed", "--scale", "province", "--months", str(args.months))
            # The seed's summary line without its duration; its log (migrations) aside.
            summary = re.sub(rb" in [0-9.]+ s$", b"", proc.stdout.rstrip(), flags=re.M)
            out.write("cli/seed.txt", b"exit %d\n%s\n" % (proc.returncode, summary))
            out.write("_seed.stderr.txt", proc.stderr)
            out.timed(
                f"cellbot demo seed --scale province --months {args.months}",
                time.perf_counter() - started,
            )
            if proc.returncode != 0:
                print(proc.stderr.decode(), file=sys.stderr)
                return 1
        if args.rescore:
            # Build the read model first, as an upgrade does (code without the command: its
            # usage error is kept, and the dump goes on).
            started = time.perf_counter()
            proc = cellbot(env, "rescore")
            out.write("_rescore.txt", _result(proc))
            out.timed("cellbot rescore", time.perf_counter() - started)
        picks = pick_units(await units(url))
        out.write(
            "picks.txt",
            "".join(
                f"{u.kind} {u.id} {u.code} {u.name}\n"
                for u in [picks.province, picks.district, picks.commune, *picks.cells]
            ),
        )
        if "cli" in args.parts:
            dump_cli(out, env, picks, year, month)
        if "bot" in args.parts:
            clock.set_clock(clock.FixedClock(clock.parse_instant(args.now)))
            await dump_bot(out, url, picks, year, month)
    finally:
        out.timed("total", time.perf_counter() - total)
        out.save_timings()
        shutil.rmtree(home, ignore_errors=True)
        if args.pg and not args.keep:
            await pg_admin(
                args.pg, f'DROP DATABASE IF EXISTS "cellbot_dump_{args.tag}" WITH (FORCE)'
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.dump",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="seed a database and dump every output into --out")
    r.add_argument("--out", required=True)
    r.add_argument("--pg", help="a PostgreSQL server URL (postgresql+asyncpg://…); else SQLite")
    r.add_argument("--tag", default="run", help="PostgreSQL: the database is cellbot_dump_<tag>")
    r.add_argument("--sqlite", help="SQLite: this file (default: a temporary one)")
    r.add_argument("--months", type=int, default=12)
    r.add_argument("--now", default=NOW, help=f"the pinned instant (default {NOW})")
    r.add_argument("--keep", action="store_true", help="PostgreSQL: keep the database")
    r.add_argument("--reuse", action="store_true", help="skip the seed: the database is ready")
    r.add_argument("--parts", default="cli,bot", help="cli,bot (default both)")
    r.add_argument("--rescore", action="store_true", help="run `cellbot rescore` before dumping")
    c = sub.add_parser("compare", help="compare two dumps file by file")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("-v", "--verbose", action="store_true", help="list identical files, show diffs")
    args = parser.parse_args(argv)
    if args.command == "compare":
        return compare(args.before, args.after, context=args.verbose)
    import logging
    import warnings

    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", message="If 'per_message=False'")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
