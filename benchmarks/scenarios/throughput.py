"""Scenario 1: update throughput of the real check-in against two baselines, in one run.

* bare PTB: a trivial 3-state ConversationHandler, no database;
* durable floor: the same conversation plus one minimal write transaction per update,
  committed before the update's Bot API calls (as the bot must: commit, then speak);
* check-in: the real Application (`bot.app.build_application` with its own engine and pool,
  every handler, SQL persistence, the database) with secretaries doing complete check-ins.

Each runs at 1, 8 and 32 chats at once (and the check-in at 64), every figure of a
concurrency level from the same run. A chat behaves as a secretary does: it sends its next
update when the answer to the previous one has arrived, so a level of N keeps N updates in
flight, one per chat, through the application's own update processor
(`bot.update_processor`: chats overlap, each chat's updates in order). Every Bot API call
waits the simulated round trip to Telegram (`--latency-ms`) before it is answered by the
offline request; the production rate limiter class is present with its limits lifted (this
measures the bot, not Telegram's flood limits). Latency per update is the time
`process_update` takes, sends included; the wall time also counts the persistence
write-behind that production runs every 10 s. CPU is the process's (every thread).

The baselines are in baselines.py, the real check-in in checkins.py, and the driver both go
through in chat_driver.py; this module runs the levels and makes the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchmarks.scenarios.base import Figure, Latencies, PeakRSS, not_available
from benchmarks.scenarios.baselines import run_trivial
from benchmarks.scenarios.checkins import (
    CHECKIN_SCRIPT,
    pick_secretaries,
    run_checkins,
    submitted_now,
)

SCENARIO = "1 update throughput"
# The whole country's estimated evening peak (issue 12): ≈ 270,000 cells, most check-ins
# entered in the evenings at the end of the month.
COUNTRY_PEAK = 625.0  # updates/s


@dataclass(frozen=True)
class Levels:
    """What scenario 1 runs: concurrency levels for the three, the check-in alone at
    `peak`, and how many secretaries (each one complete check-in) a level gets."""

    levels: tuple[int, ...] = (1, 8, 32)
    peak: int = 64
    secretaries: int = 40  # at 0 ms, where a run of few updates would be too short to time
    rounds: int = 1  # check-ins per chat at a level (a chat done makes room for the next)
    least: int = 2  # at least this many secretaries in a run (sequential at 50 ms)

    def chats(self, level: int, latency_ms: float) -> int:
        if latency_ms == 0:
            return max(level * self.rounds, self.secretaries)
        return max(level * self.rounds, self.least)


def _measured(
    database: str,
    label: str,
    level: int,
    run: Latencies,
    latency_ms: float,
    note: str = "",
    p99_target: float | None = None,
) -> list[Figure]:
    at = f"{label}, {level} chat{'s' if level > 1 else ''}"
    ctx: dict[str, Any] = {"latency_ms": latency_ms, "concurrency": level}
    p99 = run.ms(99)
    return [
        Figure(SCENARIO, database, at, run.per_second, "updates/s", note=note, **ctx),
        Figure(SCENARIO, database, f"{at}: p50", run.ms(50), "ms", **ctx),
        Figure(SCENARIO, database, f"{at}: p95", run.ms(95), "ms", **ctx),
        Figure(
            SCENARIO,
            database,
            f"{at}: p99",
            p99,
            "ms",
            "" if p99_target is None else f"< {p99_target:g} ms",
            None if p99_target is None else p99 < p99_target,
            **ctx,
        ),
        Figure(SCENARIO, database, f"{at}: CPU per update", run.cpu_ms_per_update(), "ms", **ctx),
    ]


def _submit(database: str, level: int, run: Latencies, latency_ms: float) -> Figure:
    """p99 of the final "submit" taps alone. Its target (< 50 ms) is the bot's own time, so
    it is judged without the simulated Bot API round trip (`--latency-ms 0`)."""
    finals = Latencies(samples=run.finals)
    p99 = finals.ms(99)
    judged = latency_ms == 0
    return Figure(
        SCENARIO,
        database,
        f"check-in submit, {level} chat{'s' if level > 1 else ''}: p99",
        p99,
        "ms",
        "< 50 ms" if judged else "",
        p99 < 50 if judged else None,
        note=f"{len(run.finals)} submits; p50 {finals.ms(50):.1f} ms, max {finals.ms(100):.1f} ms",
        latency_ms=latency_ms,
        concurrency=level,
    )


def _failed(database: str, figure: str, exc: Exception, latency_ms: float, level: int) -> Figure:
    found = not_available(SCENARIO, database, figure, "updates/s", str(exc))
    found.latency_ms, found.concurrency = latency_ms, level
    return found


async def _checkins(
    database: str, url: str, sessions: Any, count: int, level: int, latency: float
) -> Latencies:
    picked = await pick_secretaries(sessions, count + 1)  # one more for the warm-up
    real, failed = await run_checkins(url, picked, level, latency)
    done = await submitted_now(sessions, [s.cell_id for s in picked])
    failures = [s.failed for s in picked if s.failed]
    if failed or done != len(picked):
        first = failures[0] if failures else "submitted count differs"
        raise RuntimeError(
            f"{level} chats: {failed} of {len(picked)} check-ins failed ({done} submitted): {first}"
        )
    return real


async def run(
    database: str, url: str, levels: Levels, latency_ms: float
) -> tuple[list[Figure], PeakRSS]:
    from storage.db import create_engine, create_session_factory

    engine = create_engine(url)  # the scenario's own: picking secretaries, counting results
    sessions = create_session_factory(engine)
    rss = PeakRSS()
    with rss:
        try:
            figures = await _levels(database, url, sessions, levels, latency_ms)
        finally:
            await engine.dispose()
    return figures, rss


async def _levels(
    database: str, url: str, sessions: Any, levels: Levels, latency_ms: float
) -> list[Figure]:
    from storage.db import create_engine, pool_size_for

    latency = latency_ms / 1000
    figures: list[Figure] = []
    length = len(CHECKIN_SCRIPT)
    for level in levels.levels:
        count = levels.chats(level, latency_ms)
        users = [s.telegram_id for s in await pick_secretaries(sessions, count)]
        print(f"  {level} chats at once, {count} users × {length} updates …", flush=True)
        bare = await run_trivial(users, length, None, level, latency)
        # The floor's pool is the one build_application gives the check-in at this level.
        floor_engine = create_engine(url, pool_size=pool_size_for(level, url))
        try:
            floor = await run_trivial(users, length, floor_engine, level, latency)
        finally:
            await floor_engine.dispose()
        figures += _measured(database, "bare PTB", level, bare, latency_ms)
        figures += _measured(database, "durable floor", level, floor, latency_ms)
        chats = f"{level} chat{'s' if level > 1 else ''}"
        try:
            real = await _checkins(database, url, sessions, count, level, latency)
        except RuntimeError as exc:  # this level is not available; the others still are
            figures.append(_failed(database, f"check-in, {chats}", exc, latency_ms, level))
            continue
        note = f"{count} secretaries × {length} updates"
        target = 500.0 if level >= 32 and latency_ms > 0 else None
        figures += _measured(database, "check-in", level, real, latency_ms, note, target)
        figures.append(_submit(database, level, real, latency_ms))
        ratio = real.per_second / floor.per_second
        wanted = (level >= 32 and latency_ms > 0) or (level == 1 and latency_ms == 0)
        figures.append(
            Figure(
                SCENARIO,
                database,
                f"ratio check-in / durable floor, {chats}",
                ratio,
                "ratio",
                "≥ 0.8" if wanted else "",
                ratio >= 0.8 if wanted else None,
                latency_ms=latency_ms,
                concurrency=level,
            )
        )
    if levels.peak:
        count = levels.chats(levels.peak, latency_ms)
        print(f"  check-in alone, {levels.peak} chats at once, {count} users …", flush=True)
        try:
            peak = await _checkins(database, url, sessions, count, levels.peak, latency)
        except RuntimeError as exc:
            at = f"check-in, {levels.peak} chats"
            return [*figures, _failed(database, at, exc, latency_ms, levels.peak)]
        note = f"{count} secretaries × {length} updates"
        figures += _measured(database, "check-in", levels.peak, peak, latency_ms, note)
        figures.append(
            Figure(
                SCENARIO,
                database,
                f"check-in, {levels.peak} chats / country evening peak "
                f"({COUNTRY_PEAK:g} updates/s)",
                peak.per_second / COUNTRY_PEAK,
                "ratio",
                note="≈ 270,000 cells; CPU per update is this process only "
                "(PostgreSQL's server CPU not counted)",
                latency_ms=latency_ms,
                concurrency=levels.peak,
            )
        )
    return figures


def matrix(figures: list[Figure]) -> str:
    """Scenario 1 at a glance: per database and level, updates/s and p50/p95/p99 ms."""
    rows: list[tuple[str, ...]] = [
        ("db", "latency", "chats", "bare PTB", "durable floor", "check-in", "check-in/floor")
    ]
    cells: dict[tuple[str, float | None, int | None], dict[str, str]] = {}
    for f in figures:
        if f.scenario != SCENARIO or f.value is None or f.concurrency is None:
            continue
        key = (f.database, f.latency_ms, f.concurrency)
        label, _, metric = f.figure.partition(": ")
        what = label.split(",")[0]
        row = cells.setdefault(key, {})
        if f.unit == "updates/s":
            row[what] = f"{f.value:,.1f}/s" + row.get(what, "")
        elif metric in ("p50", "p95", "p99"):
            row[what] = row.get(what, "") + ("  " if metric == "p50" else "/") + f"{f.value:.0f}"
        elif what.startswith("ratio"):
            row["ratio"] = f"{f.value:.2f}"
    for (db, latency, level), row in cells.items():
        rows.append(
            (
                db,
                f"{latency:g} ms",
                str(level),
                *(row.get(k, "") for k in ("bare PTB", "durable floor", "check-in", "ratio")),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(["scenario 1: updates/s  p50/p95/p99 ms per update", *lines[:1], *lines[1:]])
