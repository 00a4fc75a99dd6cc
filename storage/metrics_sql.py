"""What the metric queries share: the facts' names, the cell and member records they return,
and the SQL building blocks (conditional counts, the cells a query reads, active members).
Split from storage.metrics so the member queries (storage.member_metrics) use the same pieces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import InstrumentedAttribute

from domain.periods import Period, add_months, month_start
from domain.scoring import MeetingFacts
from storage.models import (
    Member,
    MemberStatus,
)
from storage.tree import cell_under

RowsQuery = Select[*tuple[Any, ...]]
ACTIVE_STATUSES = (MemberStatus.OFFICIAL.value, MemberStatus.PROBATIONARY.value)
THEMATIC_TYPES = ("thematic", "combined")
BOOL_FACTS = (
    "pre_meeting",
    "content_prepared",
    "draft_resolution",
    "current_affairs",
    "ho_chi_minh",
    "assessed",
    "resolution_adopted",
    "minutes_complete",
)
FACT_COLUMNS = tuple(MeetingFacts.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class CellInfo:
    id: int
    code: str
    name: str
    path: str
    group_id: int | None  # the grassroots committee above (or the parent when there is none)
    group_code: str | None
    group_name: str | None
    # The sort of cell (village, agency …; domain.orgtree): the "excellent" cap counts like
    # units together. None: not known.
    sort: str | None = None


@dataclass(frozen=True)
class MemberAtRisk:
    member_id: int
    full_name: str
    months: int  # distinct months with an unexcused absence in the window


# ---------------------------------------------------------------- helpers


def count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def sum_if(cond: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, value), else_=0)), 0)


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


CellFilter = Callable[[InstrumentedAttribute[int]], ColumnElement[bool]]


def scope_filter(root_path: str, only: Sequence[int] | None) -> CellFilter:
    """The cells the aggregates read: `root_path`'s subtree, or just the cells `only` lists
    (the read model recomputes a few cells without reading their whole subtree)."""
    if only is None:
        return lambda cell_id: cell_under(cell_id, root_path)
    ids = sorted(only)
    return lambda cell_id: cell_id.in_(ids)


def active_member(
    member_id: InstrumentedAttribute[int], *, few: bool = False
) -> ColumnElement[bool]:
    """The member is active, as "not among the few inactive members": the databases then
    look up ~5,000 ids instead of reading (or hashing) all ~100,000 members. The same rows
    as joining `members` on an active status: `member_id` is a foreign key, never NULL here.
    With `few` (the rows of a few cells: a submit's refresh) each row's member is looked up by
    its key instead: the list of inactive members costs a read of every member (~65 ms at a
    province's size on SQLite, per query)."""
    if few:
        member = select(Member.id).where(Member.id == member_id, Member.status.in_(ACTIVE_STATUSES))
        return member.exists()
    inactive = select(Member.id).where(Member.status.not_in(ACTIVE_STATUSES))
    return member_id.not_in(inactive.scalar_subquery())


def as_of_month(as_of: dt.date) -> dt.date:
    return month_start(as_of)


def risk_window(period: Period, as_of: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The `months` months ending with the period's last month (or as_of's, if earlier)."""
    end = min(period.end, add_months(as_of_month(as_of), 1))
    return add_months(end, -months), end
