"""Scenario 3: supervisor queries on the synthetic province, at two lengths of history.

Driven through the real Application as a supervisor types them (`/summary`, `/ranking`,
`/export`), so the figure includes the handler, the queries and the rendering; `cellbot
score` is timed as the CLI runs it (`score_tree` + the text report). Each query runs
`repeat` times; the median is reported (the first run also warms SQLite's page cache).
The same periods are asked of a database with 12 months of history and one with 36, so the
ratio shows how cost grows with history.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from benchmarks.scenarios.base import Figure, Updates, timed_update
from benchmarks.scenarios.throughput import real_app

SCENARIO = "3 supervisor queries"


async def _supervisor(sessions: Any, kind: str) -> int:
    """The Telegram id of the first supervisor at a `kind` unit (province or district)."""
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


async def _median(repeat: int, work: Callable[[], Awaitable[float]]) -> float:
    """One untimed warm-up run (imports, statement caches), then the median of `repeat`."""
    await work()
    return statistics.median([await work() for _ in range(repeat)])


async def measure(url: str, year: int, month: str, repeat: int) -> dict[str, float]:
    """Seconds per query (median of `repeat`), keyed by query name."""
    from bot.render_scores import report_text
    from storage.db import create_engine, create_session_factory
    from storage.framework import default_framework
    from storage.periods import parse_period
    from storage.province_seed import ROOT_CODE
    from storage.score_service import score_tree

    engine = create_engine(url)
    sessions = create_session_factory(engine)
    app, request = real_app(url, sessions)
    updates = Updates()
    province = await _supervisor(sessions, "province")
    district = await _supervisor(sessions, "district")
    out: dict[str, float] = {}
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
            started = time.perf_counter()
            async with sessions() as session:
                report = await score_tree(
                    session, default_framework(), ROOT_CODE, parse_period(str(year))
                )
            report_text(default_framework(), report, "vi")
            return time.perf_counter() - started

        out[f"/summary province, year {year}"] = await _median(
            repeat, command(province, f"/summary {year}", "sendMessage")
        )
        out[f"/summary province, month {month}"] = await _median(
            repeat, command(province, f"/summary {month}", "sendMessage")
        )
        out[f"/ranking province, year {year}"] = await _median(
            repeat, command(province, f"/ranking {year}", "sendMessage")
        )
        out[f"cellbot score province, year {year}"] = await _median(repeat, score)
        out[f"/export XLSX district, year {year}"] = await _median(
            repeat, command(district, f"/export {year}", "sendDocument")
        )
    finally:
        await app.shutdown()
        await engine.dispose()
    return out


def figures(
    database: str, short: dict[str, float] | None, long: dict[str, float], months: tuple[int, int]
) -> list[Figure]:
    result = []
    for name, seconds in long.items():
        limit = 10.0 if "export" in name else 1.0
        result.append(
            Figure(
                SCENARIO,
                database,
                f"{name}, {months[1]} months of history",
                seconds * 1000,
                "ms",
                f"< {limit:g} s",
                seconds < limit,
                latency_ms=0.0,  # the bot's own time: one reply's round trip comes on top
            )
        )
        if short is not None and name in short:
            result.append(
                Figure(
                    SCENARIO,
                    database,
                    f"{name}, {months[0]} months of history",
                    short[name] * 1000,
                    "ms",
                    latency_ms=0.0,
                )
            )
            ratio = seconds / short[name]
            result.append(
                Figure(
                    SCENARIO,
                    database,
                    f"{name}: {months[1]}/{months[0]} months",
                    ratio,
                    "ratio",
                    "≤ 1.5",
                    ratio <= 1.5,
                    latency_ms=0.0,
                )
            )
    return result
