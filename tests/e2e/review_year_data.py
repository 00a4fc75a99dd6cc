"""The seeded year of tests/e2e/test_review_year.py: C01's 2026 as the database holds it,
and a reader of the review's DOCX."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from storage.db import SessionFactory
from storage.models import (
    AttendanceMark,
    Checkin,
    Initiative,
    MeetingTask,
    Member,
    MemberDues,
)
from tests.factories import Org

YEAR = 2026


async def seed_year(sessions: SessionFactory, org: Org) -> list[Member]:
    """C01's 2026: twelve held regular meetings; member 1 absent without reason in March and
    April and with reason in May, criticised once, owner of a task not done; member 0
    commended twice, an initiative completed, two tasks done; member 3 unpaid January to
    March. A 2025 absence of member 1 must not count."""
    cell = org.cells["C01"]
    async with sessions.begin() as session:
        members = list(
            (
                await session.scalars(
                    select(Member).where(Member.cell_id == cell).order_by(Member.sort_key)
                )
            ).all()
        )
        ids = [m.id for m in members]
        old = Checkin(
            cell_id=cell, month=dt.date(2025, 12, 1), status="submitted", held=True,
            meeting_type="regular", answers={"expected_ids": ids},
        )  # fmt: skip
        session.add(old)
        await session.flush()
        session.add(AttendanceMark(checkin_id=old.id, member_id=ids[1], status="unexcused"))
        for month in range(1, 13):
            answers: dict[str, Any] = {"expected_ids": ids}
            if month in (2, 9):
                answers["commended"] = [ids[0]]
            if month == 4:
                answers["criticised"] = [ids[1]]
            checkin = Checkin(
                cell_id=cell, month=dt.date(YEAR, month, 1), status="submitted", held=True,
                meeting_type="regular", answers=answers, expected_count=4,
                present_count=4 - (month in (3, 4, 5)) - (month == 6),
            )  # fmt: skip
            session.add(checkin)
            await session.flush()
            if month in (3, 4):
                session.add(
                    AttendanceMark(checkin_id=checkin.id, member_id=ids[1], status="unexcused")
                )
            if month == 5:
                session.add(
                    AttendanceMark(checkin_id=checkin.id, member_id=ids[1], status="excused")
                )
            if month == 6:
                session.add(
                    AttendanceMark(checkin_id=checkin.id, member_id=ids[2], status="excused")
                )
            for member_id in ids:
                paid = not (member_id == ids[3] and month <= 3)
                session.add(
                    MemberDues(
                        checkin_id=checkin.id, member_id=member_id, month=checkin.month, paid=paid
                    )
                )
            if month in (5, 6):
                for seq, (owner, status) in enumerate(
                    [(ids[0], "done")] + ([(ids[1], "not")] if month == 6 else [])
                ):
                    session.add(
                        MeetingTask(
                            checkin_id=checkin.id, cell_id=cell, month=checkin.month, seq=seq,
                            text=f"Việc {month}.{seq}", owner_member_id=owner, status=status,
                        )
                    )  # fmt: skip
        session.add(
            Initiative(
                cell_id=cell, member_id=ids[0], kind="other", title="Đường bê tông liên thôn",
                year=YEAR, status="completed",
            )
        )  # fmt: skip
    return members
