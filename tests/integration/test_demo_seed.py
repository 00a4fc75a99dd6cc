"""`cellbot demo seed` on a fresh database (both databases): the tree since July 2025 and a
year of history, so that the first `cellbot report` shows real figures at any instant."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from domain import clock
from domain.orgtree import UnitKind, unit_error
from domain.periods import add_months, month_start
from storage.db import SessionFactory
from storage.models import Checkin, MeetingSchedule, OrgUnit
from storage.synthetic.demo import demo_rows
from storage.synthetic.quang_ninh_2025 import COMMUNE_LEVEL, NAMED_CELLS
from tests.integration.cli_run import call, cellbot, run_all


def test_demo_tree_nests_by_the_2025_rules_with_unique_names() -> None:
    rows = demo_rows()
    by_code = {r.code: r for r in rows}
    for row in rows:
        parent = by_code.get(row.parent) if row.parent else None
        above = (parent.kind, parent.sort) if parent else (None, None)
        assert unit_error(above[0], above[1], row.kind, row.sort) is None, row
    assert UnitKind.DISTRICT not in {r.kind for r in rows}
    per_parent = Counter((r.parent, r.name) for r in rows)
    assert max(per_parent.values()) == 1  # no two cells of one name in a commune
    communes = {r.name for r in rows if r.kind == UnitKind.GRASSROOTS and r.parent == "QN"}
    assert communes == {"Đảng bộ xã Lục Hồn", "Đảng bộ xã Bình Liêu"}
    assert communes <= {c.committee for c in COMMUNE_LEVEL}  # real names
    lh_cells = [r.name for r in rows if r.parent == "QN-LH"]
    assert len(lh_cells) == 21 and "Chi bộ thôn Lục Nà" in lh_cells
    # Named after a place only where a source names it for that commune, else generic.
    named = {n for cells in NAMED_CELLS.values() for n, _ in cells}
    for row in rows:
        if row.kind == UnitKind.CELL and row.parent in ("QN-LH", "QN-BLI"):
            generic = row.name.removeprefix("Chi bộ thôn ").isdigit() or " xã " in row.name
            assert row.name in named or generic, row.name


async def test_demo_seed_then_report_shows_a_year_of_figures(
    tmp_path: Path, db_url: str, session_factory: SessionFactory
) -> None:
    seeded = cellbot(tmp_path, "demo", "seed", DATABASE_URL=db_url)
    assert seeded.returncode == 0, seeded.stderr
    assert "check-ins" in seeded.stdout and "initiatives" in seeded.stdout

    # The history is the 12 months before today's month, and this month's meetings already
    # held. On New Year's Day "this year" has nothing yet: last year is the one to ask.
    today = clock.today()
    last_month = add_months(month_start(today), -1)
    report_args = ("report", "--unit", "QN-LH", "--format", "json")
    # One at a time: a report stores the scores it computes (SQLite has one writer).
    year = cellbot(tmp_path, *report_args, "--period", str(last_month.year), DATABASE_URL=db_url)
    this_year = cellbot(tmp_path, *report_args, "--period", str(today.year), DATABASE_URL=db_url)
    text, preview = run_all(
        [
            call(tmp_path, "report", "--unit", "QN-LH", "--period", str(last_month.year),
                 DATABASE_URL=db_url),
            call(tmp_path, "reminders", "preview", "--unit", "QN-LH", "--days", "40",
                 DATABASE_URL=db_url),
        ]
    )  # fmt: skip
    for done in (year, this_year, text, preview):
        assert done.returncode == 0, done.stderr
    total = json.loads(year.stdout)["total"]
    assert total["cells"] == 21
    months_in_year = 12 if last_month.month == 12 else last_month.month
    assert total["submitted"] >= 21 * months_in_year * 0.6
    assert total["meeting_score"] and total["total"] and 0.5 < total["attendance"] < 1
    this = json.loads(this_year.stdout)["total"]
    if today.month > 1:
        assert this["submitted"] > 0
    elif today.day <= 3:  # New Year's first days: no demo cell meets before the 4th
        assert this["submitted"] == 0
    assert "Lục Nà" in text.stdout and "Đảng bộ xã Lục Hồn" in text.stdout
    # This month is still open: its reminders are pending for the first secretary who joins.
    assert "QN-LH-C" in preview.stdout

    async with session_factory() as session:
        months = set((await session.scalars(select(Checkin.month).distinct())).all())
        absences = await session.scalar(select(func.sum(Checkin.absent_unexcused)))
        schedules = await session.scalar(select(func.count()).select_from(MeetingSchedule))
        kinds = set((await session.scalars(select(OrgUnit.kind).distinct())).all())
    year_before = {add_months(last_month, -i) for i in range(12)}
    assert year_before <= months <= year_before | {month_start(today)}
    assert absences and schedules
    assert kinds == {"province", "bloc", "grassroots", "cell"}

    again = cellbot(tmp_path, "demo", "seed", DATABASE_URL=db_url)
    assert again.returncode == 0 and "0 members added" in again.stdout
    async with session_factory() as session:
        assert set((await session.scalars(select(Checkin.month).distinct())).all()) == months
