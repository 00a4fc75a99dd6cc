"""Typed ORM models: the whole schema, one class per table.

Relationships are declared `lazy="raise"` so that no query runs behind our back under
asyncio; load what you need explicitly with `selectinload`.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from domain import clock, orgtree
from domain.vnsort import SORT_TEXT_MAX, name_sort_text

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return clock.now()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


# The kinds and their nesting live in domain/orgtree.py (the tree has no fixed depth since
# the district level was abolished in July 2025); re-exported for the many importers here.
UnitKind = orgtree.UnitKind


class Role(enum.StrEnum):
    SECRETARY = "secretary"
    DEPUTY = "deputy"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class MemberStatus(enum.StrEnum):
    OFFICIAL = "official"
    PROBATIONARY = "probationary"
    EXEMPT = "exempt"
    LEFT = "left"


class LeftReason(enum.StrEnum):
    """Why a member left the cell's roll (the row and its history stay)."""

    TRANSFER = "transfer"  # chuyển sinh hoạt
    DEATH = "death"  # từ trần
    STRUCK_OFF = "struck_off"  # xóa tên
    EXPELLED = "expelled"  # khai trừ
    RESIGNED = "resigned"  # xin ra Đảng


def _member_sort_text(context: Any) -> str:
    """The stored order of a new member's name, also for Core inserts that omit it."""
    return name_sort_text(str(context.get_current_parameters().get("full_name") or ""))


class OrgUnit(Base):
    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    # Which sort of grassroots committee or cell (domain.orgtree.SORTS); NULL: not known,
    # as for every unit imported before migration 0006.
    sort: Mapped[str | None] = mapped_column(String(24))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    # Materialised path of ids ("/1/7/42/"): a subtree is one indexed LIKE prefix query.
    path: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], lazy="raise")


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When an update from the account was last seen, give or take an hour
    # (storage.accounts.load_caller writes it at most once an hour); NULL: not since 0008.
    last_seen_at: Mapped[dt.datetime | None]


class RoleGrant(Base):
    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("account_id", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Who made the invitation this grant came from ("cli", "tg:123"); NULL before 0008.
    granted_by: Mapped[str | None] = mapped_column(String(120))

    unit: Mapped[OrgUnit] = relationship(lazy="raise")
    account: Mapped[Account] = relationship(lazy="raise")


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (Index("ix_members_cell_status", "cell_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    full_name: Mapped[str] = mapped_column(String(120))
    # domain.vnsort.name_sort_text(full_name): rosters are paged in SQL in Vietnamese order.
    sort_key: Mapped[str] = mapped_column(String(SORT_TEXT_MAX), default=_member_sort_text)
    status: Mapped[str] = mapped_column(String(16), default=MemberStatus.OFFICIAL.value)
    # Set with status "left" (LeftReason; NULL for members marked before migration 0007).
    left_reason: Mapped[str | None] = mapped_column(String(16))
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    # Admitted to the Party on (the probation runs 12 months from it; NULL: not recorded) and
    # made official on (after probation; NULL: not recorded or still probationary).
    admitted_on: Mapped[dt.date | None] = mapped_column(Date)
    official_on: Mapped[dt.date | None] = mapped_column(Date)
    # The member's monthly dues in VND when the cell records amounts (NULL: no amount).
    monthly_dues: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MemberDues(Base):
    """Whether one expected member paid the month's dues, from a submitted check-in of a held
    meeting (written on submit like attendance_marks; every expected member has a row once
    the dues question is answered)."""

    __tablename__ = "member_dues"
    __table_args__ = (
        UniqueConstraint("checkin_id", "member_id"),
        Index("ix_member_dues_member_month", "member_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    month: Mapped[dt.date] = mapped_column(Date)  # the check-in's month
    paid: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[int | None] = mapped_column(Integer)  # VND, when recorded


class CandidateStage(enum.StrEnum):
    """A candidate for admission (*quần chúng ưu tú*) on the way to the Party."""

    IDENTIFIED = "identified"
    COURSE = "course"  # attended the course on the Party (lớp bồi dưỡng nhận thức về Đảng)
    DOSSIER = "dossier"  # the admission dossier is being made
    ADMITTED = "admitted"


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (Index("ix_candidates_cell_stage", "cell_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    full_name: Mapped[str] = mapped_column(String(120))
    sort_key: Mapped[str] = mapped_column(String(SORT_TEXT_MAX), default=_member_sort_text)
    # The member assigned to help the candidate (đảng viên giúp đỡ).
    helper_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    stage: Mapped[str] = mapped_column(String(16), default=CandidateStage.IDENTIFIED.value)
    # Once admitted: the member row the candidate became.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    dropped_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Invitation(Base):
    __tablename__ = "invitations"
    # The per-inviter rate limit counts an account's invitations of the last hour.
    __table_args__ = (Index("ix_invitations_creator_at", "created_by_account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    used_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    # Who invited: an account (from the bot), or NULL for the operator (the CLI).
    created_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    cancelled_at: Mapped[dt.datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(120))
    # When accepted, the cell's current secretary grants end (a handover).
    handover: Mapped[bool] = mapped_column(Boolean, default=False)
    # One link of a bulk run (the single-invitation rate limit does not count it).
    bulk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class InviteFailure(Base):
    """Failed /start attempts, kept to throttle token guessing across restarts."""

    __tablename__ = "invite_failures"
    __table_args__ = (Index("ix_invite_failures_tg_at", "telegram_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class BotState(Base):
    """PTB persistence: one row per (kind, key) — user/chat/bot data and conversations."""

    __tablename__ = "bot_state"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


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
