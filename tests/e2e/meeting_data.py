"""Submitted meetings with tasks, recommendations and absences, written through the storage
code a submit runs (answers validated by the schema, their columns, the attendance marks,
``storage.tasks.write_tasks``), for the read side's tests (/proposals, /summary, /cell, the
export, the minutes, the brief, the member ledger)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from domain.checkin_schema import CheckinAnswers, TaskStatus
from storage.db import SessionFactory
from storage.models import AttendanceMark, Checkin, MeetingTask, Member
from storage.tasks import prior_tasks, write_tasks


@dataclass(frozen=True)
class Meeting:
    checkin_id: int
    task_ids: list[int]  # the tasks it set, in order
    members: list[Member]  # the cell's roster, by id


async def add_submitted(
    session: AsyncSession,
    cell_id: int,
    month: dt.date,
    values: dict[str, Any],
    *,
    submitted_at: dt.datetime | None = None,
) -> tuple[Checkin, CheckinAnswers]:
    """A held regular check-in of `month` (on the 10th at 19:30, 90 minutes; `values` add to
    or replace those answers), submitted: its answers and their columns, an attendance mark
    per entry of ``absences`` (member id -> "excused" or "unexcused") and its tasks."""
    answers = CheckinAnswers.model_validate(
        {
            "held": True,
            "meeting_type": "regular",
            "meeting_date": month.replace(day=10),
            "start_time": "19:30",
            "duration_min": 90,
            "attendance_done": True,
            **values,
        }
    )
    checkin = Checkin(
        cell_id=cell_id,
        month=month,
        slot="regular",
        status="submitted",
        submitted_at=submitted_at or clock.now(),
        answers=answers.as_json(),
        **answers.to_columns(),
    )
    session.add(checkin)
    await session.flush()
    for member_id, kind in dict(values.get("absences") or {}).items():
        session.add(AttendanceMark(checkin_id=checkin.id, member_id=member_id, status=kind))
    await write_tasks(session, checkin, answers)
    return checkin, answers


async def submit_meeting(
    sessions: SessionFactory,
    cell_id: int,
    month: dt.date,
    *,
    tasks: Sequence[tuple[str, int | None]] = (),
    review: Sequence[TaskStatus] = (),
    proposals: str | None = None,
    carried: Sequence[int | None] = (),
    submitted_at: dt.datetime | None = None,
) -> Meeting:
    """A held regular meeting of `month`, submitted: it sets `tasks` (text, index of the owner
    in the roster or None for the whole cell; `carried` the ids they continue), gives last
    month's tasks the statuses `review` in order, and sends `proposals`."""
    async with sessions.begin() as session:
        members = list(
            await session.scalars(
                select(Member).where(Member.cell_id == cell_id).order_by(Member.id)
            )
        )
        prior = await prior_tasks(session, cell_id, month)
        assert len(review) <= len(prior), (review, prior)
        values = {
            "official_members": len(members),
            "duration_min": 100,
            "expected_ids": [m.id for m in members],
            "main_tasks": "Thu hoạch chè vụ thu",
            "speakers": 5,
            "resolution_adopted": True,
            "prior_tasks": [p.model_dump() for p in prior],
            "task_review": {p.id: status for p, status in zip(prior, review, strict=False)},
            "next_tasks": [
                {
                    "text": text,
                    "owner_id": None if owner is None else members[owner].id,
                    "carried_from": carried[i] if i < len(carried) else None,
                }
                for i, (text, owner) in enumerate(tasks)
            ],
            "lists_done": ["next_tasks"],
            "proposals": proposals,
        }
        checkin, _ = await add_submitted(session, cell_id, month, values, submitted_at=submitted_at)
        await session.flush()
        ids = list(
            await session.scalars(
                select(MeetingTask.id)
                .where(MeetingTask.checkin_id == checkin.id)
                .order_by(MeetingTask.seq)
            )
        )
        return Meeting(checkin.id, ids, members)
