"""Scenario 3: supervisor queries on the synthetic province, at two lengths of history, and
on an organisation four provinces big; `cellbot rescore`; the province's export.

Driven through the real Application as a supervisor types them (`/summary`, `/ranking`,
`/export`), so the figure includes the handler, the queries and the rendering; `cellbot
score` and `cellbot rescore` run as the command line runs them (`bot.cli.run`, in a worker
thread: the interpreter's start-up is not counted, the settings, the engine and the
rendering are). Each query runs `repeat` times after one untimed warm-up; the median is
reported. The same periods are asked of a database with 12 months of history and one with
36, so the ratio shows how cost grows with history; and of one with four provinces' worth of
cells, so the ratio shows how it grows with the organisation.

The province's XLSX export for a year is timed once (it is long), with the peak resident
memory of this process while it runs (the process is the bot: same Application).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from benchmarks.scenarios.base import Figure, PeakRSS, Updates, timed_update
from benchmarks.scenarios.checkins import real_app

SCENARIO = "3 supervisor queries"
QUERY_TARGET_S = 0.2  # /summary, /ranking, cellbot score
HISTORY_RATIO = 1.1  # 36 months / 12 months
GROWTH_RATIO = 4.5  # four provinces / one
EXPORT_TARGET_S = 10.0  # the province's year, XLSX
EXPORT_RSS_MB = 300.0
COMMUNE_EXPORT_S = 2.0
RESCORE_TARGET_S = 60.0

SUMMARY_YEAR, SUMMARY_MONTH, RANKING, SCORE = (
    "/summary province, year",
    "/summary province, month",
    "/ranking province, year",
    "cellbot score province, year",
)
QUERIES = (SUMMARY_YEAR, SUMMARY_MONTH, RANKING, SCORE)


@dataclass
class Measured:
    seconds: dict[str, float] = field(default_factory=dict)
    # The process's CPU seconds per query (median), every thread counted: on a loaded
    # machine the wall time also counts the waits for a core.
    cpu: dict[str, float] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)  # measured once (export, rescore)


async def supervisor_id(sessions: Any, kind: str) -> int:
    """The Telegram id of the first supervisor at a `kind` unit (province, district…)."""
    from storage.models import Account, OrgUnit, RoleGrant

    async with sessions() as session:
        telegram_id = await session.scalar(
            select(Account.telegram_id)
            .join(RoleGrant, RoleGrant.account_id == Account.id)
            .join(OrgUnit, OrgUnit.id == RoleGrant.unit_id)
            .where(RoleGrant.role == "supervisor", OrgUnit.kind == kind)
            .order_by(OrgUnit.id)
            .limit(1)
        )
    if telegram_id is None:
        raise RuntimeError(f"no supervisor at a {kind} unit")
    return int(telegram_id)


async def _medians(repeat: int, work: Callable[[], Awaitable[float]]) -> tuple[float, float]:
    """`_median` of the seconds, and the median CPU seconds of the same runs."""
    await work()
    walls, cpus = [], []
    for _ in range(repeat):
        started = time.process_time()
        walls.append(await work())
        cpus.append(time.process_time() - started)
    return statistics.median(walls), statistics.median(cpus)


async def _median(repeat: int, work: Callable[[], Awaitable[float]]) -> float:
    """One untimed warm-up run (imports, statement caches), then the median of `repeat`."""
    await work()
    return statistics.median([await work() for _ in range(repeat)])


def _cli(url: str, argv: list[str]) -> tuple[int, str]:
    """`cellbot ARGV` in this process on `url`, its output swallowed: (exit status, stderr)."""
    from bot.cli import run

    home = tempfile.mkdtemp(prefix="cellbot-bench-home-")  # no developer's .env is read
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "CELLBOT_HOME")}
    os.environ.update({"DATABASE_URL": url, "CELLBOT_HOME": home})
    err = io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            try:
                code = run(argv)
            except SystemExit as exc:  # argparse: an unknown command or option
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.rmdir(home)
    return code, err.getvalue().strip()


async def cli_seconds(url: str, argv: list[str]) -> float:
    started = time.perf_counter()
    code, err = await asyncio.to_thread(_cli, url, argv)
    seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"cellbot {' '.join(argv)}: exit {code}: {err[-300:]}")
    return seconds


async def _current(url: str) -> bool:
    """Whether every stored result and meeting score is of the active framework's version."""
    from domain.framework import load_framework
    from storage.db import create_engine, create_session_factory
    from storage.rescore import stale_exists

    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            return not await stale_exists(session, load_framework(None))
    finally:
        await engine.dispose()


async def rescore(database: str, url: str, months: int, *, kept: bool = False) -> Figure:
    """`cellbot rescore` of the whole province (every stored result rebuilt); on a `kept`
    database (benchmarks.run --keep) only when its results are not current."""
    name = f"cellbot rescore province, {months} months of history"
    if kept and await _current(url):
        return Figure(SCENARIO, database, name, None, "s", note="kept database already current")
    cpu = time.process_time()
    try:
        seconds = await cli_seconds(url, ["rescore"])
    except RuntimeError as exc:
        return Figure(SCENARIO, database, name, None, "s", note=f"not available: {exc}")
    # On a loaded machine the wall time counts the waits for a core; on SQLite this process's
    # CPU is the whole work (PostgreSQL's server CPU is not in it).
    cpu = time.process_time() - cpu
    return Figure(
        SCENARIO,
        database,
        name,
        seconds,
        "s",
        f"< {RESCORE_TARGET_S:g} s",
        seconds < RESCORE_TARGET_S,
        note=f"{cpu:.0f} s CPU in this process; load average {os.getloadavg()[0]:.1f}",
    )


async def measure(
    database: str,
    url: str,
    year: int,
    month: str,
    repeat: int,
    *,
    exports: bool = False,
    queries: tuple[str, ...] = QUERIES,
) -> Measured:
    """Seconds per query (median of `repeat`), keyed by query name; with `exports`, the
    province's year export (once, with memory) and a commune's (median)."""
    from storage.db import create_engine, create_session_factory
    from storage.synthetic.province import ROOT_CODE

    engine = create_engine(url)
    sessions = create_session_factory(engine)
    app, request = real_app(url, sessions)
    updates = Updates()
    province = await supervisor_id(sessions, "province")
    out = Measured()
    await app.initialize()
    try:

        def command(user: int, text: str, expect: str) -> Callable[[], Awaitable[float]]:
            async def run() -> float:
                request.take()
                seconds = await timed_update(app, updates.message(user, text))
                calls = request.take()
                if not any(c.method == expect for c in calls):
                    raise RuntimeError(f"{text}: no {expect} in {[c.method for c in calls]}")
                return seconds

            return run

        async def score() -> float:
            return await cli_seconds(url, ["score", "--unit", ROOT_CODE, "--period", str(year)])

        work = {
            SUMMARY_YEAR: command(province, f"/summary {year}", "sendMessage"),
            SUMMARY_MONTH: command(province, f"/summary {month}", "sendMessage"),
            RANKING: command(province, f"/ranking {year}", "sendMessage"),
            SCORE: score,
        }
        for name in queries:
            out.seconds[name], out.cpu[name] = await _medians(repeat, work[name])
        if exports:
            commune = await supervisor_id(sessions, "grassroots")
            seconds = await _median(repeat, command(commune, f"/export {year}", "sendDocument"))
            out.figures.append(
                Figure(
                    SCENARIO,
                    database,
                    f"/export XLSX commune, year {year}",
                    seconds * 1000,
                    "ms",
                    f"< {COMMUNE_EXPORT_S:g} s",
                    seconds < COMMUNE_EXPORT_S,
                )
            )
            rss = PeakRSS()
            with rss:
                seconds = await command(province, f"/export {year}", "sendDocument")()
            out.figures += [
                Figure(
                    SCENARIO,
                    database,
                    f"/export XLSX province, year {year}",
                    seconds,
                    "s",
                    f"< {EXPORT_TARGET_S:g} s",
                    seconds < EXPORT_TARGET_S,
                ),
                Figure(
                    SCENARIO,
                    database,
                    f"peak RSS during /export XLSX province, year {year}",
                    rss.peak_mb,
                    "MB",
                    f"< {EXPORT_RSS_MB:g} MB",
                    rss.peak_mb < EXPORT_RSS_MB,
                    note=f"{rss.start_mb:.0f} MB before the export",
                ),
            ]
    finally:
        await app.shutdown()
        await engine.dispose()
    return out


def _ms(seconds: float) -> float:
    return seconds * 1000


def _cpu_note(measured: Measured, name: str) -> str:
    cpu = measured.cpu.get(name)
    return "" if cpu is None else f"CPU {_ms(cpu):.0f} ms (median)"


def figures(
    database: str, short: Measured, long: Measured | None, months: tuple[int, int]
) -> list[Figure]:
    """Each query on `months[0]` (and `months[1]`) months of history, against its target,
    and the ratio long/short against HISTORY_RATIO."""
    result = []
    for name, seconds in short.seconds.items():
        result.append(
            Figure(
                SCENARIO,
                database,
                f"{name}, {months[0]} months of history",
                _ms(seconds),
                "ms",
                f"< {QUERY_TARGET_S * 1000:g} ms",
                seconds < QUERY_TARGET_S,
                note=_cpu_note(short, name),
            )
        )
        if long is None or name not in long.seconds:
            continue
        result.append(
            Figure(
                SCENARIO,
                database,
                f"{name}, {months[1]} months of history",
                _ms(long.seconds[name]),
                "ms",
                f"< {QUERY_TARGET_S * 1000:g} ms",
                long.seconds[name] < QUERY_TARGET_S,
                note=_cpu_note(long, name),
            )
        )
        ratio = long.seconds[name] / seconds
        result.append(
            Figure(
                SCENARIO,
                database,
                f"{name}: {months[1]}/{months[0]} months",
                ratio,
                "ratio",
                f"≤ {HISTORY_RATIO:g}",
                ratio <= HISTORY_RATIO,
            )
        )
    return result


def growth_figures(database: str, one: Measured, four: Measured, cells: int) -> list[Figure]:
    """The same queries over four provinces' worth of cells, and the ratio to one."""
    result = []
    for name, seconds in four.seconds.items():
        result.append(
            Figure(
                SCENARIO,
                database,
                f"{name}, {cells:,} cells (4 provinces)",
                _ms(seconds),
                "ms",
                note=_cpu_note(four, name),
            )
        )
        if name in one.seconds:
            ratio = seconds / one.seconds[name]
            result.append(
                Figure(
                    SCENARIO,
                    database,
                    f"{name}: 4 provinces / 1",
                    ratio,
                    "ratio",
                    f"≤ {GROWTH_RATIO:g}",
                    ratio <= GROWTH_RATIO,
                )
            )
    return result
