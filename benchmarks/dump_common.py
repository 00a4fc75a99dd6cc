"""What the parts of benchmarks/dump.py share: the output folder (one file per result, and
the time each step took), XLSX files as their values, and the units picked on the seed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIMINGS = "_timings.json"


# ---------------------------------------------------------------- output


@dataclass
class Out:
    root: Path
    timings: dict[str, float] = field(default_factory=dict)

    def write(self, name: str, content: str | bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)

    def timed(self, name: str, seconds: float) -> None:
        self.timings[name] = round(seconds, 3)
        print(f"  {seconds:7.1f} s  {name}", flush=True)

    def save_timings(self) -> None:
        self.write(TIMINGS, json.dumps(self.timings, indent=1, ensure_ascii=False) + "\n")


def _cell_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return (
            f"{type(value).__name__}:{value.isoformat() if hasattr(value, 'isoformat') else value}"
        )
    return value


def xlsx_values(content: bytes) -> str:
    """Every sheet's name and rows of values, one JSON line per row (not the bytes: the file
    carries its creation time)."""
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    lines = []
    try:
        for sheet in book.worksheets:
            lines.append(f"## sheet {sheet.title}")
            for row in sheet.iter_rows(values_only=True):
                lines.append(json.dumps([_cell_value(v) for v in row], ensure_ascii=False))
    finally:
        book.close()
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- databases


async def pg_admin(server_url: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(
        make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def pg_database_url(server_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@dataclass
class Unit:
    id: int
    code: str
    kind: str
    parent_id: int | None
    name: str


async def units(url: str) -> list[Unit]:
    from sqlalchemy import text

    from storage.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT id, code, kind, parent_id, name FROM org_units ORDER BY id")
            )
            return [Unit(r[0], r[1], r[2], r[3], r[4]) for r in rows]
    finally:
        await engine.dispose()


@dataclass
class Picks:
    province: Unit
    district: Unit
    commune: Unit
    cells: list[Unit]

    def cli_units(self) -> list[Unit]:
        return [self.province, self.district, self.commune, self.cells[0]]


def pick_units(all_units: list[Unit]) -> Picks:
    """The province, its first level between the province and the grassroots (a district in a
    tree from before July 2025, a bloc committee since), that unit's first grassroots unit with
    cells, and three of that unit's cells (lowest ids: the seed is deterministic)."""
    by_parent: dict[int | None, list[Unit]] = {}
    for u in all_units:
        by_parent.setdefault(u.parent_id, []).append(u)
    province = next(u for u in all_units if u.kind == "province")

    def has_cells(u: Unit) -> bool:
        return u.kind == "grassroots" and any(c.kind == "cell" for c in by_parent.get(u.id, []))

    district = next(
        u
        for u in by_parent[province.id]
        if u.kind in ("district", "bloc") and any(has_cells(g) for g in by_parent.get(u.id, []))
    )
    commune = next(u for u in by_parent[district.id] if has_cells(u))
    cells = [c for c in by_parent[commune.id] if c.kind == "cell"][:3]
    return Picks(province, district, commune, cells)
