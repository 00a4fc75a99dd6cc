"""`cellbot db backup PATH`: a consistent copy of a live database.

SQLite: the online backup API copies the database page by page while the bot keeps running
(a plain file copy of a WAL database can miss committed pages still in the -wal file).
PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore`. Both write next to PATH
first and rename at the end, so PATH never holds half a backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup failed; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial")


def backup_sqlite(source: Path, target: Path) -> BackupResult:
    """Copy the SQLite database `source` to `target` with the online backup API and check
    the copy (`PRAGMA quick_check`)."""
    partial = _partial(target)
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"{source.absolute().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            status = dst.execute("PRAGMA quick_check").fetchone()
        finally:
            dst.close()
    finally:
        src.close()
    if status is None or status[0] != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its check ({status}): the source may be damaged")
    os.replace(partial, target)
    return BackupResult(target, target.stat().st_size)


def pg_dump_command(url: str, target: Path) -> tuple[list[str], dict[str, str]]:
    """The pg_dump command line and environment for the database of `url` (the password
    goes through PGPASSWORD, never the command line)."""
    parsed = make_url(url)
    command = ["pg_dump", "--format=custom", f"--file={target}", "--no-password"]
    host = parsed.host or parsed.query.get("host")
    if isinstance(host, str) and host:
        command.append(f"--host={host}")
    if parsed.port:
        command.append(f"--port={parsed.port}")
    if parsed.username:
        command.append(f"--username={parsed.username}")
    command.append(f"--dbname={parsed.database or parsed.username or 'postgres'}")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return command, env


def backup_postgres(url: str, target: Path) -> BackupResult:
    if shutil.which("pg_dump") is None:
        raise BackupError(
            "pg_dump is not on PATH: install the PostgreSQL client (e.g. apt install "
            "postgresql-client, the same major version as the server) or run pg_dump where "
            "it is installed"
        )
    partial = _partial(target)
    command, env = pg_dump_command(url, partial)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[0].removeprefix("pg_dump: ") if lines else f"exit status {done.returncode}"
        raise BackupError(f"pg_dump failed: {reason}")
    os.replace(partial, target)
    return BackupResult(target, target.stat().st_size)
