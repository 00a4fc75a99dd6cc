"""Period locks: a supervisor freezes a period's check-ins for the annual review.

A lock on a unit covers every cell below it; a lock on a year covers its quarters and
months, a quarter its months.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Exists,
    Integer,
    String,
    case,
    cast,
    exists,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from storage.models import OrgUnit, PeriodLock

DateColumn = ColumnElement[dt.date] | QueryableAttribute[dt.date]


def periods_covering(month: dt.date) -> list[str]:
    """The period labels whose lock freezes `month`: '2026', '2026-Q2', '2026-05'."""
    quarter = (month.month - 1) // 3 + 1
    return [f"{month.year}", f"{month.year}-Q{quarter}", f"{month.year}-{month.month:02d}"]


def covering_labels(month: DateColumn, dialect: str) -> list[ColumnElement[str]]:
    """`periods_covering` in SQL, for a month held in a column: lets the lock check ride
    along with the query that loads the check-in instead of costing a statement of its own."""
    if dialect == "postgresql":
        year = func.to_char(month, "YYYY", type_=String)
        quarter = func.to_char(month, "Q", type_=String)
        return [year, year + "-Q" + quarter, func.to_char(month, "YYYY-MM", type_=String)]
    year = func.strftime("%Y", month, type_=String)
    number = cast(func.strftime("%m", month), Integer)
    sqlite_quarter = case((number <= 3, "1"), (number <= 6, "2"), (number <= 9, "3"), else_="4")
    return [year, year + "-Q" + sqlite_quarter, func.strftime("%Y-%m", month, type_=String)]


def month_locked(
    month: DateColumn, unit_ids: list[int] | BindParameter[Any], dialect: str
) -> Exists:
    """Whether a lock on any of `unit_ids` (a cell and its ancestors) covers `month`."""
    return exists().where(
        PeriodLock.unit_id.in_(unit_ids), PeriodLock.period.in_(covering_labels(month, dialect))
    )


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
