"""SQL persistence: PTB's write-behind calls, all at once as PTB makes them, land in one
batch and read back exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import event, func, select

from storage.db import SessionFactory
from storage.models import BotState
from storage.persistence import SQLPersistence


async def test_concurrent_writes_are_batched_and_read_back(
    session_factory: SessionFactory,
) -> None:
    persistence = SQLPersistence(session_factory)
    commits: list[object] = []
    engine = session_factory.kw["bind"].sync_engine

    def on_commit(connection: object) -> None:
        commits.append(connection)

    event.listen(engine, "commit", on_commit)
    await asyncio.gather(
        *(persistence.update_user_data(uid, {"ci": {"d": uid, "q": "time"}}) for uid in range(50)),
        *(persistence.update_conversation("checkin", (uid, uid), 0) for uid in range(50)),
    )
    event.remove(engine, "commit", on_commit)
    assert len(commits) == 1, "one transaction for the whole round"
    assert persistence._pending == {} and persistence._batch is None
    # A later round: changes, deletes and a conversation that ends.
    await asyncio.gather(
        persistence.update_user_data(3, {"ci": None}),
        persistence.drop_user_data(4),
        persistence.update_conversation("checkin", (5, 5), None),
        persistence.update_conversation("checkin", (6, 6), 2),
    )
    fresh = SQLPersistence(session_factory)
    users = await fresh.get_user_data()
    assert len(users) == 49 and 4 not in users
    assert users[3] == {"ci": None} and users[7] == {"ci": {"d": 7, "q": "time"}}
    conversations = await fresh.get_conversations("checkin")
    assert len(conversations) == 49 and (5, 5) not in conversations
    assert conversations[(6, 6)] == 2 and conversations[(8, 8)] == 0


async def test_data_json_cannot_hold_is_skipped_without_losing_the_rest(
    session_factory: SessionFactory,
) -> None:
    persistence = SQLPersistence(session_factory)
    await asyncio.gather(
        persistence.update_user_data(1, {"bad": {1, 2}}),  # a set: not JSON
        persistence.update_user_data(2, {"good": True}),
    )
    async with session_factory() as session:
        rows = await session.scalar(select(func.count()).select_from(BotState))
    assert rows == 1
    assert await SQLPersistence(session_factory).get_user_data() == {2: {"good": True}}
