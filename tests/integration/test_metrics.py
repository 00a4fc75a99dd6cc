"""Metrics in SQL and the scoring service, on SQLite and PostgreSQL alike.

The data set is small and written out so every expected number can be checked by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.framework import Standards, load_framework
from domain.periods import parse_period
from storage.db import SessionFactory
from storage.member_metrics import members_at_risk
from storage.metrics import (
    cells_in_scope,
    compute_metrics,
    meeting_facts_for_month,
)
from storage.models import AttendanceMark, Checkin, Initiative, Member, OrgUnit
from storage.score_service import (
    UnknownUnitError,
    cell_totals,
    score_meeting_for_checkin,
    score_tree,
    score_units,
)

AS_OF = dt.date(2027, 1, 15)  # the whole of 2026 is due
STANDARDS = Standards()


async def _unit(session: AsyncSession, code: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    unit = OrgUnit(code=code, name=f"Unit {code}", kind=kind, parent_id=parent and parent.id)
    unit.path = ""
    session.add(unit)
    await session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    await session.flush()
    return unit


def _checkin(cell: OrgUnit, month: int, *, slot: str = "regular", **facts: Any) -> Checkin:
    values: dict[str, Any] = {
        "held": True,
        "meeting_type": "thematic" if slot == "thematic" else "regular",
        "duration_min": 90,
        "pre_meeting": True,
        "content_prepared": True,
        "draft_resolution": True,
        "expected_count": 19,
        "present_count": 19,
        "absent_excused": 0,
        "absent_unexcused": 0,
        "dues_status": "all",
        "current_affairs": True,
        "ho_chi_minh": True,
        "speakers": 6,
        "commended": 1,
        "criticised": 0,
        "assessed": True,
        "resolution_impl": "full",
        "resolution_adopted": True,
        "minutes_complete": True,
        "candidates": 0,
        "admitted": 0,
        "discipline": 0,
        "solidarity": 0,
        "status": "submitted",
    }
    values.update(facts)
    return Checkin(cell_id=cell.id, month=dt.date(2026, month, 1), slot=slot, **values)


NOT_HELD: dict[str, Any] = {
    name: None for name in ("meeting_type", "duration_min", "expected_count")
}


async def _seed(session_factory: SessionFactory) -> dict[str, Any]:
    async with session_factory.begin() as s:
        province = await _unit(s, "QN", "province", None)
        district = await _unit(s, "QN-BL", "district", province)
        grassroots = await _unit(s, "QN-BL-LH", "grassroots", district)
        other_gr = await _unit(s, "QN-BL-HM", "grassroots", district)
        cell_a = await _unit(s, "LH-01", "cell", grassroots)
        cell_b = await _unit(s, "LH-02", "cell", grassroots)
        cell_c = await _unit(s, "HM-01", "cell", other_gr)

        # Cell A: 18 official + 1 probationary = 19 active; 1 exempt and 1 left do not count.
        members = [Member(cell_id=cell_a.id, full_name=f"A{i:02d}") for i in range(18)]
        members.append(Member(cell_id=cell_a.id, full_name="A-prob", status="probationary"))
        members.append(Member(cell_id=cell_a.id, full_name="A-exempt", status="exempt"))
        members.append(Member(cell_id=cell_a.id, full_name="A-left", status="left"))
        members += [Member(cell_id=cell_b.id, full_name=f"B{i}") for i in range(5)]
        members += [Member(cell_id=cell_c.id, full_name=f"C{i}") for i in range(4)]
        s.add_all(members)
        await s.flush()
        m = {x.full_name: x for x in members}

        jan = _checkin(
            cell_a, 1, present_count=17, absent_excused=1, absent_unexcused=1, candidates=1
        )
        feb = _checkin(
            cell_a,
            2,
            duration_min=100,
            draft_resolution=False,
            dues_status="some",
            speakers=4,
            commended=0,
            criticised=0,
            resolution_impl="mostly",
            minutes_complete=False,
        )
        feb_th = _checkin(
            cell_a,
            2,
            slot="thematic",
            duration_min=80,
            present_count=15,
            absent_excused=2,
            absent_unexcused=2,
            pre_meeting=False,
            speakers=3,
            resolution_impl=None,
            discipline=1,
        )
        may = _checkin(
            cell_a,
            5,
            meeting_type="combined",
            duration_min=110,
            present_count=18,
            absent_excused=1,
            speakers=5,
            resolution_impl="partly",
            solidarity=2,
            criticised=2,
            commended=0,
        )
        jul = _checkin(cell_a, 7, held=False, **NOT_HELD, present_count=None, speakers=None)
        sep_draft = _checkin(cell_a, 9, status="draft")
        octo = _checkin(
            cell_a,
            10,
            duration_min=None,
            present_count=16,
            absent_excused=3,
            speakers=2,
            pre_meeting=None,
            resolution_impl="not",
        )
        dec_2025 = Checkin(
            cell_id=cell_a.id,
            month=dt.date(2025, 12, 1),
            slot="regular",
            status="submitted",
            held=True,
            expected_count=19,
            present_count=18,
            absent_unexcused=1,
        )
        c_checkins = [
            _checkin(cell_c, month, expected_count=4, present_count=4, speakers=2)
            for month in range(1, 13)
        ]
        s.add_all([jan, feb, feb_th, may, jul, sep_draft, octo, dec_2025, *c_checkins])
        await s.flush()

        def mark(checkin: Checkin, name: str, status: str = "unexcused") -> AttendanceMark:
            return AttendanceMark(checkin_id=checkin.id, member_id=m[name].id, status=status)

        s.add_all(
            [
                # A00: unexcused in January and February: 2 months -> at risk.
                mark(jan, "A00"),
                mark(feb_th, "A00"),
                # A01: February and December 2025: only 1 month inside 2026 -> not at risk.
                mark(feb_th, "A01"),
                mark(dec_2025, "A01"),
                # A-left: 2 months, but has left the cell.
                mark(jan, "A-left"),
                mark(may, "A-left"),
                # A02: once in a submitted check-in, once in a draft -> 1 month.
                mark(feb, "A02"),
                mark(sep_draft, "A02"),
                # A03: excused absences do not count.
                mark(jan, "A03", "excused"),
                mark(feb, "A03", "excused"),
            ]
        )

        def initiative(name: str, status: str, year: int = 2026, vnd: int | None = None) -> Any:
            cell_id = m[name].cell_id
            return Initiative(
                cell_id=cell_id,
                member_id=m[name].id,
                kind="technical",
                title=f"{name} {status}",
                year=year,
                status=status,
                realised_amount_vnd=vnd,
            )

        s.add_all(
            [
                initiative("A00", "registered"),
                initiative("A00", "completed", vnd=33_000_000_000),
                initiative("A01", "dropped"),
                initiative("A04", "in_progress"),
                initiative("A-left", "completed", vnd=5_000_000),
                initiative("A05", "completed", year=2025, vnd=1),
                initiative("B0", "registered"),
                initiative("B1", "completed", vnd=2_000_000),
            ]
        )
    return {
        "cells": (cell_a.id, cell_b.id, cell_c.id),
        "checkins": {"jan": jan.id, "jul": jul.id, "may": may.id},
        "grassroots": grassroots,
        "province": province,
    }


async def test_metrics_of_a_cell_year(session_factory: SessionFactory) -> None:
    data = await _seed(session_factory)
    a, b, c = data["cells"]
    async with session_factory() as s:
        root = await s.get(OrgUnit, data["province"].id)
        assert root is not None
        metrics = await compute_metrics(
            s, root, parse_period("2026"), standards=STANDARDS, as_of=AS_OF
        )
    assert set(metrics) == {a, b, c}
    ma = metrics[a]
    # jan, feb, feb_th, may, jul (not held), oct; the September draft does not count.
    assert ma.checkins == 6
    assert ma.months_required == 12
    assert ma.meetings_held == 4  # jan, feb, may (combined), oct
    assert ma.meetings_missed == 8
    assert ma.meetings_held_ratio == pytest.approx(4 / 12)
    assert ma.held_meetings == 5
    assert ma.thematic_meetings == 2  # feb thematic, may combined
    assert (ma.thematic_quarters_required, ma.thematic_quarters_held) == (4, 2)
    assert ma.thematic_quarter_ratio == 0.5
    # present 17+19+15+18+16 = 85 of 5 x 19 = 95
    assert (ma.present_total, ma.expected_total) == (85, 95)
    assert ma.attendance_rate == pytest.approx(85 / 95)
    assert ma.unexcused_absences == 3
    assert ma.no_unexcused_rate == pytest.approx(3 / 5)
    assert ma.pre_meeting_rate == pytest.approx(3 / 4)  # oct unanswered
    assert ma.draft_resolution_rate == pytest.approx(4 / 5)
    # 90 ok, 100 ok, 80 short, combined 110 < 120 short; oct unanswered
    assert ma.duration_ok_rate == 0.5
    assert ma.speakers_rate == pytest.approx(20 / 95)
    assert ma.commend_criticise_rate == pytest.approx(4 / 5)  # feb has neither
    # full 100 + mostly 75 + partly 50 + not 0 over 4 answers (thematic unanswered)
    assert ma.resolution_impl_score == pytest.approx(225 / 400)
    assert ma.minutes_complete_rate == pytest.approx(4 / 5)
    assert ma.dues_full_rate == pytest.approx(4 / 5)
    assert (ma.discipline_cases, ma.solidarity_problems) == (1, 2)
    assert (ma.admission_candidates, ma.admitted) == (1, 0)
    assert ma.active_members == 19
    assert ma.members_at_risk == 1
    # 2026, active members: A00 (2), A01 (dropped), A04 -> 4 rows; covered A00, A04
    assert (ma.initiatives, ma.initiative_members, ma.initiative_completed_members) == (4, 2, 1)
    assert ma.initiative_coverage == pytest.approx(2 / 19)
    assert ma.initiative_completion == pytest.approx(1 / 19)
    assert ma.initiative_realised_vnd == 33_000_000_000

    mb = metrics[b]
    assert mb.checkins == 0 and mb.attendance_rate is None
    assert (mb.active_members, mb.initiative_members, mb.initiative_completed_members) == (5, 2, 1)
    assert mb.initiative_realised_vnd == 2_000_000

    mc = metrics[c]
    assert (mc.meetings_held, mc.meetings_missed, mc.attendance_rate) == (12, 0, 1.0)
    assert mc.thematic_quarter_ratio == 0.0


async def test_quarter_in_progress_counts_only_what_is_due(
    session_factory: SessionFactory,
) -> None:
    data = await _seed(session_factory)
    a = data["cells"][0]
    async with session_factory() as s:
        root = await s.get(OrgUnit, data["grassroots"].id)
        assert root is not None
        as_of = dt.date(2026, 5, 20)
        q2 = await compute_metrics(
            s, root, parse_period("2026-Q2"), standards=STANDARDS, as_of=as_of
        )
        june = await compute_metrics(
            s, root, parse_period("2026-06"), standards=STANDARDS, as_of=as_of
        )
    # April has ended without a meeting; May is reported; June has not begun.
    assert (q2[a].months_required, q2[a].meetings_held, q2[a].meetings_missed) == (2, 1, 1)
    # Q2 is in progress but its (combined) thematic meeting is held already.
    assert (q2[a].thematic_quarters_required, q2[a].thematic_quarter_ratio) == (1, 1.0)
    # Window Jun 2025 .. May 2026: A00 (Jan, Feb) and now A01 too (Dec 2025, Feb 2026).
    assert q2[a].members_at_risk == 2
    assert june[a].checkins == 0 and june[a].months_required == 0


async def test_members_at_risk_list(session_factory: SessionFactory) -> None:
    data = await _seed(session_factory)
    async with session_factory() as s:
        cell = await s.get(OrgUnit, data["cells"][0])
        assert cell is not None
        risky = await members_at_risk(s, cell, as_of=dt.date(2026, 12, 31), standards=STANDARDS)
        later = await members_at_risk(s, cell, as_of=dt.date(2027, 2, 1), standards=STANDARDS)
    assert [(r.full_name, r.months) for r in risky] == [("A00", 2)]
    assert later == []  # January 2026 has left the 12-month window


async def test_metrics_take_a_fixed_number_of_queries(
    session_factory: SessionFactory, engine: AsyncEngine
) -> None:
    data = await _seed(session_factory)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    async def run() -> int:
        statements.clear()
        async with session_factory() as s:
            root = await s.get(OrgUnit, data["province"].id)
            assert root is not None
            event.listen(engine.sync_engine, "before_cursor_execute", count)
            try:
                await compute_metrics(
                    s, root, parse_period("2026"), standards=STANDARDS, as_of=AS_OF
                )
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", count)
        return len(statements)

    few = await run()
    async with session_factory.begin() as s:
        parent = await s.get(OrgUnit, data["grassroots"].id)
        for i in range(30):
            cell = await _unit(s, f"EXTRA-{i}", "cell", parent)
            s.add(_checkin(cell, 3))
            s.add(Member(cell_id=cell.id, full_name=f"X{i}"))
    many = await run()
    assert few == many <= 6


async def test_cells_in_scope_know_their_committee(session_factory: SessionFactory) -> None:
    data = await _seed(session_factory)
    async with session_factory() as s:
        root = await s.get(OrgUnit, data["province"].id)
        assert root is not None
        cells = await cells_in_scope(s, root)
    assert [(c.code, c.group_code) for c in cells] == [
        ("LH-01", "QN-BL-LH"),
        ("LH-02", "QN-BL-LH"),
        ("HM-01", "QN-BL-HM"),
    ]


async def test_score_tree_and_one_cell(session_factory: SessionFactory) -> None:
    await _seed(session_factory)
    fw = load_framework()
    period = parse_period("2026")
    async with session_factory() as s:
        report = await score_tree(s, fw, "QN", period, as_of=AS_OF)
        one = await score_units(s, fw, "LH-01", period, as_of=AS_OF)
        with pytest.raises(UnknownUnitError):
            await score_units(s, fw, "NOPE", period, as_of=AS_OF)
    by_code = {c.cell.code: c for c in report.cells}
    assert by_code["LH-02"].result.no_data and by_code["LH-02"].result.total is None
    assert not by_code["LH-01"].result.no_data
    assert by_code["HM-01"].result.total is not None
    assert by_code["HM-01"].result.total > by_code["LH-01"].result.total  # type: ignore[operator]
    assert [c.code for c in report.committees] == ["QN-BL-LH", "QN-BL-HM"]
    lh = report.committees[0].result
    assert (lh.cells, lh.cells_with_data) == (2, 1)
    # Scoring one cell gives the same result as scoring it among the whole province.
    assert [c.cell.code for c in one] == ["LH-01"]
    assert one[0].result == by_code["LH-01"].result
    assert one[0].metrics == by_code["LH-01"].metrics


async def test_cell_totals_are_the_score_tree_totals(session_factory: SessionFactory) -> None:
    await _seed(session_factory)
    fw = load_framework()
    async with session_factory() as s:
        for code, label in (("QN", "2026"), ("QN", "2026-05"), ("LH-01", "2026-Q1")):
            report = await score_tree(s, fw, code, parse_period(label), as_of=AS_OF)
            cells, (totals,) = await cell_totals(s, fw, code, [parse_period(label)], as_of=AS_OF)
            assert [(c.id, totals[c.id]) for c in cells] == [
                (c.cell.id, c.result.total) for c in report.cells
            ]
    assert any(t is not None for t in totals.values())


async def test_meeting_score_of_a_checkin(session_factory: SessionFactory) -> None:
    data = await _seed(session_factory)
    fw = load_framework()
    async with session_factory() as s:
        jan = await score_meeting_for_checkin(s, fw, data["checkins"]["jan"])
        jul = await score_meeting_for_checkin(s, fw, data["checkins"]["jul"])
        missing = await score_meeting_for_checkin(s, fw, 999_999)
        facts = await meeting_facts_for_month(s, data["cells"][0], dt.date(2026, 2, 14))
    assert missing is None
    assert jul is not None and jul.held is False and jul.score is None
    assert jan is not None
    # January lost only: attendance 17/19 = 89% (full), one unexcused absence -5 => 95.
    assert jan.score == 95.0 and jan.band == "good"
    assert [r.indicator for r in jan.reasons] == ["no_unexcused"]
    assert [slot for _, slot, _ in facts] == ["regular", "thematic"]


async def test_golden_year_through_sql(session_factory: SessionFactory) -> None:
    """The hand-computed cell-year of tests/unit/test_scoring.py, stored and scored."""
    from tests.unit.test_scoring import (
        GOLDEN_INITIATIVES,
        GOLDEN_MEETINGS,
        GOLDEN_METRICS,
        GOLDEN_UNEXCUSED,
        assert_golden_year,
    )

    async with session_factory.begin() as s:
        grassroots = await _unit(s, "G", "grassroots", None)
        cell = await _unit(s, "G-01", "cell", grassroots)
        members = [Member(cell_id=cell.id, full_name=f"M{i}") for i in range(10)]
        s.add_all(members)
        await s.flush()
        for month, answers in GOLDEN_MEETINGS.items():
            checkin = Checkin(
                cell_id=cell.id,
                month=dt.date(2026, month, 1),
                slot="regular",
                status="submitted",
                **answers,
            )
            s.add(checkin)
            await s.flush()
            for index in GOLDEN_UNEXCUSED.get(month, []):
                s.add(
                    AttendanceMark(
                        checkin_id=checkin.id, member_id=members[index].id, status="unexcused"
                    )
                )
        for i, member in enumerate(members[: GOLDEN_INITIATIVES["covered"]]):
            done = i < GOLDEN_INITIATIVES["completed"]
            s.add(
                Initiative(
                    cell_id=cell.id,
                    member_id=member.id,
                    kind="environment",
                    title=f"Commitment {i}",
                    year=2026,
                    status="completed" if done else "in_progress",
                )
            )
        cell_id = cell.id

    fw = load_framework()
    async with session_factory() as s:
        scores = await score_units(s, fw, "G", parse_period("2026"), as_of=AS_OF)
    assert len(scores) == 1
    assert scores[0].metrics == dataclasses.replace(GOLDEN_METRICS, cell_id=cell_id)
    assert_golden_year(scores[0].result)
