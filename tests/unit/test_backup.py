"""`cellbot db backup`'s two engines, without a PostgreSQL server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.backup import BackupError, backup_postgres, backup_sqlite, pg_dump_command


def test_sqlite_backup_holds_what_is_still_in_the_wal(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    live = sqlite3.connect(source)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("PRAGMA wal_autocheckpoint=0")  # committed rows stay in the -wal file
    live.execute("CREATE TABLE t (x INTEGER)")
    live.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(500)])
    live.commit()
    try:
        result = backup_sqlite(source, tmp_path / "copy.db")  # while the writer is open
    finally:
        live.close()
    assert result.size > 0 and not (tmp_path / ".copy.db.partial").exists()
    with sqlite3.connect(result.path) as copy:
        assert copy.execute("SELECT count(*) FROM t").fetchone() == (500,)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_pg_dump_gets_the_urls_parameters_and_the_password_only_in_its_environment(
    tmp_path: Path,
) -> None:
    command, env = pg_dump_command(
        "postgresql+asyncpg://cellbot:s3cret-pass@db.internal:5433/cellbot", tmp_path / "x"
    )
    assert command[:2] == ["pg_dump", "--format=custom"]
    assert {"--host=db.internal", "--port=5433", "--username=cellbot", "--dbname=cellbot"} <= set(
        command
    )
    assert not any("s3cret" in part for part in command)
    assert env["PGPASSWORD"] == "s3cret-pass"


def test_without_pg_dump_the_error_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no pg_dump
    with pytest.raises(BackupError, match="pg_dump is not on PATH") as info:
        backup_postgres("postgresql+asyncpg://u@h/db", tmp_path / "x.dump")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "x.dump").exists()
