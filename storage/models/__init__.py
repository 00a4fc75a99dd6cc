"""Typed ORM models: the whole schema, one class per table, in modules by area (the
organisation, meetings, activity, results). Importing the package maps every table, as
Alembic and the queries joining across areas need; callers import the classes from here.

Relationships are declared `lazy="raise"` so that no query runs behind our back under
asyncio; load what you need explicitly with `selectinload`.
"""

from storage.models.activity import (
    Broadcast,
    Initiative,
    MeetingOverride,
    MeetingSchedule,
    OutboxMessage,
    OutboxStatus,
    ReminderMute,
)
from storage.models.base import NAMING, Base, UTCDateTime, utcnow
from storage.models.meetings import (
    PROPOSALS_GIVEN,
    AttendanceMark,
    Checkin,
    CheckinStatus,
    MeetingNotice,
    MeetingTask,
    PeriodLock,
    ThematicPlan,
)
from storage.models.org import (
    Account,
    AuditEntry,
    BotState,
    Candidate,
    CandidateStage,
    Invitation,
    InviteFailure,
    LeftReason,
    Member,
    MemberDues,
    MemberStatus,
    OrgUnit,
    Role,
    RoleGrant,
    UnitKind,
)
from storage.models.results import CellResult, YearReview, YearReviewMember

__all__ = [
    "NAMING",
    "PROPOSALS_GIVEN",
    "Account",
    "AttendanceMark",
    "AuditEntry",
    "Base",
    "BotState",
    "Broadcast",
    "Candidate",
    "CandidateStage",
    "CellResult",
    "Checkin",
    "CheckinStatus",
    "Initiative",
    "Invitation",
    "InviteFailure",
    "LeftReason",
    "MeetingNotice",
    "MeetingOverride",
    "MeetingSchedule",
    "MeetingTask",
    "Member",
    "MemberDues",
    "MemberStatus",
    "OrgUnit",
    "OutboxMessage",
    "OutboxStatus",
    "PeriodLock",
    "ReminderMute",
    "Role",
    "RoleGrant",
    "ThematicPlan",
    "UTCDateTime",
    "UnitKind",
    "YearReview",
    "YearReviewMember",
    "utcnow",
]
