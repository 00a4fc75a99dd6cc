from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Base


async def test_migrations_create_every_model_table(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
