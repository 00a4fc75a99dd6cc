"""Every acknowledged answer survives a kill: `cellbot run` as a real process, SIGKILLed right
after the first Bot API call of an answer, at every step of a check-in.

The bot polls a local stand-in for the Bot API (tests/e2e/bot_api_standin.py). For each answer
of a whole check-in (tests/e2e/checkin_walk.py) the test starts the bot on the same database,
sends /checkin (which must rebuild the open question from the database), feeds the answer,
and the moment the stand-in receives the first Bot API call that follows — the toast of a
tapped button, or the next question after a typed answer — it holds that request open and
the test kills the process with SIGKILL. The user has then been acknowledged: the answer must
be in the database right after the kill, and still there once the bot has restarted.

The bot is started 26 times. From a fresh interpreter `cellbot run` takes 3.5–5 s to reach
polling on the 2-core test machine (most of it imports), so by default the processes are forked
from a server that imported the application once (tests/e2e/cellbot_forkserver.py): each child
runs `cellbot run` from its `main()` — settings, migrations, build, polling — and reaches
polling in ~1 s. CELLBOT_DURABILITY_COLD=1 starts every process as a fresh
`python -c "from bot.cli import main; main()" run` instead (about three times slower).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SessionFactory, create_engine, create_session_factory
from tests.e2e.bot_api_standin import BotApiStandIn, Call, Trap
from tests.e2e.checkin_walk import (
    WALK,
    Step,
    Stored,
    drawn_from,
    local_today,
    missing,
    offers_again,
    open_question,
    stored,
)
from tests.factories import onboard, small_org
from tests.harness import BOT_USER, TOKEN, TgUser, make_settings, start_driver, stop_driver

REPO = Path(__file__).resolve().parents[2]
SEC = TgUser(3101, "Hà", "Vi Thị", "vi")
COLD = os.environ.get("CELLBOT_DURABILITY_COLD") == "1"
START_TIMEOUT = 60.0  # seconds for a bot process to reach polling
REPLY_TIMEOUT = 30.0  # seconds for the bot to answer an update


class ForkServer:
    """The process that forks `cellbot run` children (see cellbot_forkserver.py)."""

    def __init__(self, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("cellbot_forkserver.py"))],
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def _send(self, line: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._line()

    def spawn(self, cwd: Path, log: Path, env: dict[str, str]) -> int:
        return int(
            self._send("spawn " + json.dumps({"cwd": str(cwd), "log": str(log), "env": env}))
        )

    def wait(self, pid: int) -> int:
        return int(self._send(f"wait {pid}"))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@dataclass
class Bot:
    tag: str
    pid: int
    log: Path
    started: float
    polling: float = 0.0
    alive: bool = True
    proc: subprocess.Popen[bytes] | None = None  # when started cold


@dataclass
class Figures:
    kills: list[tuple[str, str]] = field(default_factory=list)  # (step, first call method)
    startups: list[float] = field(default_factory=list)
    redelivered: list[str] = field(default_factory=list)


class Run:
    """One check-in walked through bot processes that are killed at every answer."""

    def __init__(self, tmp_path: Path, db_url: str, standin: BotApiStandIn) -> None:
        self.tmp_path = tmp_path
        self.db_url = db_url
        self.standin = standin
        self.server = None if COLD else ForkServer(tmp_path)
        self.bots: list[Bot] = []
        self.figures = Figures()
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ processes

    def env(self, tag: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "DATABASE_", "CELLBOT_"))
        }
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=self.standin.base_url(tag),
            DATABASE_URL=self.db_url,
            LOG_LEVEL="INFO",
            PYTHONPATH=str(REPO),
        )
        return env

    def start(self) -> Bot:
        tag = f"c{len(self.bots)}"
        log = self.tmp_path / f"{tag}.log"
        started = time.monotonic()
        if self.server is not None:
            bot = Bot(tag, self.server.spawn(self.tmp_path, log, self.env(tag)), log, started)
        else:
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-c", "from bot.cli import main; main()", "run"],
                    cwd=self.tmp_path,
                    env=self.env(tag),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            bot = Bot(tag, proc.pid, log, started, proc=proc)
        self.bots.append(bot)
        call = self.wait_for(bot, lambda c: c.method == "getUpdates", START_TIMEOUT)
        bot.polling = call.at
        self.figures.startups.append(call.at - started)
        return bot

    def kill(self, bot: Bot) -> None:
        os.kill(bot.pid, signal.SIGKILL)
        if bot.proc is not None:
            code = bot.proc.wait(timeout=30)
        else:
            assert self.server is not None
            code = self.server.wait(bot.pid)
        bot.alive = False
        assert code == -signal.SIGKILL, f"{bot.tag} ended with {code} before the kill"

    def close(self) -> None:
        for bot in self.bots:
            if bot.alive:
                self.kill(bot)
        if self.server is not None:
            self.server.close()

    def wait_for(self, bot: Bot, predicate: Any, timeout: float = REPLY_TIMEOUT) -> Call:
        try:
            return self.standin.wait_for(lambda c: c.process == bot.tag and predicate(c), timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- {bot.tag} log:\n{log_tail(bot.log)}") from None

    # ------------------------------------------------------------------ the user

    def message(self, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": SEC.id, "type": "private", "first_name": SEC.first_name},
            "from": SEC.as_dict(),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return {"message": message}

    def tap(self, data: str, message_id: int, query_id: str) -> dict[str, Any]:
        return {
            "callback_query": {
                "id": query_id,
                "from": SEC.as_dict(),
                "chat_instance": str(SEC.id),
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": SEC.id, "type": "private"},
                    "from": BOT_USER,
                    "text": "…",
                },
            }
        }

    def checkin(self, bot: Bot) -> Call:
        """/checkin, and the question it rebuilt (a new message with the draft's buttons)."""
        mark = self.standin.mark()
        self.standin.feed(self.message("/checkin"))
        return self.wait_for(
            bot,
            lambda c: (
                c.seq >= mark
                and c.method == "sendMessage"
                and c.chat_id == SEC.id
                and any(data.startswith("ci:") for _text, data in c.buttons())
            ),
        )

    def answer_and_kill(self, bot: Bot, step: Step, question: Call) -> tuple[str, int]:
        """Feed the answer; kill the bot at its first Bot API call for this user.
        Returns what was sent and the update's id."""
        query_id = None
        if step.tap is not None:
            sent = step.button(question.buttons())
            query_id = f"q{next(self._ids)}"
            update = self.tap(sent, question.result["message_id"], query_id)
        else:
            assert step.typed is not None
            sent = step.typed(local_today())
            update = self.message(sent)
        update_id = self.standin.next_update_id()
        trap = Trap(bot.tag, SEC.id, query_id, update_id)
        self.standin.trap = trap
        assert self.standin.feed(update) == update_id
        fired = trap.fired.wait(REPLY_TIMEOUT)
        try:
            assert fired, f"{step.name}: no Bot API call\n{log_tail(bot.log)}"
            self.kill(bot)  # while the stand-in still holds that first call open
        finally:
            trap.released.set()
            self.standin.trap = None
        assert trap.hit is not None
        # Commit, then speak: a tap is answered first (the toast), a typed answer gets the
        # next question; either way only after the answer was committed.
        assert trap.hit.method == ("answerCallbackQuery" if query_id else "sendMessage")
        self.figures.kills.append((step.name, trap.hit.method))
        return sent, update_id

    def settle_redelivery(self, bot: Bot, update_id: int) -> None:
        """A killed update not yet confirmed is polled again by the next process (as Telegram
        does); let the new process answer it before the user goes on."""
        self.figures.redelivered.append(str(update_id))
        self.wait_for(
            bot,
            lambda c: (
                c.method != "getUpdates"
                and (c.chat_id == SEC.id or c.params.get("callback_query_id") is not None)
            ),
        )


def log_tail(log: Path, lines: int = 40) -> str:
    if not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


async def prepare(db_url: str, sessions: SessionFactory) -> int:
    """The org and an onboarded secretary, through the offline harness."""
    org = await small_org(sessions)
    driver = await start_driver(make_settings(db_url), sessions)
    try:
        await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    finally:
        await stop_driver(driver)
    return org.cells["C01"]


def test_every_acknowledged_answer_survives_sigkill(tmp_path: Path, db_url: str) -> None:
    began = time.monotonic()
    with asyncio.Runner() as runner:
        engine: AsyncEngine = create_engine(db_url, pool_size=2)
        sessions = create_session_factory(engine)
        cell_id = runner.run(prepare(db_url, sessions))

        def current() -> Stored | None:
            return runner.run(stored(sessions, cell_id))

        standin = BotApiStandIn().start()
        run = Run(tmp_path, db_url, standin)
        done: list[tuple[Step, str]] = []
        update_id = 0  # the update of the last kill
        try:
            for step in WALK:
                bot = run.start()  # a restart after every kill (the first start too)
                if done and standin.pending(update_id):
                    run.settle_redelivery(bot, update_id)
                question = run.checkin(bot)
                state = current()
                # After the restart: every acknowledged answer is still there, and /checkin
                # asked the first unanswered question, drawn from the draft as stored.
                assert not missing(done, state), (step.name, missing(done, state))
                assert open_question(state) == step.question, step.name
                assert state is None or drawn_from(question.buttons(), state), step.name
                sent, update_id = run.answer_and_kill(bot, step, question)
                done.append((step, sent))
                # Right after the kill, before any restart could redo anything.
                state = current()
                assert not missing(done, state), (step.name, missing(done, state))

            bot = run.start()
            if standin.pending(update_id):
                run.settle_redelivery(bot, update_id)
            picker = run.checkin(bot)  # the month's picker: the report is not offered again
            state = current()
            assert not missing(done, state), missing(done, state)
            assert state is not None and state.status == "submitted"
            assert not offers_again(picker.buttons(), state)
        finally:
            run.close()
            standin.stop()
            runner.run(engine.dispose())
    for bot in run.bots:
        assert "Traceback" not in bot.log.read_text(errors="replace"), log_tail(bot.log)

    figures = run.figures
    elapsed = time.monotonic() - began
    first_calls = sorted({method for _name, method in figures.kills})
    print(
        f"DURABILITY kill: {len(figures.kills)} kills at {len(WALK)} steps "
        f"({', '.join(name for name, _ in figures.kills)}); first calls {first_calls}; "
        f"{len(done)} acknowledged answers, {len(done) - len(missing(done, state))} found; "
        f"{len(figures.redelivered)} updates delivered again after a kill; "
        f"start-up to polling mean {sum(figures.startups) / len(figures.startups):.2f} s "
        f"(max {max(figures.startups):.2f}, {'cold' if COLD else 'forked'}); "
        f"{elapsed:.1f} s in all ({'PostgreSQL' if db_url.startswith('postgresql') else 'SQLite'})"
    )
    assert len(figures.kills) == len(WALK)
