"""The tasks a meeting sets for the next month (``meeting_tasks``), item by item, and how the
following meeting found each.

Written from a submitted check-in's answers in its own transaction (``write_tasks``): the
check-in's ``next_tasks`` become rows, and the statuses it gave last month's tasks
(``task_review``) are set on those rows. Read by the next draft (``prior_tasks``), the
pre-meeting brief (``open_tasks``), the minutes, and the supervisors' views and exports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkin_schema import CheckinAnswers, PriorTask
from storage.models import Checkin, CheckinStatus, MeetingTask, Member


@dataclass(frozen=True)
class TaskRow:
    id: int
    month: dt.date  # the month of the meeting that set it
    seq: int
    text: str
    owner_id: int | None
    owner_name: str | None
    status: str | None  # None: not reviewed yet


async def _latest_tasks_checkin(session: AsyncSession, cell_id: int, before: dt.date) -> int | None:
    """The latest submitted check-in before `before` (a month) that set tasks."""
    checkin_id: int | None = await session.scalar(
        select(MeetingTask.checkin_id)
        .join(Checkin, Checkin.id == MeetingTask.checkin_id)
        .where(
            MeetingTask.cell_id == cell_id,
            MeetingTask.month < before,
            Checkin.status == CheckinStatus.SUBMITTED.value,
        )
        .order_by(MeetingTask.month.desc(), MeetingTask.checkin_id.desc())
        .limit(1)
    )
    return checkin_id


async def _rows(session: AsyncSession, checkin_id: int) -> list[TaskRow]:
    result = await session.execute(
        select(MeetingTask, Member.full_name)
        .outerjoin(Member, Member.id == MeetingTask.owner_member_id)
        .where(MeetingTask.checkin_id == checkin_id)
        .order_by(MeetingTask.seq)
    )
    return [
        TaskRow(t.id, t.month, t.seq, t.text, t.owner_member_id, name, t.status)
        for t, name in result.all()
    ]


async def prior_tasks(session: AsyncSession, cell_id: int, month: dt.date) -> list[PriorTask]:
    """Last month's tasks to review in the check-in of `month`: those of the latest earlier
    submitted check-in that set any (a skipped month does not lose them)."""
    checkin_id = await _latest_tasks_checkin(session, cell_id, month)
    if checkin_id is None:
        return []
    return [
        PriorTask(id=r.id, text=r.text, owner_id=r.owner_id)
        for r in await _rows(session, checkin_id)
    ]


async def open_tasks(session: AsyncSession, cell_id: int, month: dt.date) -> list[TaskRow]:
    """The tasks the meeting of `month` is to review that are not done yet (not reviewed, or
    reviewed as less than done), with their owners' names: for the pre-meeting brief."""
    checkin_id = await _latest_tasks_checkin(session, cell_id, month)
    if checkin_id is None:
        return []
    return [r for r in await _rows(session, checkin_id) if r.status != "done"]


async def tasks_of_checkin(session: AsyncSession, checkin_id: int) -> list[TaskRow]:
    """The tasks a check-in set, in order, with owners' names and their review status."""
    return await _rows(session, checkin_id)


async def write_tasks(session: AsyncSession, checkin: Checkin, answers: CheckinAnswers) -> None:
    """Store a submitted check-in's tasks and its review of last month's, in the caller's
    transaction. Rows are replaced on an edit; a row the following month already reviewed
    keeps its id and status when its text is unchanged (so that review is not lost)."""
    existing = {
        t.seq: t
        for t in (
            await session.scalars(select(MeetingTask).where(MeetingTask.checkin_id == checkin.id))
        ).all()
    }
    items = answers.next_tasks if answers.held else None
    items = items or []
    for seq, item in enumerate(items):
        row = existing.pop(seq, None)
        if row is None:
            row = MeetingTask(checkin_id=checkin.id, cell_id=checkin.cell_id, seq=seq)
            session.add(row)
        elif row.text != item.text:
            row.status, row.reviewed_checkin_id = None, None
        row.month = checkin.month
        row.text = item.text
        row.owner_member_id = item.owner_id
        row.carried_from_id = item.carried_from
    if existing:
        await session.execute(
            delete(MeetingTask).where(MeetingTask.id.in_([t.id for t in existing.values()]))
        )
    review = answers.task_review if answers.held else {}
    known = {p.id for p in answers.prior_tasks}
    for task_id, status in review.items():
        if task_id in known:
            await session.execute(
                update(MeetingTask)
                .where(MeetingTask.id == task_id, MeetingTask.cell_id == checkin.cell_id)
                .values(status=status, reviewed_checkin_id=checkin.id)
            )
