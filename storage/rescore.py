"""Rebuilding the read model (storage.read_model): after a change of the criteria framework
(every row and stored meeting score is then of another version), or as a repair. Run by
`cellbot rescore` and at start-up when the version changed; each period is one transaction.

A province's 36 months are 53 periods of ~5,000 cells (issue 14: < 60 s). The meetings are
scored first, a year per transaction; then each period reads the check-ins of its months,
while what many periods share (active members, a year's initiatives, a members-at-risk
window, a year's excused absences up to a month) is read once (storage.metrics.MetricsCache).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from domain.framework import Framework
from domain.periods import Period, PeriodKind
from storage.db import writing
from storage.metrics import MetricsCache, cells_in_scope
from storage.metrics_sql import CellFilter, CellInfo, scope_filter
from storage.models import CellResult, Checkin, CheckinStatus, OrgUnit
from storage.read_model import (
    ProgressFn,
    compute_rows,
    ensure_meeting_scores,
    framework_version,
    periods_of,
    seen_from,
    upsert_rows,
)

# Periods computed at once: one's SQL (in the database server, or SQLite's own thread) runs
# while the other's scoring holds the interpreter; more would only queue on a few cores.
LANES = 2


async def stale_exists(session: AsyncSession, fw: Framework) -> bool:
    """Whether any stored row or meeting score is of another framework version, or a
    submitted check-in was never scored (a database upgraded to the read model, or seeded):
    without a rescore every view would compute those cells again and again."""
    version = framework_version(fw)
    unscored = await session.scalar(
        select(Checkin.id)
        .where(
            Checkin.status == CheckinStatus.SUBMITTED.value,
            Checkin.score_version.is_(None),
        )
        .limit(1)
    )
    if unscored is not None:
        return True
    row = await session.scalar(
        select(CellResult.cell_id).where(CellResult.framework_version != version).limit(1)
    )
    if row is not None:
        return True
    scored = await session.scalar(
        select(Checkin.id)
        .where(Checkin.score_version.is_not(None), Checkin.score_version != version)
        .limit(1)
    )
    return scored is not None


async def _current_rows(
    session: AsyncSession,
    fw: Framework,
    within: CellFilter,
    period: Period,
    as_of: dt.date,
) -> int:
    count = await session.scalar(
        select(func.count()).where(
            CellResult.period_kind == period.kind,
            CellResult.period_start == period.start,
            CellResult.framework_version == framework_version(fw),
            CellResult.as_of_month == seen_from(period, as_of),
            within(CellResult.cell_id),
        )
    )
    return int(count or 0)


async def rescore(
    run: Callable[[Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]],
    fw: Framework,
    scope: OrgUnit,
    cells: Sequence[CellInfo],
    *,
    as_of: dt.date,
    progress: ProgressFn | None = None,
    only_stale: bool = False,
) -> int:
    """Rebuild the results of `cells` (the subtree of `scope`) for every period with a stored
    row or a submitted check-in, each computed for all the cells (the meetings' scores of
    another version are computed again on the way). `run` runs one step in its own
    transaction: each period commits on its own, so an interrupted rescore keeps its work.
    With `only_stale`, a period whose rows are all current is left as it is (start-up);
    otherwise every row is computed again (a repair). Returns the rows written."""
    within = scope_filter(scope.path, None)

    async def periods_to_build(session: AsyncSession) -> list[Period]:
        months = (
            await session.scalars(
                select(Checkin.month)
                .where(Checkin.status == CheckinStatus.SUBMITTED.value, within(Checkin.cell_id))
                .distinct()
            )
        ).all()
        stored = (
            await session.execute(
                select(CellResult.period_kind, CellResult.period_start)
                .where(within(CellResult.cell_id))
                .distinct()
            )
        ).all()
        found = {p.label: p for m in months for p in periods_of(m)}
        for kind, start in stored:
            period = Period.of(cast(PeriodKind, kind), start)
            found[period.label] = period
        return sorted(found.values(), key=lambda p: (p.start, p.kind))

    periods: list[Period] = await run(periods_to_build)
    # The meetings' scores first, a year per transaction: each period's rows then read them
    # without looking for stale ones again (the periods of a year overlap).
    for year in sorted({p.start.year for p in periods}):

        async def score(session: AsyncSession, year: int = year) -> int:
            return await ensure_meeting_scores(
                session,
                fw,
                within(Checkin.cell_id),
                Checkin.month >= dt.date(year, 1, 1),
                Checkin.month < dt.date(year + 1, 1, 1),
            )

        with writing():  # SQLite: the writer's lock from the start (it reads, then writes)
            await run(score)
    # Members, initiatives and the members-at-risk windows are shared by many periods.
    cache = MetricsCache()
    lanes = asyncio.Semaphore(LANES)
    done = 0

    async def build(period: Period) -> int:
        async def compute(session: AsyncSession) -> list[dict[str, Any]] | None:
            if only_stale and await _current_rows(session, fw, within, period, as_of) == len(cells):
                return None  # every row current: an interrupted start-up rescore resumes
            return await compute_rows(
                session,
                fw,
                scope,
                cells,
                period,
                as_of,
                only=False,
                cache=cache,
                scores_current=True,
            )

        async def store(session: AsyncSession) -> None:
            await upsert_rows(session, rows)

        nonlocal done
        async with lanes:
            rows = await run(compute)  # reads only: SQLite readers never wait for a writer
            if rows is not None:
                with writing():
                    await run(store)
        done += 1
        if progress is not None:
            progress(done, len(periods), period.label)
        return 0 if rows is None else len(rows)

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(build(period)) for period in periods]
    return sum(task.result() for task in tasks)


async def rescore_units(
    session_factory: Callable[[], Any],
    fw: Framework,
    *,
    unit_code: str | None = None,
    as_of: dt.date | None = None,
    progress: ProgressFn | None = None,
    only_stale: bool = False,
) -> int:
    """`rescore` of the subtree of `unit_code` (None: of every tree), each step committed
    on its own; returns the rows written. Raises LookupError for an unknown code."""
    as_of = as_of or clock.today()

    async def run(step: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        async with session_factory() as session, session.begin():
            return await step(session)

    async def roots(session: AsyncSession) -> list[tuple[OrgUnit, list[CellInfo]]]:
        if unit_code is None:
            query = select(OrgUnit).where(OrgUnit.parent_id.is_(None))
        else:
            query = select(OrgUnit).where(OrgUnit.code == unit_code)
        units = (await session.scalars(query.order_by(OrgUnit.code))).all()
        if unit_code is not None and not units:
            raise LookupError(unit_code)
        return [(unit, await cells_in_scope(session, unit)) for unit in units]

    written = 0
    for scope, cells in await run(roots):
        if cells:
            written += await rescore(
                run, fw, scope, cells, as_of=as_of, progress=progress, only_stale=only_stale
            )
    return written
