"""Scenario 1's check-in submit at full size, alone (issue 14: p99 < 50 ms).

The submit tap is the one step of a check-in that updates the read model (the meeting's
score and the month, quarter and year rows of its cell, storage.read_model.checkin_changed),
so its cost could grow with the province or its history. Secretaries of the seeded province
each complete a real check-in through the real Application, one chat at a time and without
the simulated Bot API round trip (the target is the bot's own time); the figure is the p99
of their final "submit" taps (the first check-in is an untimed warm-up).
"""

from __future__ import annotations

from benchmarks.scenarios.base import Figure, Latencies
from benchmarks.scenarios.checkins import pick_secretaries, run_checkins, submitted_now
from benchmarks.scenarios.queries import cli_alone, current
from benchmarks.scenarios.throughput import SCENARIO

TARGET_MS = 50.0
SUBMITS = 100


async def measure(url: str, count: int = SUBMITS) -> tuple[Latencies, str]:
    """The latencies of `count` complete check-ins, one chat at a time (`finals`: the
    submit taps), and what went wrong with those that did not complete ("" when none)."""
    from storage.db import create_engine, create_session_factory

    # As the bot finds it once started: its start-up rescores a database whose results or
    # meeting scores are not current (a seeded one scores none), so a submit does not.
    if not await current(url):
        await cli_alone(url, ["rescore"])
    engine = create_engine(url)
    try:
        sessions = create_session_factory(engine)
        picked = await pick_secretaries(sessions, count + 1)  # one more for the warm-up
        result, failed = await run_checkins(url, picked, 1, 0.0)
        done = await submitted_now(sessions, [s.cell_id for s in picked])
    finally:
        await engine.dispose()
    if not result.finals:
        raise RuntimeError(f"no check-in was submitted of {len(picked)}")
    if failed or done != len(picked):
        first = next((s.failed for s in picked if s.failed), "submitted count differs")
        return result, f"{len(picked) - done} of {len(picked)} not submitted: {first[:200]}"
    return result, ""


async def run(database: str, url: str, count: int = SUBMITS) -> list[Figure]:
    name = "check-in submit at full size, 1 chat, 0 ms Bot API: p99"
    try:
        result, failures = await measure(url, count)
    except RuntimeError as exc:
        return [Figure(SCENARIO, database, name, None, "ms", note=f"not available: {exc}")]
    finals = Latencies(samples=result.finals)
    p99 = finals.ms(99)
    note = f"{len(finals.samples)} submits; p50 {finals.ms(50):.1f} ms, max {finals.ms(100):.1f} ms"
    return [
        Figure(
            SCENARIO,
            database,
            name,
            p99,
            "ms",
            f"< {TARGET_MS:g} ms",
            p99 < TARGET_MS,
            note=f"{note}; {failures}" if failures else note,
            latency_ms=0.0,
            concurrency=1,
        )
    ]
