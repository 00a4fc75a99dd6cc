"""Access management's storage (issue 18), on SQLite and PostgreSQL: who may invite, revoke
and cancel what, every refusal, the rate limits, the last supervisor, handovers, the audit
rows, the notes in the outbox, and accounts' last activity."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, make_url, select, text

from domain import clock
from domain.access_rules import INVITES_PER_HOUR
from storage import access, access_read
from storage.access_model import HOUR, AccessRefusal, Actor, PendingInvite
from storage.accounts import add_grant, ensure_account, grants_of, load_caller
from storage.db import SessionFactory, alembic_config, create_engine, create_session_factory
from storage.invitations import RedeemOutcome, hash_token, new_invitation, redeem
from storage.models import Account, AuditEntry, Invitation, OutboxMessage, RoleGrant
from storage.orgs import get_unit_by_code
from storage.revocation import RevokedGrant
from storage.scope import UnitRef
from tests.conftest import PG_URL, _pg_admin
from tests.factories import Org, small_org
from tests.harness import Driver

T0 = dt.datetime(2026, 11, 10, 3, 0, tzinfo=dt.UTC)
CLI = Actor(None, "cli", [], True)


@pytest.fixture
def fixed() -> clock.FixedClock:
    at = clock.FixedClock(T0)
    clock.set_clock(at)
    return at


async def _account(sessions: SessionFactory, tg: int, name: str, *grants: tuple[int, str]) -> int:
    async with sessions.begin() as s:
        account = await ensure_account(s, tg, name)
        for unit_id, role in grants:
            await add_grant(s, account.id, unit_id, role)
        return account.id


async def _actor(sessions: SessionFactory, account_id: int, *, admin: bool = False) -> Actor:
    async with sessions() as s:
        account = await s.get(Account, account_id)
        assert account is not None
        return Actor(account_id, f"tg:{account.telegram_id}", await grants_of(s, account_id), admin)


async def _grant_id(sessions: SessionFactory, account_id: int, unit_id: int, role: str) -> int:
    async with sessions() as s:
        grant_id = await s.scalar(
            select(RoleGrant.id).where(
                RoleGrant.account_id == account_id,
                RoleGrant.unit_id == unit_id,
                RoleGrant.role == role,
            )
        )
        assert grant_id is not None
        return grant_id


async def _redeem(sessions: SessionFactory, token: str, tg: int, name: str):  # type: ignore[no-untyped-def]
    async with sessions.begin() as s:
        account = await ensure_account(s, tg, name)
        return await redeem(s, token, account, now=clock.now())


async def _setup(sessions: SessionFactory) -> tuple[Org, dict[str, int]]:
    """The small tree with: a district supervisor, a Lục Hồn supervisor, a Đồng Tâm
    supervisor, a secretary of C01 and one of DT1."""
    org = await small_org(sessions, members_per_cell=3)
    ids = {
        "bl": await _account(sessions, 100, "Hoàng Văn Huyện", (org.district, "supervisor")),
        "lh": await _account(sessions, 101, "Lục Thị Xã", (org.grassroots["LH"], "supervisor")),
        "dt": await _account(sessions, 102, "Vi Văn Tâm", (org.grassroots["DT"], "supervisor")),
        "sec": await _account(sessions, 201, "Nông Văn Bí", (org.cells["C01"], "secretary")),
        "dsec": await _account(sessions, 202, "La Thị Nà", (org.cells["DT1"], "secretary")),
    }
    return org, ids


# ----------------------------------------------------------------------------- invite


async def test_invite_follows_the_rules_and_the_link_works_once(
    session_factory: SessionFactory, fixed: clock.FixedClock
) -> None:
    org, ids = await _setup(session_factory)
    lh = await _actor(session_factory, ids["lh"])
    bl = await _actor(session_factory, ids["bl"])
    async with session_factory.begin() as s:
        made = await access.invite(s, lh, org.cells["C02"], "secretary", now=clock.now())
        assert not isinstance(made, AccessRefusal)
        token, pending = made
        assert (pending.unit_id, pending.role, pending.handover) == (
            org.cells["C02"],
            "secretary",
            False,
        )
        assert pending.created_by == "Lục Thị Xã"
        assert pending.expires_at == T0 + dt.timedelta(days=7)
        # every refusal of invite
        cases = [
            (lh, org.grassroots["LH"], "supervisor", AccessRefusal.NOT_ALLOWED),  # own unit
            (lh, org.district, "supervisor", AccessRefusal.GONE),  # above: not in scope
            (lh, org.cells["DT1"], "secretary", AccessRefusal.GONE),  # outside
            (lh, org.cells["C01"], "admin", AccessRefusal.NOT_ALLOWED),
            (lh, org.grassroots["LH"], "secretary", AccessRefusal.ROLE_DOES_NOT_FIT),
            (lh, 999_999, "secretary", AccessRefusal.GONE),
            (bl, org.district, "supervisor", AccessRefusal.NOT_ALLOWED),
            (CLI, org.province, "admin", AccessRefusal.NOT_ALLOWED),
        ]
        for actor, unit_id, role, refusal in cases:
            got = await access.invite(s, actor, unit_id, role, now=clock.now())
            assert got == refusal, (actor.label, unit_id, role)
        handover_deputy = await access.invite(
            s, lh, org.cells["C01"], "deputy", handover=True, now=clock.now()
        )
        assert handover_deputy == AccessRefusal.ROLE_DOES_NOT_FIT
        # allowed: cells below, supervisors strictly below; the CLI anything but admin
        for actor, unit_id, role in [
            (lh, org.cells["C01"], "deputy"),
            (lh, org.cells["C01"], "supervisor"),
            (bl, org.grassroots["LH"], "supervisor"),
            (bl, org.cells["DT1"], "secretary"),
            (CLI, org.province, "supervisor"),
        ]:
            got = await access.invite(s, actor, unit_id, role, now=clock.now())
            assert not isinstance(got, AccessRefusal), (actor.label, unit_id, role)
        assert access.may_grant(lh, (await _ref(s, "QN-BL-LH-C01")), "secretary")
        assert not access.may_grant(lh, (await _ref(s, "QN-BL-LH")), "supervisor")
        pending_lh = await access_read.pending_invitations(
            s, await _ref(s, "QN-BL-LH"), now=clock.now()
        )
        assert [p.role for p in pending_lh] == ["secretary", "deputy", "supervisor", "supervisor"]
        rows = (
            await s.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity == "invitation", AuditEntry.action == "create")
                .order_by(AuditEntry.id)
            )
        ).all()
        assert len(rows) == 6
        first = rows[0]
        assert (first.actor_account_id, first.actor_label) == (ids["lh"], "tg:101")
        assert first.after is not None and first.after["unit"] == "QN-BL-LH-C02"
    assert (await _redeem(session_factory, token, 301, "Hà Văn Mới")).outcome is RedeemOutcome.OK
    again = await _redeem(session_factory, token, 302, "Người Khác")
    assert again.outcome is RedeemOutcome.USED
    async with session_factory() as s:
        grant = await s.scalar(select(RoleGrant).where(RoleGrant.unit_id == org.cells["C02"]))
        assert grant is not None and grant.granted_by == "tg:101"
        assert not await access_read.pending_invitations(s, await _ref(s, "QN-BL-LH-C02"), now=T0)


async def _ref(s, code: str) -> UnitRef:  # type: ignore[no-untyped-def]
    unit = await get_unit_by_code(s, code)
    assert unit is not None
    return UnitRef.of(unit)


async def test_try_again_time_of_each_limit_reads_its_own_rows(
    session_factory: SessionFactory, fixed: clock.FixedClock
) -> None:
    """A bulk run's links neither count against the single-invitation limit nor set when
    it frees up; the bulk limit frees up an hour after its oldest run."""
    org, ids = await _setup(session_factory)
    lh = await _actor(session_factory, ids["lh"])
    async with session_factory.begin() as s:
        links = await access.invite_cells_without_secretary(
            s, lh, org.grassroots["LH"], now=clock.now()
        )
        assert not isinstance(links, AccessRefusal) and links
    later = T0 + dt.timedelta(minutes=10)
    fixed.at = later
    async with session_factory.begin() as s:
        for _ in range(2):
            got = await access.invite(s, lh, org.cells["C01"], "deputy", now=clock.now())
            assert not isinstance(got, AccessRefusal)
    async with session_factory() as s:
        now = clock.now()
        assert await access.invite_window(s, ids["lh"], now) == (2, later + HOUR)
        assert await access.invite_window(s, ids["lh"], now, bulk=True) == (1, T0 + HOUR)
        assert await access.invite_window(s, ids["lh"] + 999, now) == (0, now + HOUR)


async def test_rate_limits_per_inviter_and_bulk_runs(
    session_factory: SessionFactory, fixed: clock.FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    org, ids = await _setup(session_factory)
    lh = await _actor(session_factory, ids["lh"])
    async with session_factory.begin() as s:
        # two bulk runs first: their links do not count against the single limit
        for _ in range(2):
            links = await access.invite_cells_without_secretary(
                s, lh, org.grassroots["LH"], now=clock.now(), ttl=dt.timedelta(days=3)
            )
            assert not isinstance(links, AccessRefusal)
            assert [(c.code, exp) for c, _t, exp in links] == [
                ("QN-BL-LH-C02", T0 + dt.timedelta(days=3))
            ]
        for i in range(INVITES_PER_HOUR):
            got = await access.invite(s, lh, org.cells["C01"], "deputy", now=clock.now())
            assert not isinstance(got, AccessRefusal), i
        assert (
            await access.invite(s, lh, org.cells["C01"], "deputy", now=clock.now())
            == AccessRefusal.RATE_LIMITED
        )
        # the operator is not limited
        assert not isinstance(
            await access.invite(s, CLI, org.cells["C01"], "deputy", now=clock.now()),
            AccessRefusal,
        )
        third = await access.invite_cells_without_secretary(
            s, lh, org.grassroots["LH"], now=clock.now(), ttl=dt.timedelta(days=3)
        )
        assert not isinstance(third, AccessRefusal)
        assert (
            await access.invite_cells_without_secretary(
                s, lh, org.grassroots["LH"], now=clock.now(), ttl=dt.timedelta(days=3)
            )
            == AccessRefusal.RATE_LIMITED
        )
    fixed.at = T0 + dt.timedelta(hours=1, seconds=1)  # a rolling hour later
    async with session_factory.begin() as s:
        got = await access.invite(s, lh, org.cells["C01"], "deputy", now=clock.now())
        assert not isinstance(got, AccessRefusal)
        monkeypatch.setattr(access, "BULK_MAX_LINKS", 0)
        too_many = await access.invite_cells_without_secretary(
            s, lh, org.grassroots["LH"], now=clock.now()
        )
        assert too_many == AccessRefusal.TOO_MANY
        monkeypatch.undo()
        # the district has two cells without a secretary? no: C02 only (C01, DT1 have one)
        dt_sup = await _actor(session_factory, ids["dt"])
        assert (
            await access.invite_cells_without_secretary(
                s, dt_sup, org.grassroots["DT"], now=clock.now()
            )
            == AccessRefusal.NOTHING_TO_DO
        )
        assert (
            await access.invite_cells_without_secretary(
                s, dt_sup, org.grassroots["LH"], now=clock.now()
            )
            == AccessRefusal.GONE
        )
        bulk_rows = await s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "create_bulk")
        )
        assert bulk_rows == 3


# ----------------------------------------------------------------------------- revoke


async def test_revoke_ends_access_keeps_history_and_queues_a_note(
    session_factory: SessionFactory, fixed: clock.FixedClock
) -> None:
    org, ids = await _setup(session_factory)
    lh = await _actor(session_factory, ids["lh"])
    grant_id = await _grant_id(session_factory, ids["sec"], org.cells["C01"], "secretary")
    async with session_factory.begin() as s:
        found = await access.grant_for_confirmation(s, lh, grant_id)
        assert not isinstance(found, AccessRefusal)
        holder, unit = found
        assert (holder.name, holder.telegram_id, holder.role, unit.code) == (
            "Nông Văn Bí",
            201,
            "secretary",
            "QN-BL-LH-C01",
        )
        revoked = await access.revoke(s, lh, grant_id, now=clock.now())
        assert isinstance(revoked, RevokedGrant)
        assert (revoked.telegram_id, revoked.role, revoked.unit.code, revoked.remaining) == (
            201,
            "secretary",
            "QN-BL-LH-C01",
            [],
        )
    async with session_factory() as s:
        _account_row, grants = await load_caller(s, 201, "Nông Văn Bí")
        assert grants == []  # the very next update sees no grant
        note = (await s.scalars(select(OutboxMessage))).one()
        assert (note.chat_id, note.kind, note.account_id) == (201, "access", ids["sec"])
        assert note.payload == {
            "notice": "access_revoked",
            "unit": "Chi bộ thôn Bản Pắt",
            "role": "secretary",
        }
        entry = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "revoke"))).one()
        assert (entry.entity, entry.actor_account_id, entry.actor_label) == (
            "role_grant",
            ids["lh"],
            "tg:101",
        )
        assert entry.before is not None
        assert (entry.before["name"], entry.before["telegram_id"], entry.before["role"]) == (
            "Nông Văn Bí",
            201,
            "secretary",
        )
        # the same grant again: gone
        assert await access.revoke(s, lh, grant_id, now=clock.now()) == AccessRefusal.GONE


async def test_every_refusal_of_revoke(
    session_factory: SessionFactory, fixed: clock.FixedClock
) -> None:
    org, ids = await _setup(session_factory)
    lh = await _actor(session_factory, ids["lh"])
    bl = await _actor(session_factory, ids["bl"])
    admin_id = await _account(session_factory, 900, "Quản Trị")
    admin = await _actor(session_factory, admin_id, admin=True)
    own = await _grant_id(session_factory, ids["lh"], org.grassroots["LH"], "supervisor")
    dt_sup = await _grant_id(session_factory, ids["dt"], org.grassroots["DT"], "supervisor")
    dsec = await _grant_id(session_factory, ids["dsec"], org.cells["DT1"], "secretary")
    bl_own = await _grant_id(session_factory, ids["bl"], org.district, "supervisor")
    async with session_factory.begin() as s:
        assert await access.revoke(s, lh, own, now=T0) == AccessRefusal.OWN_GRANT
        assert await access.revoke(s, lh, dsec, now=T0) == AccessRefusal.GONE  # outside
        assert await access.revoke(s, lh, 999_999, now=T0) == AccessRefusal.GONE
        # the district supervisor may end Đồng Tâm's supervisor, but not the last one
        assert await access.revoke(s, bl, dt_sup, now=T0) == AccessRefusal.LAST_SUPERVISOR
        assert await access.grant_for_confirmation(s, bl, dt_sup) == (AccessRefusal.LAST_SUPERVISOR)
    # a second supervisor of Lục Hồn: a co-supervisor may not end the other (same unit)
    co = await _account(session_factory, 103, "Lý Văn Phó", (org.grassroots["LH"], "supervisor"))
    co_grant = await _grant_id(session_factory, co, org.grassroots["LH"], "supervisor")
    admin_grant_holder = await _account(session_factory, 901, "Admin Hai", (org.province, "admin"))
    admin_grant = await _grant_id(session_factory, admin_grant_holder, org.province, "admin")
    async with session_factory.begin() as s:
        assert await access.revoke(s, lh, co_grant, now=T0) == AccessRefusal.NOT_ALLOWED
        assert await access.revoke(s, admin, admin_grant, now=T0) == AccessRefusal.NOT_ALLOWED
        assert await access.grant_for_confirmation(s, CLI, admin_grant) != (
            AccessRefusal.NOT_ALLOWED
        )  # the operator ends admin grants (it made them)
        # two supervisors: the district supervisor may end one of them
        assert isinstance(await access.revoke(s, bl, co_grant, now=T0), RevokedGrant)
    async with session_factory.begin() as s:
        # an admin may end a last supervisor (the CLI too); the operator's own label
        assert isinstance(await access.revoke(s, admin, dt_sup, now=T0), RevokedGrant)
        assert isinstance(await access.revoke(s, CLI, bl_own, now=T0), RevokedGrant)
        assert await access_read.supervisor_count(s, org.grassroots["DT"]) == 0


# ----------------------------------------------------------------------------- cancel


async def test_cancel_by_the_creator_or_above_and_the_link_stops_working(
    session_factory: SessionFactory, fixed: clock.FixedClock
) -> None:
    org, ids = await _setup(session_factory)
    lh = await _actor(session_factory, ids["lh"])
    bl = await _actor(session_factory, ids["bl"])
    dt_sup = await _actor(session_factory, ids["dt"])
    async with session_factory.begin() as s:
        made = await access.invite(s, lh, org.cells["C02"], "secretary", now=T0)
        other = await access.invite(s, bl, org.cells["C02"], "deputy", now=T0)
        old = await access.invite(s, lh, org.cells["C02"], "deputy", now=T0)
        assert not isinstance(made, AccessRefusal)
        assert not isinstance(other, AccessRefusal)
        assert not isinstance(old, AccessRefusal)
    token, pending = made
    async with session_factory.begin() as s:
        assert await access.cancel_invitation(s, dt_sup, pending.id, now=T0) == AccessRefusal.GONE
        assert await access.cancel_invitation(s, lh, 999_999, now=T0) == AccessRefusal.GONE
        cancelled = await access.cancel_invitation(s, lh, pending.id, now=T0)
        assert isinstance(cancelled, PendingInvite) and cancelled.id == pending.id
        assert await access.cancel_invitation(s, lh, pending.id, now=T0) == AccessRefusal.GONE
        # a supervisor above cancels an invitation made below; made by someone else: allowed
        # when the rule lets the canceller make it
        assert isinstance(await access.cancel_invitation(s, bl, old[1].id, now=T0), PendingInvite)
        assert isinstance(await access.cancel_invitation(s, lh, other[1].id, now=T0), PendingInvite)
    outcome = await _redeem(session_factory, token, 301, "Hà Văn Mới")
    assert outcome.outcome is RedeemOutcome.CANCELLED
    async with session_factory() as s:
        inv = await s.get(Invitation, pending.id)
        assert inv is not None and (inv.cancelled_at, inv.cancelled_by) == (T0, "tg:101")
        assert (
            await s.scalar(
                select(func.count())
                .select_from(RoleGrant)
                .where(RoleGrant.unit_id == org.cells["C02"])
            )
            == 0
        )
        actions = (
            await s.scalars(select(AuditEntry.action).where(AuditEntry.action == "cancel"))
        ).all()
        assert len(actions) == 3
        # an expired invitation cannot be cancelled
        later = T0 + dt.timedelta(days=8)
        assert await access.cancel_invitation(s, bl, other[1].id, now=later) == (AccessRefusal.GONE)


async def test_the_creator_may_cancel_after_leaving_the_unit(
    session_factory: SessionFactory, fixed: clock.FixedClock
) -> None:
    org, ids = await _setup(session_factory)
    lh = await _actor(session_factory, ids["lh"])
    async with session_factory.begin() as s:
        made = await access.invite(s, lh, org.cells["C02"], "secretary", now=T0)
        assert not isinstance(made, AccessRefusal)
        await s.execute(RoleGrant.__table__.delete().where(RoleGrant.account_id == ids["lh"]))
    gone_lh = await _actor(session_factory, ids["lh"])
    assert gone_lh.grants == []
    async with session_factory.begin() as s:
        assert isinstance(
            await access.cancel_invitation(s, gone_lh, made[1].id, now=T0), PendingInvite
        )


# ----------------------------------------------------------------------------- handover


async def test_handover_ends_the_old_secretary_exactly_when_the_new_one_accepts(
    session_factory: SessionFactory, fixed: clock.FixedClock
) -> None:
    org, ids = await _setup(session_factory)
    lh = await _actor(session_factory, ids["lh"])
    async with session_factory.begin() as s:
        made = await access.invite(
            s, lh, org.cells["C01"], "secretary", handover=True, now=clock.now()
        )
        plain = await access.invite(s, lh, org.cells["C01"], "secretary", now=clock.now())
        assert not isinstance(made, AccessRefusal) and not isinstance(plain, AccessRefusal)
        assert made[1].handover
        current = await access_read.current_secretaries(s, org.cells["C01"])
        assert [h.telegram_id for h in current] == [201]
    # until accepted, the old secretary keeps the cell
    async with session_factory() as s:
        assert [g.role for g in (await load_caller(s, 201, "Nông Văn Bí"))[1]] == ["secretary"]
    # the current secretary opening the handover link themselves: nothing ends
    token, _ = made
    async with session_factory.begin() as s:
        sec = await s.get(Account, ids["sec"])
        assert sec is not None
        self_redeem = await redeem(s, token, sec, now=clock.now())
        assert self_redeem.outcome is RedeemOutcome.ALREADY and self_redeem.ended == []
        await s.rollback()
    result = await _redeem(session_factory, token, 301, "Hà Văn Mới")
    assert result.outcome is RedeemOutcome.OK
    assert [(g.telegram_id, g.role, g.unit.code) for g in result.ended] == [
        (201, "secretary", "QN-BL-LH-C01")
    ]
    assert result.ended[0].remaining == []
    async with session_factory() as s:
        current = await access_read.current_secretaries(s, org.cells["C01"])
        assert [h.telegram_id for h in current] == [301]
        assert (await load_caller(s, 201, "Nông Văn Bí"))[1] == []
        note = (await s.scalars(select(OutboxMessage))).one()
        assert note.payload["notice"] == "access_replaced" and note.chat_id == 201
        entry = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "handover"))).one()
        assert entry.actor_label == "tg:301" and entry.before is not None
        assert entry.before["telegram_id"] == 201
    # a plain secretary invitation adds a second secretary and ends nobody
    plain_result = await _redeem(session_factory, plain[0], 302, "Người Thứ Ba")
    assert plain_result.outcome is RedeemOutcome.OK and plain_result.ended == []
    async with session_factory() as s:
        current = await access_read.current_secretaries(s, org.cells["C01"])
        assert sorted(h.telegram_id for h in current) == [301, 302]


async def test_a_draft_started_by_the_old_secretary_stays_with_the_cell(
    session_factory: SessionFactory, fixed: clock.FixedClock
) -> None:
    from domain.checkin_schema import CheckinAnswers
    from storage import checkins

    org, ids = await _setup(session_factory)
    month = dt.date(2026, 11, 1)
    async with session_factory.begin() as s:
        draft, created = await checkins.create_draft(
            s,
            org.cells["C01"],
            month,
            CheckinAnswers.model_validate({"held": True, "meeting_type": "regular"}),
            actor_account_id=ids["sec"],
        )
        assert created
        draft_id = draft.id
    async with session_factory.begin() as s:
        unit = await get_unit_by_code(s, "QN-BL-LH-C01")
        assert unit is not None
        token, _ = await new_invitation(s, unit, "secretary", created_by="cli", handover=True)
    result = await _redeem(session_factory, token, 301, "Hà Văn Mới")
    assert [g.telegram_id for g in result.ended] == [201]
    async with session_factory.begin() as s:
        new_id = (await load_caller(s, 301, "Hà Văn Mới"))[0].id
        found = await checkins.latest_draft(s, org.cells["C01"])
        assert found is not None and found.id == draft_id
        assert found.created_by == ids["sec"]
        await checkins.save_answers(
            s,
            found,
            CheckinAnswers.model_validate(
                {"held": True, "meeting_type": "regular", "duration_min": 90}
            ),
            actor_account_id=new_id,
        )
    async with session_factory() as s:
        found = await checkins.latest_draft(s, org.cells["C01"])
        assert found is not None
        assert (found.created_by, found.updated_by, found.duration_min) == (
            ids["sec"],
            new_id,
            90,
        )


# ----------------------------------------------------------------------------- reading


async def test_unit_and_children_access_count_cells_without_secretary(
    session_factory: SessionFactory, fixed: clock.FixedClock
) -> None:
    org, ids = await _setup(session_factory)
    lh = await _actor(session_factory, ids["lh"])
    async with session_factory.begin() as s:
        made = await access.invite(s, lh, org.cells["C02"], "secretary", now=T0)
        assert not isinstance(made, AccessRefusal)
    async with session_factory() as s:
        district = await access_read.unit_access(s, org.district, now=T0)
        assert district.cells_without_secretary == 1
        assert [h.name for h in district.holders] == ["Hoàng Văn Huyện"]
        own, kids = await access_read.access_page(s, district.unit, now=T0)
        assert own == district
        assert [(k.unit.code, k.cells_without_secretary) for k in kids] == [
            ("QN-BL-DT", 0),
            ("QN-BL-LH", 1),
        ]
        lh_unit = kids[1].unit
        lh_own, cells = await access_read.access_page(s, lh_unit, now=T0)
        assert lh_own.cells_without_secretary == 1
        assert [(c.unit.code, c.cells_without_secretary, len(c.pending)) for c in cells] == [
            ("QN-BL-LH-C01", 0, 0),
            ("QN-BL-LH-C02", 1, 1),
        ]
        assert [c.code for c in await access_read.cells_without_secretary(s, district.unit)] == [
            "QN-BL-LH-C02"
        ]
        tree = await access_read.subtree_access(s, district.unit, now=T0)
        assert [(d, a.unit.code, a.cells_without_secretary) for d, a in tree] == [
            (0, "QN-BL", 1),
            (1, "QN-BL-DT", 0),
            (2, "QN-BL-DT-C01", 0),
            (1, "QN-BL-LH", 1),
            (2, "QN-BL-LH-C01", 0),
            (2, "QN-BL-LH-C02", 1),
        ]
        cell_own, none = await access_read.access_page(s, cells[0].unit, now=T0)
        assert none == [] and cell_own.cells_without_secretary == 0


async def test_access_log_names_who_did_what_to_whom(
    session_factory: SessionFactory, fixed: clock.FixedClock
) -> None:
    org, ids = await _setup(session_factory)
    lh = await _actor(session_factory, ids["lh"])
    async with session_factory.begin() as s:
        made = await access.invite(s, lh, org.cells["C02"], "deputy", now=T0)
        assert not isinstance(made, AccessRefusal)
    await _redeem(session_factory, made[0], 301, "Hà Văn Mới")
    grant_id = await _grant_id(session_factory, ids["dsec"], org.cells["DT1"], "secretary")
    async with session_factory.begin() as s:
        assert isinstance(await access.revoke(s, CLI, grant_id, now=T0), RevokedGrant)
    async with session_factory() as s:
        log = await access_read.access_log(s, None)
        assert [(e.actor, e.action, e.role, e.unit_code) for e in log] == [
            ("cli", "revoke", "secretary", "QN-BL-DT-C01"),
            ("Hà Văn Mới", "redeem_invitation", "deputy", "QN-BL-LH-C02"),
            ("Lục Thị Xã", "create", "deputy", "QN-BL-LH-C02"),
        ]
        assert (log[0].subject_name, log[0].subject_telegram_id) == ("La Thị Nà", 202)
        assert (log[1].subject_name, log[1].subject_telegram_id) == ("Hà Văn Mới", 301)
        lh_log = await access_read.access_log(s, await _ref(s, "QN-BL-LH"), limit=1)
        assert [e.action for e in lh_log] == ["redeem_invitation"]


async def test_last_seen_is_written_at_most_once_an_hour(
    session_factory: SessionFactory, fixed: clock.FixedClock
) -> None:
    async with session_factory.begin() as s:
        account, _ = await load_caller(s, 555, "Mới Đến")
        assert account.last_seen_at == T0
    fixed.at = T0 + dt.timedelta(minutes=59)
    async with session_factory.begin() as s:
        account, _ = await load_caller(s, 555, "Mới Đến")
        assert account.last_seen_at == T0
        assert not s.dirty  # nothing to write within the hour
    fixed.at = T0 + dt.timedelta(hours=1, minutes=1)
    async with session_factory.begin() as s:
        account, _ = await load_caller(s, 555, "Mới Đến")
    async with session_factory() as s:
        stored = await s.scalar(select(Account.last_seen_at).where(Account.telegram_id == 555))
        assert stored == T0 + dt.timedelta(hours=1, minutes=1)


def test_access_notes_render_in_both_languages() -> None:
    from bot.notices import render_text

    payload = {"notice": "access_revoked", "unit": "Chi bộ <thôn> 1", "role": "secretary"}
    vi = render_text(payload, "vi")
    assert "Bí thư chi bộ" in vi and "Chi bộ &lt;thôn&gt; 1" in vi
    en = render_text({**payload, "notice": "access_replaced"}, "en")
    assert "Cell secretary" in en and "new secretary" in en


# ----------------------------------------------------------------------------- migration 0008


@pytest.fixture
async def unmigrated_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own with no tables yet, to migrate step by step."""
    if not PG_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'steps.db'}"
        return
    name = f"cellbot_acc_{os.getpid()}_{secrets.token_hex(3)}"
    await asyncio.to_thread(_pg_admin, PG_URL, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await asyncio.to_thread(_pg_admin, PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_0008_keeps_old_grants_and_invitations_working(unmigrated_url: str) -> None:
    url = unmigrated_url
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0007")
    at = clock.now()
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in (
                "INSERT INTO org_units (id, code, name, kind, parent_id, path, created_at)"
                " VALUES (1, 'G1', 'Đảng bộ xã Một', 'grassroots', NULL, '/1/', :at)",
                "INSERT INTO org_units (id, code, name, kind, parent_id, path, created_at)"
                " VALUES (2, 'C1', 'Chi bộ thôn 1', 'cell', 1, '/1/2/', :at)",
                "INSERT INTO accounts (id, telegram_id, display_name, created_at)"
                " VALUES (500, 201, 'Bí Thư Cũ', :at)",
                "INSERT INTO role_grants (id, account_id, unit_id, role, created_at)"
                " VALUES (500, 500, 2, 'secretary', :at)",
                "INSERT INTO invitations (id, token_hash, unit_id, role, created_by, created_at,"
                " expires_at) VALUES (500, :hash, 2, 'deputy', 'cli', :at, :expires)",
            ):
                await conn.execute(
                    text(statement),
                    {"at": at, "hash": hash_token(OLD_TOKEN), "expires": at + dt.timedelta(days=1)},
                )
        await engine.dispose()
        await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        async with sessions() as s:
            inv = await s.get(Invitation, 500)
            assert inv is not None
            assert (inv.handover, inv.created_by_account_id, inv.cancelled_at) == (
                False,
                None,
                None,
            )
            grant = await s.get(RoleGrant, 500)
            assert grant is not None and grant.granted_by is None
            account = await s.get(Account, 500)
            assert account is not None and account.last_seen_at is None
            cell = await access_read.unit_access(s, 2, now=at)
            assert [(h.name, h.last_seen_at) for h in cell.holders] == [("Bí Thư Cũ", None)]
            assert [p.created_by for p in cell.pending] == ["cli"]
        async with sessions.begin() as s:
            deputy = await ensure_account(s, 301, "Phó Mới")
            result = await redeem(s, OLD_TOKEN, deputy, now=at)
            assert result.outcome is RedeemOutcome.OK and result.ended == []
        await engine.dispose()
        # and back down, then up again
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0007")
        await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    finally:
        await engine.dispose()


OLD_TOKEN = "A" * 24


async def test_the_note_is_sent_by_the_dispatcher_in_the_recipients_language(
    driver: Driver,
) -> None:
    from schedules.dispatcher import DispatchConfig, dispatch_due
    from tests.factories import onboard
    from tests.harness import TgUser

    org = await small_org(driver.sessions, members_per_cell=1)
    await onboard(driver, TgUser(3001, "Hà", "Vi Thị", "en"), "QN-BL-LH-C01", "secretary")
    driver.request.calls.clear()
    async with driver.sessions() as s:
        sec = (await load_caller(s, 3001, ""))[0].id
    grant_id = await _grant_id(driver.sessions, sec, org.cells["C01"], "secretary")
    at = clock.now()
    async with driver.sessions.begin() as s:
        assert isinstance(await access.revoke(s, CLI, grant_id, now=at), RevokedGrant)
    # 10:00 in Viet Nam: out of the quiet hours
    noon = dt.datetime.combine(at.date(), dt.time(3, 0), tzinfo=dt.UTC) + dt.timedelta(days=1)
    report = await dispatch_due(driver.app, driver.sessions, noon, config=DispatchConfig())
    assert report.sent == 1
    (sent,) = [c for c in driver.request.calls if c.method == "sendMessage"]
    assert sent.chat_id == 3001
    assert "Cell secretary" in sent.text and "Chi bộ thôn Bản Pắt" in sent.text
