"""A cell's member roster: names and party status only (see domain.md, data minimisation)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.vnsort import name_sort_text
from storage import audit, read_model
from storage.models import LeftReason, Member, MemberStatus

MAX_NAME = 120
ACTIVE_STATUSES = (MemberStatus.OFFICIAL.value, MemberStatus.PROBATIONARY.value)


def normalize_name(name: str) -> str:
    """Collapse spaces and use NFC so 'Nguyễn  Văn A' typed two ways compares equal."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def name_key(name: str) -> str:
    return normalize_name(name).casefold()


def valid_name(name: str) -> bool:
    cleaned = normalize_name(name)
    return 0 < len(cleaned) <= MAX_NAME and any(ch.isalpha() for ch in cleaned)


# Built once: the check-in reads a roster on many answers, and building a statement costs
# more than running it on SQLite.
_ROSTER = (
    select(Member)
    .where(Member.cell_id == bindparam("cell_id"))
    .order_by(Member.sort_key, Member.id)
)
_ROSTER_PRESENT = _ROSTER.where(Member.status != MemberStatus.LEFT.value)


async def roster(
    session: AsyncSession, cell_id: int, *, include_left: bool = False
) -> list[Member]:
    query = _ROSTER if include_left else _ROSTER_PRESENT
    return list((await session.scalars(query, {"cell_id": cell_id})).all())


async def count_members(session: AsyncSession, cell_id: int) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.cell_id == cell_id, Member.status != MemberStatus.LEFT.value)
    )
    return total or 0


async def page_of_members(
    session: AsyncSession, cell_id: int, page: int, page_size: int
) -> tuple[list[Member], int]:
    """One page of the current roster and the total count."""
    total = await count_members(session, cell_id)
    query = (
        select(Member)
        .where(Member.cell_id == cell_id, Member.status != MemberStatus.LEFT.value)
        .order_by(Member.sort_key, Member.id)
        .offset(page * page_size)
        .limit(page_size)
    )
    return list((await session.scalars(query)).all()), total


async def left_members(session: AsyncSession, cell_id: int, limit: int) -> tuple[list[Member], int]:
    """Members who left the roll, most recent first (those without a date last), and how
    many there are."""
    where = (Member.cell_id == cell_id, Member.status == MemberStatus.LEFT.value)
    total = await session.scalar(select(func.count()).select_from(Member).where(*where))
    if limit <= 0:
        return [], total or 0
    query = (
        select(Member)
        .where(*where)
        .order_by(Member.left_on.desc().nulls_last(), Member.sort_key, Member.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all()), total or 0


async def member_of_cell(session: AsyncSession, cell_id: int, member_id: int) -> Member | None:
    """The member only if it belongs to `cell_id`: guards against forged callback data."""
    member = await session.get(Member, member_id)
    if member is None or member.cell_id != cell_id:
        return None
    return member


async def duplicates_of(session: AsyncSession, cell_id: int, names: list[str]) -> set[str]:
    """Names (normalized) that match a current member or repeat within `names`."""
    existing = {name_key(m.full_name) for m in await roster(session, cell_id)}
    seen: set[str] = set()
    dupes: set[str] = set()
    for name in names:
        key = name_key(name)
        if key in existing or key in seen:
            dupes.add(normalize_name(name))
        seen.add(key)
    return dupes


async def add_members(
    session: AsyncSession, cell_id: int, names: list[str], *, actor_account_id: int | None
) -> list[Member]:
    added = []
    for name in names:
        full_name = normalize_name(name)
        member = Member(cell_id=cell_id, full_name=full_name, sort_key=name_sort_text(full_name))
        session.add(member)
        added.append(member)
    await session.flush()
    # Active members count in every period's coverage and attendance figures.
    await read_model.mark_stale(session, [cell_id])
    for member in added:
        audit.record(
            session,
            actor_account_id=actor_account_id,
            entity="member",
            entity_id=member.id,
            action="create",
            after={"cell_id": cell_id, "full_name": member.full_name, "status": member.status},
        )
    return added


async def rename_member(
    session: AsyncSession, member: Member, new_name: str, *, actor_account_id: int | None
) -> None:
    before = member.full_name
    member.full_name = normalize_name(new_name)
    member.sort_key = name_sort_text(member.full_name)
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="member",
        entity_id=member.id,
        action="rename",
        before={"full_name": before},
        after={"full_name": member.full_name},
    )


async def set_status(
    session: AsyncSession, member: Member, status: MemberStatus, *, actor_account_id: int | None
) -> None:
    before = member.status
    member.status = status.value
    if status is not MemberStatus.LEFT:
        # Back on the roll (a transfer undone): the old reason no longer describes them.
        member.left_reason = None
        member.left_on = None
    if before != status.value:
        # Who is active changes every period's figures of the cell (coverage, at risk).
        await read_model.mark_stale(session, [member.cell_id])
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="member",
        entity_id=member.id,
        action="status",
        before={"status": before},
        after={"status": status.value},
    )


async def mark_left(
    session: AsyncSession,
    member: Member,
    reason: LeftReason,
    on: dt.date,
    *,
    actor_account_id: int | None,
) -> None:
    """Take a member off the roll for `reason`; the row and its attendance history stay."""
    before = {"status": member.status, "left_reason": member.left_reason}
    member.status = MemberStatus.LEFT.value
    member.left_reason = reason.value
    member.left_on = on
    # Who is active changes every period's figures of the cell (coverage, at risk).
    await read_model.mark_stale(session, [member.cell_id])
    audit.record(
        session,
        actor_account_id=actor_account_id,
        entity="member",
        entity_id=member.id,
        action="left",
        before=before,
        after={"status": member.status, "left_reason": reason.value, "left_on": on.isoformat()},
    )
