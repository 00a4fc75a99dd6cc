"""Check-in storage on SQLite and PostgreSQL: drafts, columns, submit, edits, queries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from domain.checkin_schema import CheckinAnswers
from domain.periods import parse_period
from storage import checkins as store
from storage.db import SessionFactory
from storage.models import AttendanceMark, AuditEntry, Checkin, Member, PeriodLock
from storage.orgs import get_unit_by_code
from tests.factories import small_org

MAY = dt.date(2026, 5, 1)


def full(member_ids: list[int], **overrides: object) -> CheckinAnswers:
    data: dict[str, object] = {
        "held": True,
        "meeting_type": "regular",
        "meeting_date": "2026-05-10",
        "start_time": "19:00",
        "duration_min": 120,
        "pre_meeting": True,
        "content_prepared": True,
        "draft_resolution": True,
        "attendance_done": True,
        "expected_ids": member_ids,
        "absences": {str(member_ids[0]): "excused", str(member_ids[1]): "unexcused"},
        "dues_status": "all",
        "main_tasks": "Thu hoạch",
        "current_affairs": True,
        "ho_chi_minh": True,
        "speakers": 6,
        "commended": [member_ids[2]],
        "criticised": [],
        "lists_done": ["commended", "criticised"],
        "assessed": True,
        "resolution_impl": "full",
        "resolution_adopted": True,
        "minutes_complete": True,
        "candidates": 0,
        "admitted": 0,
        "discipline": 0,
        "solidarity": 0,
        "next_tasks": [{"text": "Sửa đường", "owner_id": member_ids[3]}],
        "proposals": "",
    }
    data["lists_done"] = ["commended", "criticised", "next_tasks"]
    data.update(overrides)
    return CheckinAnswers.model_validate(data)


async def _members(session_factory: SessionFactory, cell_id: int) -> list[int]:
    async with session_factory() as session:
        rows = await session.scalars(select(Member.id).where(Member.cell_id == cell_id))
        return sorted(rows)


async def test_draft_submit_edit_and_queries(session_factory: SessionFactory) -> None:
    org = await small_org(session_factory, members_per_cell=5)
    cell = org.cells["C01"]
    ids = await _members(session_factory, cell)
    async with session_factory.begin() as session:
        draft, created = await store.create_draft(
            session,
            cell,
            MAY,
            CheckinAnswers(held=True, meeting_type="regular"),
            actor_account_id=None,
        )
        assert created and draft.slot == "regular" and draft.version == 1
        again, created_again = await store.create_draft(
            session,
            cell,
            MAY + dt.timedelta(days=3),
            CheckinAnswers(held=False),
            actor_account_id=None,
        )
        assert again.id == draft.id and not created_again  # same cell, month, slot
    async with session_factory.begin() as session:
        loaded = await store.get_checkin(session, draft.id, for_update=True)
        assert loaded is not None
        draft = loaded
        assert "date" in await store.submit(session, draft, actor_account_id=None)
        assert await store.save_answers(session, draft, full(ids), actor_account_id=None)
        assert not await store.save_answers(session, draft, full(ids), actor_account_id=None)
        assert draft.version == 2 and draft.status == "draft"
        assert await store.submit(session, draft, actor_account_id=None) == []
    async with session_factory() as session:
        row = await session.get(Checkin, draft.id)
        assert row is not None and row.status == "submitted" and row.submitted_at is not None
        assert (row.expected_count, row.present_count, row.absent_excused) == (5, 3, 1)
        assert (row.absent_unexcused, row.commended, row.dues_paid) == (1, 1, 5)
        marks = {m.member_id: m.status for m in (await session.scalars(select(AttendanceMark)))}
        assert marks == {ids[0]: "excused", ids[1]: "unexcused"}

    # An edit after submit: audited with the changed fields, marks rewritten.
    async with session_factory.begin() as session:
        row = await store.get_checkin(session, draft.id, for_update=True)
        assert row is not None
        edited = full(ids, absences={str(ids[1]): "excused"})
        await store.save_answers(session, row, edited, actor_account_id=None)
        assert not await store.discard(session, row, actor_account_id=None)
    async with session_factory() as session:
        marks = {m.member_id: m.status for m in (await session.scalars(select(AttendanceMark)))}
        assert marks == {ids[1]: "excused"}
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "edit"))).one()
        assert audit.before == {"absences": {str(ids[0]): "excused", str(ids[1]): "unexcused"}}
        assert audit.after == {"absences": {str(ids[1]): "excused"}}

    # An edit that leaves the answers incomplete takes it out of the scores until complete.
    async with session_factory.begin() as session:
        row = await store.get_checkin(session, draft.id, for_update=True)
        assert row is not None
        await store.save_answers(
            session, row, full(ids, absences={str(ids[3]): None}), actor_account_id=None
        )
        assert row.status == "draft"
        await store.save_answers(
            session, row, full(ids, absences={str(ids[3]): "unexcused"}), actor_account_id=None
        )
        assert row.status == "submitted"

    async with session_factory() as session:
        district = await get_unit_by_code(session, "QN-BL")
        assert district is not None
        subtree = await store.records_in_subtree(session, district, parse_period("2026-Q2"))
        assert [(r.cell_id, r.month) for r in subtree] == [(cell, MAY)]
        assert subtree[0].answers.absences == {ids[3]: "unexcused"}
        assert await store.records_in_subtree(session, district, parse_period("2026-06")) == []
        other = await get_unit_by_code(session, "QN-BL-DT")
        assert other is not None
        assert await store.records_in_subtree(session, other, parse_period("2026")) == []
        month = await store.records_for_cell_month(session, cell, dt.date(2026, 5, 20))
        assert [r.id for r in month] == [draft.id]


async def test_thematic_slot_drafts_locks_and_discard(session_factory: SessionFactory) -> None:
    org = await small_org(session_factory, members_per_cell=2)
    cell = org.cells["C02"]
    async with session_factory.begin() as session:
        regular, _ = await store.create_draft(
            session, cell, MAY, CheckinAnswers(held=False), actor_account_id=None
        )
        thematic, _ = await store.create_draft(
            session,
            cell,
            MAY,
            CheckinAnswers(held=True, meeting_type="thematic"),
            actor_account_id=None,
        )
        assert (regular.slot, thematic.slot) == ("regular", "thematic")
        assert (await store.latest_draft(session, cell)) is not None
        assert not await store.is_frozen(session, regular)
        session.add(PeriodLock(unit_id=org.district, period="2026"))
        await session.flush()
        assert await store.is_frozen(session, regular)
        assert await store.period_locked(session, [org.province, org.district], MAY)
        assert not await store.period_locked(session, [org.province], MAY)
        assert await store.count_active_members(session, cell) == 2
        assert await store.discard(session, thematic, actor_account_id=None)
    async with session_factory() as session:
        rows = await store.checkins_of_month(session, cell, MAY)
        assert [r.slot for r in rows] == ["regular"]
        discarded = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "discard"))
        ).one()
        assert discarded.before is not None and discarded.before["slot"] == "thematic"


async def test_lock_check_in_sql_agrees_with_python(session_factory: SessionFactory) -> None:
    """`get_checkin_to_answer` decides "frozen" in SQL: for every month of a year and every
    kind of lock (year, quarter, month; on the cell or an ancestor) it must agree with
    `periods_covering`, on SQLite and PostgreSQL alike."""
    org = await small_org(session_factory, members_per_cell=2)
    cell = org.cells["C01"]
    ancestors = [org.province, org.district, cell]
    months = [dt.date(2026, m, 1) for m in range(1, 13)]
    async with session_factory.begin() as session:
        ids = []
        for month in months:
            draft, _ = await store.create_draft(
                session, cell, month, CheckinAnswers(held=False), actor_account_id=None
            )
            ids.append(draft.id)
    locks = [(org.district, "2026-Q2"), (cell, "2026-09"), (org.province, "2025")]
    async with session_factory.begin() as session:
        session.add_all(PeriodLock(unit_id=u, period=p) for u, p in locks)
    async with session_factory() as session:
        frozen = []
        for checkin_id in ids:
            loaded = await store.get_checkin_to_answer(session, checkin_id, ancestors)
            assert loaded is not None
            frozen.append(loaded[1])
        expected = [await store.period_locked(session, ancestors, m) for m in months]
        assert frozen == expected == [m.month in (4, 5, 6, 9) for m in months]
        # Locks on units that are not the cell's ancestors do not count.
        other = await store.get_checkin_to_answer(session, ids[3], [org.province])
        assert other is not None and other[1] is False
        assert await store.get_checkin_to_answer(session, -1, ancestors) is None


async def test_dues_rows_follow_submit_edit_and_reopen(session_factory: SessionFactory) -> None:
    """One member_dues row per expected member once submitted; an edit rewrites them, a
    typed count (an older draft) writes none, a reopened check-in has none."""
    from storage.models import MemberDues

    org = await small_org(session_factory, members_per_cell=5)
    cell = org.cells["C01"]
    ids = await _members(session_factory, cell)
    async with session_factory.begin() as session:
        member = await session.get(Member, ids[4])
        assert member is not None
        member.monthly_dues = 20_000
        some = full(
            ids,
            dues_status="some",
            dues_unpaid_ids=[ids[0], ids[3]],
            lists_done=["commended", "criticised", "next_tasks", "dues_paid"],
        )
        draft, _ = await store.create_draft(session, cell, MAY, some, actor_account_id=None)
        assert await store.submit(session, draft, actor_account_id=None) == []

    async def dues() -> dict[int, tuple[bool, int | None]]:
        async with session_factory() as session:
            rows = await session.scalars(
                select(MemberDues).where(MemberDues.checkin_id == draft.id)
            )
            return {r.member_id: (r.paid, r.amount) for r in rows}

    expected = {m: (m not in (ids[0], ids[3]), None) for m in ids}
    assert await dues() == {**expected, ids[4]: (True, 20_000)}
    async with session_factory() as session:
        assert (await session.get(Checkin, draft.id)).dues_paid == 3  # type: ignore[union-attr]

    async with session_factory.begin() as session:
        row = await store.get_checkin(session, draft.id, for_update=True)
        assert row is not None
        typed = full(ids, dues_status="some", dues_paid=4)
        await store.save_answers(session, row, typed, actor_account_id=None)
    assert await dues() == {}  # who paid is not known by name
    async with session_factory.begin() as session:
        row = await store.get_checkin(session, draft.id, for_update=True)
        assert row is not None
        await store.save_answers(session, row, full(ids, dues_status="none"), actor_account_id=None)
    assert await dues() == {m: (False, None) for m in ids}
    async with session_factory.begin() as session:
        row = await store.get_checkin(session, draft.id, for_update=True)
        assert row is not None
        await store.reopen(session, row, actor_account_id=None)
    assert await dues() == {}


async def test_conversions_and_admissions_apply_once(session_factory: SessionFactory) -> None:
    from storage import member_matters
    from storage.models import Candidate

    org = await small_org(session_factory, members_per_cell=5)
    cell = org.cells["C01"]
    ids = await _members(session_factory, cell)
    async with session_factory.begin() as session:
        member = await session.get(Member, ids[2])
        assert member is not None
        member.status = "probationary"
        session.add(Candidate(cell_id=cell, full_name="Lò Thị Mai", stage="dossier"))
        session.add(Candidate(cell_id=cell, full_name="Vi Văn Chưa", stage="identified"))
    async with session_factory.begin() as session:
        probationary, dossier = await member_matters.snapshot(session, cell)
    assert probationary == [ids[2]] and [c.name for c in dossier] == ["Lò Thị Mai"]
    answers = full(
        ids,
        form=2,
        probationary_ids=probationary,
        dossier=[c.model_dump() for c in dossier],
        converted_ids=[ids[2]],
        admission_ids=[dossier[0].id],
        lists_done=["commended", "criticised", "next_tasks", "conversions", "admissions"],
        place="Nhà văn hóa",
        chair_id=ids[2],
        clerk_id=ids[3],
        guest="",
        documents="",
        vote_for=3,
        vote_against=0,
        absence_notes={ids[0]: "", ids[1]: "Ốm"},
    )
    async with session_factory.begin() as session:
        draft, _ = await store.create_draft(session, cell, MAY, answers, actor_account_id=None)
        assert await store.submit(session, draft, actor_account_id=None) == []
        # Saved again after submit (an unrelated edit): nothing is applied twice.
        edited = answers.model_copy(update={"guest": "Đồng chí Tư"})
        await store.save_answers(session, draft, edited, actor_account_id=None)
    async with session_factory() as session:
        converted = await session.get(Member, ids[2])
        assert converted is not None
        assert (converted.status, converted.official_on) == ("official", dt.date(2026, 5, 10))
        admitted = list(
            await session.scalars(select(Member).where(Member.full_name == "Lò Thị Mai"))
        )
        assert [(m.status, m.admitted_on) for m in admitted] == [
            ("probationary", dt.date(2026, 5, 10))
        ]
        candidate = await session.get(Candidate, dossier[0].id)
        assert candidate is not None
        assert (candidate.stage, candidate.member_id) == ("admitted", admitted[0].id)
        converted_audits = await session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "member", AuditEntry.action == "converted"
            )
        )
        assert [e.entity_id for e in converted_audits] == [ids[2]]
