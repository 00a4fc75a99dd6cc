"""Run the INSTALLED `cellbot` entry point as a user does: a subprocess with its environment.

Each start costs about a second of interpreter and imports, so tests start the commands
that do not depend on each other together (`run_all`) and wait for all of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CELLBOT = Path(sys.executable).with_name("cellbot")
# What a test must not inherit from the developer's shell: it would pick their bot or database.
PRIVATE = ("TELEGRAM_", "DATABASE_", "TIMEZONE", "CELLBOT_HOME", "CELLBOT_DEBUG", "XDG_DATA_HOME")


@dataclass(frozen=True)
class Call:
    args: tuple[str, ...]
    env: dict[str, str]
    cwd: Path


@dataclass(frozen=True)
class Done:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[str]:
        return self.stderr.strip().splitlines()


def environment(home: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without cellbot settings; CELLBOT_HOME and the per-user
    data folder inside the test's temporary folder (never the developer's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PRIVATE)}
    env.update(CELLBOT_HOME=str(home), XDG_DATA_HOME=str(home / "xdg"))
    env.update(extra)
    return {k: v for k, v in env.items() if v != ""}  # "" removes a variable


def call(cwd: Path, *args: str, **env: str) -> Call:
    return Call(args, environment(cwd, **env), cwd)


def run_all(calls: list[Call], timeout: float = 180) -> list[Done]:
    assert CELLBOT.exists(), f"{CELLBOT} is missing: install cellbot with `pip install -e .`"
    started = [
        (
            c,
            subprocess.Popen(
                [str(CELLBOT), *c.args],
                cwd=c.cwd,
                env=c.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for c in calls
    ]
    done = []
    for c, process in started:
        out, err = process.communicate(timeout=timeout)
        done.append(Done(c.args, process.returncode, out, err))
    return done


def cellbot(cwd: Path, *args: str, **env: str) -> Done:
    return run_all([call(cwd, *args, **env)])[0]
