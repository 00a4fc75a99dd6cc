"""The organisation and the people: units, accounts and their roles, members and their
dues, candidates, invitations, the audit log and the bot's own state."""

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
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain import orgtree
from domain.vnsort import SORT_TEXT_MAX, name_sort_text
from storage.models.base import Base, utcnow

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
