"""Dues per member are written from the regular meeting's check-in only: a separate thematic
meeting of the same month answers the dues question too, but gives no second set of rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from domain.checkin_schema import CheckinAnswers
from storage.db import SessionFactory
from storage.member_dues import write_dues
from storage.models import Checkin, Member, MemberDues
from tests.factories import small_org

MONTH = dt.date(2026, 11, 1)


def _answers(expected: list[int], unpaid: list[int]) -> CheckinAnswers:
    return CheckinAnswers(
        held=True,
        attendance_done=True,
        expected_ids=expected,
        dues_status="some",
        dues_unpaid_ids=unpaid,
        lists_done=["dues_paid"],
    )


async def test_only_the_regular_slot_writes_member_dues(session_factory: SessionFactory) -> None:
    org = await small_org(session_factory)
    cell = org.cells["C01"]
    async with session_factory.begin() as session:
        ids = list((await session.scalars(select(Member.id).where(Member.cell_id == cell))).all())
        regular = Checkin(cell_id=cell, month=MONTH, slot="regular", status="submitted")
        thematic = Checkin(cell_id=cell, month=MONTH, slot="thematic", status="submitted")
        session.add_all([regular, thematic])
        await session.flush()
        await write_dues(session, regular, _answers(ids, ids[:1]))
        await write_dues(session, thematic, _answers(ids, ids))
    async with session_factory() as session:
        rows = (await session.scalars(select(MemberDues))).all()
    assert {r.checkin_id for r in rows} == {regular.id}
    assert sorted(r.member_id for r in rows) == sorted(ids)
    assert [r.member_id for r in rows if not r.paid] == ids[:1]
