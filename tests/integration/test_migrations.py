from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Base, OrgUnit
from storage.orgfile import UnitRow


async def test_migrations_create_every_model_table(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


# --- 0007: members' Vietnamese sort key and leaving reason (an existing database upgrades) ---

from collections.abc import AsyncIterator  # noqa: E402

import pytest  # noqa: E402
from alembic import command  # noqa: E402
from sqlalchemy import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from domain import clock  # noqa: E402
from domain.vnsort import name_sort_text  # noqa: E402
from storage.db import alembic_config, create_engine  # noqa: E402
from storage.db import create_session_factory as _session_factory  # noqa: E402
from storage.members import roster as _roster  # noqa: E402


async def _h_admin(url: str, statement: str) -> None:
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(statement))
    await admin.dispose()


@pytest.fixture
async def h_unmigrated_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own with no tables yet, to migrate step by step."""
    pg = os.environ.get("CELLBOT_TEST_DATABASE_URL")
    if not pg:
        yield f"sqlite+aiosqlite:///{tmp_path / 'steps.db'}"
        return
    name = f"cellbot_mig_{os.getpid()}_{secrets.token_hex(3)}"
    await _h_admin(pg, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg).set(database=name).render_as_string(hide_password=False)
    finally:
        await _h_admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_0007_backfills_sort_keys_and_keeps_left_members(h_unmigrated_url: str) -> None:
    url = h_unmigrated_url
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0006")
    names = ["Đỗ Văn Đức", "Trần Văn Dũng", "Nguyễn Thị Yến", "Lê Văn An", "Vi Thị Ánh"]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO org_units (id, code, name, kind, parent_id, path, created_at)"
                    " VALUES (1, 'C1', 'Chi bộ thôn 1', 'cell', NULL, '/1/', :at)"
                ),
                {"at": clock.now()},
            )
            for i, name in enumerate(names, start=1):
                await conn.execute(
                    text(
                        "INSERT INTO members (id, cell_id, full_name, status, created_at,"
                        " updated_at) VALUES (:id, 1, :name, :status, :at, :at)"
                    ),
                    {
                        "id": i,
                        "name": name,
                        "status": "left" if name == "Nguyễn Thị Yến" else "official",
                        "at": clock.now(),
                    },
                )
        await engine.dispose()
        await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
        engine = create_engine(url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT full_name, sort_key, status, left_reason, left_on FROM members")
                )
            ).all()
        assert {r[0]: r[1] for r in rows} == {n: name_sort_text(n) for n in names}
        left = next(r for r in rows if r[0] == "Nguyễn Thị Yến")
        assert (left[2], left[3], left[4]) == ("left", None, None)
        async with _session_factory(engine)() as session:
            order = [m.full_name for m in await _roster(session, 1, include_left=True)]
        assert order == ["Lê Văn An", "Vi Thị Ánh", "Trần Văn Dũng", "Đỗ Văn Đức", "Nguyễn Thị Yến"]
    finally:
        await engine.dispose()


async def test_0006_keeps_a_pre_2025_district_tree_working(tmp_path: Path) -> None:
    """A database at 0005 with a district level: after 0006 the units have no sort, the
    district is still a district, the tree still imports and shows, and it can be folded."""
    from alembic import command
    from sqlalchemy.engine import make_url

    from storage.db import alembic_config, create_engine, create_session_factory
    from storage.orgfold import fold_district
    from storage.orgs import import_units, tree_lines
    from tests.conftest import PG_URL, _pg_admin

    if PG_URL:
        name = f"cellbot_mig_{os.getpid()}_{secrets.token_hex(3)}"
        await asyncio.to_thread(_pg_admin, PG_URL, f'CREATE DATABASE "{name}"')
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url, pool_size=2)
    try:
        await asyncio.to_thread(command.upgrade, alembic_config(url), "0005")
        paths: dict[str, str] = {}
        ids: dict[str, int] = {}
        async with engine.begin() as conn:
            for code, kind, parent in OLD_TREE:
                ids[code] = (
                    await conn.execute(
                        text(
                            "INSERT INTO org_units (code, name, kind, parent_id, path, created_at)"
                            " VALUES (:code, :name, :kind, :parent, '', :at) RETURNING id"
                        ),
                        {
                            "code": code,
                            "name": f"Đơn vị {code}",
                            "kind": kind,
                            "parent": ids[parent] if parent else None,
                            "at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                        },
                    )
                ).scalar_one()
                paths[code] = f"{paths[parent] if parent else '/'}{ids[code]}/"
                await conn.execute(
                    text("UPDATE org_units SET path = :path WHERE id = :id"),
                    {"path": paths[code], "id": ids[code]},
                )
        await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
        await engine.dispose()  # PostgreSQL caches the old row type of org_units per connection

        async with create_session_factory(engine).begin() as session:
            units = {u.code: u for u in (await session.scalars(select(OrgUnit))).all()}
            assert {u.sort for u in units.values()} == {None}
            assert units["QN-BL"].kind == "district"
            lines = await tree_lines(session, None)
            assert [(line.depth, line.code) for line in lines][:3] == [
                (0, "QN"),
                (1, "QN-BL"),
                (2, "QN-BL-LH"),
            ]
            # the old tree takes new rows under its district level and its committees
            report = await import_units(
                session,
                [
                    UnitRow(1, "QN-BL-LH-C02", "Chi bộ thôn Khe Tiền", "cell", "QN-BL-LH"),
                    UnitRow(2, "QN-BL-HT", "Đảng bộ xã Hoành Mô", "commune", "QN-BL"),
                ],
            )
            assert report.created == 2 and not report.rejected
        async with create_session_factory(engine).begin() as session:
            folded = await fold_district(session, "QN-BL")
            assert sorted(folded.moved) == ["QN-BL-HT", "QN-BL-LH"]
        async with create_session_factory(engine)() as session:
            kinds = (await session.scalars(select(OrgUnit.kind).order_by(OrgUnit.kind))).all()
            assert "district" not in kinds and kinds.count("cell") == 2
    finally:
        await engine.dispose()
        if PG_URL:
            await asyncio.to_thread(
                _pg_admin, PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            )


OLD_TREE = [
    ("QN", "province", None),
    ("QN-BL", "district", "QN"),
    ("QN-BL-LH", "grassroots", "QN-BL"),
    ("QN-BL-LH-C01", "cell", "QN-BL-LH"),
]


# --- every revision downgrades and upgrades again ---------------------------------------------


async def _schema(url: str) -> dict[str, set[str]]:
    """Each table's columns and indexes, as the database reports them."""
    engine = create_engine(url)

    def read(sync: object) -> dict[str, set[str]]:
        found = inspect(sync)
        return {
            table: {c["name"] for c in found.get_columns(table)}
            | {f"ix:{i['name']}" for i in found.get_indexes(table)}
            for table in found.get_table_names()
        }

    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def test_every_revision_downgrades_then_upgrades_to_the_same_schema(
    h_unmigrated_url: str,
) -> None:
    """Each migration's downgrade undoes exactly its upgrade: stepping down one revision and
    up again gives back the same tables, columns and indexes, from the head to the first."""
    from alembic.script import ScriptDirectory

    config = alembic_config(h_unmigrated_url)
    revisions = [s.revision for s in ScriptDirectory.from_config(config).walk_revisions()]
    assert len(revisions) >= 13 and revisions[-1] == "0001"
    await asyncio.to_thread(command.upgrade, config, "head")
    for revision, below in zip(revisions, [*revisions[1:], "base"], strict=True):
        await asyncio.to_thread(command.upgrade, config, revision)
        before = await _schema(h_unmigrated_url)
        await asyncio.to_thread(command.downgrade, config, below)
        after_down = await _schema(h_unmigrated_url)
        assert after_down != before, f"{revision}'s downgrade changed nothing"
        await asyncio.to_thread(command.upgrade, config, revision)
        assert await _schema(h_unmigrated_url) == before, revision
        await asyncio.to_thread(command.downgrade, config, below)
