"""A cell's thematic meeting plan (*sinh hoạt chuyên đề*, at least one a quarter, HD 42):
the topic and the presenting member of each quarter of a year (``thematic_plans``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from storage import audit
from storage.models import Member, ThematicPlan

QUARTERS = (1, 2, 3, 4)


@dataclass(frozen=True)
class PlannedTopic:
    quarter: int
    topic: str | None
    presenter_id: int | None
    presenter_name: str | None


async def year_plan(session: AsyncSession, cell_id: int, year: int) -> dict[int, PlannedTopic]:
    """The quarters of `year` that have a plan (a topic, a presenter or both)."""
    rows = await session.execute(
        select(ThematicPlan, Member.full_name)
        .outerjoin(Member, Member.id == ThematicPlan.presenter_member_id)
        .where(ThematicPlan.cell_id == cell_id, ThematicPlan.year == year)
    )
    return {
        p.quarter: PlannedTopic(p.quarter, p.topic, p.presenter_member_id, name)
        for p, name in rows.all()
    }


async def _row(session: AsyncSession, cell_id: int, year: int, quarter: int) -> ThematicPlan:
    row = await session.scalar(
        select(ThematicPlan).where(
            ThematicPlan.cell_id == cell_id,
            ThematicPlan.year == year,
            ThematicPlan.quarter == quarter,
        )
    )
    if row is None:
        row = ThematicPlan(cell_id=cell_id, year=year, quarter=quarter)
        session.add(row)
    return row


def _audit(
    session: AsyncSession, row: ThematicPlan, actor: int, before: dict[str, object] | None
) -> None:
    after = {
        "year": row.year,
        "quarter": row.quarter,
        "topic": row.topic,
        "presenter": row.presenter_member_id,
    }
    audit.record(
        session,
        actor_account_id=actor,
        entity="thematic_plan",
        entity_id=row.cell_id,
        action="set",
        before=before,
        after=after,
    )


def _state(row: ThematicPlan) -> dict[str, object] | None:
    if row.id is None:
        return None
    return {"topic": row.topic, "presenter": row.presenter_member_id}


async def set_topic(
    session: AsyncSession, cell_id: int, year: int, quarter: int, topic: str, *, actor: int
) -> None:
    row = await _row(session, cell_id, year, quarter)
    before = _state(row)
    row.topic, row.updated_by, row.updated_at = topic, actor, clock.now()
    await session.flush()
    _audit(session, row, actor, before)


async def set_presenter(
    session: AsyncSession, cell_id: int, year: int, quarter: int, member_id: int, *, actor: int
) -> None:
    """The member must be the cell's (the caller checks it: callback data can be forged)."""
    row = await _row(session, cell_id, year, quarter)
    before = _state(row)
    row.presenter_member_id, row.updated_by, row.updated_at = member_id, actor, clock.now()
    await session.flush()
    _audit(session, row, actor, before)


async def clear_quarter(
    session: AsyncSession, cell_id: int, year: int, quarter: int, *, actor: int
) -> bool:
    """Remove a quarter's plan; False when there was none."""
    result = await session.execute(
        delete(ThematicPlan)
        .where(
            ThematicPlan.cell_id == cell_id,
            ThematicPlan.year == year,
            ThematicPlan.quarter == quarter,
        )
        .returning(ThematicPlan.id)
    )
    if not result.all():
        return False
    audit.record(
        session,
        actor_account_id=actor,
        entity="thematic_plan",
        entity_id=cell_id,
        action="clear",
        before={"year": year, "quarter": quarter},
        after=None,
    )
    return True
