"""PTB persistence on SQL: one row per key in `bot_state`.

PTB writes through this class behind the scenes (every `update_interval` and at shutdown),
so it is a convenience for resuming conversations, never the record of a user's answers:
those are written by the handlers as they are given.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.db import SessionFactory, writing
from storage.models import BotState

log = logging.getLogger(__name__)

UserData = dict[Any, Any]
_DELETED = object()  # a pending delete, in the batch of pending writes


class SQLPersistence(BasePersistence[UserData, dict[Any, Any], dict[Any, Any]]):
    def __init__(self, session_factory: SessionFactory, *, update_interval: float = 10) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._sessions = session_factory
        self._pending: dict[tuple[str, str], Any] = {}
        self._batch: asyncio.Future[None] | None = None

    async def _load(self, kind: str) -> dict[str, Any]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(BotState.key, BotState.data).where(BotState.kind == kind)
            )
            return {key: data for key, data in rows.all()}

    async def _upsert(self, kind: str, key: str, data: Any) -> None:
        json.dumps(data)  # refuse what the JSON column cannot hold before it joins a batch
        await self._queue(kind, key, data)

    async def _delete(self, kind: str, key: str) -> None:
        await self._queue(kind, key, _DELETED)

    async def _queue(self, kind: str, key: str, data: Any) -> None:
        """Join the batch being written, or start one.

        PTB writes behind the scenes with one call per user and per conversation, all at
        once; one transaction each made them fight for SQLite's single writer (measured:
        ~9 ms each, 15 % of a check-in benchmark's wall time). One transaction per batch.
        """
        self._pending[(kind, key)] = data
        if self._batch is None:
            self._batch = asyncio.ensure_future(self._write_batch())
        await asyncio.shield(self._batch)

    async def _write_batch(self) -> None:
        await asyncio.sleep(0)  # the calls of the same round join this batch
        self._batch = None
        pending, self._pending = self._pending, {}
        upserts = [
            {"kind": kind, "key": key, "data": data}
            for (kind, key), data in pending.items()
            if data is not _DELETED
        ]
        deleted: dict[str, list[str]] = defaultdict(list)
        for (kind, key), data in pending.items():
            if data is _DELETED:
                deleted[kind].append(key)
        with writing():
            await self._write(upserts, deleted)

    async def _write(self, upserts: Any, deleted: dict[str, list[str]]) -> None:
        async with self._sessions.begin() as session:
            if upserts:
                dialect = session.get_bind().dialect.name
                stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(BotState)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[BotState.kind, BotState.key],
                    set_={"data": stmt.excluded.data},
                )
                await session.execute(stmt, upserts)
            for kind, keys in deleted.items():
                await session.execute(
                    delete(BotState).where(BotState.kind == kind, BotState.key.in_(keys))
                )

    # --- user data
    async def get_user_data(self) -> dict[int, UserData]:
        return {int(k): dict(v) for k, v in (await self._load("user_data")).items()}

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        try:
            await self._upsert("user_data", str(user_id), data)
        except TypeError:
            log.warning("user_data of %s is not JSON-serialisable; not persisted", user_id)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        await self._delete("user_data", str(user_id))

    # --- chat and bot data are not persisted (store_data says so); PTB still needs the API.
    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return defaultdict(dict)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    # --- conversations
    async def get_conversations(self, name: str) -> ConversationDict:
        stored = await self._load(f"conv:{name}")
        return {tuple(json.loads(key)): state for key, state in stored.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded = json.dumps(list(key))
        if new_state is None:
            await self._delete(f"conv:{name}", encoded)
        else:
            await self._upsert(f"conv:{name}", encoded, new_state)

    async def flush(self) -> None:
        return None
