"""What supervisors read of the meetings' substance, over a unit's subtree: the
recommendations to the higher committee (*kiến nghị, đề xuất*, ``checkins.proposals``) newest
first with their cell, and how the tasks a meeting set were carried out (``meeting_tasks``).

Task completion of a period counts the tasks *reviewed* in it (the reviewing check-in's month
lies in the period): done / reviewed. A task set in March is judged in April, so April's
figure speaks about March's resolution, which is how a cell reports it.

Only submitted check-ins count, on both sides (a draft's review is not a fact yet).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.checkin_schema import TASK_STATUSES, TaskStatus
from domain.periods import Period, add_months
from storage.models import Checkin, CheckinStatus, MeetingTask, OrgUnit
from storage.scope import UnitRef, child_finder, in_scope
from storage.tree import cell_under, checkins_under

PAGE = 10
REVIEW_LOOKBACK = 12  # months between a task's meeting and the one that reviews it, at most


@dataclass(frozen=True)
class Proposal:
    checkin_id: int
    cell_id: int
    cell_code: str
    cell_name: str
    month: dt.date
    text: str


@dataclass(frozen=True)
class ProposalPage:
    total: int
    items: list[Proposal]


@dataclass(frozen=True)
class TaskCompletion:
    """The tasks reviewed in a period, by the status the reviewing meeting gave them."""

    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def reviewed(self) -> int:
        return sum(self.by_status.values())

    @property
    def done(self) -> int:
        return self.by_status.get("done", 0)

    @property
    def rate(self) -> float | None:
        """Done / reviewed; None when nothing was reviewed (not 0%: nothing to judge)."""
        return self.done / self.reviewed if self.reviewed else None

    def count(self, status: TaskStatus) -> int:
        return self.by_status.get(status, 0)


def _with_proposals(period: Period) -> list[ColumnElement[bool]]:
    return [
        Checkin.status == CheckinStatus.SUBMITTED.value,
        Checkin.month >= period.start,
        Checkin.month < period.end,
        Checkin.proposals.is_not(None),
        Checkin.proposals != "",
    ]


async def proposals_under(
    session: AsyncSession, path: str, period: Period, page: int = 0, page_size: int = PAGE
) -> ProposalPage:
    """The recommendations of the cells under `path` in `period`, newest first (month, then
    the time of submission), one page of them and how many there are."""
    where = [checkins_under(path), *_with_proposals(period)]
    total = await session.scalar(select(func.count()).select_from(Checkin).where(*where))
    rows = await session.execute(
        select(Checkin.id, Checkin.cell_id, OrgUnit.code, OrgUnit.name, Checkin.month)
        .add_columns(Checkin.proposals)
        .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
        .where(*where)
        .order_by(Checkin.month.desc(), Checkin.submitted_at.desc(), Checkin.id.desc())
        .offset(max(page, 0) * page_size)
        .limit(page_size)
    )
    return ProposalPage(total or 0, [Proposal(*row) for row in rows.all()])


async def latest_proposals(
    session: AsyncSession, cell_id: int, before: dt.date, limit: int = 3
) -> list[Proposal]:
    """A cell's latest recommendations of months before `before` (exclusive), newest first."""
    rows = await session.execute(
        select(Checkin.id, Checkin.cell_id, OrgUnit.code, OrgUnit.name, Checkin.month)
        .add_columns(Checkin.proposals)
        .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
        .where(
            Checkin.cell_id == cell_id,
            Checkin.status == CheckinStatus.SUBMITTED.value,
            Checkin.month < before,
            Checkin.proposals.is_not(None),
            Checkin.proposals != "",
        )
        .order_by(Checkin.month.desc(), Checkin.submitted_at.desc(), Checkin.id.desc())
        .limit(limit)
    )
    return [Proposal(*row) for row in rows.all()]


async def visible_proposal(
    session: AsyncSession, roots: Sequence[UnitRef], checkin_id: int | None
) -> Proposal | None:
    """One submitted check-in's recommendation, if its cell lies in the caller's scope; None
    otherwise, or when there is none (the same answer: a forged id learns nothing)."""
    if checkin_id is None or not roots:
        return None
    row = (
        await session.execute(
            select(Checkin.id, Checkin.cell_id, OrgUnit.code, OrgUnit.name, Checkin.month)
            .add_columns(Checkin.proposals, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
            .where(
                Checkin.id == checkin_id,
                Checkin.status == CheckinStatus.SUBMITTED.value,
                Checkin.proposals.is_not(None),
                Checkin.proposals != "",
            )
        )
    ).one_or_none()
    if row is None or not in_scope(row.path, roots):
        return None
    return Proposal(*row[:6])


async def count_proposals(session: AsyncSession, path: str, period: Period) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Checkin)
        .where(checkins_under(path), *_with_proposals(period))
    )
    return count or 0


def _reviewed_in(period: Period) -> tuple[Any, list[ColumnElement[bool]]]:
    """The reviewing check-in (an alias of ``checkins``) and what makes a review count.

    The tasks read are bounded by the month they were set (the ``(cell_id, month)`` index):
    before the period's end, and at most REVIEW_LOOKBACK months before its start, so a
    /summary costs the same whatever the history. A task reviewed more than a year after it
    was set (a cell that did not meet for a year) is left out of the figure."""
    review = aliased(Checkin)
    return review, [
        MeetingTask.month < period.end,
        MeetingTask.month >= add_months(period.start, -REVIEW_LOOKBACK),
        MeetingTask.status.is_not(None),
        review.status == CheckinStatus.SUBMITTED.value,
        review.month >= period.start,
        review.month < period.end,
    ]


async def _counts_by_cell(
    session: AsyncSession, path: str, period: Period
) -> list[tuple[int, str, str, int]]:
    """(cell id, cell path, status, tasks) of the tasks reviewed in `period` under `path`."""
    review, where = _reviewed_in(period)
    rows = await session.execute(
        select(MeetingTask.cell_id, OrgUnit.path, MeetingTask.status, func.count())
        .join(review, review.id == MeetingTask.reviewed_checkin_id)
        .join(OrgUnit, OrgUnit.id == MeetingTask.cell_id)
        .where(cell_under(MeetingTask.cell_id, path), *where)
        .group_by(MeetingTask.cell_id, OrgUnit.path, MeetingTask.status)
    )
    return [(c, p, s, n) for c, p, s, n in rows.all() if s in TASK_STATUSES]


def _add(into: dict[str, int], status: str, count: int) -> None:
    into[status] = into.get(status, 0) + count


async def task_completion_by_cell(
    session: AsyncSession, path: str, period: Period
) -> dict[int, TaskCompletion]:
    """Per cell under `path`: the tasks reviewed in `period`, by status."""
    counts: dict[int, dict[str, int]] = {}
    for cell_id, _path, status, count in await _counts_by_cell(session, path, period):
        _add(counts.setdefault(cell_id, {}), status, count)
    return {cell_id: TaskCompletion(by_status) for cell_id, by_status in counts.items()}


async def task_completion(session: AsyncSession, path: str, period: Period) -> TaskCompletion:
    """All the tasks reviewed in `period` by the cells under `path` (one cell: its path)."""
    total: dict[str, int] = {}
    for _cell, _path, status, count in await _counts_by_cell(session, path, period):
        _add(total, status, count)
    return TaskCompletion(total)


@dataclass(frozen=True)
class UnitTasks:
    """A unit's substance in a period for /summary: task completion over its subtree and per
    child unit, and how many recommendations its cells sent."""

    total: TaskCompletion
    by_child: dict[int, TaskCompletion]
    proposals: int


async def unit_tasks(session: AsyncSession, unit: UnitRef, period: Period) -> UnitTasks:
    child_of = child_finder(unit)
    total: dict[str, int] = {}
    by_child: dict[int, dict[str, int]] = {}
    for _cell, path, status, count in await _counts_by_cell(session, unit.path, period):
        _add(total, status, count)
        child = child_of(path)
        if child is not None:
            _add(by_child.setdefault(child, {}), status, count)
    return UnitTasks(
        TaskCompletion(total),
        {child: TaskCompletion(counts) for child, counts in by_child.items()},
        await count_proposals(session, unit.path, period),
    )
