"""The read model of scores: each check-in's meeting score, and each cell's result per month,
quarter and year (`cell_results`), computed once when facts change and read by every view.

Every figure is computed by the one implementation: the SQL metrics (storage.metrics) and the
pure scoring (domain.scoring). A row stores what a view of many cells reads (total, band,
4-good, criterion scores, the activity /summary shows), the reasons (points lost, which a
report of every cell renders) and the cell's metrics, from which the criteria's indicators
are rebuilt exactly when one cell is shown.

A row is current when it carries the framework's version (a hash of its content) and was
computed as of the month the period is now seen from (`seen_from`). Views read the rows of
the cells they show and compute, with the same code, just the rows that are missing or not
current (self-healing), so their cost grows with the cells shown, not with history.

The write side, in the same transaction as the change:
* a check-in submitted, edited after submit or reopened: `checkin_changed` stores its
  meeting score and recomputes its cell's month, quarter and year (`refresh_cells`); the
  later periods it feeds through the members-at-risk window are dropped (`mark_stale`);
* members added or whose status changes, initiatives registered or changed: `mark_stale`
  drops the cell's rows (all periods for members, the year's for initiatives).
A framework change makes every row and stored meeting score not current; storage.rescore
rebuilds them (run by `cellbot rescore` and at start-up when the version changed).
The reading half (stored rows, computing the missing ones) is storage.stored_results.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from domain.framework import Framework, Standards, derived
from domain.periods import Period, PeriodKind, add_months, month_start
from domain.scoring import (
    CellMetrics,
    MeetingFacts,
    PeriodResult,
    criterion_scores,
    reason_keys,
    reasons_text,
    score_cells,
    score_meeting,
)
from storage.checkin_totals import (
    ACTIVITY,
    NO_ACTIVITY,
    Activity,
    activity_of,
    activity_query,
    totals_between,
)
from storage.metrics import MetricsCache, checkin_months, compute_metrics, facts_of
from storage.metrics_sql import FACT_COLUMNS, CellInfo, scope_filter
from storage.models import CellResult, Checkin, CheckinStatus, OrgUnit, utcnow


def _batched(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")
# Above this many cells to compute, one pass over the scope's subtree costs less than an
# IN list of ids (and stays under the databases' limits on bound parameters).
ONLY_LIMIT = 400
CHUNK = 500

ProgressFn = Callable[[int, int, str], None]


# Raise when the code changes what a row means (how metrics or scores are computed, what
# is stored). 2: rows store their reasons (revision 0009). 3: the meeting scores' sum is
# summed in whole tenths (storage.checkin_totals), the same whatever order rows come in.
LAYOUT = 3
METRIC_FIELDS = tuple(CellMetrics.__dataclass_fields__)


def framework_version(fw: Framework) -> str:
    """A hash of the framework's whole content, and of the layout of what is stored (the
    metrics' fields, `LAYOUT`): any change to a rule, or to the code's metrics, changes it."""

    def digest(f: Framework) -> str:
        content = f"{LAYOUT}|{','.join(METRIC_FIELDS)}|{f.model_dump_json()}"
        return hashlib.sha256(content.encode()).hexdigest()[:16]

    return derived(fw, "read-model-version", digest)


def seen_from(period: Period, as_of: dt.date) -> dt.date:
    """The month a period's result depends on when seen on `as_of`: today's month while the
    period runs (the meetings due so far, the members-at-risk window), its end once ended
    (then the result no longer changes with the date)."""
    return min(month_start(as_of), period.end)


def periods_of(month: dt.date) -> list[Period]:
    return [Period.of(kind, month) for kind in PERIOD_KINDS]


# ================================================================ meeting scores


async def store_meeting_score(fw: Framework | None, checkin: Checkin) -> None:
    """The check-in's rubric score, on the loaded row (written with the transaction)."""
    if fw is None or checkin.status != CheckinStatus.SUBMITTED.value:
        checkin.score_version = None  # recomputed when next read
        return
    checkin.meeting_score = score_meeting(fw, facts_of(checkin)).score
    checkin.score_version = framework_version(fw)


def _score_update() -> Any:
    table = Checkin.__table__
    return (
        update(table)  # type: ignore[arg-type]
        .where(table.c.id == bindparam("b_id"))
        .values(
            meeting_score=bindparam("b_score"),
            score_version=bindparam("b_version"),
            # Scoring again (a framework change, a seed) is no edit: keep the edit's time.
            updated_at=table.c.updated_at,
        )
    )


async def ensure_meeting_scores(
    session: AsyncSession, fw: Framework, *where: ColumnElement[bool]
) -> int:
    """Score the submitted check-ins matching `where` whose stored score is missing or of
    another framework version (after a seed, an import or a framework change); returns how
    many were scored. Usually none: submit stores the score."""
    version = framework_version(fw)
    rows = (
        await session.execute(
            select(Checkin.id, *[getattr(Checkin, name) for name in FACT_COLUMNS]).where(
                Checkin.status == CheckinStatus.SUBMITTED.value,
                or_(Checkin.score_version.is_(None), Checkin.score_version != version),
                *where,
            )
        )
    ).all()
    params = [
        {"b_id": row[0], "b_score": score_meeting(fw, MeetingFacts(*row[1:])).score} for row in rows
    ]
    for chunk in _batched(params, CHUNK):
        await session.execute(_score_update(), [{**p, "b_version": version} for p in chunk])
    return len(params)


# ================================================================ computing rows


def _activity_end(period: Period, as_of: dt.date) -> dt.date:
    """/summary counts the months of the period that have started by `as_of`."""
    return max(period.start, min(period.end, add_months(month_start(as_of), 1)))


async def _activity(
    session: AsyncSession,
    standards: Standards,
    ids: Sequence[int] | None,
    scope_path: str,
    period: Period,
    as_of: dt.date,
    memo: MetricsCache,
) -> dict[int, Activity]:
    """The activity per cell (of `ids`, or all under `scope_path`) over the submitted
    check-ins of the months due: one query for many cells; for a few, their months' totals
    (read once for the year through `memo`), summed."""
    start, end = period.start, _activity_end(period, as_of)
    if end <= start:
        return {}
    if ids is None:
        rows = await session.execute(activity_query(scope_filter(scope_path, None), start, end))
        return {int(r[0]): activity_of(r[1:]) for r in rows.all()}
    months = await checkin_months(session, ids, period, as_of, standards, memo)
    found = {}
    for cell_id, by_month in months.items():
        totals = totals_between(by_month, start, end)
        if totals is not None:
            found[cell_id] = activity_of([totals[name] for name in ACTIVITY])
    return found


def _metrics_json(metrics: CellMetrics) -> str:
    # The values in field order (the version hash covers the fields): a quarter of the text
    # of a dict, which a province's rows read 5,000 at a time.
    return json.dumps([getattr(metrics, name) for name in METRIC_FIELDS], separators=(",", ":"))


def _criteria_json(result: PeriodResult, metrics: CellMetrics) -> str:
    # None: no check-in at all, the plain "no data" result; else the criterion scores.
    if metrics.checkins == 0:
        return "null"
    return json.dumps([score for _, score in criterion_scores(result)])


async def compute_rows(
    session: AsyncSession,
    fw: Framework,
    scope: OrgUnit,
    cells: Sequence[CellInfo],
    period: Period,
    as_of: dt.date,
    *,
    only: bool,
    cache: MetricsCache | None = None,
    scores_current: bool = False,
) -> list[dict[str, Any]]:
    """The rows of `cells` for `period` as of `as_of`, computed by the existing metrics and
    scoring. `only`: read just these cells (else the whole subtree of `scope`, which `cells`
    must then list entirely). `cache`: shared by the periods of one rebuild (see
    `MetricsCache`); `scores_current`: the meetings' scores are known to be current."""
    ids = [c.id for c in cells] if only else None
    start, end = period.start, _activity_end(period, as_of)
    if not scores_current and end > start:
        # Before anything reads the scores (a few cells' months are read once, with them).
        c = Checkin
        within = scope_filter(scope.path, ids)
        await ensure_meeting_scores(session, fw, within(c.cell_id), c.month >= start, c.month < end)
    memo = cache if cache is not None else MetricsCache()
    metrics = await compute_metrics(
        session,
        scope,
        period,
        standards=fw.standards,
        as_of=as_of,
        cells=cells,
        only=ids,
        cache=memo,
    )
    ordered = [metrics[c.id] for c in cells]
    results = score_cells(fw, ordered, period.kind)
    activity = await _activity(session, fw.standards, ids, scope.path, period, as_of, memo)
    common = {
        "period_kind": period.kind,
        "period_start": period.start,
        "as_of_month": seen_from(period, as_of),
        "framework_version": framework_version(fw),
        "computed_at": utcnow(),
    }
    rows = []
    for m, result in zip(ordered, results, strict=True):
        meetings, reports, score_sum, scored, present, expected = activity.get(
            m.cell_id, NO_ACTIVITY
        )
        rows.append(
            {
                **common,
                "cell_id": m.cell_id,
                "no_data": result.no_data,
                "total": result.total,
                "band": result.band,
                "four_good": result.four_good,
                "criteria": _criteria_json(result, m),
                "metrics": _metrics_json(m),
                "reasons": reasons_text(reason_keys(fw, result)),
                "meetings": meetings,
                "reports": reports,
                "score_sum": score_sum,
                "scored": scored,
                "present": present,
                "expected": expected,
            }
        )
    return rows


_KEY = ("cell_id", "period_kind", "period_start")


async def upsert_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    rows.sort(key=lambda r: (r["cell_id"], r["period_kind"], r["period_start"]))  # lock order
    table = CellResult.__table__
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = make(table)  # type: ignore[arg-type]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={name: stmt.excluded[name] for name in rows[0] if name not in _KEY},
    )
    for chunk in _batched(rows, CHUNK):
        await session.execute(stmt, list(chunk))


async def store_for_later(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Store rows a view computed. On SQLite a view's transaction reads a snapshot, and it
    cannot start writing once another writer has committed since ("database is locked"
    at once, whatever the busy timeout): the view still shows its results, and they are
    stored by a later view instead of failing this one."""
    try:
        async with session.begin_nested():
            await upsert_rows(session, rows)
    except OperationalError:
        if session.get_bind().dialect.name != "sqlite":
            raise


# ================================================================ the write side


async def mark_stale(
    session: AsyncSession, cell_ids: Iterable[int], *, after: dt.date | None = None
) -> None:
    """Drop the cells' rows (they are computed again when next read): all of them, or with
    `after` (a month) those of the periods that end after it. In the caller's transaction."""
    ids = sorted(set(cell_ids))
    if not ids:
        return
    condition: ColumnElement[bool] = CellResult.cell_id.in_(ids)
    if after is not None:
        after = month_start(after)
        condition = and_(
            condition,
            or_(
                and_(CellResult.period_kind == "month", CellResult.period_start >= after),
                and_(
                    CellResult.period_kind == "quarter",
                    CellResult.period_start > add_months(after, -3),
                ),
                and_(
                    CellResult.period_kind == "year",
                    CellResult.period_start > add_months(after, -12),
                ),
            ),
        )
    await session.execute(delete(CellResult).where(condition))


async def mark_year_stale(session: AsyncSession, cell_ids: Iterable[int], year: int) -> None:
    """Drop the cells' rows of the periods in `year` (initiatives count per year)."""
    ids = sorted(set(cell_ids))
    if ids:
        await session.execute(
            delete(CellResult).where(
                CellResult.cell_id.in_(ids),
                CellResult.period_start >= dt.date(year, 1, 1),
                CellResult.period_start < dt.date(year + 1, 1, 1),
            )
        )


async def refresh_cells(
    session: AsyncSession,
    fw: Framework | None,
    cell_ids: Iterable[int],
    months: Iterable[dt.date],
    *,
    as_of: dt.date | None = None,
) -> None:
    """After the cells' facts of `months` changed: drop their rows of every period those
    facts feed (the periods ending after the earliest month: the members-at-risk window
    reaches forward), then compute again the month, quarter and year of each month, so the
    views right after read them. Without a framework (its file could not be loaded) the rows
    are only dropped. In the caller's transaction."""
    ids = sorted(set(cell_ids))
    wanted = sorted({month_start(m) for m in months})
    if not ids or not wanted:
        return
    await session.flush()  # the queries below read the changed facts
    await mark_stale(session, ids, after=wanted[0])
    if fw is None:
        return
    as_of = as_of or clock.today()
    units = (
        await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)).order_by(OrgUnit.id))
    ).all()
    cells = [CellInfo(u.id, u.code, u.name, u.path, None, None, None) for u in units]
    if not cells:
        return
    periods = {p.label: p for m in wanted for p in periods_of(m) if p.start <= as_of}
    if not periods:
        return
    # The year holds the month and the quarter: its meetings are scored once, and the
    # aggregates the periods share (members, initiatives, windows) are read once.
    await ensure_meeting_scores(
        session,
        fw,
        Checkin.cell_id.in_(ids),
        Checkin.month >= min(p.start for p in periods.values()),
        Checkin.month < max(p.end for p in periods.values()),
    )
    cache = MetricsCache()
    rows: list[dict[str, Any]] = []
    for period in periods.values():
        rows += await compute_rows(
            session,
            fw,
            units[0],
            cells,
            period,
            as_of,
            only=True,
            cache=cache,
            scores_current=True,
        )
    await upsert_rows(session, rows)


async def checkin_changed(
    session: AsyncSession, fw: Framework | None, checkin: Checkin, *, as_of: dt.date | None = None
) -> None:
    """A check-in was submitted, edited after its submit, or reopened: store its meeting
    score and refresh its cell's results (same transaction)."""
    await store_meeting_score(fw, checkin)
    await refresh_cells(session, fw, [checkin.cell_id], [checkin.month], as_of=as_of)
