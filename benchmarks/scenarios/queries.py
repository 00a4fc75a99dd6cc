"""Scenario 3: supervisor queries on the synthetic province, at two lengths of history, and
on an organisation four provinces big; `cellbot rescore`; the province's export.

Driven through the real Application as a supervisor types them (`/summary`, `/ranking`,
`/export`), so the figure includes the handler, the queries and the rendering; `cellbot
score` and `cellbot rescore` run as the command line runs them (`bot.cli.run`, in a worker
thread: the interpreter's start-up is not counted, the settings, the engine and the
rendering are). Each query runs `repeat` times after one untimed warm-up; the median is
reported. The same periods are asked of a database with 12 months of history and one with
36, so the ratio shows how cost grows with history; and of one with four provinces' worth of
cells, so the ratio shows how it grows with the organisation. The databases take turns, query
by query, so that each ratio compares runs made side by side.
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
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

from sqlalchemy import select

from benchmarks.scenarios.base import Figure, Updates, own_peak_mb, timed_update
from benchmarks.scenarios.checkins import real_app

SCENARIO = "3 supervisor queries"
QUERY_TARGET_S = 0.2  # /summary, /ranking, cellbot score
HISTORY_RATIO = 1.1  # 36 months / 12 months
GROWTH_RATIO = 4.5  # four provinces / one
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


def _succeeded(argv: list[str], code: int, err: str) -> None:
    if code != 0:
        raise RuntimeError(f"cellbot {' '.join(argv)}: exit {code}: {err[-300:]}")


def _cli_alone(url: str, argv: list[str]) -> tuple[int, str, float, float]:
    """`_cli` in a child process: also its CPU time and its own peak resident size."""
    import resource

    code, err = _cli(url, argv)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return code, err, usage.ru_utime + usage.ru_stime, own_peak_mb()


async def cli_alone(url: str, argv: list[str]) -> tuple[float, float, float]:
    """`cellbot ARGV` in a process of its own, as an operator runs it: (wall s, CPU s, peak
    MB). Run in the benchmark process, a rescore of four provinces left that process big for
    every later memory figure it takes."""
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        code, err, cpu, peak = await loop.run_in_executor(pool, _cli_alone, url, argv)
    seconds = time.perf_counter() - started
    _succeeded(argv, code, err)
    return seconds, cpu, peak


async def cli_seconds(url: str, argv: list[str]) -> float:
    started = time.perf_counter()
    code, err = await asyncio.to_thread(_cli, url, argv)
    seconds = time.perf_counter() - started
    _succeeded(argv, code, err)
    return seconds


async def current(url: str) -> bool:
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
    if kept and await current(url):
        return Figure(SCENARIO, database, name, None, "s", note="kept database already current")
    try:
        seconds, cpu, peak = await cli_alone(url, ["rescore"])
    except RuntimeError as exc:
        return Figure(SCENARIO, database, name, None, "s", note=f"not available: {exc}")
    # On a loaded machine the wall time counts the waits for a core; on SQLite the process's
    # CPU is the whole work (PostgreSQL's server CPU is not in it).
    return Figure(
        SCENARIO,
        database,
        name,
        seconds,
        "s",
        f"< {RESCORE_TARGET_S:g} s",
        seconds < RESCORE_TARGET_S,
        note=(
            f"{cpu:.0f} s CPU in its process, peak RSS {peak:.0f} MB; "
            f"load average {os.getloadavg()[0]:.1f}"
        ),
    )


@dataclass
class _Views:
    """One database's bot, asked the supervisor views as a province's supervisor types them."""

    url: str
    engine: Any
    app: Any
    request: Any
    province: int
    updates: Updates = field(default_factory=Updates)

    def work(self, name: str, year: int, month: str) -> Callable[[], Awaitable[float]]:
        from storage.synthetic.province import ROOT_CODE

        async def command(text: str) -> float:
            self.request.take()
            seconds = await timed_update(self.app, self.updates.message(self.province, text))
            calls = self.request.take()
            if not any(c.method == "sendMessage" for c in calls):
                raise RuntimeError(f"{text}: no sendMessage in {[c.method for c in calls]}")
            return seconds

        texts = {
            SUMMARY_YEAR: f"/summary {year}",
            SUMMARY_MONTH: f"/summary {month}",
            RANKING: f"/ranking {year}",
        }
        if name == SCORE:
            argv = ["score", "--unit", ROOT_CODE, "--period", str(year)]
            return lambda: cli_seconds(self.url, argv)
        return lambda: command(texts[name])


async def _open(url: str) -> _Views:
    from storage.db import create_engine, create_session_factory

    engine = create_engine(url)
    sessions = create_session_factory(engine)
    app, request = real_app(url, sessions)
    await app.initialize()
    return _Views(url, engine, app, request, await supervisor_id(sessions, "province"))


async def measure(
    urls: dict[str, str], asked: dict[str, tuple[str, ...]], year: int, month: str, repeat: int
) -> dict[str, Measured]:
    """Each query's median seconds (and CPU seconds) on each database `urls` names, for the
    queries `asked` of it. The databases take turns query by query, `repeat` rounds after an
    untimed warm-up round: a load that comes and goes on a shared machine falls on them
    alike, so a ratio between two of them (36 months / 12, four provinces / one) compares
    runs made side by side rather than a minute apart."""
    views: dict[str, _Views] = {}
    try:
        for tag, url in urls.items():
            views[tag] = await _open(url)
        walls: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        for name in QUERIES:
            works = {
                tag: v.work(name, year, month) for tag, v in views.items() if name in asked[tag]
            }
            for round_ in range(repeat + 1):
                for tag, work in works.items():
                    started = time.process_time()
                    seconds = await work()
                    if round_:  # the first round warms up (imports, statement caches)
                        walls.setdefault((tag, name), []).append(seconds)
                        cpus.setdefault((tag, name), []).append(time.process_time() - started)
        out = {tag: Measured() for tag in urls}
        for (tag, name), samples in walls.items():
            out[tag].seconds[name] = statistics.median(samples)
            out[tag].cpu[name] = statistics.median(cpus[tag, name])
        return out
    finally:
        for v in views.values():
            await v.app.shutdown()
            await v.engine.dispose()


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
