"""The repeating JobQueue jobs: the reminders (re-plan now and then, dispatch every tick) and,
on SQLite, the write-ahead log's checkpoint (storage.db.checkpoint_wal).

Jobs are not persisted (PTB's JobQueue is in-memory APScheduler 3); nothing is lost by that
because reminders are outbox rows. A generous `misfire_grace_time` keeps a late tick (busy
event loop, suspended laptop) from being skipped; `coalesce` runs missed ticks once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.context import services
from domain import clock
from schedules.dispatcher import DispatchConfig, DispatchReport, dispatch_due
from schedules.plan_service import PlanReport, plan_all
from storage.db import CHECKPOINT_EVERY_S, checkpoint_wal, is_sqlite, writing
from storage.health import record_dispatcher_tick

log = logging.getLogger(__name__)

JOB_NAME = "reminders"
CHECKPOINT_JOB = "wal-checkpoint"
LAST_PLAN = "reminders_last_plan"


async def tick(
    app: Application[Any, Any, Any, Any, Any, Any], now: dt.datetime
) -> tuple[PlanReport | None, DispatchReport]:
    """Plan when the last plan is older than the plan interval, then dispatch what is due."""
    svc = services(app)
    settings = svc.settings
    plan_report = None
    last = svc.extras.get(LAST_PLAN)
    if not isinstance(last, dt.datetime) or now - last >= dt.timedelta(
        minutes=settings.reminder_plan_interval_minutes
    ):
        plan_report = await plan_all(svc.sessions, now, settings)
        svc.extras[LAST_PLAN] = now
    report = await dispatch_due(
        app,
        svc.sessions,
        now,
        settings.dispatch_batch_size,
        config=DispatchConfig.from_settings(settings),
    )
    if not report.skipped:  # `cellbot health` reads it: this process is alive and sending
        await record_dispatcher_tick(svc.sessions, now)
    return plan_report, report


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        # The one place the wall clock enters the reminder logic. The tick's transactions
        # write (claims, marks), so they queue for SQLite's writer from their start.
        with writing():
            plan, report = await tick(context.application, clock.now())
    except Exception:
        log.exception("reminder tick failed; the next tick retries")
        return
    if plan is not None:
        # Re-planned every hour: INFO only when it changed something (no periodic noise).
        changed = plan.inserted or plan.updated or plan.cancelled
        log.log(logging.INFO if changed else logging.DEBUG, "reminders planned: %s", plan)
    if report.claimed or report.expired or report.requeued:
        log.info("reminders dispatched: %s", report)


def install(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the reminder job and, on SQLite, the checkpoint job (they run once the
    application is started)."""
    queue = app.job_queue
    if queue is None:  # PTB installed without the job-queue extra
        log.warning("no JobQueue: reminders will not be sent")
        return
    interval = services(app).settings.dispatch_interval_seconds
    queue.run_repeating(
        _job,
        interval=interval,
        first=min(5.0, interval),
        name=JOB_NAME,
        job_kwargs={
            "misfire_grace_time": int(max(300, 10 * interval)),
            "coalesce": True,
            "max_instances": 1,
        },
    )
    if is_sqlite(services(app).settings.database_url):
        queue.run_repeating(
            _checkpoint,
            interval=CHECKPOINT_EVERY_S,
            first=CHECKPOINT_EVERY_S,
            name=CHECKPOINT_JOB,
            job_kwargs={"misfire_grace_time": 60, "coalesce": True, "max_instances": 1},
        )


async def checkpoint(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Copy SQLite's log back into the database file now, off any update's commit."""
    engine = services(app).engine
    if engine is None:
        return
    try:
        found = await checkpoint_wal(engine)
    except Exception:
        log.exception("WAL checkpoint failed; the next one retries")
        return
    if found is not None and found[0]:
        log.debug(
            "WAL checkpoint held up by a reader or the writer: %d of %d pages", found[2], found[1]
        )


async def _checkpoint(context: ContextTypes.DEFAULT_TYPE) -> None:
    await checkpoint(context.application)
