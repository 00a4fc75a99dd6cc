"""Dues per member (issue 17 part 1): one ``member_dues`` row per member expected at a
submitted held meeting, paid or not, written from the check-in's dues answer in the caller's
transaction (on submit and on every edit after it, like the attendance marks).

"All paid" and "none paid" give every expected member the same row; "some paid" gives the
members tapped as not having paid ``paid = false``. A draft where the number of payers was
typed (before the names were asked) has no rows: who paid is not known. The amount is the
member's ``monthly_dues`` when set and paid, else NULL.

Only the regular meeting's check-in (slot "regular", a combined meeting included) writes rows:
the month's dues are collected there, and a separate thematic meeting the same month would
otherwise give each member two rows that could disagree.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkin_schema import CheckinAnswers
from storage.models import Checkin, Member, MemberDues


def paid_by_member(a: CheckinAnswers) -> dict[int, bool] | None:
    """Whether each expected member paid; None when the answers do not say by name."""
    if a.held is not True or not a.attendance_done or a.expected_ids is None:
        return None
    if a.dues_status in ("all", "none"):
        return {m: a.dues_status == "all" for m in a.expected_ids}
    unpaid = a.unpaid_ids
    if a.dues_status == "some" and unpaid is not None and "dues_paid" in a.lists_done:
        return {m: m not in set(unpaid) for m in a.expected_ids}
    return None


async def clear_dues(session: AsyncSession, checkin_id: int) -> None:
    await session.execute(delete(MemberDues).where(MemberDues.checkin_id == checkin_id))


async def write_dues(
    session: AsyncSession, checkin: Checkin, a: CheckinAnswers, *, first: bool = False
) -> None:
    """Replace the check-in's rows with what its answers say now (`first`: it has none)."""
    if not first:
        await clear_dues(session, checkin.id)
    paid = paid_by_member(a) if checkin.slot == "regular" else None
    if not paid:
        return
    amounts = dict(
        (
            await session.execute(
                select(Member.id, Member.monthly_dues).where(Member.id.in_(list(paid)))
            )
        ).all()
    )
    rows = [
        {
            "checkin_id": checkin.id,
            "member_id": member_id,
            "month": checkin.month,
            "paid": has_paid,
            "amount": amounts.get(member_id) if has_paid else None,
        }
        for member_id, has_paid in paid.items()
        if member_id in amounts  # a member row deleted since is not written
    ]
    if rows:
        # One statement for the cell (a row per member, ~20): added one by one, each row
        # was an INSERT of its own, a third of a submit's statements.
        await session.execute(insert(MemberDues), rows)


async def dues_of_checkin(session: AsyncSession, checkin_id: int) -> dict[int, MemberDues]:
    rows = await session.scalars(select(MemberDues).where(MemberDues.checkin_id == checkin_id))
    return {row.member_id: row for row in rows}
