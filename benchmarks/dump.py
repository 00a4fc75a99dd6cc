"""Dump everything a supervisor or the CLI sees on the province seed, and compare two dumps.

    python -m benchmarks.dump run --out DIR [--pg SERVER_URL] [--months 12] [--now INSTANT]
    python -m benchmarks.dump compare BEFORE AFTER

`run` seeds a fresh database (`cellbot demo seed --scale province`), then records, one file
per result: `cellbot score` and `cellbot report` (vi and en, text/json/csv/xlsx) at the
province, a district, a commune-level unit and a cell; and the real Application driven
offline (tests/harness.py) by an admin: /summary (this month, a month, a quarter, a year, the
year before) drilled through its buttons to every level, /ranking and its buttons, /cell,
/missing, /export (XLSX and CSV, year and month; the CSV bytes as sent, the XLSX as its sheet
values, since the file itself carries a creation time). It only uses interfaces that do not
change with the code inside: the `cellbot` command line, tests/harness.py, `storage.db`'s
engine helpers, `domain.clock` and the table `org_units`; so the same file runs on the code
before and after a refactor, and `compare` says whether the outputs are byte for byte equal.

The clock is pinned (CELLBOT_TEST_NOW for the CLI, a fixed clock in-process) so "today" is
the same in both runs. PostgreSQL: `--pg` names a server URL; a database `cellbot_dump_<tag>`
is created there and dropped at the end (`--keep` keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NOW = "2026-11-20T10:00+07:00"
ADMIN_VI = 4_000_000_001
ADMIN_EN = 4_000_000_002
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


async def _pg_admin(server_url: str, statement: str) -> None:
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
    """The province, its first district, that district's first commune-level unit with cells,
    and three of that unit's cells (lowest ids: the seed is deterministic)."""
    by_parent: dict[int | None, list[Unit]] = {}
    for u in all_units:
        by_parent.setdefault(u.parent_id, []).append(u)
    province = next(u for u in all_units if u.kind == "province")
    district = next(u for u in by_parent[province.id] if u.kind == "district")
    commune = next(
        u
        for u in by_parent[district.id]
        if u.kind == "grassroots" and any(c.kind == "cell" for c in by_parent.get(u.id, []))
    )
    cells = [c for c in by_parent[commune.id] if c.kind == "cell"][:3]
    return Picks(province, district, commune, cells)


# ---------------------------------------------------------------- the command line


def cli_env(url: str, home: Path, now: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELLBOT_", "DATABASE_"))}
    env.update(
        {
            "DATABASE_URL": url,
            "CELLBOT_HOME": str(home),  # an empty folder: no .env of a developer is read
            "CELLBOT_TEST_NOW": now,
            "PYTHONPATH": os.getcwd(),
        }
    )
    return env


def cellbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, check=False
    )


def _result(proc: subprocess.CompletedProcess[bytes]) -> bytes:
    return b"exit %d\n--- stdout\n%s--- stderr\n%s" % (proc.returncode, proc.stdout, proc.stderr)


def dump_cli(out: Out, env: dict[str, str], picks: Picks, year: str, month: str) -> None:
    tmp = Path(env["CELLBOT_HOME"])
    for unit in picks.cli_units():
        for period in (year, f"{year}-Q3", month):
            started = time.perf_counter()
            base = f"cli/score/{unit.kind}-{unit.code}/{period}"
            for lang in ("vi", "en"):
                proc = cellbot(
                    env, "score", "--unit", unit.code, "--period", period, "--lang", lang
                )
                out.write(f"{base}.{lang}.txt", _result(proc))
            proc = cellbot(
                env, "score", "--unit", unit.code, "--period", period, "--format", "json"
            )
            out.write(f"{base}.json.txt", _result(proc))
            out.timed(f"cellbot score {unit.kind} {period} (3 runs)", time.perf_counter() - started)
        for period in (year, month):
            started = time.perf_counter()
            base = f"cli/report/{unit.kind}-{unit.code}/{period}"
            for lang in ("vi", "en"):
                for fmt in ("text", "csv"):
                    proc = cellbot(
                        env,
                        "report",
                        "--unit",
                        unit.code,
                        "--period",
                        period,
                        "--format",
                        fmt,
                        "--lang",
                        lang,
                    )
                    out.write(f"{base}.{fmt}.{lang}.txt", _result(proc))
                xlsx = tmp / "report.xlsx"
                xlsx.unlink(missing_ok=True)
                proc = cellbot(
                    env,
                    "report",
                    *("--unit", unit.code, "--period", period, "--format", "xlsx"),
                    *("--lang", lang, "--output", str(xlsx)),
                )
                out.write(f"{base}.xlsx.{lang}.txt", _result(proc))
                if xlsx.exists():
                    out.write(f"{base}.xlsx.{lang}.values.txt", xlsx_values(xlsx.read_bytes()))
            proc = cellbot(
                env, "report", "--unit", unit.code, "--period", period, "--format", "json"
            )
            out.write(f"{base}.json.txt", _result(proc))
            out.timed(
                f"cellbot report {unit.kind} {period} (7 runs)", time.perf_counter() - started
            )


# ---------------------------------------------------------------- the bot


def _buttons(params: dict[str, Any]) -> list[tuple[str, str]]:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not isinstance(markup, dict):
        return []
    return [
        (b["text"], b.get("callback_data") or b.get("url") or "")
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


def _keyboard(params: dict[str, Any]) -> list[str]:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not isinstance(markup, dict):
        return []
    return [
        " | ".join(f"[{b['text']}] → {b.get('callback_data') or b.get('url') or ''}" for b in row)
        for row in markup.get("inline_keyboard", [])
    ]


SKIP_METHODS = {"getMe", "sendChatAction", "deleteMyCommands", "setMyCommands"}
PARAMS_SHOWN = ("text", "caption", "show_alert", "parse_mode", "message_id")


class Bot:
    """The real Application, offline, with documents' bytes captured."""

    def __init__(self, url: str, out: Out) -> None:
        self.url = url
        self.out = out
        self.files: list[dict[str, Any]] = []
        self.step = 0

    async def __aenter__(self) -> Bot:
        from storage.db import create_engine, create_session_factory
        from tests.harness import TgUser, make_settings, start_driver

        self.engine = create_engine(self.url)
        sessions = create_session_factory(self.engine)
        settings = make_settings(self.url, admin_telegram_ids=[ADMIN_VI, ADMIN_EN])
        self.driver = await start_driver(settings, sessions)
        original = self.driver.request.do_request
        files = self.files

        async def capture(*args: Any, **kwargs: Any) -> tuple[int, bytes]:
            data = kwargs.get("request_data")
            if data is not None and data.multipart_data:
                files.append(dict(data.multipart_data))
            return await original(*args, **kwargs)

        self.driver.request.do_request = capture  # type: ignore[method-assign]
        self.vi = TgUser(ADMIN_VI, "Quản", "Trị", "vi")
        self.en = TgUser(ADMIN_EN, "Admin", "Root", "en")
        return self

    async def __aexit__(self, *exc: object) -> None:
        from tests.harness import stop_driver

        await stop_driver(self.driver)
        await self.engine.dispose()

    def _render(self, label: str, calls: list[Any], files_before: int) -> str:
        lines = [f"> {label}"]
        for call in calls:
            if call.method in SKIP_METHODS:
                continue
            lines.append(f"== {call.method}")
            for key in PARAMS_SHOWN:
                if key in call.params and key != "text":
                    lines.append(f"{key}: {call.params[key]}")
            if "text" in call.params:
                lines.append(str(call.params["text"]))
            lines += _keyboard(call.params)
        for n, part in enumerate(self.files[files_before:]):
            for key, value in part.items():
                name, content = value[0], value[1]
                lines.append(f"== file {n} {key} {name} ({len(content)} bytes)")
        return "\n".join(lines) + "\n"

    async def _record(self, name: str, label: str, run: Any) -> list[Any]:
        self.step += 1
        before = len(self.files)
        started = time.perf_counter()
        calls = await run
        seconds = time.perf_counter() - started
        self.out.write(f"bot/{name}.txt", self._render(label, calls, before))
        for n, part in enumerate(self.files[before:]):
            for value in part.values():
                file_name, content = str(value[0]), bytes(value[1])
                if file_name.endswith(".xlsx"):
                    self.out.write(f"bot/{name}.file{n}.xlsx.values.txt", xlsx_values(content))
                else:
                    self.out.write(f"bot/{name}.file{n}.{file_name.rsplit('.', 1)[-1]}", content)
        self.out.timed(f"bot {name}: {label}", seconds)
        return list(calls)

    async def send(self, user: Any, name: str, text: str) -> list[Any]:
        return await self._record(name, text, self.driver.send(user, text))

    async def press(self, user: Any, name: str, data: str) -> list[Any]:
        return await self._record(name, f"[button] {data}", self.driver.press(user, data))


def buttons_of(calls: list[Any], prefix: str) -> list[tuple[str, str]]:
    return [b for call in calls for b in _buttons(call.params) if b[1].startswith(prefix)]


async def drill_summary(
    bot: Bot, user: Any, name: str, calls: list[Any], unit_id: int, depth: int, width: int
) -> None:
    """Press the first `width` children of this /summary view and recurse `depth` levels.
    At the top, also the pager, the period row and the way up."""
    found = buttons_of(calls, "sv:sum:") + buttons_of(calls, "sv:cell:")
    children = []
    others = []
    for text, data in found:
        parts = data.split(":")
        target = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
        if target is not None and target != unit_id and text not in ("⬆", "◀", "▶"):
            children.append((text, data, target))
        else:
            others.append(data)
    # The "up" button targets the parent; it is pressed below at the top only.
    if depth == 0:
        return
    for i, (_text, data, target) in enumerate(children[:width]):
        sub = await bot.press(user, f"{name}.{i}", data)
        if data.startswith("sv:sum:"):
            await drill_summary(bot, user, f"{name}.{i}", sub, target, depth - 1, width)


async def dump_bot(out: Out, url: str, picks: Picks, year: str, month: str) -> None:
    quarter = f"{year}-Q3"
    last_year = str(int(year) - 1)
    async with Bot(url, out) as bot:
        vi, en = bot.vi, bot.en
        await bot.send(vi, "start", "/start")
        # /summary: several periods at the top; two of them drilled to every level.
        for tag, command in (
            ("now", "/summary"),
            (quarter, f"/summary {quarter}"),
            (last_year, f"/summary {last_year}"),
        ):
            await bot.send(vi, f"summary/{tag}", command)
        for period in (year, month):
            top = await bot.send(vi, f"summary/{period}/top", f"/summary {period}")
            await drill_summary(bot, vi, f"summary/{period}/top", top, picks.province.id, 3, 2)
            # every other button of the top view once: pager, period row
            for n, (_t, data) in enumerate(buttons_of(top, "sv:sum:")):
                if f":{picks.province.id}:" in data:
                    await bot.press(vi, f"summary/{period}/top.btn{n}", data)
            # the way up from a commune-level unit
            commune = await bot.press(
                vi, f"summary/{period}/commune", f"sv:sum:{picks.commune.id}:{period}:0"
            )
            for n, (_t, data) in enumerate(buttons_of(commune, "sv:sum:")):
                if f":{picks.district.id}:" in data:
                    await bot.press(vi, f"summary/{period}/commune.up{n}", data)
        top = await bot.send(en, f"summary/{year}/en", f"/summary {year}")
        await drill_summary(bot, en, f"summary/{year}/en", top, picks.province.id, 2, 1)

        # /ranking and each of its buttons once
        for period in (year, month):
            calls = await bot.send(vi, f"ranking/{period}/top", f"/ranking {period}")
            for n, (_t, data) in enumerate(buttons_of(calls, "sv:rank:")):
                sub = await bot.press(vi, f"ranking/{period}/btn{n}", data)
                if n == 0:
                    for m, (_t2, data2) in enumerate(buttons_of(sub, "sv:rank:")):
                        await bot.press(vi, f"ranking/{period}/btn{n}.{m}", data2)
        await bot.send(vi, "ranking/now", "/ranking")
        await bot.send(en, f"ranking/{year}/en", f"/ranking {year}")

        # /cell by code, by a part of a name, and its buttons
        for i, cell in enumerate(picks.cells):
            calls = await bot.send(vi, f"cell/{i}-{cell.code}", f"/cell {cell.code}")
            if i == 0:
                for n, (_t, data) in enumerate(buttons_of(calls, "sv:")):
                    await bot.press(vi, f"cell/{i}-{cell.code}.btn{n}", data)
        fragment = picks.cells[0].name.split()[0]
        calls = await bot.send(vi, "cell/search", f"/cell {fragment}")
        for n, (_t, data) in enumerate(buttons_of(calls, "sv:cell:")[:2]):
            await bot.press(vi, f"cell/search.btn{n}", data)
        await bot.send(vi, "cell/none", "/cell zzzz-no-such-cell")
        await bot.send(en, "cell/en", f"/cell {picks.cells[0].code}")

        # /missing and its buttons (not "remind them now": it writes)
        for tag, command in (("now", "/missing"), (month, f"/missing {month}")):
            calls = await bot.send(vi, f"missing/{tag}", command)
            for n, (_t, data) in enumerate(buttons_of(calls, "sv:mis:")):
                await bot.press(vi, f"missing/{tag}.btn{n}", data)
        for n, unit in enumerate((picks.district, picks.commune)):
            await bot.press(vi, f"missing/{month}.unit{n}", f"sv:mis:{unit.id}:{month}:0")

        # /export: the province (year and month, XLSX and CSV), a district and a commune
        for period in (month, year):
            await bot.send(vi, f"export/province-{period}-xlsx", f"/export {period}")
            await bot.send(vi, f"export/province-{period}-csv", f"/export {period} csv")
        for unit in (picks.district, picks.commune):
            for period in (month, year):
                for fmt in ("x", "c"):
                    await bot.press(
                        vi,
                        f"export/{unit.kind}-{unit.code}-{period}-{fmt}",
                        f"sv:exp:{unit.id}:{period}:{fmt}",
                    )
        await bot.send(en, f"export/province-{month}-xlsx-en", f"/export {month}")
        await bot.send(en, f"export/province-{month}-csv-en", f"/export {month} csv")


# ---------------------------------------------------------------- run


def periods(now: str) -> tuple[str, str]:
    """The pinned date's year, and the last month the seed filled (the one before now's)."""
    today = dt.datetime.fromisoformat(now).date()
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return str(today.year), f"{last:%Y-%m}"


async def run(args: argparse.Namespace) -> int:
    from domain import clock

    out = Out(Path(args.out))
    if out.root.exists():
        shutil.rmtree(out.root)
    out.root.mkdir(parents=True)
    home = Path(tempfile.mkdtemp(prefix="cellbot-dump-"))
    if args.pg:
        name = f"cellbot_dump_{args.tag}"
        url = pg_database_url(args.pg, name)
        if not args.reuse:
            await _pg_admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await _pg_admin(args.pg, f'CREATE DATABASE "{name}"')
    else:
        db = Path(args.sqlite) if args.sqlite else home / "dump.db"
        url = f"sqlite+aiosqlite:///{db.absolute()}"
        if not args.reuse:  # a fresh seed needs an empty database
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
    year, month = periods(args.now)
    env = cli_env(url, home, args.now)
    total = time.perf_counter()
    try:
        if not args.reuse:
            started = time.perf_counter()
            proc = cellbot(env, "demo", "seed", "--scale", "province", "--months", str(args.months))
            # The seed's summary line without its duration; its log (migrations) aside.
            summary = re.sub(rb" in [0-9.]+ s$", b"", proc.stdout.rstrip(), flags=re.M)
            out.write("cli/seed.txt", b"exit %d\n%s\n" % (proc.returncode, summary))
            out.write("_seed.stderr.txt", proc.stderr)
            out.timed(
                f"cellbot demo seed --scale province --months {args.months}",
                time.perf_counter() - started,
            )
            if proc.returncode != 0:
                print(proc.stderr.decode(), file=sys.stderr)
                return 1
        if args.rescore:
            # Build the read model first, as an upgrade does (code without the command: its
            # usage error is kept, and the dump goes on).
            started = time.perf_counter()
            proc = cellbot(env, "rescore")
            out.write("_rescore.txt", _result(proc))
            out.timed("cellbot rescore", time.perf_counter() - started)
        picks = pick_units(await units(url))
        out.write(
            "picks.txt",
            "".join(
                f"{u.kind} {u.id} {u.code} {u.name}\n"
                for u in [picks.province, picks.district, picks.commune, *picks.cells]
            ),
        )
        if "cli" in args.parts:
            dump_cli(out, env, picks, year, month)
        if "bot" in args.parts:
            clock.set_clock(clock.FixedClock(clock.parse_instant(args.now)))
            await dump_bot(out, url, picks, year, month)
    finally:
        out.timed("total", time.perf_counter() - total)
        out.save_timings()
        shutil.rmtree(home, ignore_errors=True)
        if args.pg and not args.keep:
            await _pg_admin(
                args.pg, f'DROP DATABASE IF EXISTS "cellbot_dump_{args.tag}" WITH (FORCE)'
            )
    return 0


# ---------------------------------------------------------------- compare


def files_under(root: Path) -> Iterator[str]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("_"):
            yield str(path.relative_to(root))


def first_difference(a: bytes, b: bytes) -> str:
    left = a.decode("utf-8", "replace").splitlines()
    right = b.decode("utf-8", "replace").splitlines()
    for n, (x, y) in enumerate(zip(left, right, strict=False), start=1):
        if x != y:
            col = next(
                (i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q),
                min(len(x), len(y)),
            )
            lo = max(0, col - 60)
            return (
                f"line {n}, column {col + 1}:\n"
                f"    before: {x[lo : lo + 200]!r}\n"
                f"    after:  {y[lo : lo + 200]!r}"
            )
    if len(left) != len(right):
        n = min(len(left), len(right)) + 1
        extra = left[n - 1] if len(left) > len(right) else right[n - 1]
        side = "before" if len(left) > len(right) else "after"
        count = max(len(left), len(right))
        return f"line {n}: only {side} has {count} lines; first extra {extra[:200]!r}"
    return "same lines, different bytes (line endings or a final newline)"


# What legitimately differs between two runs of the same code: the temporary folder and
# the size of an XLSX file (it carries its creation time; its values are compared instead).
VOLATILE = [
    (re.compile(rb"/tmp/cellbot-dump-[A-Za-z0-9_]+/"), b"<tmp>/"),
    (re.compile(rb"report\.xlsx \([0-9]+ bytes\)"), b"report.xlsx (<n> bytes)"),
]


def stable(content: bytes) -> bytes:
    for pattern, replacement in VOLATILE:
        content = pattern.sub(replacement, content)
    return content


def compare(before: Path, after: Path, *, context: bool = False) -> int:
    names_a, names_b = set(files_under(before)), set(files_under(after))
    same = different = 0
    for name in sorted(names_a | names_b):
        if name not in names_b:
            print(f"MISSING after   {name}")
            different += 1
            continue
        if name not in names_a:
            print(f"MISSING before  {name}")
            different += 1
            continue
        a, b = stable((before / name).read_bytes()), stable((after / name).read_bytes())
        if a == b:
            same += 1
            if context:
                print(f"identical       {name}")
            continue
        different += 1
        print(f"DIFFERENT       {name}: {first_difference(a, b)}")
        if context:
            diff = difflib.unified_diff(
                a.decode("utf-8", "replace").splitlines(),
                b.decode("utf-8", "replace").splitlines(),
                "before",
                "after",
                lineterm="",
                n=1,
            )
            for line in list(diff)[:40]:
                print(f"    {line}")
    print(f"{same} identical, {different} different, of {len(names_a | names_b)} files")
    timing_a, timing_b = before / TIMINGS, after / TIMINGS
    if timing_a.exists() and timing_b.exists():
        ta, tb = json.loads(timing_a.read_text()), json.loads(timing_b.read_text())
        print("\nseconds (before → after) for the slowest steps:")
        for key in sorted(ta, key=lambda k: -ta[k])[:25]:
            if key in tb:
                print(f"  {ta[key]:8.2f} → {tb[key]:8.2f}  {key}")
    return 0 if different == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.dump",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="seed a database and dump every output into --out")
    r.add_argument("--out", required=True)
    r.add_argument("--pg", help="a PostgreSQL server URL (postgresql+asyncpg://…); else SQLite")
    r.add_argument("--tag", default="run", help="PostgreSQL: the database is cellbot_dump_<tag>")
    r.add_argument("--sqlite", help="SQLite: this file (default: a temporary one)")
    r.add_argument("--months", type=int, default=12)
    r.add_argument("--now", default=NOW, help=f"the pinned instant (default {NOW})")
    r.add_argument("--keep", action="store_true", help="PostgreSQL: keep the database")
    r.add_argument("--reuse", action="store_true", help="skip the seed: the database is ready")
    r.add_argument("--parts", default="cli,bot", help="cli,bot (default both)")
    r.add_argument("--rescore", action="store_true", help="run `cellbot rescore` before dumping")
    c = sub.add_parser("compare", help="compare two dumps file by file")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("-v", "--verbose", action="store_true", help="list identical files, show diffs")
    args = parser.parse_args(argv)
    if args.command == "compare":
        return compare(args.before, args.after, context=args.verbose)
    import logging
    import warnings

    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", message="If 'per_message=False'")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
