"""The synthetic province: the post-2025 Quảng Ninh tree at full size (planned only), and at a
small scale in the database: counts, consistency, determinism, both databases."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkin_schema import parse_answers
from domain.framework import default_framework
from domain.periods import Period
from storage.db import SessionFactory
from storage.models import (
    Account,
    AttendanceMark,
    AuditEntry,
    Checkin,
    Initiative,
    MeetingSchedule,
    Member,
    OrgUnit,
    RoleGrant,
)
from storage.score_service import score_tree
from storage.synthetic.province import (
    QUANG_NINH,
    ROOT_CODE,
    SYNTHETIC_TELEGRAM_BASE,
    ProvinceShape,
    seed_province,
    split,
)
from storage.synthetic.province_tree import plan_tree, walk
from storage.synthetic.quang_ninh_2025 import BLOCS, COMMUNE_LEVEL
from tests.integration.cli_run import cellbot

SHAPE = ProvinceShape(communes=3, blocs=2, grassroots=8, cells=30, members=700)
END = dt.date(2025, 12, 1)
SEEDED = (
    AttendanceMark,
    Initiative,
    Checkin,
    Member,
    RoleGrant,
    Account,
    MeetingSchedule,
    AuditEntry,
)


async def _seed(sessions: SessionFactory, seed: int = 7, months: int = 14) -> Any:
    async with sessions.begin() as session:
        return await seed_province(
            session, months=months, seed=seed, end_month=END, shape=SHAPE, chunk=97
        )


async def _digest(session: AsyncSession) -> str:
    """A hash of every seeded row, in id order (timestamps included: they are seeded too)."""
    h = hashlib.sha256()
    for model in (OrgUnit, Member, Account, RoleGrant, MeetingSchedule, Checkin, AttendanceMark,
                  Initiative):  # fmt: skip
        table = model.__table__
        rows = await session.execute(select(table).order_by(table.c.id))
        for row in rows.mappings():
            h.update(json.dumps(dict(row), sort_keys=True, default=str).encode())
    return h.hexdigest()


async def _wipe(session: AsyncSession) -> None:
    for model in SEEDED:
        await session.execute(delete(model))
    # Children before parents: delete cells first, the root last.
    for depth in range(4, -1, -1):
        units = (await session.scalars(select(OrgUnit))).all()
        doomed = [u.id for u in units if u.path.count("/") - 2 == depth]
        if doomed:
            await session.execute(delete(OrgUnit).where(OrgUnit.id.in_(doomed)))


async def test_counts_and_consistency(session_factory: SessionFactory) -> None:
    report = await _seed(session_factory)
    assert not report.skipped
    assert report.units == 1 + SHAPE.blocs + SHAPE.grassroots + SHAPE.cells - 2
    assert report.members == SHAPE.members
    assert (report.first_month, report.last_month) == (dt.date(2024, 11, 1), END)

    async with session_factory() as session:
        kinds = dict(
            (await session.execute(select(OrgUnit.kind, func.count()).group_by(OrgUnit.kind))).all()
        )
        # 3 commune-level committees and 2 blocs under the province; under the blocs 5
        # grassroots organisations, 2 of them chi bộ cơ sở (cells themselves); no district.
        assert kinds == {"province": 1, "bloc": 2, "grassroots": 6, "cell": 30}
        grassroots_cells = await session.scalar(
            select(func.count()).select_from(OrgUnit).where(OrgUnit.sort == "grassroots")
        )
        assert grassroots_cells == 2
        sizes = [
            n
            for (n,) in await session.execute(
                select(func.count()).select_from(Member).group_by(Member.cell_id)
            )
        ]
        assert len(sizes) == 30 and sum(sizes) == 700
        assert min(sizes) == SHAPE.roster_min and max(sizes) == SHAPE.roster_max

        # Every cell has a secretary with a synthetic Telegram id; supervisors above.
        secretaries = await session.scalar(
            select(func.count(func.distinct(RoleGrant.unit_id))).where(
                RoleGrant.role == "secretary"
            )
        )
        assert secretaries == 30
        assert await session.scalar(select(func.min(Account.telegram_id))) > (
            SYNTHETIC_TELEGRAM_BASE
        )
        supervisors = await session.scalar(
            select(func.count()).select_from(RoleGrant).where(RoleGrant.role == "supervisor")
        )
        assert supervisors == 1 + 2 + 6  # the province, the blocs, the grassroots committees

        # Check-ins: submitted, inside the history, columns agree with the answers record.
        checkins = (await session.scalars(select(Checkin))).all()
        assert report.checkins == len(checkins) > 30 * 14 * 0.6
        assert {c.status for c in checkins} == {"submitted"}
        assert {c.month for c in checkins} <= {
            dt.date(2024 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(14)
        }
        marks = dict(
            (
                await session.execute(
                    select(AttendanceMark.checkin_id, func.count()).group_by(
                        AttendanceMark.checkin_id
                    )
                )
            ).all()
        )
        for c in checkins:
            answers = parse_answers(c.answers, c.schema_version)
            columns = answers.to_columns()
            assert {k: getattr(c, k) for k in columns} == columns, c.id
            if c.held:
                assert c.present_count + c.absent_excused + c.absent_unexcused == c.expected_count
                assert marks.get(c.id, 0) == c.absent_excused + c.absent_unexcused
                assert c.slot == ("thematic" if c.meeting_type == "thematic" else "regular")
            else:
                assert answers.not_held_reason and c.id not in marks
        # Varied: some meetings not fully attended, some months missing, thematic ones held.
        assert any(c.absent_unexcused for c in checkins)
        assert len({(c.cell_id, c.month) for c in checkins if c.slot == "regular"}) < 30 * 14
        assert any(c.meeting_type in ("thematic", "combined") for c in checkins)

        # Initiatives only for members of their own cell.
        stray = await session.scalar(
            select(func.count())
            .select_from(Initiative)
            .join(Member, Member.id == Initiative.member_id)
            .where(Member.cell_id != Initiative.cell_id)
        )
        assert stray == 0 and report.initiatives > 0

        # The scoring service reads it: every cell gets a result for the last year.
        scores = await score_tree(
            session, default_framework(), ROOT_CODE, Period("year", 2025, 1), as_of=END
        )
        assert len(scores.cells) == 30
        assert len({s.result.band for s in scores.cells}) > 1

    # PostgreSQL sequences were moved past the explicit ids: a normal insert still works.
    async with session_factory.begin() as session:
        session.add(OrgUnit(code="NEW", name="Mới", kind="province", path="/x/"))
        await session.flush()


async def test_deterministic_for_a_seed_and_idempotent(session_factory: SessionFactory) -> None:
    await _seed(session_factory, seed=7)
    async with session_factory() as session:
        first = await _digest(session)
    again = await _seed(session_factory, seed=7)
    assert again.skipped  # the root exists: nothing added

    async with session_factory.begin() as session:
        await _wipe(session)
    await _seed(session_factory, seed=7)
    async with session_factory() as session:
        assert await _digest(session) == first

    async with session_factory.begin() as session:
        await _wipe(session)
    await _seed(session_factory, seed=8)
    async with session_factory() as session:
        assert await _digest(session) != first


def test_split_sums_and_bounds() -> None:
    import random

    for seed in range(20):
        rng = random.Random(seed)
        sizes = split(500, 23, rng, minimum=5, maximum=60, extremes=True)
        assert sum(sizes) == 500 and min(sizes) == 5 and max(sizes) == 60


def test_the_full_size_tree_is_quang_ninh_since_2025() -> None:
    """Default shape: the 54 real commune-level committees (30 wards, 22 communes, 2 special
    zones) and the bloc committees under the province, no district, 4,971 cells, distinct
    cell names under each committee, Lục Hồn's cells named after its villages."""
    import itertools
    import random

    root = plan_tree(QUANG_NINH, random.Random(2024), itertools.count(1))
    units = list(walk(root))
    assert "district" not in {u.kind for u in units}
    communes = [u for u in root.children if u.kind == "grassroots"]
    assert [u.name for u in communes] == [c.committee for c in COMMUNE_LEVEL]
    assert Counter(u.sort for u in communes) == {"ward": 30, "commune": 22, "special_zone": 2}
    assert {u.name for u in root.children if u.kind == "bloc"} == {b.name for b in BLOCS}
    cells = [u for u in units if u.kind == "cell"]
    assert len(cells) == QUANG_NINH.cells
    grassroots = [u for u in units if u.kind == "grassroots" or u.sort == "grassroots"]
    assert len(grassroots) == QUANG_NINH.grassroots
    for unit in units:
        names = [c.name for c in unit.children]
        assert len(names) == len(set(names)), unit.name
    luc_hon = next(u for u in communes if u.name == "Đảng bộ xã Lục Hồn")
    assert luc_hon.children[0].name == "Chi bộ thôn Lục Nà"


async def test_org_show_of_the_province_seed(
    tmp_path: Path, db_url: str, session_factory: SessionFactory
) -> None:
    shape = ProvinceShape(communes=54, blocs=6, grassroots=80, cells=200, members=3_000)
    async with session_factory.begin() as session:
        await seed_province(session, months=1, seed=3, end_month=END, shape=shape)
    shown = cellbot(tmp_path, "org", "show", ROOT_CODE, DATABASE_URL=db_url)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    under_province = [line[2:] for line in lines if line.startswith("  ") and line[2] != " "]
    committees = [line.split("  ", 1)[1] for line in under_province]
    commune_level = [n for n in committees if n.startswith(("Đảng bộ phường", "Đảng bộ xã",
                                                             "Đảng bộ đặc khu"))]  # fmt: skip
    assert len(commune_level) == 54
    for place in COMMUNE_LEVEL:
        assert any(n.startswith(f"{place.committee} (") for n in commune_level), place.name
    assert not any(w in shown.stdout for w in ("Huyện ủy", "Thành ủy", "Thị ủy", "district"))

    # A database holds one tree: the small demo is refused next to the province.
    async with session_factory() as session:
        units = await session.scalar(select(func.count()).select_from(OrgUnit))
    refused = cellbot(tmp_path, "demo", "seed", DATABASE_URL=db_url)
    assert refused.returncode == 1 and "database of its own" in refused.stderr
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(OrgUnit)) == units
