"""Arbitrary text and callback data at every question: the bot always answers, never fails,
and the saved draft does not change.

Hypothesis drives a synchronous inner test per question; the Application runs on its own
event loop (an `asyncio.Runner` owned by the module fixture) so that one driver and one
draft serve every example.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.checkin_answering import Problem
from domain.checkin_schema import CheckinAnswers
from domain.checkin_task_rules import add_tasks
from storage.db import create_engine, create_session_factory
from storage.models import Checkin
from tests.conftest import PG_URL, empty_pg_database
from tests.e2e.checkin_helpers import Secretary, tap_member
from tests.factories import onboard, small_org
from tests.harness import Driver, TgUser, make_settings, start_driver, stop_driver, texts

SEC = TgUser(7001, "Fuzz", "Tester", "en")
# Questions where any text is an answer, and its longest.
FREE_TEXT = {
    "main_tasks": 1000,
    "resolution_adopted": 1000,
    "proposals": 1000,
    "documents": 1000,
    "place": 200,
    "guest": 120,
}
# How to move on from each question once it has been fuzzed.
WALK: list[tuple[str, str]] = [
    ("date", "Today"),
    ("time", "19:30"),
    ("duration", "90 min"),
    ("place", "=Nhà văn hóa thôn"),
    ("pre_meeting", "Yes"),
    ("content_prepared", "Yes"),
    ("draft_resolution", "Yes"),
    ("attendance", "All present"),
    ("chair", "@chair"),  # the first name offered
    ("clerk", "@clerk"),
    ("guest", "Nobody attended"),
    ("dues", "From all"),
    ("main_tasks", "=Nhiệm vụ tháng"),
    ("next_tasks", "=Sửa đường"),  # a typed task, then its owner, then «Done»
    ("next_tasks", "The whole cell"),
    ("next_tasks", "Done (1)"),
    ("current_affairs", "Yes"),
    ("documents", "None"),
    ("ho_chi_minh", "Yes"),
    ("speakers", "Nobody"),
    ("commended", "Nobody"),
    ("criticised", "Nobody"),
    ("assessed", "Yes"),
    ("resolution_impl", "Fully"),
    ("resolution_adopted", "Yes"),
    ("vote", "All for"),
    ("minutes_complete", "Yes"),
    ("matters", "None of these"),
    ("proposals", "No recommendations"),
    ("review", ""),
]


@dataclass
class World:
    runner: asyncio.Runner
    driver: Driver
    secretary: Secretary
    errors: list[BaseException] = field(default_factory=list)
    draft_id: int = 0


@pytest.fixture(scope="module")
def world(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    runner = asyncio.Runner()
    if PG_URL:
        db_url = migrated_template  # the run's own migrated PostgreSQL database
        empty_pg_database(db_url)
    else:
        target = Path(tmp_path_factory.mktemp("fuzz")) / "cellbot.db"
        shutil.copyfile(migrated_template, target)
        db_url = f"sqlite+aiosqlite:///{target}"
    engine = create_engine(db_url)

    async def setup() -> World:
        sessions = create_session_factory(engine)
        driver = await start_driver(make_settings(db_url), sessions)
        await small_org(sessions)
        await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
        world = World(runner, driver, Secretary(driver, SEC))

        async def record(update: object, context: Any) -> None:
            world.errors.append(context.error)

        driver.app.add_error_handler(record)
        await world.secretary.command("/checkin")
        await world.secretary.tap("Regular")
        async with sessions() as session:
            world.draft_id = (await session.scalars(select(Checkin.id))).one()
        return world

    w = runner.run(setup())
    yield w
    runner.run(stop_driver(w.driver))
    runner.run(engine.dispose())
    runner.close()


async def snapshot(w: World) -> tuple[Any, ...]:
    async with w.driver.sessions() as session:
        row = await session.get(Checkin, w.draft_id)
        assert row is not None
        return (row.answers, row.status, row.version, row.held, row.duration_min)


def texts_for(question: str) -> st.SearchStrategy[str]:
    """Text that is not a valid answer to `question` (commands are other tests' business)."""
    if question in FREE_TEXT:
        most = FREE_TEXT[question]
        return st.one_of(
            st.text(min_size=most + 1, max_size=most + 100).filter(lambda t: len(t.strip()) > most),
            st.text(alphabet=" \t\n", min_size=1, max_size=5),
        )
    if question == "next_tasks":
        # Any other text is a task: only a line too long, or blank, is refused.
        one_line = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
        return st.one_of(
            st.text(alphabet=one_line, min_size=301, max_size=400).filter(
                lambda t: isinstance(add_tasks(CheckinAnswers(), t), Problem)
            ),
            st.text(alphabet=" \t\n", min_size=1, max_size=5),
        )
    no_digits = st.characters(blacklist_categories=("Nd", "Cs"))
    return st.text(alphabet=no_digits, min_size=1, max_size=80).filter(
        lambda t: not t.startswith("/") and not re.search(r"\d", t)
    )


OPS = ("a", "t", "k", "pg", "o", "e", "r", "c", "s", "x", "xx", "cell", "start", "new")


def callbacks(w: World, version: int) -> st.SearchStrategy[str]:
    """Random data, and well-formed data with a wrong draft or an old version (a button with
    the current version is the owner's own, valid button)."""
    words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789-", max_size=12)
    structured = st.builds(
        lambda op, draft, version, rest: ":".join(["ci", op, str(draft), str(version), *rest]),
        st.sampled_from(OPS),
        st.one_of(st.just(w.draft_id), st.integers(0, 10**6)),
        st.integers(-1, 10**4).filter(lambda v: v != version),
        st.lists(words, max_size=4),
    )
    return st.one_of(st.text(max_size=64), structured)


async def poke(w: World, kind: str, payload: str) -> None:
    before = await snapshot(w)
    errors_before = len(w.errors)
    if kind == "text":
        calls = await w.driver.send(SEC, payload)
    else:
        calls = await w.driver.press(SEC, payload)
    assert calls, f"no reply to {kind} {payload!r}"
    assert "something went wrong" not in texts(calls)
    assert len(w.errors) == errors_before, w.errors[errors_before:]
    assert await snapshot(w) == before, (kind, payload)


def test_arbitrary_input_at_every_question(world: World) -> None:
    w = world
    for question, answer in WALK:
        version = w.runner.run(snapshot(w))[2]

        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(
            input=st.one_of(
                texts_for(question).map(lambda t: ("text", t)),
                callbacks(w, version).map(lambda c: ("press", c)),
            )
        )
        def fuzz(input: tuple[str, str]) -> None:
            w.runner.run(poke(w, *input))

        fuzz()
        # The conversation is still on this question: answer it and move on.
        if question == "review":
            break
        current = w.runner.run(w.secretary.command("/checkin"))
        assert current
        if answer.startswith("="):
            w.runner.run(w.secretary.type(answer[1:]))
        elif answer.startswith("@"):
            w.runner.run(tap_member(w.secretary, answer[1:]))
        else:
            w.runner.run(w.secretary.tap(answer))
    calls = w.runner.run(w.secretary.command("/checkin"))
    assert "All answered" in texts(calls)
