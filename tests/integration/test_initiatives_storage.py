from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from domain import clock
from storage.db import SessionFactory
from storage.initiatives import (
    InitiativeError,
    InitiativeKind,
    InitiativeStatus,
    NewInitiative,
    attachment_value,
    cell_coverage,
    change_status,
    clean_title,
    coverage_by_cell,
    initiative_of_cell,
    list_initiatives,
    member_coverage,
    register,
    split_attachment,
    subtree_coverage,
)
from storage.members import roster
from storage.models import AuditEntry, Initiative, Member, MemberStatus
from tests.factories import Org, small_org

YEAR = 2026
TUNNEL = NewInitiative(
    kind=InitiativeKind.TECHNICAL_INNOVATION,
    title="Máy đào lò xuyên vỉa quay, vỉa 7",
    year=YEAR,
    expected_benefit="1,2 triệu tấn/năm",
    expected_amount_vnd=33_000_000_000,
    target_date=dt.date(YEAR, 12, 31),
)


async def _members(sessions: SessionFactory, cell_id: int) -> list[Member]:
    async with sessions() as session:
        return await roster(session, cell_id)


async def _setup(session_factory: SessionFactory, per_cell: int = 5) -> tuple[Org, list[Member]]:
    org = await small_org(session_factory, members_per_cell=per_cell)
    return org, await _members(session_factory, org.cells["C01"])


async def test_register_one_and_many_with_group_key_and_audit(
    session_factory: SessionFactory,
) -> None:
    org, members = await _setup(session_factory)
    cell = org.cells["C01"]
    async with session_factory.begin() as session:
        one = await register(session, cell, [members[0].id], TUNNEL, actor_account_id=None)
        many = await register(
            session,
            cell,
            [m.id for m in members[1:4]] + [members[1].id],  # a repeated id counts once
            NewInitiative(InitiativeKind.ENVIRONMENT_SECURITY, "  Dọn   vệ sinh  ", YEAR),
            actor_account_id=None,
        )
    assert len(one) == 1 and one[0].group_key is None
    assert one[0].expected_amount_vnd == 33_000_000_000 and one[0].status == "registered"
    assert len(many) == 3 and len({i.group_key for i in many}) == 1 and many[0].group_key
    assert many[0].title == "Dọn vệ sinh"
    async with session_factory() as session:
        audits = (
            await session.scalars(select(AuditEntry).where(AuditEntry.entity == "initiative"))
        ).all()
    assert len(audits) == 4 and all(a.action == "create" and a.after for a in audits)


async def test_register_refuses_members_of_other_cells_and_left_members(
    session_factory: SessionFactory,
) -> None:
    org, members = await _setup(session_factory)
    other = (await _members(session_factory, org.cells["C02"]))[0]
    async with session_factory.begin() as session:
        left = await session.get(Member, members[1].id)
        assert left is not None
        left.status = MemberStatus.LEFT.value
    for ids in ([members[0].id, other.id], [members[1].id], [], [10**9]):
        with pytest.raises(InitiativeError):
            async with session_factory.begin() as session:
                await register(session, org.cells["C01"], ids, TUNNEL, actor_account_id=None)
    with pytest.raises(InitiativeError):
        async with session_factory.begin() as session:
            bad = NewInitiative(InitiativeKind.OTHER, " " * 5, YEAR)
            await register(session, org.cells["C01"], [members[0].id], bad, actor_account_id=None)
    async with session_factory() as session:
        assert (await session.scalars(select(Initiative))).all() == []


async def test_status_transitions(session_factory: SessionFactory) -> None:
    org, members = await _setup(session_factory)
    cell = org.cells["C01"]
    async with session_factory.begin() as session:
        (ini,) = await register(session, cell, [members[0].id], TUNNEL, actor_account_id=None)
        await change_status(session, ini, InitiativeStatus.IN_PROGRESS, actor_account_id=None)
        with pytest.raises(InitiativeError):
            await change_status(session, ini, InitiativeStatus.REGISTERED, actor_account_id=None)
        with pytest.raises(InitiativeError):
            await change_status(session, ini, InitiativeStatus.DROPPED, actor_account_id=None)
        await change_status(
            session,
            ini,
            InitiativeStatus.COMPLETED,
            actor_account_id=None,
            result="Đưa vào sản xuất",
            realised_amount_vnd=33_000_000_000,
            attachment_file_id=attachment_value("photo", "AgAC-file"),
        )
        ini_id = ini.id
    async with session_factory() as session:
        stored = await initiative_of_cell(session, cell, ini_id)
        assert stored is not None and stored.status == "completed"
        assert stored.completed_at is not None and stored.realised_amount_vnd == 33_000_000_000
        assert split_attachment(stored.attachment_file_id) == ("photo", "AgAC-file")
        assert await initiative_of_cell(session, org.cells["C02"], ini_id) is None
        audits = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity == "initiative", AuditEntry.action == "status"
                )
            )
        ).all()
    assert [(a.before or {}).get("status") for a in audits] == ["registered", "in_progress"]
    async with session_factory.begin() as session:
        ini2 = await initiative_of_cell(session, cell, ini_id)
        assert ini2 is not None
        await change_status(session, ini2, InitiativeStatus.IN_PROGRESS, actor_account_id=None)
        assert ini2.completed_at is None
        await change_status(
            session, ini2, InitiativeStatus.DROPPED, actor_account_id=None, drop_reason="Hết vốn"
        )
        assert ini2.drop_reason == "Hết vốn"
        await change_status(session, ini2, InitiativeStatus.REGISTERED, actor_account_id=None)
        assert ini2.drop_reason is None


async def test_lists_filter_and_paginate(session_factory: SessionFactory) -> None:
    org, members = await _setup(session_factory, per_cell=6)
    cell = org.cells["C01"]
    async with session_factory.begin() as session:
        for i, member in enumerate(members):
            data = NewInitiative(InitiativeKind.OTHER, f"Việc {i}", YEAR if i % 2 else YEAR - 1)
            await register(session, cell, [member.id], data, actor_account_id=None)
        await register(session, cell, [members[1].id], TUNNEL, actor_account_id=None)
        (first,) = (await list_initiatives(session, cell, member_id=members[1].id, page_size=1))[0]
        ini = await initiative_of_cell(session, cell, first.id)
        assert ini is not None
        await change_status(session, ini, InitiativeStatus.COMPLETED, actor_account_id=None)
    async with session_factory() as session:
        rows, total = await list_initiatives(session, cell, year=YEAR, page_size=2)
        assert total == 4 and len(rows) == 2 and all(r.year == YEAR for r in rows)
        rows2, _ = await list_initiatives(session, cell, year=YEAR, page=1, page_size=2)
        assert not {r.id for r in rows} & {r.id for r in rows2}
        done, total = await list_initiatives(session, cell, status=InitiativeStatus.COMPLETED)
        assert total == 1 and done[0].title == TUNNEL.title
        assert done[0].member_name == members[1].full_name
        _mine, total = await list_initiatives(session, cell, member_id=members[1].id)
        assert total == 2
        assert (await list_initiatives(session, org.cells["C02"]))[1] == 0


async def test_coverage_per_cell_and_subtree(session_factory: SessionFactory) -> None:
    org, members = await _setup(session_factory, per_cell=5)
    cell = org.cells["C01"]
    c2 = await _members(session_factory, org.cells["C02"])
    async with session_factory.begin() as session:
        # C01: exempt member (not counted) with an initiative; a dropped one does not cover.
        exempt = await session.get(Member, members[4].id)
        assert exempt is not None
        exempt.status = MemberStatus.EXEMPT.value
        a = await register(
            session, cell, [m.id for m in members[:2]], TUNNEL, actor_account_id=None
        )
        await change_status(
            session, a[0], InitiativeStatus.COMPLETED, actor_account_id=None, realised_amount_vnd=5
        )
        b = await register(
            session,
            cell,
            [members[2].id, members[4].id],
            NewInitiative(InitiativeKind.OTHER, "Bỏ", YEAR),
            actor_account_id=None,
        )
        await change_status(
            session, b[0], InitiativeStatus.DROPPED, actor_account_id=None, drop_reason="x"
        )
        await register(
            session,
            cell,
            [members[3].id],
            NewInitiative(InitiativeKind.OTHER, "Cũ", YEAR - 1),
            actor_account_id=None,
        )
        # C02: everyone covered, one completed twice.
        c2_inis = await register(
            session, org.cells["C02"], [m.id for m in c2], TUNNEL, actor_account_id=None
        )
        for ini in c2_inis[:1]:
            await change_status(
                session,
                ini,
                InitiativeStatus.COMPLETED,
                actor_account_id=None,
                realised_amount_vnd=33_000_000_000,
            )
    async with session_factory() as session:
        cov = await cell_coverage(session, cell, YEAR)
        assert (cov.active_members, cov.covered_members, cov.completed_members) == (4, 2, 1)
        assert cov.coverage == 0.5 and cov.completion == 0.25 and cov.uncovered_members == 2
        assert (cov.initiatives, cov.completed_initiatives, cov.realised_vnd) == (3, 1, 5)
        by_cell = await coverage_by_cell(session, org.grassroots["LH"], YEAR)
        assert set(by_cell) == {cell, org.cells["C02"]}
        assert by_cell[org.cells["C02"]].coverage == 1.0
        assert by_cell[org.cells["C02"]].realised_vnd == 33_000_000_000
        total = await subtree_coverage(session, org.province, YEAR)
        assert (total.active_members, total.covered_members, total.completed_members) == (14, 7, 2)
        dt_cell = (await coverage_by_cell(session, org.grassroots["DT"], YEAR))[org.cells["DT1"]]
        assert dt_cell.coverage == 0.0 and dt_cell.initiatives == 0
        per_member = {m.member_id: m for m in await member_coverage(session, cell, YEAR)}
        assert per_member[members[0].id].covered and per_member[members[0].id].completed == 1
        assert not per_member[members[2].id].covered  # dropped only
        assert not per_member[members[3].id].covered  # last year only
        assert not per_member[members[4].id].active
        empty = await cell_coverage(session, cell, YEAR + 5)
        assert empty.covered_members == 0 and empty.active_members == 4


def test_clean_title() -> None:
    assert clean_title("  a   b ") == "a b"
    assert clean_title("x" * 200) == "x" * 200
    assert clean_title("x" * 201) is None
    assert clean_title("   ") is None
    assert split_attachment("video:1") is None and split_attachment(None) is None


async def test_demo_seed_spreads_coverage_and_is_idempotent(
    session_factory: SessionFactory,
) -> None:
    from storage.orgs import get_unit_by_code
    from storage.synthetic.demo import seed_demo
    from storage.synthetic.demo_initiatives import seed_demo_initiatives

    async with session_factory.begin() as session:
        await seed_demo(session, seed=2024)
    async with session_factory.begin() as session:
        assert await seed_demo_initiatives(session, 2024) == 0  # already seeded
        await seed_demo(session, seed=2024)
    async with session_factory() as session:
        root = await get_unit_by_code(session, "QN")
        assert root is not None
        year = clock.now().year
        by_cell = await coverage_by_cell(session, root.id, year)
        count = len((await session.scalars(select(Initiative.id))).all())
        tunnel = (
            await session.scalars(
                select(Initiative).where(Initiative.realised_amount_vnd == 33_000_000_000)
            )
        ).all()
        kinds = set((await session.scalars(select(Initiative.kind))).all())
        groups = (await session.scalars(select(Initiative.group_key))).all()
    ratios = sorted(c.coverage or 0.0 for c in by_cell.values())
    assert len(ratios) == 31
    assert sum(r == 1.0 for r in ratios) >= 2
    assert sum(r < 0.3 for r in ratios) >= 2
    assert sum(0.35 <= r <= 0.95 for r in ratios) >= 18
    assert len(tunnel) == 1 and tunnel[0].status == "completed"
    assert kinds == {k.value for k in InitiativeKind}
    assert any(g is not None for g in groups)
    assert sum(c.completed_initiatives for c in by_cell.values()) > count // 5
    assert sum(c.initiatives for c in by_cell.values()) <= count
