"""What `cellbot health` reads: the schema revision and the dispatcher's last tick.

The tick is one row of the `bot_state` key/value table (kind "health"), overwritten by every
tick that dispatched: the smallest durable record that lets another process tell whether a
`cellbot run` is alive and sending, without a migration of its own. PTB's persistence only
reads the kinds it writes (user_data, conversations), so it never sees this row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db import SessionFactory, alembic_config
from storage.models import BotState

HEALTH_KIND = "health"
DISPATCHER_TICK = "dispatcher_tick"


async def record_dispatcher_tick(sessions: SessionFactory, at: dt.datetime) -> None:
    """Overwrite the dispatcher's last tick with `at` (one short transaction)."""
    async with sessions.begin() as session:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        values: dict[str, Any] = {
            "kind": HEALTH_KIND,
            "key": DISPATCHER_TICK,
            "data": {"at": at.isoformat()},
            "updated_at": at,
        }
        stmt = insert(BotState).values(values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[BotState.kind, BotState.key],
                set_={"data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at},
            )
        )


async def last_dispatcher_tick(session: AsyncSession) -> dt.datetime | None:
    data = await session.scalar(
        select(BotState.data).where(BotState.kind == HEALTH_KIND, BotState.key == DISPATCHER_TICK)
    )
    if not isinstance(data, dict) or not isinstance(data.get("at"), str):
        return None
    return dt.datetime.fromisoformat(data["at"])


async def schema_revisions(conn: AsyncConnection, url: str) -> tuple[set[str], set[str], set[str]]:
    """(the revisions the database is at, the heads this code's migrations end in, every
    revision this code knows: a database at an unknown one was migrated by a newer cellbot)."""
    current = await conn.run_sync(
        lambda sync: set(MigrationContext.configure(sync).get_current_heads())
    )
    script = ScriptDirectory.from_config(alembic_config(url))
    known = {revision.revision for revision in script.walk_revisions()}
    return current, set(script.get_heads()), known
