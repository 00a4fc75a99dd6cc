"""The only sender of outbox rows: claim due rows, render, send, mark. Restart-safe.

One dispatch call runs batches of: (1) a claim transaction — stale claims of a dead process
are re-queued, useless rows expired, rows no longer wanted cancelled, rows falling in quiet
hours deferred, and the rest marked ``claimed`` with ``attempts + 1`` (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL); (2) the sends, concurrently, through the bot (PTB's AIORateLimiter
paces them and retries ``RetryAfter``); (3) one mark transaction: ``sent`` (message id),
``failed`` (error; due again after a backoff until ``max_attempts``), ``undeliverable``
(Forbidden: the user blocked the bot — never retried).

Restart bound: a kill between (1) and (3) leaves at most one batch in ``claimed``; after
``claim_timeout`` those rows are sent again, so at most `batch_size` messages can be
duplicated per kill, and none is lost. Everything else is exactly once.

On PostgreSQL only the holder of an advisory lock dispatches; in one process an asyncio lock
does the same, so a "remind now" never races the repeating job.

Payloads (see storage/outbox.py): ``{"key", "values", "buttons"}`` catalog messages in the
recipient's language; ``{"text": ...}`` plain text written by a person (escaped here);
``{"html": ...}`` ready HTML. In button callback data ``{id}`` becomes the row id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.notices import render_buttons, render_text
from bot.settings import Settings
from schedules.planner import (
    DIGEST,
    MONTH_KINDS,
    MUTABLE_KINDS,
    THEMATIC,
    in_quiet_hours,
    out_of_quiet_hours,
)
from storage.db import SessionFactory
from storage.models import (
    Account,
    Checkin,
    CheckinStatus,
    OrgUnit,
    OutboxMessage,
    OutboxStatus,
    ReminderMute,
)

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x63656C6C  # "cell": one dispatcher per database
RETRYABLE = (OutboxStatus.PENDING.value, OutboxStatus.FAILED.value)
UNREACHABLE_HINTS = ("chat not found", "user is deactivated", "bot was blocked")
_local_locks: dict[int, asyncio.Lock] = {}


@dataclass(frozen=True)
class DispatchConfig:
    default_language: str = "vi"
    default_tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    quiet_start: int = 21
    quiet_end: int = 7
    max_attempts: int = 5
    claim_timeout: dt.timedelta = dt.timedelta(minutes=5)
    backoff_base: dt.timedelta = dt.timedelta(minutes=1)
    backoff_max: dt.timedelta = dt.timedelta(hours=1)
    max_batches: int = 50

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchConfig:
        return cls(
            default_language=settings.default_language,
            default_tz=settings.tz,
            quiet_start=settings.quiet_hours_start,
            quiet_end=settings.quiet_hours_end,
            max_attempts=settings.dispatch_max_attempts,
            claim_timeout=dt.timedelta(seconds=settings.dispatch_claim_timeout_seconds),
        )

    def backoff(self, attempts: int) -> dt.timedelta:
        delay: dt.timedelta = self.backoff_base * (2 ** max(attempts - 1, 0))
        return min(delay, self.backoff_max)


@dataclass
class DispatchReport:
    skipped: bool = False  # another dispatcher holds the lock
    batches: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0  # will be retried
    gave_up: int = 0  # failed for good (max attempts, or a request Telegram rejects)
    undeliverable: int = 0
    expired: int = 0
    cancelled: int = 0
    deferred: int = 0  # quiet hours
    requeued: int = 0  # stale claims of a process that died

    def add(self, other: DispatchReport) -> None:
        for name in self.__dataclass_fields__:
            if name != "skipped":
                setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Outgoing:
    row_id: int
    chat_id: int
    text: str
    markup: InlineKeyboardMarkup | None
    attempts: int


# ------------------------------------------------------------------------- entry point


def _bot_and_config(app_or_bot: Any, config: DispatchConfig | None) -> tuple[Bot, DispatchConfig]:
    bot = getattr(app_or_bot, "bot", None) if hasattr(app_or_bot, "bot_data") else app_or_bot
    if config is None:
        services = getattr(app_or_bot, "bot_data", {}).get("services")
        settings = getattr(services, "settings", None)
        config = DispatchConfig.from_settings(settings) if settings else DispatchConfig()
    assert bot is not None
    return bot, config


async def dispatch_due(
    app_or_bot: Any,
    sessions: SessionFactory,
    now: dt.datetime,
    batch_size: int = 100,
    *,
    config: DispatchConfig | None = None,
) -> DispatchReport:
    """Send every outbox row due at `now` (up to `config.max_batches` batches).

    `app_or_bot`: the PTB Application (its bot has the rate limiter and the settings) or
    any `telegram.Bot`. Returns counts; `skipped` when another dispatcher is running.
    """
    bot, config = _bot_and_config(app_or_bot, config)
    local = _local_locks.setdefault(id(sessions), asyncio.Lock())
    if local.locked():
        return DispatchReport(skipped=True)
    async with local, sessions() as lock_session:
        if not await _try_advisory_lock(lock_session):
            return DispatchReport(skipped=True)
        try:
            report = DispatchReport()
            for index in range(config.max_batches):
                batch = await _one_batch(bot, sessions, now, batch_size, config, first=index == 0)
                report.add(batch)
                if batch.claimed + batch.cancelled + batch.deferred < batch_size:
                    break
            return report
        finally:
            await _advisory_unlock(lock_session)


async def _try_advisory_lock(session: AsyncSession) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    got = await session.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
    await session.commit()  # the lock is per connection; do not sit idle in a transaction
    return bool(got)


async def _advisory_unlock(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
        await session.commit()


# ------------------------------------------------------------------------- one batch


async def _one_batch(
    bot: Bot,
    sessions: SessionFactory,
    now: dt.datetime,
    batch_size: int,
    config: DispatchConfig,
    *,
    first: bool,
) -> DispatchReport:
    report = DispatchReport(batches=1)
    async with sessions.begin() as session:
        if first:
            report.requeued = await _requeue_stale(session, now, config)
            report.expired = await _expire(session, now, config)
        rows = await _claimable(session, now, batch_size, config)
        if not rows:
            return report
        unwanted = await _unwanted(session, rows)
        digest_cells = await _digest_cells(session, rows)
        claimed: list[OutboxMessage] = []
        for row in rows:
            tz = _zone(row, config)
            if row.id in unwanted or (row.kind == DIGEST and not digest_cells.get(row.id)):
                row.status = OutboxStatus.CANCELLED.value
                report.cancelled += 1
            elif in_quiet_hours(now, tz, config.quiet_start, config.quiet_end):
                row.due_at = out_of_quiet_hours(now, tz, config.quiet_start, config.quiet_end)
                if row.expires_at is not None and row.due_at >= row.expires_at:
                    row.status = OutboxStatus.EXPIRED.value
                    report.expired += 1
                else:
                    report.deferred += 1
            else:
                row.status = OutboxStatus.CLAIMED.value
                row.claimed_at = now
                row.attempts += 1
                claimed.append(row)
        outgoing = await _render(session, claimed, digest_cells, config)
        report.claimed = len(claimed)
    # Committed: from here a kill leaves these rows `claimed` (the documented bound).
    results = await asyncio.gather(*(_send(bot, o) for o in outgoing))
    async with sessions.begin() as session:
        await _mark(session, outgoing, results, now, config, report)
    return report


async def _requeue_stale(session: AsyncSession, now: dt.datetime, config: DispatchConfig) -> int:
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.CLAIMED.value,
            OutboxMessage.claimed_at < now - config.claim_timeout,
        )
        .values(status=OutboxStatus.PENDING.value, last_error="requeued: claimed by a dead run")
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        log.warning("re-queued %d outbox rows claimed by a dispatcher that stopped", count)
    return count


async def _expire(session: AsyncSession, now: dt.datetime, config: DispatchConfig) -> int:
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status.in_(RETRYABLE),
            OutboxMessage.attempts < config.max_attempts,
            OutboxMessage.expires_at <= now,
        )
        .values(status=OutboxStatus.EXPIRED.value)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _claimable(
    session: AsyncSession, now: dt.datetime, batch_size: int, config: DispatchConfig
) -> list[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_(RETRYABLE),
            OutboxMessage.attempts < config.max_attempts,
            OutboxMessage.due_at <= now,
        )
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)  # not rendered on SQLite (one writer anyway)
    )
    return list((await session.scalars(query)).all())


def _zone(row: OutboxMessage, config: DispatchConfig) -> ZoneInfo:
    name = (row.payload or {}).get("tz")
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else config.default_tz
    except (ValueError, KeyError):
        return config.default_tz


def _earliest_month(rows: list[OutboxMessage]) -> dt.date | None:
    """The first month any row's reason refers to (a quarter counts from its first month);
    None when a row carries neither, so that nothing is filtered out wrongly."""
    months: list[dt.date] = []
    for row in rows:
        payload = row.payload or {}
        label = payload.get("month") if row.kind in MONTH_KINDS else payload.get("quarter")
        try:
            year, rest = str(label).split("-")
            month = (int(rest[1:]) - 1) * 3 + 1 if rest.startswith("Q") else int(rest)
            months.append(dt.date(int(year), month, 1))
        except ValueError:
            return None
    return min(months) if months else None


async def _unwanted(session: AsyncSession, rows: list[OutboxMessage]) -> set[int]:
    """Rows whose reason went away since planning: check-in submitted, thematic held, muted."""
    cell_rows = [r for r in rows if r.cell_id is not None and r.kind in (*MONTH_KINDS, THEMATIC)]
    if not cell_rows:
        return set()
    cell_ids = {r.cell_id for r in cell_rows}
    submitted: set[tuple[int, str]] = set()
    thematic: set[tuple[int, str]] = set()
    query = select(Checkin.cell_id, Checkin.month, Checkin.slot, Checkin.meeting_type).where(
        Checkin.cell_id.in_(cell_ids), Checkin.status == CheckinStatus.SUBMITTED.value
    )
    earliest = _earliest_month(cell_rows)
    if earliest is not None:
        # Only the months these rows are about: the cost must not grow with years of history.
        query = query.where(Checkin.month >= earliest)
    for cell_id, month, slot, meeting_type in (await session.execute(query)).all():
        if slot == "regular":
            submitted.add((cell_id, f"{month.year:04d}-{month.month:02d}"))
        if meeting_type in ("thematic", "combined") or slot == "thematic":
            thematic.add((cell_id, f"{month.year}-Q{(month.month - 1) // 3 + 1}"))
    muted = set(
        (
            await session.execute(
                select(ReminderMute.cell_id, ReminderMute.kind).where(
                    tuple_(ReminderMute.cell_id, ReminderMute.kind).in_(
                        [(r.cell_id, r.kind) for r in cell_rows]
                    )
                )
            )
        ).all()
    )
    out = set()
    for row in cell_rows:
        assert row.cell_id is not None
        payload = row.payload or {}
        if (
            (row.kind in MUTABLE_KINDS and (row.cell_id, row.kind) in muted)
            or (row.kind in MONTH_KINDS and (row.cell_id, payload.get("month")) in submitted)
            or (row.kind == THEMATIC and (row.cell_id, payload.get("quarter")) in thematic)
        ):
            out.add(row.id)
    return out


async def _digest_cells(session: AsyncSession, rows: list[OutboxMessage]) -> dict[int, list[str]]:
    """For each digest row, the names of its cells still without a submitted check-in."""
    digests = [r for r in rows if r.kind == DIGEST]
    if not digests:
        return {}
    wanted = {int(c) for r in digests for c in (r.payload or {}).get("digest_cells", [])}
    names = dict(
        (
            await session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(wanted)))
        ).all()
    )
    done: set[tuple[int, str]] = set()
    for cell_id, month in (
        await session.execute(
            select(Checkin.cell_id, Checkin.month).where(
                Checkin.cell_id.in_(wanted),
                Checkin.status == CheckinStatus.SUBMITTED.value,
                Checkin.slot == "regular",
            )
        )
    ).all():
        done.add((cell_id, f"{month.year:04d}-{month.month:02d}"))
    out: dict[int, list[str]] = {}
    for row in digests:
        payload = row.payload or {}
        label = str(payload.get("month"))
        out[row.id] = [
            names[c]
            for c in payload.get("digest_cells", [])
            if c in names and (c, label) not in done
        ]
    return out


# ------------------------------------------------------------------------- render, send, mark


async def _render(
    session: AsyncSession,
    rows: list[OutboxMessage],
    digest_cells: dict[int, list[str]],
    config: DispatchConfig,
) -> list[Outgoing]:
    account_ids = {r.account_id for r in rows if r.account_id is not None}
    languages: dict[int, str | None] = {}
    if account_ids:
        languages = dict(
            (
                await session.execute(
                    select(Account.id, Account.language).where(Account.id.in_(account_ids))
                )
            ).all()
        )
    out = []
    for row in rows:
        lang = (
            languages.get(row.account_id) if row.account_id else None
        ) or config.default_language
        out.append(
            Outgoing(
                row.id,
                row.chat_id,
                render_text(row.payload or {}, lang, digest_cells.get(row.id)),
                render_buttons(row.payload or {}, lang, row.id),
                row.attempts,
            )
        )
    return out


async def _send(bot: Bot, out: Outgoing) -> int | BaseException:
    try:
        message = await bot.send_message(
            out.chat_id, out.text, reply_markup=out.markup, parse_mode=ParseMode.HTML
        )
    except Exception as exc:  # each row's outcome is recorded; one failure must not stop others
        return exc
    return message.message_id


async def _mark(
    session: AsyncSession,
    outgoing: list[Outgoing],
    results: list[int | BaseException],
    now: dt.datetime,
    config: DispatchConfig,
    report: DispatchReport,
) -> None:
    changes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for out, result in zip(outgoing, results, strict=True):
        if isinstance(result, int):
            changes["sent"].append(
                {
                    "id": out.row_id,
                    "status": OutboxStatus.SENT.value,
                    "sent_at": now,
                    "message_id": result,
                }
            )
            report.sent += 1
            continue
        error = f"{type(result).__name__}: {result}"[:500]
        if isinstance(result, Forbidden) or (
            isinstance(result, BadRequest)
            and any(h in str(result).lower() for h in UNREACHABLE_HINTS)
        ):
            changes["dead"].append(
                {"id": out.row_id, "status": OutboxStatus.UNDELIVERABLE.value, "last_error": error}
            )
            report.undeliverable += 1
            continue
        if isinstance(result, BadRequest):
            # Our request is wrong (e.g. broken HTML): retrying cannot help.
            log.error("outbox row %s rejected by Telegram: %s", out.row_id, result)
            attempts, due = config.max_attempts, now
        elif isinstance(result, RetryAfter):
            attempts, due = out.attempts, now + _retry_after(result)
        else:
            if not isinstance(result, TelegramError):
                log.error("outbox row %s: unexpected error", out.row_id, exc_info=result)
            attempts, due = out.attempts, now + config.backoff(out.attempts)
        changes["failed"].append(
            {
                "id": out.row_id,
                "status": OutboxStatus.FAILED.value,
                "last_error": error,
                "attempts": attempts,
                "due_at": due,
            }
        )
        if attempts >= config.max_attempts:
            report.gave_up += 1
        else:
            report.failed += 1
    for rows in changes.values():
        await session.execute(update(OutboxMessage), rows)


def _retry_after(exc: RetryAfter) -> dt.timedelta:
    # PTB 22 warns that `retry_after` becomes a timedelta in v23; accept both quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = exc.retry_after
    if isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(seconds=float(value))  # type: ignore[arg-type]
