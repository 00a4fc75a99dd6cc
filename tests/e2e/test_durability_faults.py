"""A Bot API call that fails or times out after an answer never undoes the answer.

For every answer of a whole check-in (tests/e2e/checkin_walk.py) one of the calls the answer
makes — answerCallbackQuery, the edit that shows the next question, or sendMessage (the next
question after a typed answer, or the new message sent when the edited one is gone) — gets a
fault: 400 "message to edit not found", 502 Bad Gateway, or a timeout after Telegram applied
the call (the user saw it; the bot got TimedOut). Then:
- the answer is in the database;
- nothing the user was shown contradicts it (no apology, no "expired"/"stale", no problem
  notice), and what the bot meant to show next was drawn from the draft as stored;
- /checkin rebuilds exactly that question from the database (the same buttons, so the same
  draft version), i.e. resumes at the first unanswered question.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import pytest

from bot.i18n import t
from storage.db import SessionFactory
from tests.e2e.checkin_walk import (
    WALK,
    Step,
    drawn_from,
    local_today,
    missing,
    offers_again,
    open_question,
    stored,
)
from tests.factories import onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, make_settings, start_driver, stop_driver

SEC = TgUser(3201, "Hà", "Vi Thị", "vi")
ERRORS = {
    "gone": (400, "Bad Request: message to edit not found", None),
    "502": (502, "Bad Gateway", None),
}
FAULTS = ("gone", "502", "timeout")
TARGETS = ("answerCallbackQuery", "editMessageText", "sendMessage")
# Texts that would tell the user the answer was not taken.
CONTRADICTIONS = ("common.error", "common.stale_button", "common.session_expired")


@dataclass
class Fault:
    """Makes the first `target` call of an answer fail with `kind`, while armed.

    A tapped answer calls sendMessage only when the message to edit is gone, so with the
    sendMessage target the edit is answered "message to edit not found" first."""

    target: str
    kind: str
    armed: bool = False
    hit: bool = False
    injected: list[ApiCall] = field(default_factory=list)

    def _first_target(self, call: ApiCall) -> bool:
        if not self.armed or self.hit or call.method != self.target:
            return False
        self.hit = True
        self.injected.append(call)
        return True

    def error(self, call: ApiCall) -> tuple[int, str, int | None] | None:
        if (
            self.armed
            and self.target == "sendMessage"
            and call.method == "editMessageText"
            and not self.hit
        ):
            return ERRORS["gone"]
        if self.kind != "timeout" and self._first_target(call):
            return ERRORS[self.kind]
        return None

    def timeout(self, call: ApiCall) -> bool:
        return self.kind == "timeout" and self._first_target(call)

    def arm(self) -> None:
        self.armed, self.hit = True, False

    def disarm(self) -> None:
        self.armed = False


def question_of(calls: list[ApiCall]) -> ApiCall:
    """The message that asks the question: the last one carrying check-in buttons."""
    for call in reversed(calls):
        if call.method in ("sendMessage", "editMessageText") and any(
            data.startswith("ci:") for _text, data in call.buttons()
        ):
            return call
    raise AssertionError(f"no check-in question in {[(c.method, c.text) for c in calls]}")


def delivered(call: ApiCall) -> bool:
    """Whether Telegram applied the call (the user saw it), timed out or not."""
    return not (isinstance(call.result, dict) and call.result.get("ok") is False)


def shown(call: ApiCall) -> str:
    if call.method == "answerCallbackQuery":
        return str(call.params.get("text") or "")
    return call.text


async def walk_with_fault(driver: Driver, cell_id: int, fault: Fault) -> int:
    """The whole check-in, with `fault` at every answer. Returns the faults injected."""
    request = driver.request
    request.failure_rules.append(fault.error)
    request.timeout_rules.append(fault.timeout)
    sessions: SessionFactory = driver.sessions
    contradictions = [t(SEC.language_code or "vi", key) for key in CONTRADICTIONS]
    done: list[tuple[Step, str]] = []
    intended: list[tuple[str, str]] | None = None  # what the last answer meant to show
    for step in WALK:
        question = question_of(await driver.send(SEC, "/checkin"))
        state = await stored(sessions, cell_id)
        assert not missing(done, state), (step.name, missing(done, state))
        assert open_question(state) == step.question, step.name
        if state is not None:
            assert drawn_from(question.buttons(), state), step.name
        if intended is not None:
            assert question.buttons() == intended, step.name  # rebuilt, button for button
        fault.arm()
        if step.tap is not None:
            sent = step.button(question.buttons())
            message_id = question.result["message_id"]
            calls = await driver.press(SEC, sent, message_id=message_id)
        else:
            assert step.typed is not None
            sent = step.typed(local_today())
            calls = await driver.send(SEC, sent)
        fault.disarm()
        done.append((step, sent))
        state = await stored(sessions, cell_id)
        assert state is not None
        assert not missing(done, state), (step.name, fault, missing(done, state))
        seen = "\n".join(shown(c) for c in calls if delivered(c))
        for text in contradictions:
            assert text not in seen, (step.name, fault, seen)
        assert "⚠️" not in seen, (step.name, fault, seen)
        # What the bot meant to show next (sent or not) was drawn from the stored draft.
        intended = question_of(calls).buttons()
        assert drawn_from(intended, state), (step.name, fault, intended)
        if step.question is None:  # submitted: /checkin now shows the month's picker
            intended = None
    picker = question_of(await driver.send(SEC, "/checkin"))
    state = await stored(sessions, cell_id)
    assert state is not None and state.status == "submitted"
    assert not missing(done, state), missing(done, state)
    assert not offers_again(picker.buttons(), state)
    return len(fault.injected)


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("target", TARGETS)
async def test_a_failed_send_never_undoes_an_answer(
    session_factory: SessionFactory,
    db_url: str,
    target: str,
    kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    began = time.monotonic()
    org = await small_org(session_factory)
    driver = await start_driver(make_settings(db_url), session_factory)
    try:
        await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
        fault = Fault(target, kind)
        with caplog.at_level(logging.WARNING):
            injected = await walk_with_fault(driver, org.cells["C01"], fault)
    finally:
        await stop_driver(driver)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    logged = [r for r in caplog.records if "failed after commit" in r.getMessage()]
    typed = sum(1 for step in WALK if step.typed is not None)
    # Every answer met the fault: taps call answerCallbackQuery and edit (and, the edit's
    # message gone, sendMessage); a typed answer sends its next question as a new message.
    expected = {
        "answerCallbackQuery": len(WALK) - typed,
        "editMessageText": len(WALK) - typed,
        "sendMessage": len(WALK),
    }[target]
    assert injected == expected, (injected, expected)
    print(
        f"DURABILITY fault {target}/{kind}: {injected} faults at {len(WALK)} answers, "
        f"{len(logged)} logged as failed after commit, all answers saved; "
        f"{time.monotonic() - began:.1f} s"
    )
