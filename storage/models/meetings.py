"""Meetings: check-ins with their tasks and attendance marks (migration 0002 on), period locks,
the thematic plans and the meeting notices of the pre-meeting brief (0011)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

# ---------------------------------------------------------------- check-ins (migration 0002)


class CheckinStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


# A check-in that gave recommendations ("" is an explicit "none").
PROPOSALS_GIVEN = "proposals IS NOT NULL AND proposals <> ''"


class Checkin(Base):
    """One monthly meeting report of a cell.

    `answers` holds the versioned, pydantic-validated record (domain.checkin_schema).
    The scalar columns below are denormalised from it on every save, so that scoring can
    aggregate in SQL without parsing JSON.
    """

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("cell_id", "month", "slot"),
        Index("ix_checkins_month_status", "month", "status"),
        # The few check-ins with recommendations: /summary counts a province's in a few ms
        # instead of walking every check-in of its cells (~60 ms at 36 months of history).
        Index(
            "ix_checkins_proposals",
            "cell_id",
            "month",
            sqlite_where=text(PROPOSALS_GIVEN),
            postgresql_where=text(PROPOSALS_GIVEN),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    month: Mapped[dt.date] = mapped_column(Date)  # first day of the meeting's month
    # "regular" for regular/combined/not-held meetings; "thematic" for a separate one.
    slot: Mapped[str] = mapped_column(String(16), default="regular")
    status: Mapped[str] = mapped_column(String(16), default=CheckinStatus.DRAFT.value)
    schema_version: Mapped[int] = mapped_column(SmallInteger, default=1)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    review_status: Mapped[str | None] = mapped_column(String(16))
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    # Denormalised facts (NULL while unanswered).
    held: Mapped[bool | None] = mapped_column(Boolean)
    meeting_type: Mapped[str | None] = mapped_column(String(16))
    meeting_date: Mapped[dt.date | None] = mapped_column(Date)
    duration_min: Mapped[int | None] = mapped_column(SmallInteger)
    pre_meeting: Mapped[bool | None] = mapped_column(Boolean)
    content_prepared: Mapped[bool | None] = mapped_column(Boolean)
    draft_resolution: Mapped[bool | None] = mapped_column(Boolean)
    expected_count: Mapped[int | None] = mapped_column(Integer)
    present_count: Mapped[int | None] = mapped_column(Integer)
    absent_excused: Mapped[int | None] = mapped_column(Integer)
    absent_unexcused: Mapped[int | None] = mapped_column(Integer)
    dues_status: Mapped[str | None] = mapped_column(String(8))
    dues_paid: Mapped[int | None] = mapped_column(Integer)
    current_affairs: Mapped[bool | None] = mapped_column(Boolean)
    ho_chi_minh: Mapped[bool | None] = mapped_column(Boolean)
    speakers: Mapped[int | None] = mapped_column(Integer)
    commended: Mapped[int | None] = mapped_column(Integer)
    criticised: Mapped[int | None] = mapped_column(Integer)
    assessed: Mapped[bool | None] = mapped_column(Boolean)
    resolution_impl: Mapped[str | None] = mapped_column(String(8))
    resolution_adopted: Mapped[bool | None] = mapped_column(Boolean)
    minutes_complete: Mapped[bool | None] = mapped_column(Boolean)
    candidates: Mapped[int | None] = mapped_column(Integer)
    admitted: Mapped[int | None] = mapped_column(Integer)
    discipline: Mapped[int | None] = mapped_column(Integer)
    solidarity: Mapped[int | None] = mapped_column(Integer)
    # Recommendations to the higher committee (kiến nghị): "" none, NULL not asked (yet).
    proposals: Mapped[str | None] = mapped_column(Text)

    # The meeting's rubric score (domain.scoring.score_meeting), stored when it is submitted
    # or edited; `score_version` is the framework version it was computed with
    # (storage.read_model): a score of another version is recomputed before it is read.
    meeting_score: Mapped[float | None] = mapped_column(Float)
    score_version: Mapped[str | None] = mapped_column(String(32))


class MeetingTask(Base):
    """One of next month's tasks as a submitted check-in set it (its answers' ``next_tasks``,
    written on submit), and how the following month's meeting found it (``status``, NULL
    until reviewed)."""

    __tablename__ = "meeting_tasks"
    __table_args__ = (
        UniqueConstraint("checkin_id", "seq"),
        Index("ix_meeting_tasks_cell_month", "cell_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    cell_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    month: Mapped[dt.date] = mapped_column(Date)  # the month of the meeting that set it
    seq: Mapped[int] = mapped_column(SmallInteger)  # its place in that meeting's list
    text: Mapped[str] = mapped_column(Text)
    owner_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_tasks.id", ondelete="SET NULL")
    )
    status: Mapped[str | None] = mapped_column(String(8))  # done | mostly | partly | not
    reviewed_checkin_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkins.id", ondelete="SET NULL")
    )


class AttendanceMark(Base):
    """Per-member attendance of a submitted check-in (absent members only; the rest present)."""

    __tablename__ = "attendance_marks"
    __table_args__ = (UniqueConstraint("checkin_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # excused | unexcused


class PeriodLock(Base):
    __tablename__ = "period_locks"
    __table_args__ = (UniqueConstraint("unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    period: Mapped[str] = mapped_column(String(10))  # 2026, 2026-Q2, 2026-05
    locked_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    locked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- the pre-meeting brief (0011)


class ThematicPlan(Base):
    """A cell's planned thematic meeting (*sinh hoạt chuyên đề*) of one quarter: the topic and
    the member who presents it; either may be unset while the plan is being made."""

    __tablename__ = "thematic_plans"
    __table_args__ = (UniqueConstraint("cell_id", "year", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(SmallInteger)
    quarter: Mapped[int] = mapped_column(SmallInteger)  # 1..4
    topic: Mapped[str | None] = mapped_column(Text)
    presenter_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MeetingNotice(Base):
    """A meeting notice (time, place, content) sent to the supervising committee's members
    (HD 42-HD/BTCTW asks for it), one row per send."""

    __tablename__ = "meeting_notices"
    __table_args__ = (Index("ix_meeting_notices_cell_month", "cell_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    month: Mapped[dt.date] = mapped_column(Date)  # the meeting's month
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
