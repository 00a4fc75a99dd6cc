"""Initiatives (migration 0003), meeting schedules, reminders and the outbox (0004)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
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

# ---------------------------------------------------------------- initiatives (migration 0003)


class Initiative(Base):
    __tablename__ = "initiatives"
    __table_args__ = (
        Index("ix_initiatives_cell_year", "cell_id", "year"),
        Index("ix_initiatives_member_year", "member_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    group_key: Mapped[str | None] = mapped_column(String(32))  # same commitment, several members
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int] = mapped_column(SmallInteger)
    expected_benefit: Mapped[str | None] = mapped_column(Text)
    expected_amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    target_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="registered")
    result: Mapped[str | None] = mapped_column(Text)
    realised_amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    attachment_file_id: Mapped[str | None] = mapped_column(String(200))
    drop_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[dt.datetime | None]


# ---------------------------------------------------------------- reminders (migration 0004)


class MeetingSchedule(Base):
    """A unit's regular meeting rule; a cell without one inherits its nearest ancestor's."""

    __tablename__ = "meeting_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), unique=True)
    # day-of-month rule: day in 1..31 or -1 for the last day; weekday rule: nth in 1..4 or -1
    # for "last", weekday 0=Monday..6=Sunday.
    rule_kind: Mapped[str] = mapped_column(String(8))  # "day" | "weekday"
    day: Mapped[int | None] = mapped_column(SmallInteger)
    nth: Mapped[int | None] = mapped_column(SmallInteger)
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    start_time: Mapped[str] = mapped_column(String(5), default="08:00")  # HH:MM local
    timezone: Mapped[str | None] = mapped_column(String(64))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MeetingOverride(Base):
    """A one-off change of a cell's meeting in one month: moved, or cancelled."""

    __tablename__ = "meeting_overrides"
    __table_args__ = (UniqueConstraint("cell_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    month: Mapped[dt.date] = mapped_column(Date)
    moved_to: Mapped[dt.datetime | None]
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReminderMute(Base):
    __tablename__ = "reminder_mutes"
    __table_args__ = (UniqueConstraint("cell_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    kind: Mapped[str] = mapped_column(String(24))


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class OutboxMessage(Base):
    """A message to send later: reminders, digests, broadcasts, notifications.

    `dedup_key` makes planning idempotent: (cell, occurrence, kind, recipient) for reminders.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    cell_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    occurrence: Mapped[dt.datetime | None]
    due_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)  # broadcasts
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
