"""The tasks a meeting sets for the next month (``meeting_tasks``), item by item, and how the
following meeting found each.

Written from a submitted check-in's answers in its own transaction (``write_tasks``): the
check-in's ``next_tasks`` become rows, and the statuses it gave last month's tasks
(``task_review``) are set on those rows. Read by the next draft (``prior_tasks``), the
pre-meeting brief (``open_tasks``), the minutes, and the supervisors' views and exports.
Also what the cell's previous meeting had that the next one offers as one-tap defaults
(``previous_meeting``: the place, the chair, the thư ký).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkin_schema import CheckinAnswers, PreviousMeeting, PriorTask, parse_answers
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


async def write_tasks(
    session: AsyncSession, checkin: Checkin, answers: CheckinAnswers, *, first: bool = False
) -> None:
    """Store a submitted check-in's tasks and its review of last month's, in the caller's
    transaction (on submit, and again on every edit after it). A task whose text is
    unchanged keeps its row, so its id (which the next month's review and carry-over refer
    to) and the status that review gave it stay with it; a changed text is a new task.
    `first`: its first submit, so it has no tasks and has reviewed none yet."""
    existing: list[MeetingTask] = []
    if not first:
        existing = list(
            await session.scalars(
                select(MeetingTask)
                .where(MeetingTask.checkin_id == checkin.id)
                .order_by(MeetingTask.seq)
            )
        )
    by_text: dict[str, list[MeetingTask]] = {}
    for row in existing:
        by_text.setdefault(row.text, []).append(row)
    items = (answers.next_tasks or []) if answers.held else []
    kept = [(item, _take(by_text.get(item.text))) for item in items]
    kept_ids = {old.id for _item, old in kept if old is not None}
    gone = [row.id for row in existing if row.id not in kept_ids]
    if gone:
        await session.execute(delete(MeetingTask).where(MeetingTask.id.in_(gone)))
    # Kept rows may swap places: out of the way of (checkin_id, seq) first.
    for seq, (_item, old) in enumerate(kept):
        if old is not None:
            old.seq = -1 - seq
    await session.flush()
    for seq, (item, old) in enumerate(kept):
        task = old or MeetingTask(checkin_id=checkin.id, cell_id=checkin.cell_id)
        if old is None:
            session.add(task)
        task.seq = seq
        task.month = checkin.month
        task.text = item.text
        task.owner_member_id = item.owner_id
        task.carried_from_id = item.carried_from
    await session.flush()
    await _write_review(session, checkin, answers, first=first)


def _take(rows: list[MeetingTask] | None) -> MeetingTask | None:
    return rows.pop(0) if rows else None


async def _write_review(
    session: AsyncSession, checkin: Checkin, answers: CheckinAnswers, *, first: bool
) -> None:
    """The statuses this check-in gave last month's tasks; a status it no longer gives (the
    meeting now reported as not held, say) is taken back (`first`: it gave none yet)."""
    known = {p.id for p in answers.prior_tasks}
    review = {k: v for k, v in answers.task_review.items() if k in known} if answers.held else {}
    if not first:
        await session.execute(
            update(MeetingTask)
            .where(
                MeetingTask.reviewed_checkin_id == checkin.id,
                MeetingTask.id.not_in(list(review)),
            )
            .values(status=None, reviewed_checkin_id=None)
        )
    if review:
        # One statement for all of them (executemany), not one a task. On the table, not
        # the ORM: last month's tasks are never loaded as objects here, so none goes stale.
        table = cast(Table, MeetingTask.__table__)
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.cell_id == checkin.cell_id)
            .values(status=bindparam("b_status"), reviewed_checkin_id=checkin.id),
            [{"b_id": task_id, "b_status": status} for task_id, status in review.items()],
        )


async def previous_meeting(
    session: AsyncSession, cell_id: int, month: dt.date
) -> PreviousMeeting | None:
    """The place, chair and thư ký of the cell's latest submitted held meeting before `month`
    (None: there is none, or it did not record them)."""
    row = (
        await session.execute(
            select(Checkin.answers, Checkin.schema_version)
            .where(
                Checkin.cell_id == cell_id,
                Checkin.month < month,
                Checkin.status == CheckinStatus.SUBMITTED.value,
                Checkin.held.is_(True),
            )
            .order_by(Checkin.month.desc(), Checkin.slot)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    a = parse_answers(row.answers, row.schema_version)
    if a.place is None and a.chair_id is None and a.clerk_id is None:
        return None
    return PreviousMeeting(place=a.place, chair_id=a.chair_id, clerk_id=a.clerk_id)
