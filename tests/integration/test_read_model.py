"""The read model of scores (storage.read_model) on SQLite and PostgreSQL: results identical to
a fresh computation by the metrics and the scoring, updated by submit in the same
transaction, read without recomputing when nothing changed, rebuilt after a framework change."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain import clock
from domain.framework import DEFAULT_FRAMEWORK_PATH, Framework, default_framework, parse_framework
from domain.periods import Period
from domain.scoring import score_cells, score_grassroots, score_meeting
from storage import checkins as store
from storage import stored_results as read_model_reads
from storage.db import SessionFactory, create_engine, create_session_factory
from storage.members import set_status
from storage.metrics import MetricsCache, cells_in_scope, compute_metrics, facts_of
from storage.models import AttendanceMark, CellResult, Checkin, Initiative, Member, MemberStatus
from storage.orgs import get_unit_by_code
from storage.read_model import compute_rows, ensure_meeting_scores, framework_version
from storage.rescore import rescore_units, stale_exists
from storage.scope import UnitRef
from storage.score_service import score_tree, stored_tree
from storage.supervision import ranking, summary
from tests.factories import Org, small_org
from tests.integration.test_checkins import full

FW = default_framework()
AS_OF = dt.date(2026, 5, 20)
MONTHS = [dt.date(2026, m, 1) for m in range(1, 6)]
# The same rules but a longer minimum meeting: every duration figure and score changes.
FW2 = parse_framework(
    DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8").replace(
        "min_duration_min: 90", "min_duration_min: 150"
    )
)


def facts(duration: int, present: int, unexcused: int, pre: bool | None) -> dict[str, Any]:
    return {
        "held": True,
        "meeting_type": "regular",
        "meeting_date": dt.date(2026, 1, 5),
        "duration_min": duration,
        "pre_meeting": pre,
        "content_prepared": True,
        "draft_resolution": pre,
        "expected_count": 20,
        "present_count": present,
        "absent_excused": 20 - present - unexcused,
        "absent_unexcused": unexcused,
        "dues_status": "all" if present > 15 else "some",
        "current_affairs": True,
        "ho_chi_minh": pre,
        "speakers": present // 3,
        "commended": 1,
        "criticised": 0,
        "assessed": True,
        "resolution_impl": "full" if present > 17 else "partly",
        "resolution_adopted": True,
        "minutes_complete": pre,
    }


async def seed(
    session: AsyncSession, org: Org, rows: list[tuple[str, int, dict[str, Any]]]
) -> None:
    for cell, month, values in rows:
        session.add(
            Checkin(
                cell_id=org.cells[cell],
                month=MONTHS[month],
                slot="regular",
                status="submitted",
                **values,
            )
        )


async def fresh(
    session: AsyncSession, fw: Framework, code: str, period: Period, as_of: dt.date
) -> dict[str, Any]:
    """What the metrics and the scoring give for the cells under `code`, computed now."""
    unit = await get_unit_by_code(session, code)
    assert unit is not None
    cells = await cells_in_scope(session, unit)
    metrics = await compute_metrics(
        session, unit, period, standards=fw.standards, as_of=as_of, cells=cells
    )
    results = score_cells(fw, [metrics[c.id] for c in cells], period.kind)
    groups: dict[int | None, list[Any]] = {}
    for cell, result in zip(cells, results, strict=True):
        groups.setdefault(cell.group_id, []).append((cell, result))
    return {
        "cells": {
            c.code: (dataclasses.asdict(metrics[c.id]), dataclasses.asdict(r))
            for c, r in zip(cells, results, strict=True)
        },
        "committees": {
            g: dataclasses.asdict(
                score_grassroots(fw, [r for _, r in pairs], [(c.id, c.sort) for c, _ in pairs])
            )
            for g, pairs in groups.items()
        },
    }


async def from_model(
    session: AsyncSession, fw: Framework, code: str, period: Period, as_of: dt.date
) -> dict[str, Any]:
    report = await score_tree(session, fw, code, period, as_of=as_of)
    return {
        "cells": {
            c.cell.code: (dataclasses.asdict(c.metrics), dataclasses.asdict(c.result))
            for c in report.cells
        },
        "committees": {c.unit_id: dataclasses.asdict(c.result) for c in report.committees},
    }


async def meeting_scores_are_current(session: AsyncSession, fw: Framework) -> int:
    """Every stored meeting score is the rubric's; returns how many there are."""
    stored = 0
    for checkin in await session.scalars(select(Checkin).where(Checkin.status == "submitted")):
        if checkin.score_version is not None:
            assert checkin.score_version == framework_version(fw)
            assert checkin.meeting_score == score_meeting(fw, facts_of(checkin)).score
            stored += 1
    return stored


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` meanwhile."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


# ---------------------------------------------------------------- identical to a fresh computation

fact_values = st.builds(
    facts,
    duration=st.sampled_from([60, 90, 120, 150, 200]),
    present=st.integers(10, 20),
    unexcused=st.integers(0, 2),
    pre=st.sampled_from([True, False, None]),
)
month_rows = st.lists(
    st.tuples(st.sampled_from(["C01", "C02", "DT1"]), st.integers(0, 4), fact_values),
    max_size=10,
    unique_by=lambda row: (row[0], row[1]),
)


def test_results_equal_a_fresh_computation(db_url: str) -> None:
    """Random meetings, periods and dates: the results read through the read model (computed
    and stored, then read back from the rows) equal the metrics and scoring run afresh."""
    with asyncio.Runner() as runner:
        engine = create_engine(db_url, pool_size=2)
        sessions = create_session_factory(engine)
        org = runner.run(small_org(sessions, members_per_cell=4))

        async def example(rows: list[Any], kind_month: tuple[Any, int], as_of: dt.date) -> None:
            async with sessions.begin() as s:
                await s.execute(delete(CellResult))
                await s.execute(delete(Checkin))
                await seed(s, org, rows)
            period = Period.of(kind_month[0], MONTHS[kind_month[1]])
            for _ in range(2):  # computed and stored, then read back from the rows
                async with sessions.begin() as s:
                    got = await from_model(s, FW, "QN", period, as_of)
                    assert got == await fresh(s, FW, "QN", period, as_of)
            async with sessions() as s:
                await meeting_scores_are_current(s, FW)

        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(
            rows=month_rows,
            kind_month=st.sampled_from([("month", 4), ("quarter", 0), ("quarter", 3), ("year", 0)]),
            as_of=st.sampled_from([dt.date(2026, 3, 10), AS_OF, dt.date(2027, 2, 1)]),
        )
        def check(rows: list[Any], kind_month: tuple[Any, int], as_of: dt.date) -> None:
            runner.run(example(rows, kind_month, as_of))

        try:
            check()
        finally:
            runner.run(engine.dispose())


def test_a_few_cells_months_summed_give_the_rows_of_a_pass_over_the_tree(db_url: str) -> None:
    """A submit's refresh reads its cell's months once and sums them per period
    (storage.checkin_totals); a view of many cells asks SQL for each period's totals. Random
    meetings (thematic ones too), every period and several dates: every stored column is the
    same both ways, the activity /summary shows and the meeting scores' sum included."""
    with asyncio.Runner() as runner:
        engine = create_engine(db_url, pool_size=2)
        sessions = create_session_factory(engine)
        org = runner.run(small_org(sessions, members_per_cell=4))

        async def example(rows: list[Any], types: list[str], as_of: dt.date) -> None:
            for (_cell, _month, values), kind in zip(rows, types, strict=False):
                values["meeting_type"] = kind
            async with sessions.begin() as s:
                await s.execute(delete(Checkin))
                await seed(s, org, rows)
            async with sessions.begin() as s:
                unit = await get_unit_by_code(s, "QN")
                assert unit is not None
                cells = await cells_in_scope(s, unit)
                await ensure_meeting_scores(s, FW)
                cache = MetricsCache()  # shared by the periods, as at submit
                for period in EVERY_PERIOD:
                    tree = await compute_rows(s, FW, unit, cells, period, as_of, only=False)
                    few = await compute_rows(
                        s, FW, unit, cells, period, as_of, only=True, cache=cache
                    )
                    for row in (*tree, *few):
                        del row["computed_at"]
                    assert few == tree, (period, as_of)

        @settings(
            max_examples=10,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(
            rows=month_rows,
            types=st.lists(st.sampled_from(["regular", "thematic", "combined"]), max_size=10),
            as_of=st.sampled_from([dt.date(2026, 2, 3), AS_OF, dt.date(2027, 2, 1)]),
        )
        def check(rows: list[Any], types: list[str], as_of: dt.date) -> None:
            runner.run(example(rows, types, as_of))

        try:
            check()
        finally:
            runner.run(engine.dispose())


# ---------------------------------------------------------------- framework change, rescore


async def test_framework_change_marks_stale_and_rescore_gives_a_fresh_computation(
    session_factory: SessionFactory,
) -> None:
    org = await small_org(session_factory, members_per_cell=4)
    async with session_factory.begin() as s:
        await seed(
            s,
            org,
            [
                ("C01", 3, facts(120, 19, 0, True)),
                ("C02", 3, facts(100, 15, 2, False)),
                ("DT1", 4, facts(95, 18, 1, None)),
            ],
        )
    year = Period("year", 2026, 1)
    async with session_factory.begin() as s:
        before = await from_model(s, FW, "QN", year, AS_OF)
        assert not await stale_exists(s, FW)
        assert await stale_exists(s, FW2)  # a new framework version: every row is stale
    assert framework_version(FW2) != framework_version(FW)

    written = await rescore_units(session_factory, FW2, as_of=AS_OF)
    # Months 4 and 5 (and their quarter and the year) with check-ins, for the three cells.
    assert written == 3 * 4
    async with session_factory.begin() as s:
        assert not await stale_exists(s, FW2)
        assert await meeting_scores_are_current(s, FW2) == 3
        computed = read_model_reads.STATS.computed_cells
        after = await from_model(s, FW2, "QN", year, AS_OF)
        assert read_model_reads.STATS.computed_cells == computed  # read from the rebuilt rows
        assert after == await fresh(s, FW2, "QN", year, AS_OF)
    assert after != before  # the longer minimum duration changed the scores


# ---------------------------------------------------------------- submit, same transaction


async def test_submit_updates_the_rows_in_the_same_transaction(
    session_factory: SessionFactory, engine: AsyncEngine
) -> None:
    clock.set_clock(clock.FixedClock(dt.datetime(2026, 5, 20, 3, 0, tzinfo=dt.UTC)))  # AS_OF
    org = await small_org(session_factory, members_per_cell=5)
    may = Period("month", 2026, 5)
    commune = "QN-BL-LH"
    async with session_factory.begin() as s:
        first = await from_model(s, FW, commune, may, AS_OF)  # rows of "no data"
        ids = sorted(await s.scalars(select(Member.id).where(Member.cell_id == org.cells["C01"])))
    assert first["cells"]["QN-BL-LH-C01"][1]["no_data"] is True
    async with session_factory.begin() as s:
        draft, _ = await store.create_draft(
            s, org.cells["C01"], MONTHS[4], full(ids), actor_account_id=None
        )
        assert await store.submit(s, draft, actor_account_id=None, framework=FW) == []
        # Before the commit, in the same transaction: the meeting score and the rows.
        assert draft.meeting_score == score_meeting(FW, facts_of(draft)).score
        assert draft.score_version == framework_version(FW)
        kinds = {
            kind
            for kind, total in (
                await s.execute(
                    select(CellResult.period_kind, CellResult.total).where(
                        CellResult.cell_id == org.cells["C01"], CellResult.total.is_not(None)
                    )
                )
            ).all()
        }
        assert kinds == {"month", "quarter", "year"}
    # A supervisor's view right after reads the new score without computing anything.
    computed = read_model_reads.STATS.computed_cells
    async with session_factory.begin() as s:
        with statements(engine) as seen:
            view = await summary(s, FW, await _ref(s, commune), may, AS_OF)
        assert not any("FROM checkins" in q for q in seen), seen
        assert read_model_reads.STATS.computed_cells == computed
        c01 = next(r for r in view.rows if r.code == "QN-BL-LH-C01")
        assert c01.total is not None and c01.submitted == 1 and c01.meeting_score is not None
        assert await from_model(s, FW, commune, may, AS_OF) == await fresh(
            s, FW, commune, may, AS_OF
        )
    # An edit after submit changes the stored score and the rows again.
    async with session_factory.begin() as s:
        row = await s.get(Checkin, draft.id)
        assert row is not None
        await store.save_answers(
            s, row, full(ids, duration_min=30), actor_account_id=None, framework=FW
        )
    async with session_factory.begin() as s:
        edited = await from_model(s, FW, commune, may, AS_OF)
        assert read_model_reads.STATS.computed_cells == computed
        assert edited == await fresh(s, FW, commune, may, AS_OF)
        assert edited != first


async def _ref(session: AsyncSession, code: str) -> UnitRef:
    unit = await get_unit_by_code(session, code)
    assert unit is not None
    return UnitRef.of(unit)


# ---------------------------------------------------------------- reads cost the cells shown


async def test_a_tree_view_reads_rows_and_computes_nothing_when_nothing_changed(
    session_factory: SessionFactory, engine: AsyncEngine
) -> None:
    org = await small_org(session_factory, members_per_cell=4)
    async with session_factory.begin() as s:
        await seed(s, org, [(c, m, facts(120, 18, 1, True)) for c in org.cells for m in range(5)])
    year = Period("year", 2026, 1)
    async with session_factory.begin() as s:
        province = await _ref(s, "QN")
        first = await summary(s, FW, province, year, AS_OF)  # computes and stores the rows
    computed = read_model_reads.STATS.computed_cells
    async with session_factory.begin() as s:
        with statements(engine) as seen:
            again = await summary(s, FW, province, year, AS_OF)
    assert read_model_reads.STATS.computed_cells == computed
    assert not any("checkins" in q or "members" in q for q in seen), seen
    assert again == first
    # A member's status change drops that cell's rows only: the next view computes one cell.
    async with session_factory.begin() as s:
        member = await s.scalar(select(Member).where(Member.cell_id == org.cells["C02"]))
        assert member is not None
        await set_status(s, member, MemberStatus.EXEMPT, actor_account_id=None)
    async with session_factory.begin() as s:
        changed = await summary(s, FW, province, year, AS_OF)
    assert read_model_reads.STATS.computed_cells == computed + 1
    async with session_factory.begin() as s:
        assert await from_model(s, FW, "QN", year, AS_OF) == await fresh(s, FW, "QN", year, AS_OF)
    assert changed.total.cells == first.total.cells


# ---------------------------------------------------------------- shared aggregates (helper C)


async def _history(session: AsyncSession, org: Org, months: int = 5) -> None:
    """`months` months of meetings in every cell, with what the aggregates shared by many
    periods read: absences without reason in two months (at risk), excused absences in a row,
    initiatives of active and exempt members, and an exempt member with absences."""
    members = {
        cell: list(
            await session.scalars(
                select(Member.id).where(Member.cell_id == cell_id).order_by(Member.id)
            )
        )
        for cell, cell_id in org.cells.items()
    }
    await seed(
        session,
        org,
        [
            (cell, month, facts(80 + 20 * month, 14 + month, month % 3, month % 2 == 0))
            for cell in org.cells
            for month in range(months)
        ],
    )
    await session.flush()
    checkins = {
        (cell_id, month): checkin_id
        for checkin_id, cell_id, month in (
            await session.execute(select(Checkin.id, Checkin.cell_id, Checkin.month))
        ).all()
    }
    marks = [
        ("C01", 0, [0, 2], "unexcused"),
        ("C01", 1, [0, 1, 2, 3, 4], "excused"),
        ("C02", 0, [1, 3], "unexcused"),
        ("C02", 1, [0, 1, 2, 3], "excused"),
        ("DT1", 2, [0, 1, 2, 3], "excused"),
        ("DT1", 3, [2, 4], "unexcused"),
    ]
    for cell, member, months, status in marks:
        for month in (m for m in months if (org.cells[cell], MONTHS[m]) in checkins):
            session.add(
                AttendanceMark(
                    checkin_id=checkins[(org.cells[cell], MONTHS[month])],
                    member_id=members[cell][member],
                    status=status,
                )
            )
    for cell, member, year, status, amount in [
        ("C01", 0, 2026, "registered", None),
        ("C01", 1, 2026, "completed", 5_000_000),
        ("C01", 2, 2025, "completed", 1_000_000),
        ("C02", 0, 2026, "completed", 2_000_000),  # made exempt below: not counted
        ("C02", 2, 2026, "registered", None),
        ("DT1", 3, 2026, "dropped", None),
    ]:
        session.add(
            Initiative(
                cell_id=org.cells[cell],
                member_id=members[cell][member],
                kind="economic",
                title="Trồng keo",
                year=year,
                status=status,
                realised_amount_vnd=amount,
            )
        )
    exempt = await session.get(Member, members["C02"][0])
    assert exempt is not None
    exempt.status = MemberStatus.EXEMPT.value


EVERY_PERIOD = [
    *(Period.of("month", m) for m in MONTHS),
    Period.of("quarter", MONTHS[0]),
    Period.of("quarter", MONTHS[3]),
    Period.of("year", MONTHS[0]),
]


async def test_rescore_of_every_period_equals_a_fresh_computation(
    session_factory: SessionFactory,
) -> None:
    """A rescore reads members, initiatives and the at-risk and excused windows once for all
    its periods (storage.metrics.MetricsCache) and scores the meetings up front: every
    month, quarter and year it stores is still what a fresh computation gives."""
    org = await small_org(session_factory, members_per_cell=5)
    async with session_factory.begin() as s:
        await _history(s, org)
    written = await rescore_units(session_factory, FW2, as_of=AS_OF)
    assert written == 3 * len(EVERY_PERIOD)
    async with session_factory.begin() as s:
        assert await meeting_scores_are_current(s, FW2) == 3 * 5
        computed = read_model_reads.STATS.computed_cells
        for period in EVERY_PERIOD:
            stored = await from_model(s, FW2, "QN", period, AS_OF)
            assert read_model_reads.STATS.computed_cells == computed, period  # read from the rows
            assert stored == await fresh(s, FW2, "QN", period, AS_OF), period
        at_risk = [m["members_at_risk"] for m, _ in stored["cells"].values()]
        assert max(at_risk) == 1  # the windows had something to count


async def test_a_submit_refreshes_month_quarter_and_year_as_a_fresh_computation(
    session_factory: SessionFactory,
) -> None:
    """The refresh of one cell at submit (its members looked up by key, its meetings scored
    once for the year) stores the rows a fresh computation of the whole tree gives."""
    clock.set_clock(clock.FixedClock(dt.datetime(2026, 5, 20, 3, 0, tzinfo=dt.UTC)))  # AS_OF
    org = await small_org(session_factory, members_per_cell=5)
    async with session_factory.begin() as s:
        await _history(s, org, months=4)  # May is submitted below
    await rescore_units(session_factory, FW, as_of=AS_OF)
    async with session_factory.begin() as s:  # May's rows ("no data") before the submit
        await from_model(s, FW, "QN", Period.of("month", MONTHS[4]), AS_OF)
    async with session_factory.begin() as s:
        ids = sorted(await s.scalars(select(Member.id).where(Member.cell_id == org.cells["C01"])))
        draft, _ = await store.create_draft(
            s, org.cells["C01"], MONTHS[4], full(ids), actor_account_id=None
        )
        assert await store.submit(s, draft, actor_account_id=None, framework=FW) == []
    computed = read_model_reads.STATS.computed_cells
    async with session_factory.begin() as s:
        for period in (Period.of("month", MONTHS[4]), Period.of("quarter", MONTHS[4])):
            stored = await from_model(s, FW, "QN", period, AS_OF)
            assert stored == await fresh(s, FW, "QN", period, AS_OF), period
        year = await from_model(s, FW, "QN", EVERY_PERIOD[-1], AS_OF)
        assert year == await fresh(s, FW, "QN", EVERY_PERIOD[-1], AS_OF)
    assert read_model_reads.STATS.computed_cells == computed  # the submit stored them all
    assert year["cells"]["QN-BL-LH-C01"][0]["checkins"] == 5


# ---------------------------------------------------------------- the read side (helper A)


async def test_views_of_many_cells_read_stored_columns_only(
    session_factory: SessionFactory, engine: AsyncEngine
) -> None:
    """/summary, /ranking and `cellbot report` read the stored columns, never the metrics
    (nor score anything): the same figures as the full results the export reads, at every
    level and period."""
    org = await small_org(session_factory, members_per_cell=4)
    async with session_factory.begin() as s:
        await seed(
            s,
            org,
            [
                (c, m, facts(60 + 30 * m, 12 + m + i, m % 2, m % 3 == 0))
                for i, c in enumerate(org.cells)
                for m in range(5)
                if (i + m) % 4
            ],
        )
    periods = [Period("year", 2026, 1), Period("quarter", 2026, 2), Period.of("month", MONTHS[3])]
    async with session_factory.begin() as s:
        codes = ("QN", "QN-BL", "QN-BL-LH", "QN-BL-LH-C01", "QN-BL-DT-C01")
        units = [await _ref(s, code) for code in codes]
        for unit in units:
            for period in periods:
                full_view = await summary(s, FW, unit, period, AS_OF)  # computes the rows
                assert full_view.cells and all(c.metrics for c in full_view.cells)
                with statements(engine) as seen:
                    stored = await summary(s, FW, unit, period, AS_OF, cells=False)
                assert not stored.cells and not stored.activity
                assert (stored.total, stored.rows) == (full_view.total, full_view.rows)
                reads = [q for q in seen if "FROM cell_results" in q]
                assert reads and not any("cell_results.metrics" in q for q in reads), reads
                assert not any("checkins" in q or "members" in q for q in seen), seen
    async with session_factory.begin() as s:
        province = await _ref(s, "QN")
        tree = await stored_tree(s, FW, "QN", periods[0], AS_OF, metrics=False)
        row = next(iter(tree.rows.values()))
        with pytest.raises(LookupError):
            row.metrics()
        with statements(engine) as seen:
            lines = await ranking(s, FW, province, periods[0], AS_OF, "cells")
        assert {line.unit_id for line in lines} == set(org.cells.values())
        assert not any("cell_results.metrics" in q for q in seen if "FROM cell_results" in q)
