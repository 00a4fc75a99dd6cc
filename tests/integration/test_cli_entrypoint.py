"""Every command the README documents, through the INSTALLED `cellbot` entry point; and every
failure a user or an operator meets, as one line on stderr with the documented exit status.

A command wired into a module but not into bot/cli.py once passed its tests while the
installed command said "invalid choice": these tests only trust the entry point.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.cli import build_parser
from bot.cli_db import health_checks
from bot.settings import Settings
from domain import clock
from domain.framework import DEFAULT_FRAMEWORK_PATH
from schedules.jobs import tick
from storage.db import SessionFactory
from storage.health import last_dispatcher_tick, record_dispatcher_tick
from tests.conftest import PG_URL
from tests.harness import Driver
from tests.integration.cli_run import CELLBOT, Done, call, cellbot, environment, run_all

ROOT = Path(__file__).resolve().parents[2]
TREE = """code,name,kind,parent
QN,Tỉnh ủy Quảng Ninh,province,
QN-BL,Huyện ủy Bình Liêu,district,QN
QN-BL-LH,Đảng bộ xã Lục Hồn,grassroots,QN-BL
QN-BL-LH-C01,Chi bộ thôn Bản Pắt,cell,QN-BL-LH
"""
# What the README must document at least (so that a README the regex misreads fails too).
MUST_BE_DOCUMENTED = {
    ("run",),
    ("db", "upgrade"),
    ("db", "backup"),
    ("health",),
    ("org", "import"),
    ("org", "show"),
    ("invite", "create"),
    ("demo", "seed"),
    ("reminders", "preview"),
    ("report",),
    ("framework", "check"),
    ("framework", "show"),
    ("score",),
}


def documented_commands() -> set[tuple[str, ...]]:
    """`cellbot X [Y]` as written in the README's code: fenced blocks and `inline` spans."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    fenced = re.findall(r"```[^\n]*\n(.*?)```", text, re.S)
    lines = [line for block in fenced for line in block.splitlines()]
    lines += re.findall(r"`([^`\n]+)`", re.sub(r"```[^\n]*\n.*?```", "", text, flags=re.S))
    found = set()
    for line in lines:
        code = line.split(" #", 1)[0]  # a shell comment is prose
        code = re.sub(r"^\s*(?:\$ )?(?:\w+=\S+\s+)*", "", code)  # a prompt, NAME=value
        # Where a command starts: the line, `.venv/bin/`, or after && ; | (
        starts = r"(?:^|(?<=bin/)|(?<=&& )|(?<=; )|(?<=\| )|(?<=\())"
        for match in re.finditer(starts + r"cellbot((?:[ \t]+\S+)*)", code):
            words: list[str] = []
            for word in match[1].split():
                if len(words) == 2 or not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                words.append(word)
            if words:
                found.add(tuple(words))
    return found


def parser_commands() -> set[tuple[str, ...]]:
    """Every leaf command of the CLI's parser."""

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> set[tuple[str, ...]]:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return {path}
        return {leaf for name, p in subs[0].choices.items() for leaf in walk(p, (*path, name))}

    return walk(build_parser(), ())


def assert_one_line(done: Done, code: int, *expected: str) -> None:
    assert done.returncode == code, done
    assert "Traceback" not in done.stderr, done.stderr
    assert len(done.errors) == 1, done.stderr
    for part in expected:
        assert part in done.errors[0], (part, done.errors[0])


def test_every_documented_command_exists_in_the_installed_cellbot(tmp_path: Path) -> None:
    documented = documented_commands()
    assert documented >= MUST_BE_DOCUMENTED, MUST_BE_DOCUMENTED - documented
    assert parser_commands() <= documented, "a command the README does not mention"
    groups = sorted({c[:1] for c in documented})
    results = run_all([call(tmp_path, *group, "--help") for group in groups])
    for group, done in zip(groups, results, strict=True):
        assert done.returncode == 0, (group, done.stderr)
        assert f"usage: cellbot {group[0]}" in done.stdout, done.stdout
        for command in documented:
            if command[0] == group[0] and len(command) == 2:
                assert re.search(rf"^\s+{command[1]}\s", done.stdout, re.M), (command, done)


def test_the_cheap_commands_run_on_the_suite_database(tmp_path: Path, db_url: str) -> None:
    tree = tmp_path / "tree.csv"
    tree.write_text(TREE.replace(",", ";"), encoding="utf-8-sig")  # as Excel writes it
    imported = cellbot(tmp_path, "org", "import", str(tree), DATABASE_URL=db_url)
    assert imported.returncode == 0, imported.stderr
    assert "created 4" in imported.stdout

    backup = tmp_path / "backup.dump"
    # `org show` and `invite create` run in test_cli.py, `demo seed` there too; `run` in e2e/.
    runs = {
        "upgrade": ("db", "upgrade"),
        "check": ("framework", "check", str(DEFAULT_FRAMEWORK_PATH)),
        "framework": ("framework", "show", "--lang", "en"),
        "score": ("score", "--unit", "QN", "--period", "2026", "--format", "json"),
        "report": ("report", "--unit", "QN-BL-LH", "--period", "2026", "--format", "csv"),
        "preview": ("reminders", "preview", "--unit", "QN-BL-LH", "--days", "10"),
        "health": ("health",),
        "backup": ("db", "backup", str(backup)),
    }  # fmt: skip
    results = dict(
        zip(
            runs,
            run_all([call(tmp_path, *args, DATABASE_URL=db_url) for args in runs.values()]),
            strict=True,
        )
    )
    for name, done in results.items():
        assert "Traceback" not in done.stderr, (name, done.stderr)
        if name != "health":
            assert done.returncode == 0, (name, done.stderr)
    assert "latest schema" in results["upgrade"].stdout
    assert "OK" in results["check"].stdout
    assert "Meeting rubric" in results["framework"].stdout
    score = json.loads(results["score"].stdout)
    assert [c["cell"]["code"] for c in score["cells"]] == ["QN-BL-LH-C01"]
    assert "QN-BL-LH-C01" in results["report"].stdout
    assert "without a meeting schedule" in results["preview"].stdout
    # A fresh database: reachable and migrated, but no `cellbot run` has ticked yet.
    health = results["health"]
    assert health.returncode == 1
    assert [line.split()[:2] for line in health.stdout.splitlines()] == [
        ["ok", "database:"],
        ["ok", "schema:"],
        ["FAIL", "dispatcher:"],
    ]
    assert "backed up" in results["backup"].stdout
    if PG_URL:
        assert backup.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    else:
        with sqlite3.connect(backup) as copy:
            assert copy.execute("SELECT count(*) FROM org_units").fetchone() == (4,)


async def test_health_reads_the_dispatchers_last_tick(
    tmp_path: Path, db_url: str, session_factory: SessionFactory
) -> None:
    await record_dispatcher_tick(session_factory, clock.now() - dt.timedelta(days=10))
    stale, lenient = run_all(
        [
            call(tmp_path, "health", DATABASE_URL=db_url),
            call(tmp_path, "health", "--max-age", str(30 * 86400), DATABASE_URL=db_url),
        ]
    )
    assert stale.returncode == 1
    assert stale.stdout.splitlines()[2].startswith("FAIL  dispatcher: last tick 10 days ago")
    assert lenient.returncode == 0, lenient.stdout
    assert all(line.startswith("ok") for line in lenient.stdout.splitlines())
    await record_dispatcher_tick(session_factory, clock.now())
    fresh = cellbot(tmp_path, "health", DATABASE_URL=db_url)
    assert fresh.returncode == 0, fresh.stdout
    assert "schema: at the latest migration" in fresh.stdout


def test_each_failure_is_one_line_with_its_exit_status(tmp_path: Path, db_url: str) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cases: list[tuple[tuple[str, ...], dict[str, str], int, tuple[str, ...]]] = [
        (
            ("org", "show"),
            {"DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/cellbot"},
            1,
            ("127.0.0.1:1", "connection refused", "DATABASE_URL"),
        ),
        (
            ("db", "upgrade"),
            {"DATABASE_URL": f"sqlite+aiosqlite:///{not_a_folder}/data/cellbot.db"},
            2,
            ("cannot create the folder", "DATABASE_URL or CELLBOT_HOME"),
        ),
        (
            ("report", "--unit", "QN", "--period", "2026", "--output", "/no/such/dir/x"),
            {"DATABASE_URL": db_url},
            2,
            ("--output /no/such/dir/x", "no such folder"),
        ),
        (("score", "--unit", "QN", "--period", "2026-13"), {}, 2, ("month 13", "--help")),
        (("org", "import", str(tmp_path / "missing.csv")), {}, 2, ("no such file",)),
        (
            ("db", "backup", str(tmp_path / "no" / "x.db")),
            {"DATABASE_URL": db_url},
            2,
            ("no such folder",),
        ),
    ]
    if PG_URL:
        url = make_url(PG_URL)
        cases += [
            (
                ("org", "show"),
                {"DATABASE_URL": url.set(username="no_such_role").render_as_string(False)},
                2,
                ('role "no_such_role" does not exist', "createuser"),
            ),
            (
                ("org", "show"),
                {"DATABASE_URL": url.set(database="no_such_db").render_as_string(False)},
                2,
                ('database "no_such_db" does not exist', "createdb"),
            ),
        ]
    calls = [call(tmp_path, *args, **env) for args, env, _, _ in cases]
    # Started from a folder without .env, with no CELLBOT_HOME: it must not make a database.
    calls.append(call(elsewhere, "org", "show", CELLBOT_HOME=""))
    results = run_all(calls)
    for (_args, _env, code, expected), done in zip(cases, results, strict=False):
        assert_one_line(done, code, *expected)
    assert_one_line(results[-1], 2, "no database at", "--env-file", "CELLBOT_HOME")
    assert not list(elsewhere.rglob("*.db")) and not list(tmp_path.rglob("xdg/**/*.db"))


def test_a_closed_output_pipe_is_one_line(tmp_path: Path, db_url: str) -> None:
    """`cellbot org show | head -1` where head has gone before cellbot writes."""
    process = subprocess.Popen(
        [str(CELLBOT), "org", "show"],
        cwd=tmp_path,
        env=environment(tmp_path, DATABASE_URL=db_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first write
    err = process.stderr.read()
    process.wait(timeout=120)
    done = Done(("org", "show"), process.returncode, "", err)
    assert_one_line(done, 1, "broken pipe")


def test_backup_refuses_to_overwrite_and_copies_sqlite_while_open(
    tmp_path: Path, db_url: str
) -> None:
    target = tmp_path / "copy.db"
    target.write_text("keep me")
    refused, forced = run_all(
        [
            call(tmp_path, "db", "backup", str(target), DATABASE_URL=db_url),
            call(tmp_path, "db", "backup", str(tmp_path / "other.db"), "--force",
                 DATABASE_URL=db_url),
        ]
    )  # fmt: skip
    assert_one_line(refused, 2, "exists", "--force")
    assert target.read_text() == "keep me"
    assert forced.returncode == 0, forced.stderr
    if not PG_URL:
        with sqlite3.connect(tmp_path / "other.db") as copy:
            assert copy.execute("PRAGMA quick_check").fetchone() == ("ok",)
            assert copy.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


@pytest.mark.skipif(not PG_URL, reason="the pg_dump branch needs PostgreSQL")
def test_backup_without_pg_dump_names_it(tmp_path: Path, db_url: str) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    done = cellbot(
        tmp_path, "db", "backup", str(tmp_path / "x.dump"), DATABASE_URL=db_url, PATH=str(empty)
    )
    assert_one_line(done, 1, "pg_dump is not on PATH", "postgresql-client")


async def test_health_names_a_schema_behind_or_ahead_of_the_code(
    db_url: str, session_factory: SessionFactory
) -> None:
    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    async with session_factory() as session:
        head = await session.scalar(text("SELECT version_num FROM alembic_version"))
    try:
        for version, expected in (("0001", "run `cellbot db upgrade`"), ("9999", "newer")):
            async with session_factory.begin() as session:
                await session.execute(text("UPDATE alembic_version SET version_num = :v"),
                                      {"v": version})  # fmt: skip
            checks = await health_checks(settings, dt.timedelta(minutes=5))
            assert [c.ok for c in checks] == [True, False, None], checks
            assert expected in checks[1].detail
    finally:  # on PostgreSQL the database outlives this test
        async with session_factory.begin() as session:
            await session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})


async def test_a_reminder_tick_is_what_health_sees(driver: Driver) -> None:
    """The chain a deployment relies on: the JobQueue's tick records itself; `health`,
    another process, reads it."""
    now = clock.now()
    await tick(driver.app, now)
    async with driver.sessions() as session:
        assert await last_dispatcher_tick(session) == now
    checks = await health_checks(driver.settings, dt.timedelta(minutes=5))
    assert [c.ok for c in checks] == [True, True, True], checks
