"""The outbox end to end on the real Application with a fake clock and an offline Bot API:
planning idempotency, re-planning, sending, 429/500/403, retries, expiry, quiet hours,
kill-and-restart, digests, and two dispatchers on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from telegram.ext import AIORateLimiter

from schedules import dispatcher
from schedules.dispatcher import DispatchConfig, dispatch_due
from schedules.plan_service import plan_all, replan_unit, stop_month
from storage.db import SessionFactory, create_engine, create_session_factory
from storage.models import Checkin, MeetingSchedule, OutboxMessage, OutboxStatus
from storage.outbox import enqueue
from tests.factories import Org, onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, make_settings, start_driver, stop_driver

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SEC = TgUser(3001, "Hà", "Vi Thị", "en")
DEP = TgUser(3002, "Nam", "Lục Văn", "vi")
SEC2 = TgUser(3003, "Lan", "Hoàng Thị", "en")
SUP = TgUser(3009, "Minh", "Trần Văn", "en")
CONFIG = DispatchConfig(default_language="vi", default_tz=HCM)


def local(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=HCM).astimezone(dt.UTC)


NOW = local(2026, 4, 1, 9)  # meetings: 10 April and 10 May at 19:30 (the unit's default)


@pytest.fixture
async def drv(session_factory: SessionFactory, db_url: str) -> AsyncIterator[Driver]:
    """The production Application; the rate limiter neither paces nor retries (429 reaches us)."""
    driver = await start_driver(
        make_settings(db_url),
        session_factory,
        rate_limiter=AIORateLimiter(overall_max_rate=0, max_retries=0),
    )
    yield driver
    await stop_driver(driver)


async def setup(driver: Driver, *, supervisor: bool = False) -> Org:
    org = await small_org(driver.sessions, members_per_cell=1)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, DEP, "QN-BL-LH-C01", "deputy")
    await onboard(driver, SEC2, "QN-BL-LH-C02", "secretary")
    if supervisor:
        await onboard(driver, SUP, "QN-BL-LH", "supervisor")
    async with driver.sessions.begin() as session:
        session.add(
            MeetingSchedule(
                unit_id=org.grassroots["LH"], rule_kind="day", day=10, start_time="19:30"
            )
        )
    driver.request.calls.clear()
    return org


async def plan(driver: Driver, now: dt.datetime = NOW) -> None:
    await plan_all(driver.sessions, now, driver.settings)


async def rows(driver: Driver, **where: object) -> list[OutboxMessage]:
    async with driver.sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.due_at, OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list((await session.scalars(query)).all())


def sends(driver: Driver) -> list[ApiCall]:
    return [c for c in driver.request.calls if c.method == "sendMessage"]


async def dispatch(
    driver: Driver, now: dt.datetime, batch_size: int = 100
) -> dispatcher.DispatchReport:
    return await dispatch_due(driver.app, driver.sessions, now, batch_size, config=CONFIG)


async def test_planning_twice_writes_the_same_rows(drv: Driver) -> None:
    await setup(drv)
    await plan(drv)
    first = {(r.dedup_key, r.due_at, r.status) for r in await rows(drv)}
    await plan(drv)
    await plan(drv, NOW + dt.timedelta(minutes=30))
    assert {(r.dedup_key, r.due_at, r.status) for r in await rows(drv)} == first
    kinds = sorted({r.kind for r in await rows(drv, cell_id=(await rows(drv))[0].cell_id)})
    assert kinds == [
        "checkin",
        "meeting_eve",
        "meeting_soon",
        "overdue_1",
        "overdue_2",
        "premeeting",
    ]
    # Two cells; C01 has a secretary and a deputy, C02 a secretary.
    assert len({r.chat_id for r in await rows(drv)}) == 3


async def test_reminder_is_sent_once_in_each_recipients_language_with_buttons(drv: Driver) -> None:
    org = await setup(drv)
    await plan(drv)
    report = await dispatch(drv, local(2026, 4, 7, 8))
    assert report.sent == 3 and report.failed == 0
    by_chat = {c.chat_id: c for c in sends(drv)}
    assert "Executive committee pre-meeting" in by_chat[SEC.id].text
    assert "Chuẩn bị buổi sinh hoạt" in by_chat[DEP.id].text
    assert "19:30 on 10/04/2026" in by_chat[SEC.id].text
    sent = [r for r in await rows(drv, status="sent")]
    assert {r.kind for r in sent} == {"premeeting"} and all(r.message_id for r in sent)
    mine = next(r for r in sent if r.chat_id == SEC.id)
    buttons = dict((data, text) for text, data in by_chat[SEC.id].buttons())
    assert f"ci:start:{org.cells['C01']}:2026-04" in buttons
    assert f"rm:sn:{mine.id}" in buttons and f"rm:tm:{mine.id}" in buttons
    assert f"rm:mv:{org.cells['C01']}:2026-04" in buttons
    # Same instant again, and a restart a minute later: nothing more.
    assert (await dispatch(drv, local(2026, 4, 7, 8))).sent == 0
    assert (await dispatch(drv, local(2026, 4, 7, 8, 1))).sent == 0
    assert len(sends(drv)) == 3


async def test_500_is_retried_with_backoff_and_403_is_undeliverable(drv: Driver) -> None:
    await setup(drv)
    await plan(drv)
    drv.request.failure_rules.append(
        lambda c: (500, "Internal Server Error", None) if c.chat_id == SEC.id else None
    )
    drv.request.failure_rules.append(
        lambda c: (
            (403, "Forbidden: bot was blocked by the user", None) if c.chat_id == DEP.id else None
        )
    )
    now = local(2026, 4, 7, 8)
    report = await dispatch(drv, now)
    assert (report.sent, report.failed, report.undeliverable) == (1, 1, 1)
    failed = (await rows(drv, status="failed"))[0]
    assert (
        failed.chat_id == SEC.id
        and failed.attempts == 1
        and "Internal Server Error" in (failed.last_error or "")
    )
    assert failed.due_at == now + dt.timedelta(minutes=1)
    blocked = (await rows(drv, status="undeliverable"))[0]
    assert blocked.chat_id == DEP.id and "blocked" in (blocked.last_error or "")
    # Not before its backoff; then retried; the blocked user is never tried again.
    assert (await dispatch(drv, now + dt.timedelta(seconds=30))).claimed == 0
    drv.request.failure_rules.clear()
    report = await dispatch(drv, now + dt.timedelta(minutes=1))
    assert (report.sent, report.claimed) == (1, 1)
    retried = next(r for r in await rows(drv) if r.id == failed.id)
    assert retried.status == "sent" and retried.attempts == 2
    assert [c.chat_id for c in sends(drv)].count(DEP.id) == 1


async def test_retry_after_429_waits_as_told_and_gives_up_after_the_limit(drv: Driver) -> None:
    await setup(drv)
    await plan(drv)
    drv.request.failure_rules.append(
        lambda c: (
            (429, "Too Many Requests: retry after 40", 40) if c.method == "sendMessage" else None
        )
    )
    now = local(2026, 4, 7, 8)
    report = await dispatch(drv, now)
    assert report.failed == 3 and report.sent == 0
    assert {r.due_at for r in await rows(drv, status="failed")} == {now + dt.timedelta(seconds=40)}
    drv.request.failure_rules[0] = lambda c: (
        (500, "Bad", None) if c.method == "sendMessage" else None
    )
    for hours in range(1, 9):  # 09:00..16:00 local: past every backoff, before quiet hours
        await dispatch(drv, now + dt.timedelta(hours=hours))
    gave_up = [r for r in await rows(drv, kind="premeeting") if r.payload["month"] == "2026-04"]
    assert {(r.status, r.attempts) for r in gave_up} == {("failed", CONFIG.max_attempts)}


async def test_the_rate_limiter_retries_a_429_itself_when_configured(driver: Driver) -> None:
    await setup(driver)
    await plan(driver)
    answered: list[int] = []

    def once(call: ApiCall) -> tuple[int, str, int | None] | None:
        if call.method == "sendMessage" and not answered:
            answered.append(1)
            return 429, "Too Many Requests: retry after 1", 1  # the limiter sleeps 1.1 s
        return None

    driver.request.failure_rules.append(once)
    report = await dispatch(driver, local(2026, 4, 7, 8))
    assert report.sent == 3 and report.failed == 0
    assert len([c for c in sends(driver) if c.result.get("ok", True) is not False]) == 3


async def test_reminders_missed_while_down_expire_and_are_not_sent_late(drv: Driver) -> None:
    await setup(drv)
    await plan(drv)
    # Down from before the pre-meeting reminder until after the meeting started.
    report = await dispatch(drv, local(2026, 4, 10, 20))
    assert report.expired == 9  # premeeting, eve, 2 h before × 3 recipients
    assert report.sent == 0  # the check-in prompt is due only at 07:00 tomorrow
    report = await dispatch(drv, local(2026, 4, 11, 7))
    assert report.sent == 3
    assert {c.text.split("\n")[0] for c in sends(drv) if c.chat_id == SEC.id} == {
        "✍️ <b>Report the meeting</b>"
    }


async def test_quiet_hours_defer_until_morning(drv: Driver) -> None:
    await setup(drv)
    async with drv.sessions.begin() as session:
        await enqueue(
            session,
            dedup_key="bc:1:1",
            kind="broadcast",
            chat_id=SEC.id,
            due_at=local(2026, 4, 2, 20, 50),
            payload={"text": "Họp <khẩn> tối nay & mai"},
        )
    report = await dispatch(drv, local(2026, 4, 2, 22, 30))
    assert report.deferred == 1 and not sends(drv)
    (row,) = await rows(drv, dedup_key="bc:1:1")
    assert row.status == "pending" and row.due_at == local(2026, 4, 3, 7)
    assert (await dispatch(drv, local(2026, 4, 3, 6, 59))).sent == 0
    assert (await dispatch(drv, local(2026, 4, 3, 7))).sent == 1
    assert sends(drv)[0].text == "Họp &lt;khẩn&gt; tối nay &amp; mai"  # plain text is escaped


async def test_kill_between_claim_and_mark_then_restart(
    drv: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented bound: a kill after the sends, before the mark, re-sends at most that
    batch (after the claim timeout); nothing is lost."""
    await setup(drv)
    await plan(drv)
    real_send = dispatcher._send

    class Killed(BaseException):
        pass

    async def send_then_die(bot: object, out: dispatcher.Outgoing) -> object:
        await real_send(bot, out)  # type: ignore[arg-type]
        raise Killed

    monkeypatch.setattr(dispatcher, "_send", send_then_die)
    now = local(2026, 4, 7, 8)
    with pytest.raises(Killed):
        await dispatch(drv, now, batch_size=2)
    monkeypatch.setattr(dispatcher, "_send", real_send)
    claimed = await rows(drv, status="claimed")
    assert len(claimed) == 2  # one batch in flight; the third row was never claimed
    # Restart soon after: the third row goes out; the in-flight ones wait for the timeout.
    report = await dispatch(drv, now + dt.timedelta(minutes=1), batch_size=2)
    assert (report.sent, report.requeued) == (1, 0)
    report = await dispatch(drv, now + CONFIG.claim_timeout + dt.timedelta(minutes=2), batch_size=2)
    assert (report.requeued, report.sent) == (2, 2)
    per_chat = [c.chat_id for c in sends(drv)]
    assert len(per_chat) == 3 + 2  # every reminder delivered; duplicates ≤ batch size
    april = [r for r in await rows(drv, kind="premeeting") if r.payload["month"] == "2026-04"]
    assert [r.status for r in april] == ["sent"] * 3


async def test_submitted_checkin_stops_that_months_reminders(drv: Driver) -> None:
    org = await setup(drv)
    await plan(drv)
    async with drv.sessions.begin() as session:
        session.add(
            Checkin(
                cell_id=org.cells["C01"],
                month=dt.date(2026, 4, 1),
                status="submitted",
                meeting_type="regular",
            )
        )
    # Without re-planning, the dispatcher itself drops them when they fall due ...
    report = await dispatch(drv, local(2026, 4, 7, 8))
    assert report.cancelled == 2 and report.sent == 1
    assert {c.chat_id for c in sends(drv)} == {SEC2.id}
    # ... and re-planning (or stop_month) cancels the rest of April for C01, not May.
    await plan(drv, local(2026, 4, 7, 9))
    c01 = await rows(drv, cell_id=org.cells["C01"], status="pending")
    assert c01 and all((r.payload or {}).get("month") == "2026-05" for r in c01)
    async with drv.sessions.begin() as session:
        assert await stop_month(session, org.cells["C01"], dt.date(2026, 5, 1)) == len(c01)


async def test_schedule_change_cancels_stale_rows_and_changing_back_revives_them(
    drv: Driver,
) -> None:
    org = await setup(drv)
    await plan(drv)
    before = {r.dedup_key for r in await rows(drv, status="pending")}
    async with drv.sessions.begin() as session:
        schedule = await session.scalar(
            select(MeetingSchedule).where(MeetingSchedule.unit_id == org.grassroots["LH"])
        )
        assert schedule is not None
        schedule.day = 12
        await replan_unit(session, org.grassroots["LH"], NOW, drv.settings)
    pending = {r.dedup_key for r in await rows(drv, status="pending")}
    assert pending.isdisjoint(before)
    assert {r.dedup_key for r in await rows(drv, status="cancelled")} == before
    async with drv.sessions.begin() as session:
        schedule = await session.scalar(
            select(MeetingSchedule).where(MeetingSchedule.unit_id == org.grassroots["LH"])
        )
        assert schedule is not None
        schedule.day = 10
        await replan_unit(session, org.cells["C01"], NOW, drv.settings)
    assert {r.dedup_key for r in await rows(drv, status="pending")} == before
    # The cancelled day-12 rows are never sent; the revived pre-meeting ones still are.
    await dispatch(drv, local(2026, 4, 9, 8))
    sent = {r.dedup_key for r in await rows(drv, status="sent")}
    assert (
        sent
        and sent <= before
        and {r.kind for r in await rows(drv, status="sent")} == {"premeeting"}
    )


async def test_one_digest_per_grassroots_unit_lists_only_overdue_cells(drv: Driver) -> None:
    org = await setup(drv, supervisor=True)
    await plan(drv)
    digests = await rows(drv, kind="overdue_digest")
    assert [r.chat_id for r in digests if (r.payload or {}).get("month") == "2026-04"] == [SUP.id]
    async with drv.sessions.begin() as session:
        session.add(
            Checkin(cell_id=org.cells["C02"], month=dt.date(2026, 4, 1), status="submitted")
        )
    await dispatch(drv, local(2026, 4, 17, 8))
    to_sup = [c for c in sends(drv) if c.chat_id == SUP.id]
    assert len(to_sup) == 1
    assert "Chi bộ thôn Bản Pắt" in to_sup[0].text and "Khe Tiền" not in to_sup[0].text
    assert "1 cell(s)" in to_sup[0].text


async def test_digest_is_dropped_when_every_cell_has_reported(drv: Driver) -> None:
    org = await setup(drv, supervisor=True)
    await plan(drv)
    async with drv.sessions.begin() as session:
        for code in ("C01", "C02"):
            session.add(
                Checkin(cell_id=org.cells[code], month=dt.date(2026, 4, 1), status="submitted")
            )
    report = await dispatch(drv, local(2026, 4, 17, 8))
    assert report.sent == 0 and not [c for c in sends(drv) if c.chat_id == SUP.id]


@pytest.mark.skipif(
    not os.environ.get("CELLBOT_TEST_DATABASE_URL"),
    reason="needs PostgreSQL: SQLite has no row locks or advisory locks and allows one writer",
)
async def test_two_dispatchers_on_postgresql_send_each_reminder_once(
    drv: Driver, db_url: str
) -> None:
    await setup(drv)
    await plan(drv)
    async with drv.sessions.begin() as session:
        for i in range(60):
            await enqueue(
                session,
                dedup_key=f"bc:9:{i}",
                kind="broadcast",
                chat_id=50_000 + i,
                due_at=local(2026, 4, 7, 8),
                payload={"text": f"n{i}"},
            )
    drv.request.latency = 0.001  # let the two interleave
    other_engine = create_engine(db_url, pool_size=3)
    other = create_session_factory(other_engine)
    try:
        now = local(2026, 4, 7, 8)
        # Two "processes": separate engines; the advisory lock lets one of them dispatch.
        reports = await asyncio.gather(
            dispatch_due(drv.app, drv.sessions, now, 10, config=CONFIG),
            dispatch_due(drv.app, other, now, 10, config=CONFIG),
        )
        assert sum(r.sent for r in reports) == 63
        # And with the advisory lock bypassed, SKIP LOCKED alone still never double-claims.
        async with drv.sessions.begin() as session:
            for i in range(60):
                await enqueue(
                    session,
                    dedup_key=f"bc:10:{i}",
                    kind="broadcast",
                    chat_id=60_000 + i,
                    due_at=now,
                    payload={"text": f"m{i}"},
                )
        batches = await asyncio.gather(
            *(
                dispatcher._one_batch(drv.app.bot, factory, now, 7, CONFIG, first=False)
                for factory in (drv.sessions, other, drv.sessions, other)
                for _ in range(3)
            )
        )
        assert sum(b.sent for b in batches) == 60
    finally:
        await other_engine.dispose()
    chats = [c.chat_id for c in sends(drv)]
    assert len(chats) == len(set(chats)) == 123
    async with drv.sessions() as session:
        left = await session.scalar(
            select(func.count())
            .where(OutboxMessage.status != OutboxStatus.SENT.value)
            .select_from(OutboxMessage)
            .where(OutboxMessage.due_at <= now)
        )
    assert left == 0
