"""Start `cellbot run` processes quickly: import the application once, then fork.

A fresh interpreter spends ~3 s importing PTB, SQLAlchemy, Alembic, matplotlib and the
handlers before `cellbot run` does anything (measured on the 2-core test machine). A test that
kills and restarts the bot at every step of a check-in would spend most of its time there, so
this server imports once and forks a child per start. The child runs `bot.cli.main(["run"])`
from the start: settings from its environment, migrations, `build_application`, polling — only
the imports were done before the fork. No thread, event loop or connection exists at fork time.

Protocol (one line each way, on stdin/stdout):
    spawn {"cwd": ..., "log": ..., "env": {...}}  ->  <pid>
    wait <pid>                                    ->  <exit code (-N: killed by signal N)>
Run it as a script: `python tests/e2e/cellbot_forkserver.py`.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

# The modules `cellbot run` imports, with the heavy ones its commands load lazily.
PRELOAD = ("bot.cli", "bot.cli_score", "bot.runner", "bot.app", "storage.db")


def preload() -> None:
    for name in PRELOAD:
        importlib.import_module(name)


def child(cwd: str, log_path: str, env: dict[str, str]) -> None:
    """In the forked process: become `cellbot run` with this environment."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    code = 1
    try:
        from bot.cli import main

        main(["run"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    preload()
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, rest = line.strip().partition(" ")
        if command == "spawn":
            spec = json.loads(rest)
            pid = os.fork()
            if pid == 0:
                child(spec["cwd"], spec["log"], spec["env"])
            print(pid, flush=True)
        elif command == "wait":
            _, status = os.waitpid(int(rest), 0)
            print(os.waitstatus_to_exitcode(status), flush=True)
        else:
            print(f"error unknown command {command!r}", flush=True)


if __name__ == "__main__":
    serve()
