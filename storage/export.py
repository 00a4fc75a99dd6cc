"""What an export of a unit's period holds, read in a fixed number of queries: the summary
(the /summary figures), the submitted check-ins with all their facts, the absent members,
initiative coverage per cell, the tasks the meetings set (with how they were carried out) and
the recommendations to the higher committee. The workbook and CSV are written from it on the
bot's side (bot/export_xlsx.py).

The check-ins, absences, tasks and recommendations are the long parts (a province's year:
~50,000 check-ins, ~90,000 absences, a few tasks a meeting): they are not loaded but streamed
in chunks (a server-side cursor on PostgreSQL) while the file is written, so memory does not
grow with the province.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Executable, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.framework import Framework
from domain.orgpath import path_ids
from domain.periods import Period
from storage.initiatives import coverage_by_cell
from storage.models import (
    AttendanceMark,
    Checkin,
    CheckinStatus,
    MeetingTask,
    Member,
    OrgUnit,
    UnitKind,
)
from storage.read_model import ensure_meeting_scores
from storage.scope import UnitRef
from storage.supervision import Summary, summary
from storage.tree import checkins_under, under
from storage.year_review import FinalLine, final_list

# Text answers kept only in the versioned answers JSON (domain.checkin_schema, v1 keys).
TEXT_ANSWERS = ("start_time", "not_held_reason", "main_tasks", "thematic_topic", "resolution_text")

# The kinds of the exported values (the writer picks each cell's type and format by them).
TEXT, INT, NUM, PCT, DATE, MONTH, STAMP, BOOL = (
    "text",
    "int",
    "num",
    "pct",
    "date",
    "month",
    "stamp",
    "bool",
)
FACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("held", BOOL),
    ("meeting_type", TEXT),
    ("meeting_date", DATE),
    ("duration_min", INT),
    ("pre_meeting", BOOL),
    ("content_prepared", BOOL),
    ("draft_resolution", BOOL),
    ("expected_count", INT),
    ("present_count", INT),
    ("absent_excused", INT),
    ("absent_unexcused", INT),
    ("dues_status", TEXT),
    ("dues_paid", INT),
    ("current_affairs", BOOL),
    ("ho_chi_minh", BOOL),
    ("speakers", INT),
    ("commended", INT),
    ("criticised", INT),
    ("assessed", BOOL),
    ("resolution_impl", TEXT),
    ("resolution_adopted", BOOL),
    ("minutes_complete", BOOL),
    ("candidates", INT),
    ("admitted", INT),
    ("discipline", INT),
    ("solidarity", INT),
)


CHUNK = 2_000  # rows a streamed query yields at a time

# Called once, inside the session's transaction: the rows in chunks, in the sheet's order.
Chunks = Callable[[], AsyncIterator[Sequence[Any]]]


@dataclass
class ExportData:
    summary: Summary
    groups: dict[int, str]  # unit id -> name, for the cells' parents
    checkin_count: int
    # code, name, parent id, month, slot, submitted at, FACT_COLUMNS, meeting score, review
    # status and comment, TEXT_ANSWERS
    checkins: Chunks
    attendance: Chunks  # code, name, month, meeting date, member, absence status
    initiatives: list[Any]
    tz: ZoneInfo
    # code, name, month set, task, owner (None: the whole cell), status (None: not reviewed
    # yet), the month of the meeting that reviewed it
    tasks: Chunks
    proposals: Chunks  # code, name, month, text
    # The annual review's final list of the period's year (storage.year_review): each cell's
    # line and its members', proposed and confirmed levels; empty: no review submitted.
    year_levels: list[FinalLine] = field(default_factory=list)


def _chunks(session: AsyncSession, statement: Executable) -> Chunks:
    async def read() -> AsyncIterator[Sequence[Any]]:
        # Core rows (no ORM row processing: only columns are selected), the session's
        # connection and transaction.
        connection = await session.connection()
        result = await connection.stream(statement.execution_options(yield_per=CHUNK))
        try:
            async for part in result.partitions(CHUNK):
                yield part
        finally:
            await result.close()

    return read


# ================================================================ collecting


async def collect(
    session: AsyncSession,
    fw: Framework,
    unit: UnitRef,
    period: Period,
    as_of: dt.date,
    tz: ZoneInfo,
) -> ExportData:
    """Everything the workbook needs; the check-ins and absences are read when iterated,
    which must happen in the same transaction (`session` still open)."""
    data = await summary(session, fw, unit, period, as_of)
    subtree = under(unit.path)
    groups = dict(
        (
            await session.execute(
                select(OrgUnit.id, OrgUnit.name).where(
                    subtree | OrgUnit.id.in_(path_ids(unit.path)),
                    OrgUnit.kind != UnitKind.CELL.value,
                )
            )
        ).all()
    )
    in_period = (
        checkins_under(unit.path),
        Checkin.month >= period.start,
        Checkin.month < period.end,
    )
    await ensure_meeting_scores(session, fw, *in_period)
    submitted = (Checkin.status == CheckinStatus.SUBMITTED.value, *in_period)
    count = await session.scalar(select(func.count()).select_from(Checkin).where(*submitted))
    checkins = _chunks(
        session,
        select(
            OrgUnit.code,
            OrgUnit.name,
            OrgUnit.parent_id,
            Checkin.month,
            Checkin.slot,
            Checkin.submitted_at,
            *[getattr(Checkin, name) for name, _ in FACT_COLUMNS],
            Checkin.meeting_score,
            Checkin.review_status,
            Checkin.review_comment,
            # Only the text answers of the versioned JSON (a kilobyte a check-in, most of it
            # ids); they are strings by its schema, so SQL's text of each is Python's.
            *[Checkin.answers[key].as_string() for key in TEXT_ANSWERS],
        )
        .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
        .where(*submitted)
        .order_by(OrgUnit.code, Checkin.month, Checkin.slot),
    )
    attendance = _chunks(
        session,
        select(
            OrgUnit.code,
            OrgUnit.name,
            Checkin.month,
            Checkin.meeting_date,
            Member.full_name,
            AttendanceMark.status,
        )
        .join(Checkin, Checkin.id == AttendanceMark.checkin_id)
        .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
        .join(Member, Member.id == AttendanceMark.member_id)
        .where(
            subtree,
            Checkin.status == CheckinStatus.SUBMITTED.value,
            Checkin.month >= period.start,
            Checkin.month < period.end,
        )
        # Ties (two meetings in a month, two members of one name) in a fixed order too.
        .order_by(OrgUnit.code, Checkin.month, Member.sort_key, Checkin.slot, Member.id),
    )
    # One row per cell (coverage), not per initiative: a province registers ~100,000
    # initiatives a year (see README "Supervisor views").
    coverage = await coverage_by_cell(session, unit.id, period.year)
    initiatives = [(cell, coverage.get(cell.cell.id)) for cell in data.cells]
    return ExportData(
        data,
        groups,
        count or 0,
        checkins,
        attendance,
        initiatives,
        tz,
        tasks=_tasks(session, unit, period),
        proposals=_proposals(session, unit, period),
        year_levels=await final_list(session, unit.id, period.year),
    )


def _tasks(session: AsyncSession, unit: UnitRef, period: Period) -> Chunks:
    """The tasks set by the period's submitted meetings, in each meeting's order, with how
    the following meeting found them."""
    review = aliased(Checkin)
    return _chunks(
        session,
        select(
            OrgUnit.code,
            OrgUnit.name,
            MeetingTask.month,
            MeetingTask.text,
            Member.full_name,
            MeetingTask.status,
            review.month,
        )
        .join(Checkin, Checkin.id == MeetingTask.checkin_id)
        .join(OrgUnit, OrgUnit.id == MeetingTask.cell_id)
        .outerjoin(Member, Member.id == MeetingTask.owner_member_id)
        .outerjoin(review, review.id == MeetingTask.reviewed_checkin_id)
        .where(
            under(unit.path),
            Checkin.status == CheckinStatus.SUBMITTED.value,
            MeetingTask.month >= period.start,
            MeetingTask.month < period.end,
        )
        .order_by(OrgUnit.code, MeetingTask.month, Checkin.slot, MeetingTask.seq),
    )


def _proposals(session: AsyncSession, unit: UnitRef, period: Period) -> Chunks:
    """The recommendations of the period's submitted check-ins ("" and NULL: none)."""
    return _chunks(
        session,
        select(OrgUnit.code, OrgUnit.name, Checkin.month, Checkin.proposals)
        .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
        .where(
            checkins_under(unit.path),
            Checkin.status == CheckinStatus.SUBMITTED.value,
            Checkin.month >= period.start,
            Checkin.month < period.end,
            Checkin.proposals.is_not(None),
            Checkin.proposals != "",
        )
        .order_by(OrgUnit.code, Checkin.month, Checkin.slot),
    )
