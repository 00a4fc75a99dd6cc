"""Scenario 2: reminder fan-out through the real dispatcher (`schedules.dispatcher`).

(a) N due "check-in" reminders with the rate limiter lifted: the dispatcher's own cost per
    reminder (claim transaction, render, send through the offline request, mark transaction).
(b) A short run with the production limiter (`AIORateLimiter` at MESSAGES_PER_SECOND, as
    `build_application` builds it): achieved rate / configured rate. The limiter lets one
    second's worth through at once (a leaky bucket starts full), so the steady rate is
    measured after that first burst; the overall rate is reported too.

Rows are written like the planner writes them (same payload shape, catalog key, buttons) to
the secretaries of the synthetic province, due a minute ago, at 10:00 local time (outside
quiet hours) so the run does not depend on the wall clock.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, cast

from sqlalchemy import func, insert, select

from benchmarks.scenarios.base import TOKEN, BenchRequest, Figure, lifted_limiter

SCENARIO = "2 reminder fan-out"


def _now() -> dt.datetime:
    """10:00 in Hà Nội today (by the bot's clock), as UTC."""
    from domain import clock

    today = clock.today()
    return dt.datetime(today.year, today.month, today.day, 3, 0, tzinfo=dt.UTC)


async def _recipients(sessions: Any) -> list[tuple[int, int, int, str]]:
    from storage.models import Account, OrgUnit, RoleGrant

    async with sessions() as session:
        rows = await session.execute(
            select(Account.id, Account.telegram_id, OrgUnit.id, OrgUnit.name)
            .join(RoleGrant, RoleGrant.account_id == Account.id)
            .join(OrgUnit, OrgUnit.id == RoleGrant.unit_id)
            .where(RoleGrant.role.in_(("secretary", "deputy")), OrgUnit.kind == "cell")
            .order_by(Account.id)
        )
        return [(int(a), int(t), int(c), str(n)) for a, t, c, n in rows.all()]


async def enqueue_due(sessions: Any, count: int, tag: str, now: dt.datetime) -> None:
    """`count` pending check-in reminders due a minute before `now`, in bulk."""
    import html

    from sqlalchemy import Table

    from storage.models import OutboxMessage

    table = cast(Table, OutboxMessage.__table__)
    recipients = await _recipients(sessions)
    month = now.strftime("%Y-%m")
    rows = []
    for i in range(count):
        account_id, chat_id, cell_id, name = recipients[i % len(recipients)]
        rows.append(
            {
                "dedup_key": f"bench:{tag}:{i}",
                "kind": "checkin",
                "cell_id": cell_id,
                "account_id": account_id,
                "chat_id": chat_id,
                "occurrence": now - dt.timedelta(hours=3),
                "due_at": now - dt.timedelta(minutes=1),
                "expires_at": now + dt.timedelta(days=2),
                "payload": {
                    "key": "reminders.checkin",
                    "values": {
                        "cell": html.escape(name),
                        "date": now.strftime("%d/%m/%Y"),
                        "time": "07:30",
                    },
                    "buttons": [
                        [["reminders.btn_start", f"ci:start:{cell_id}:{month}"]],
                        [
                            ["reminders.btn_snooze", "rm:sn:{id}"],
                            ["reminders.btn_tomorrow", "rm:tm:{id}"],
                        ],
                    ],
                    "month": month,
                    "tz": "Asia/Ho_Chi_Minh",
                },
                "status": "pending",
                "attempts": 0,
                "created_at": now - dt.timedelta(days=1),
            }
        )
    async with sessions.begin() as session:
        conn = await session.connection()
        for start in range(0, len(rows), 1000):
            await conn.execute(insert(table), rows[start : start + 1000])


async def _sent_rows(sessions: Any, tag: str) -> int:
    from storage.models import OutboxMessage

    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.dedup_key.like(f"bench:{tag}:%"), OutboxMessage.status == "sent"
                )
            )
            or 0
        )


async def _dispatch_all(
    url: str, sessions: Any, rate: float | None, now: dt.datetime, latency: float = 0.0
) -> tuple[float, BenchRequest]:
    from bot.app import build_application
    from bot.settings import Settings
    from schedules.dispatcher import DispatchConfig, dispatch_due

    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=url,
        messages_per_second=rate or 30.0,
    )
    request = BenchRequest(keep_times=True, latency=latency)
    app = build_application(
        settings,
        token=TOKEN,
        session_factory=sessions,
        request=request,
        updates_request=BenchRequest(),
        rate_limiter=None if rate else lifted_limiter(),  # None: the production limiter
    )
    await app.initialize()
    try:
        config = DispatchConfig.from_settings(settings)
        started = time.perf_counter()
        while True:
            report = await dispatch_due(
                app, sessions, now, settings.dispatch_batch_size, config=config
            )
            if report.claimed == 0 or report.skipped:
                break
        return time.perf_counter() - started, request
    finally:
        await app.shutdown()


async def run(
    database: str, url: str, reminders: int, rate: float, seconds: float, latency_ms: float = 0.0
) -> list[Figure]:
    """(a) the dispatcher's own cost per reminder, without Bot API latency; (b) the paced rate
    with each send waiting `latency_ms` for Telegram, as a deployment sees it."""
    from storage.db import create_engine, create_session_factory

    engine = create_engine(url)
    sessions = create_session_factory(engine)
    now = _now()
    figures: list[Figure] = []
    try:
        await enqueue_due(sessions, reminders, "a", now)
        elapsed, request = await _dispatch_all(url, sessions, None, now)
        sent = await _sent_rows(sessions, "a")
        if sent != reminders:
            raise RuntimeError(f"{sent} of {reminders} reminders marked sent")
        figures += [
            Figure(
                SCENARIO,
                database,
                f"{reminders} reminders, limiter lifted",
                reminders / elapsed,
                "reminders/s",
                latency_ms=0.0,
            ),
            Figure(
                SCENARIO,
                database,
                "dispatch overhead per reminder",
                elapsed / reminders * 1000,
                "ms",
                "< 1 ms",
                elapsed / reminders * 1000 < 1,
                latency_ms=0.0,
            ),
        ]

        count = int(rate * seconds)
        await enqueue_due(sessions, count, "b", now)
        elapsed, request = await _dispatch_all(url, sessions, rate, now, latency_ms / 1000)
        sent = await _sent_rows(sessions, "b")
        times = request.times
        burst = int(rate)
        steady = (
            (len(times) - 1 - burst) / (times[-1] - times[burst]) if len(times) > burst + 1 else 0.0
        )
        figures += [
            Figure(
                SCENARIO,
                database,
                f"limiter at {rate:g}/s, {count} reminders: steady rate / configured",
                steady / rate,
                "ratio",
                "≥ 0.95",
                steady / rate >= 0.95,
                note=f"{sent} sent; steady {steady:.1f}/s after the first {burst}",
                latency_ms=latency_ms,
            ),
            Figure(
                SCENARIO,
                database,
                "overall rate / configured (includes the initial burst)",
                len(times) / elapsed / rate,
                "ratio",
                note=f"{len(times)} sends in {elapsed:.1f} s",
                latency_ms=latency_ms,
            ),
        ]
    finally:
        await engine.dispose()
    return figures
