"""What supervisors see and do, on SQLite and PostgreSQL: scope (storage.scope), summary and
ranking (storage.supervision), missing reports and broadcasts (storage.broadcasts), locks
(storage.locks) and reviews (storage.reviews)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from bot.notices import as_message
from domain.framework import default_framework
from domain.periods import Period, month_start
from storage.accounts import Grant, add_grant, ensure_account
from storage.broadcasts import (
    broadcast_recipients,
    create_broadcast,
    delivery_report,
    missing_cells,
    remind_missing,
)
from storage.db import SessionFactory
from storage.locks import is_locked, lock_period, locks_in_scope, unlock
from storage.models import AuditEntry, Checkin, OutboxMessage
from storage.reviews import set_review
from storage.scope import UnitRef, find_cells, scope_roots, visible_unit
from storage.supervision import ranking, summary
from tests.factories import Org, small_org

FW = default_framework()
NOW = dt.datetime(2026, 5, 20, 3, 0, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 5, 20)
MAY = dt.date(2026, 5, 1)


def good_facts(**over: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "held": True,
        "meeting_type": "regular",
        "meeting_date": dt.date(2026, 5, 5),
        "duration_min": 95,
        "pre_meeting": True,
        "content_prepared": True,
        "draft_resolution": True,
        "expected_count": 20,
        "present_count": 19,
        "absent_excused": 1,
        "absent_unexcused": 0,
        "dues_status": "all",
        "dues_paid": 19,
        "current_affairs": True,
        "ho_chi_minh": True,
        "speakers": 8,
        "commended": 1,
        "criticised": 0,
        "assessed": True,
        "resolution_impl": "full",
        "resolution_adopted": True,
        "minutes_complete": True,
        "candidates": 0,
        "admitted": 0,
        "discipline": 0,
        "solidarity": 0,
    }
    facts.update(over)
    return facts


def checkin(cell_id: int, month: dt.date, slot: str = "regular", **facts: Any) -> Checkin:
    return Checkin(
        cell_id=cell_id,
        month=month,
        slot=slot,
        status="submitted",
        submitted_at=NOW,
        **good_facts(**facts),
    )


async def unit(session: Any, unit_id: int) -> UnitRef:
    roots = await scope_roots(session, [], True)
    ref = await visible_unit(session, roots, unit_id)
    assert ref is not None
    return ref


def grant(role: str, ref: UnitRef) -> Grant:
    return Grant(role, ref.id, ref.code, ref.name, ref.kind, ref.path)


# ---------------------------------------------------------------- scope


async def test_scope_is_the_subtree_and_refusals_look_alike(
    session_factory: SessionFactory,
) -> None:
    org = await small_org(session_factory, members_per_cell=2)
    async with session_factory.begin() as s:
        lh = await unit(s, org.grassroots["LH"])
        district = await unit(s, org.district)
        roots = await scope_roots(s, [grant("supervisor", lh)], False)
        assert [r.code for r in roots] == ["QN-BL-LH"]
        assert await visible_unit(s, roots, org.cells["C01"]) is not None
        assert await visible_unit(s, roots, org.cells["DT1"]) is None  # sibling subtree
        assert await visible_unit(s, roots, org.district) is None  # above
        assert await visible_unit(s, roots, 999_999) is None  # does not exist
        # Nested grants collapse to the outermost; secretaries see nothing as supervisors.
        both = await scope_roots(s, [grant("supervisor", lh), grant("supervisor", district)], False)
        assert [r.code for r in both] == ["QN-BL"]
        assert await scope_roots(s, [grant("secretary", lh)], False) == []
        admin = await scope_roots(s, [], True)
        assert [r.code for r in admin] == ["QN"]
        found = await find_cells(s, roots, "bản pắt")
        assert [c.code for c in found] == ["QN-BL-LH-C01"]
        assert await find_cells(s, roots, "Nà Làng") == []  # outside the scope
        assert [c.code for c in await find_cells(s, roots, "qn-bl-lh-c02")] == ["QN-BL-LH-C02"]


# ---------------------------------------------------------------- summary and ranking


async def seed_may(session_factory: SessionFactory, org: Org) -> None:
    async with session_factory.begin() as s:
        s.add(checkin(org.cells["C01"], MAY))  # perfect meeting
        s.add(checkin(org.cells["C02"], MAY, present_count=14, pre_meeting=False))
        s.add(checkin(org.cells["C01"], MAY, slot="thematic", meeting_type="thematic"))
        # A draft does not count.
        s.add(
            Checkin(cell_id=org.cells["DT1"], month=MAY, status="draft", held=True, present_count=1)
        )


async def test_summary_totals_and_child_lines(session_factory: SessionFactory) -> None:
    org = await small_org(session_factory, members_per_cell=20)
    await seed_may(session_factory, org)
    async with session_factory() as s:
        district = await unit(s, org.district)
        result = await summary(s, FW, district, Period("month", 2026, 5), AS_OF)
    assert [r.code for r in result.rows] == ["QN-BL-DT", "QN-BL-LH"]
    total = result.total
    assert (total.cells, total.submitted, total.expected) == (3, 2, 3)
    assert total.cells_with_data == 2
    lh = result.rows[1]
    assert (lh.cells, lh.submitted, lh.expected) == (2, 2, 2)
    # 19 + 14 + 19 present of 60 expected in the three held submitted meetings.
    assert lh.attendance == pytest.approx(52 / 60)
    assert lh.meeting_score is not None and 50 < lh.meeting_score < 100
    dt_row = result.rows[0]
    assert (dt_row.submitted, dt_row.meeting_score, dt_row.total) == (0, None, None)
    assert set(lh.criteria) == {c.code for c in FW.criteria}
    # Drilling down to the commune gives one line per cell, with the cell's own verdict.
    async with session_factory() as s:
        commune = await unit(s, org.grassroots["LH"])
        cells = await summary(s, FW, commune, Period("month", 2026, 5), AS_OF)
    assert [r.code for r in cells.rows] == ["QN-BL-LH-C01", "QN-BL-LH-C02"]
    c01, c02 = cells.rows
    assert c01.total is not None and c02.total is not None and c01.total > c02.total
    assert c01.four_good is not None and c01.band is not None


async def test_summary_of_a_quarter_counts_started_months(session_factory: SessionFactory) -> None:
    org = await small_org(session_factory, members_per_cell=5)
    await seed_may(session_factory, org)
    async with session_factory() as s:
        commune = await unit(s, org.grassroots["LH"])
        q2 = await summary(s, FW, commune, Period("quarter", 2026, 2), AS_OF)
    # April and May have started by 20 May; June has not.
    assert (q2.total.submitted, q2.total.expected) == (2, 4)
    assert q2.activity[org.cells["C01"]].submitted == 1  # the thematic slot is not a report


async def test_ranking_with_movement(session_factory: SessionFactory) -> None:
    org = await small_org(session_factory, members_per_cell=20)
    april = dt.date(2026, 4, 1)
    async with session_factory.begin() as s:
        # April: C02 best, then DT1, then C01. May: C01 best, C02, DT1 no data.
        s.add(checkin(org.cells["C02"], april))
        s.add(checkin(org.cells["DT1"], april, present_count=15))
        s.add(checkin(org.cells["C01"], april, present_count=10, pre_meeting=False))
        s.add(checkin(org.cells["C01"], MAY))
        s.add(checkin(org.cells["C02"], MAY, present_count=12))
    async with session_factory() as s:
        district = await unit(s, org.district)
        lines = await ranking(s, FW, district, Period("month", 2026, 5), AS_OF)
        units = await ranking(s, FW, district, Period("month", 2026, 5), AS_OF, by="units")
    assert [line.code for line in lines] == ["QN-BL-LH-C01", "QN-BL-LH-C02", "QN-BL-DT-C01"]
    c01, c02, dt1 = lines
    assert (c01.rank, c01.previous_rank, c01.movement) == (1, 3, 2)
    assert (c02.rank, c02.previous_rank, c02.movement) == (2, 1, -1)
    assert (dt1.rank, dt1.movement, dt1.total) == (None, None, None)
    assert [u.code for u in units] == ["QN-BL-LH", "QN-BL-DT"]
    assert units[0].rank == 1 and units[1].rank is None and units[1].previous_rank == 1


# ---------------------------------------------------------------- missing, nudges


async def test_missing_and_remind_once_a_day(session_factory: SessionFactory) -> None:
    org = await small_org(session_factory, members_per_cell=2)
    async with session_factory.begin() as s:
        sec = await ensure_account(s, 501, "Vi Thị Hà")
        sup = await ensure_account(s, 502, "Supervisor")
        await add_grant(s, sec.id, org.cells["C02"], "secretary")
        s.add(checkin(org.cells["C01"], MAY))
        s.add(
            OutboxMessage(
                dedup_key="rem:1",
                kind="overdue",
                cell_id=org.cells["C02"],
                chat_id=501,
                due_at=NOW,
                status="undeliverable",
            )
        )
    async with session_factory.begin() as s:
        district = await unit(s, org.district)
        missing = await missing_cells(s, district, MAY)
        assert [(m.code, m.secretaries, m.reminder_state) for m in missing] == [
            ("QN-BL-DT-C01", [], "none"),
            ("QN-BL-LH-C02", ["Vi Thị Hà"], "undeliverable"),
        ]
        assert await remind_missing(
            s, district, MAY, now=NOW, local_day=AS_OF, actor_account_id=sup.id
        ) == (1, 1)
    async with session_factory.begin() as s:
        district = await unit(s, org.district)
        again = await remind_missing(
            s, district, MAY, now=NOW, local_day=AS_OF, actor_account_id=sup.id
        )
        assert again == (0, 0)
        tomorrow = await remind_missing(
            s,
            district,
            MAY,
            now=NOW + dt.timedelta(days=1),
            local_day=AS_OF + dt.timedelta(days=1),
            actor_account_id=sup.id,
        )
        assert tomorrow == (1, 1)
        nudges = (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge"))).all()
        assert len(nudges) == 2 and all(n.chat_id == 501 for n in nudges)
        # Stored as facts; the dispatcher's rendering (bot.notices) adds the button.
        assert nudges[0].payload["notice"] == "nudge"
        rendered = as_message(nudges[0].payload)
        assert rendered["buttons"][0][0][1] == f"ci:start:{org.cells['C02']}:2026-05"


# ---------------------------------------------------------------- locks, review, broadcast


async def test_lock_and_unlock_levels(session_factory: SessionFactory) -> None:
    org = await small_org(session_factory, members_per_cell=1)
    async with session_factory.begin() as s:
        sup = await ensure_account(s, 600, "S")
        district = await unit(s, org.district)
        assert await lock_period(s, district, Period("year", 2026, 1), actor_account_id=sup.id)
        assert not await lock_period(s, district, Period("year", 2026, 1), actor_account_id=sup.id)
    async with session_factory.begin() as s:
        assert await is_locked(s, org.cells["C01"], MAY)
        assert not await is_locked(s, org.cells["C01"], dt.date(2025, 5, 1))
        lh = await unit(s, org.grassroots["LH"])
        lower = await scope_roots(s, [grant("supervisor", lh)], False)
        assert await locks_in_scope(s, lower) == []  # a lower level cannot lift it
        (lock,) = await locks_in_scope(s, await scope_roots(s, [], True))
        assert await unlock(s, lower, lock.id, actor_account_id=sup.id) is None
        assert await unlock(s, await scope_roots(s, [], True), lock.id, actor_account_id=sup.id)
    async with session_factory() as s:
        assert not await is_locked(s, org.cells["C01"], MAY)
        actions = (
            await s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "period_lock"))
        ).all()
        assert sorted(actions) == ["lock", "unlock"]


async def test_review_notifies_secretaries(session_factory: SessionFactory) -> None:
    org = await small_org(session_factory, members_per_cell=1)
    async with session_factory.begin() as s:
        sec = await ensure_account(s, 701, "Sec")
        dep = await ensure_account(s, 702, "Dep")
        sup = await ensure_account(s, 703, "Sup")
        await add_grant(s, sec.id, org.cells["C01"], "secretary")
        await add_grant(s, dep.id, org.cells["C01"], "deputy")
        item = checkin(org.cells["C01"], MAY)
        s.add(item)
        await s.flush()
        cell = await unit(s, org.cells["C01"])
        queued = await set_review(
            s, item, cell, "has_issues", "Thiếu biên bản <b> & ký", actor_account_id=sup.id, now=NOW
        )
        assert queued == 2
    async with session_factory() as s:
        stored = await s.get(Checkin, item.id)
        assert stored is not None
        assert (stored.review_status, stored.review_comment, stored.reviewed_by) == (
            "has_issues",
            "Thiếu biên bản <b> & ký",
            sup.id,
        )
        rows = (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "review"))).all()
        assert sorted(r.chat_id for r in rows) == [701, 702]
        # Stored as typed; escaped when rendered because catalog texts are sent as HTML.
        assert rows[0].payload["comment"] == "Thiếu biên bản <b> & ký"
        rendered = as_message(rows[0].payload)
        assert rendered["key"] == "sv.review.notify_issues"
        assert rendered["values"]["comment"] == "Thiếu biên bản &lt;b&gt; &amp; ký"
        assert rendered["buttons"][0][0][0] == "sv.review.btn_fix"


async def test_broadcast_rows_and_report(session_factory: SessionFactory) -> None:
    org = await small_org(session_factory, members_per_cell=1)
    async with session_factory.begin() as s:
        a = await ensure_account(s, 801, "A")
        b = await ensure_account(s, 802, "B")
        sup = await ensure_account(s, 803, "S")
        await add_grant(s, a.id, org.cells["C01"], "secretary")
        await add_grant(s, a.id, org.cells["C02"], "secretary")  # one message, not two
        await add_grant(s, b.id, org.cells["DT1"], "deputy")
        lh = await unit(s, org.grassroots["LH"])
        district = await unit(s, org.district)
        assert [t for _, t in await broadcast_recipients(s, lh)] == [801]
        item = await create_broadcast(
            s, district, "Họp <b>gấp</b>", actor_account_id=sup.id, now=NOW
        )
        assert item.recipients == 2
    async with session_factory.begin() as s:
        assert await delivery_report(s, item.id) == {"pending": 2}
        rows = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.batch_id == item.id))
        ).all()
        assert {r.kind for r in rows} == {"broadcast"} and rows[0].payload == {
            "text": "Họp <b>gấp</b>"
        }
        rows[0].status = "sent"
    async with session_factory() as s:
        assert await delivery_report(s, item.id) == {"pending": 1, "sent": 1}


def test_month_helpers() -> None:
    assert month_start(AS_OF) == MAY
