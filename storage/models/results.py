"""Results: the read model of per-cell scores (migration 0005) and the annual review (0013)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
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
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

# ---------------------------------------------------------------- read model (migration 0005)


class CellResult(Base):
    """One cell's scored result for one period: the read model supervisors' views read
    (storage.read_model keeps it up to date; every figure is computed by domain.scoring).

    A row is current when its `framework_version` is the framework's and its `as_of_month`
    is the month the period is seen from (a period still running depends on today's month:
    the meetings due so far, the members-at-risk window); otherwise it is recomputed.
    """

    __tablename__ = "cell_results"
    __table_args__ = (Index("ix_cell_results_period", "period_kind", "period_start"),)

    cell_id: Mapped[int] = mapped_column(
        ForeignKey("org_units.id", ondelete="CASCADE"), primary_key=True
    )
    period_kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # month|quarter|year
    period_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    as_of_month: Mapped[dt.date] = mapped_column(Date)
    framework_version: Mapped[str] = mapped_column(String(32))
    no_data: Mapped[bool] = mapped_column(Boolean)
    total: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(32))
    four_good: Mapped[bool | None] = mapped_column(Boolean)
    # JSON texts, parsed only when read: the criteria's points in framework order, and the
    # CellMetrics that rebuild the criteria's indicators and the reasons exactly.
    criteria: Mapped[str] = mapped_column(Text)
    metrics: Mapped[str] = mapped_column(Text)
    # The reasons (points lost), most first, one a line, each the JSON array [indicator
    # position among the criteria's indicators, value, points lost] (domain.scoring
    # `reasons_text`), so a report of every cell renders them without the metrics; NULL in
    # rows written before revision 0009 (then rebuilt from the metrics).
    reasons: Mapped[str | None] = mapped_column(Text)
    # /summary's activity over the months due: submitted check-ins, of them regular reports,
    # the sum and count of held meetings' scores, present / expected over held meetings.
    meetings: Mapped[int] = mapped_column(Integer)
    reports: Mapped[int] = mapped_column(Integer)
    score_sum: Mapped[float] = mapped_column(Float)
    scored: Mapped[int] = mapped_column(Integer)
    present: Mapped[int] = mapped_column(Integer)
    expected: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- the annual review (0013)


class YearReview(Base):
    """A cell's review of one year (366-QĐ/TW): the conditions beyond the score, the level
    the chi bộ proposes (draft until submitted) and the level the committee confirms."""

    __tablename__ = "year_reviews"
    __table_args__ = (
        UniqueConstraint("cell_id", "year"),
        Index("ix_year_reviews_year_status", "year", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    # The conditions asked as yes/no (NULL: not answered yet).
    tasks_on_time: Mapped[bool | None] = mapped_column(Boolean)
    leader_disciplined: Mapped[bool | None] = mapped_column(Boolean)
    score: Mapped[float | None] = mapped_column(Float)  # the year's total when submitted
    proposed_level: Mapped[str | None] = mapped_column(String(24))  # domain.year_review_rules
    note: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    submitted_at: Mapped[dt.datetime | None]
    confirmed_level: Mapped[str | None] = mapped_column(String(24))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    confirmed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class YearReviewMember(Base):
    """One member's line of a cell's year review: the proposed level (one of the four 366
    levels) and note, and the committee's confirmed level."""

    __tablename__ = "year_review_members"
    __table_args__ = (UniqueConstraint("review_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("year_reviews.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    proposed_level: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    confirmed_level: Mapped[str | None] = mapped_column(String(24))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    confirmed_at: Mapped[dt.datetime | None]
