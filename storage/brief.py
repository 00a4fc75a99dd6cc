"""The facts of the chi ủy's pre-meeting brief that are neither tasks (storage/tasks.py) nor
members to watch (storage/ledger.py, rules in domain/member_rules.py): whether the quarter's
thematic meeting is still due, and where the cell last met.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.periods import add_months
from storage.models import Checkin, CheckinStatus

THEMATIC_TYPES = ("thematic", "combined")


async def thematic_held(session: AsyncSession, cell_id: int, quarter_start: dt.date) -> bool:
    """Whether a thematic (or combined) meeting of the quarter starting `quarter_start` is
    already reported in a submitted check-in."""
    found = await session.scalar(
        select(Checkin.id)
        .where(
            Checkin.cell_id == cell_id,
            Checkin.status == CheckinStatus.SUBMITTED.value,
            Checkin.month >= quarter_start,
            Checkin.month < add_months(quarter_start, 3),
            or_(Checkin.slot == "thematic", Checkin.meeting_type.in_(THEMATIC_TYPES)),
        )
        .limit(1)
    )
    return found is not None


async def last_place(session: AsyncSession, cell_id: int, before: dt.date) -> str | None:
    """Where the latest submitted meeting before `before` was held, when the check-in asked
    (``place`` in its answers); None when no check-in recorded a place."""
    answers = await session.scalar(
        select(Checkin.answers)
        .where(
            Checkin.cell_id == cell_id,
            Checkin.status == CheckinStatus.SUBMITTED.value,
            Checkin.month < before,
        )
        .order_by(Checkin.month.desc(), Checkin.id.desc())
        .limit(1)
    )
    place = (answers or {}).get("place") if isinstance(answers, dict) else None
    return place if isinstance(place, str) and place.strip() else None
