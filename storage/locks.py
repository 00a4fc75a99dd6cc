"""Period locks: a supervisor freezes (and lifts) a period's check-ins for the annual review.

A lock on a unit covers every cell below it; a lock on a year covers its quarters and
months, a quarter its months.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
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

from domain.orgpath import path_ids
from domain.periods import Period
from storage import audit
from storage.models import OrgUnit, PeriodLock
from storage.scope import UnitRef
from storage.tree import under_any

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
    return path_ids(path)


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


# ---------------------------------------------------------------- setting and lifting


async def lock_period(
    session: AsyncSession, unit: UnitRef, period: Period, *, actor_account_id: int
) -> bool:
    """Freeze `period` for every cell under `unit`; False when already locked there."""
    existing = await session.scalar(
        select(PeriodLock.id).where(
            PeriodLock.unit_id == unit.id, PeriodLock.period == period.label
        )
    )
    if existing is not None:
        return False
    session.add(PeriodLock(unit_id=unit.id, period=period.label, locked_by=actor_account_id))
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="period_lock",
        entity_id=unit.id,
        action="lock",
        after={"unit": unit.code, "period": period.label},
    )
    return True


@dataclass(frozen=True)
class LockInfo:
    id: int
    unit_id: int
    unit_code: str
    unit_name: str
    period: str
    locked_at: dt.datetime


async def locks_in_scope(session: AsyncSession, roots: Sequence[UnitRef]) -> list[LockInfo]:
    """Locks set on units inside the caller's scope: the ones the caller may lift.

    A lock on an ancestor of the caller's unit is out of reach: only that level or above
    unlocks it.
    """
    if not roots:
        return []
    in_roots = under_any(r.path for r in roots)
    rows = await session.execute(
        select(PeriodLock, OrgUnit.code, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == PeriodLock.unit_id)
        .where(in_roots)
        .order_by(PeriodLock.period.desc(), OrgUnit.code)
    )
    return [
        LockInfo(lock.id, lock.unit_id, code, name, lock.period, lock.locked_at)
        for lock, code, name in rows.all()
    ]


async def unlock(
    session: AsyncSession, roots: Sequence[UnitRef], lock_id: int, *, actor_account_id: int
) -> LockInfo | None:
    """Lift a lock the caller may lift; None when it does not exist or is out of reach."""
    lock = next((x for x in await locks_in_scope(session, roots) if x.id == lock_id), None)
    if lock is None:
        return None
    row = await session.get(PeriodLock, lock_id)
    if row is None:
        return None
    await session.delete(row)
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="period_lock",
        entity_id=lock.unit_id,
        action="unlock",
        before={"unit": lock.unit_code, "period": lock.period},
    )
    return lock
