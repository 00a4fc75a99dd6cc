"""Period locks: a supervisor freezes a period's check-ins for the annual review.

A lock on a unit covers every cell below it; a lock on a year covers its quarters and
months, a quarter its months.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OrgUnit, PeriodLock


def periods_covering(month: dt.date) -> list[str]:
    """The period labels whose lock freezes `month`: '2026', '2026-Q2', '2026-05'."""
    quarter = (month.month - 1) // 3 + 1
    return [f"{month.year}", f"{month.year}-Q{quarter}", f"{month.year}-{month.month:02d}"]


async def ancestor_ids(session: AsyncSession, unit_id: int) -> list[int]:
    path = await session.scalar(select(OrgUnit.path).where(OrgUnit.id == unit_id))
    if path is None:
        return []
    return [int(part) for part in path.strip("/").split("/") if part]


async def lock_for(session: AsyncSession, cell_id: int, month: dt.date) -> PeriodLock | None:
    """The lock that freezes this cell's month, if any."""
    units = await ancestor_ids(session, cell_id)
    if not units:
        return None
    return await session.scalar(
        select(PeriodLock)
        .where(PeriodLock.unit_id.in_(units), PeriodLock.period.in_(periods_covering(month)))
        .limit(1)
    )


async def is_locked(session: AsyncSession, cell_id: int, month: dt.date) -> bool:
    return await lock_for(session, cell_id, month) is not None
