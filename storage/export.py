"""What an export of a unit's period holds, collected in a fixed number of aggregate
queries: the summary (the /summary figures), the submitted check-ins with all their facts,
the absent members, and initiative coverage per cell. The workbook and CSV are written from
it on the bot's side (bot/export_xlsx.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.framework import Framework
from domain.orgpath import path_ids
from domain.periods import Period
from storage.initiatives import coverage_by_cell
from storage.models import (
    AttendanceMark,
    Checkin,
    CheckinStatus,
    Member,
    OrgUnit,
    UnitKind,
)
from storage.read_model import ensure_meeting_scores
from storage.scope import UnitRef
from storage.supervision import Summary, summary
from storage.tree import checkins_under, under

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


@dataclass
class ExportData:
    summary: Summary
    groups: dict[int, str]  # unit id -> name, for the cells' parents
    checkins: list[Any]
    attendance: list[Any]
    initiatives: list[Any]
    tz: ZoneInfo


# ================================================================ collecting


async def collect(
    session: AsyncSession,
    fw: Framework,
    unit: UnitRef,
    period: Period,
    as_of: dt.date,
    tz: ZoneInfo,
) -> ExportData:
    """Everything the workbook needs, in a fixed number of queries."""
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
    checkins = (
        await session.execute(
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
                Checkin.answers,
            )
            .join(OrgUnit, OrgUnit.id == Checkin.cell_id)
            .where(Checkin.status == CheckinStatus.SUBMITTED.value, *in_period)
            .order_by(OrgUnit.code, Checkin.month, Checkin.slot)
        )
    ).all()
    attendance = (
        await session.execute(
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
            .order_by(OrgUnit.code, Checkin.month, Member.full_name)
        )
    ).all()
    # One row per cell (coverage), not per initiative: a province registers ~100,000
    # initiatives a year, and openpyxl writes ~10 µs a cell (see README "Supervisor views").
    coverage = await coverage_by_cell(session, unit.id, period.year)
    initiatives = [(cell, coverage.get(cell.cell.id)) for cell in data.cells]
    return ExportData(data, groups, list(checkins), list(attendance), initiatives, tz)
