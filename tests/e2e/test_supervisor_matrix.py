"""The authorization matrix: every supervisor command and every ``sv:`` callback, pressed by
{stranger, secretary of a cell inside, secretary elsewhere, supervisor of the unit,
supervisor of a sibling unit, supervisor above, admin}. The target is the commune QN-BL-LH.

Refusals must reveal nothing: forged callbacks get the same alert as a button for a unit
that does not exist, and change nothing in the database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.i18n import t
from storage.accounts import add_grant, ensure_account
from storage.models import (
    Account,
    AuditEntry,
    Broadcast,
    Checkin,
    Invitation,
    OrgUnit,
    OutboxMessage,
    PeriodLock,
    RoleGrant,
)
from tests.e2e.test_supervisor_views import (
    ADMIN,
    SEC_IN,
    SEC_OUT,
    STRANGER,
    SUP_ABOVE,
    SUP_SIBLING,
    SUP_UNIT,
    World,
    label,
    sv_driver,
    world,
)
from tests.factories import Org
from tests.harness import ApiCall, Driver, TgUser, texts

__all__ = ["sv_driver"]  # the fixture, re-exported for pytest

REFUSED = t("en", "common.stale_button")
NOT_SUPERVISOR = t("en", "sv.not_supervisor")
ACTORS: dict[str, TgUser] = {
    "stranger": STRANGER,
    "secretary inside": SEC_IN,
    "secretary elsewhere": SEC_OUT,
    "supervisor of the unit": SUP_UNIT,
    "supervisor of a sibling": SUP_SIBLING,
    "supervisor above": SUP_ABOVE,
    "admin": ADMIN,
}
ALLOWED = {"supervisor of the unit", "supervisor above", "admin"}
NON_SUPERVISORS = {"stranger", "secretary inside", "secretary elsewhere"}
INSIDE_NAMES = ("Lục Hồn", "Bản Pắt", "Khe Tiền")


TINY_PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def quick_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drawing is tested in test_supervisor_views; here only who may ask for it matters."""
    from handlers import supervisor_export

    monkeypatch.setattr(supervisor_export, "criteria_chart", lambda *a, **k: TINY_PNG)
    monkeypatch.setattr(supervisor_export, "trend_chart", lambda *a, **k: TINY_PNG)


@dataclass
class Ids:
    w: World
    broadcast: int
    lock: int


async def setup(driver: Driver) -> Ids:
    """The world, with roles granted directly (faster than seven invitations)."""
    w = await world(driver, onboard_all=False, members=2)
    grants = [
        (SEC_IN, w.org.cells["C01"], "secretary"),
        (SEC_OUT, w.org.cells["DT1"], "secretary"),
        (SUP_UNIT, w.org.grassroots["LH"], "supervisor"),
        (SUP_SIBLING, w.org.grassroots["DT"], "supervisor"),
        (SUP_ABOVE, w.org.district, "supervisor"),
    ]
    async with driver.sessions.begin() as s:
        await ensure_account(s, STRANGER.id, "Stranger")
        await ensure_account(s, ADMIN.id, "Admin")
        for user, unit_id, role in grants:
            account = await ensure_account(s, user.id, f"{user.first_name} {user.last_name}")
            await add_grant(s, account.id, unit_id, role)
        item = Broadcast(unit_id=w.org.grassroots["LH"], text="x", recipients=0)
        s.add(item)
        await s.flush()
        lock_id = await _new_lock(s, w)
    return Ids(w, item.id, lock_id)


async def _new_lock(session: object, w: World, back: int = 5) -> int:
    lock = PeriodLock(unit_id=w.org.grassroots["LH"], period=str(w.this.year - back))
    session.add(lock)  # type: ignore[attr-defined]
    await session.flush()  # type: ignore[attr-defined]
    return lock.id


async def state(driver: Driver) -> tuple[int, ...]:
    """Everything a supervisor callback may change."""
    async with driver.sessions() as s:
        return (
            int(await s.scalar(select(func.count()).select_from(OutboxMessage)) or 0),
            int(await s.scalar(select(func.count()).select_from(Broadcast)) or 0),
            int(await s.scalar(select(func.count()).select_from(PeriodLock)) or 0),
            int(
                await s.scalar(
                    select(func.count())
                    .select_from(Checkin)
                    .where(Checkin.review_status.is_not(None))
                )
                or 0
            ),
            int(await s.scalar(select(func.count()).select_from(AuditEntry)) or 0),
        )


def refused(calls: list[ApiCall]) -> bool:
    return [c.method for c in calls] == ["answerCallbackQuery"] and calls[0].params.get(
        "text"
    ) == REFUSED


def leaks(calls: list[ApiCall]) -> bool:
    return any(c.method in ("sendDocument", "sendPhoto") for c in calls) or any(
        name in texts(calls) for name in INSIDE_NAMES
    )


# ---------------------------------------------------------------- callbacks

Data = Callable[[Ids], str]
CALLBACKS: dict[str, Data] = {
    "summary": lambda i: f"sv:sum:{i.w.org.grassroots['LH']}:{label(i.w.this)}:0",
    "summary page": lambda i: f"sv:sum:{i.w.org.grassroots['LH']}:{i.w.this.year}:1",
    "cell": lambda i: f"sv:cell:{i.w.org.cells['C01']}:{i.w.this.year}",
    "ranking": lambda i: f"sv:rank:{i.w.org.grassroots['LH']}:{label(i.w.this)}:c:0",
    "ranking units": lambda i: f"sv:rank:{i.w.org.grassroots['LH']}:{label(i.w.this)}:u:0",
    "missing": lambda i: f"sv:mis:{i.w.org.grassroots['LH']}:{label(i.w.last)}:0",
    "remind now": lambda i: f"sv:nudge:{i.w.org.grassroots['LH']}:{label(i.w.last)}",
    "export": lambda i: f"sv:exp:{i.w.org.grassroots['LH']}:{label(i.w.this)}:x",
    "export csv": lambda i: f"sv:exp:{i.w.org.grassroots['LH']}:{label(i.w.this)}:c",
    "chart": lambda i: f"sv:cht:{i.w.org.grassroots['LH']}:{label(i.w.this)}",
    "broadcast start": lambda i: f"sv:bc:{i.w.org.grassroots['LH']}",
    "broadcast send": lambda i: f"sv:bcok:{i.w.org.grassroots['LH']}",
    "broadcast report": lambda i: f"sv:bcr:{i.broadcast}",
    "review queue": lambda i: f"sv:rvq:{i.w.org.grassroots['LH']}:0",
    "review open": lambda i: f"sv:rv:{i.w.org.grassroots['LH']}:{i.w.checkins['c01_this']}",
    "review approve": lambda i: f"sv:rva:{i.w.org.grassroots['LH']}:{i.w.checkins['c01_this']}",
    "review issues": lambda i: f"sv:rvi:{i.w.org.grassroots['LH']}:{i.w.checkins['c01_this']}",
    "lock confirm": lambda i: f"sv:lock:{i.w.org.grassroots['LH']}:{i.w.this.year}",
    "lock": lambda i: f"sv:lockok:{i.w.org.grassroots['LH']}:{i.w.this.year}",
    "unlock": lambda i: f"sv:unl:{i.lock}",
    "initiatives": lambda i: f"sv:ini:{i.w.org.grassroots['LH']}:{i.w.this.year}",
    "proposals": lambda i: f"sv:prop:{i.w.org.grassroots['LH']}:{label(i.w.this)}:0",
    "candidates by unit": lambda i: f"sv:cdu:{i.w.org.grassroots['LH']}",
    "proposal in full": lambda i: (
        f"sv:propx:{i.w.checkins['c01_this']}:{i.w.org.grassroots['LH']}:{label(i.w.this)}:0"
    ),
}


@pytest.mark.parametrize("name", list(CALLBACKS))
async def test_callback_matrix(sv_driver: Driver, name: str) -> None:
    ids = await setup(sv_driver)
    for back, (actor, user) in enumerate(ACTORS.items(), start=6):
        if name == "unlock" and actor in ALLOWED:
            async with sv_driver.sessions.begin() as s:
                ids.lock = await _new_lock(s, ids.w, back)
        data = CALLBACKS[name](ids)
        before = await state(sv_driver)
        calls = await sv_driver.press(user, data)
        if actor in ALLOWED:
            assert not refused(calls), f"{actor} was refused {data}"
            assert calls, f"{actor} got no answer to {data}"
        else:
            assert refused(calls), f"{actor} was not refused {data}: {texts(calls)}"
            assert await state(sv_driver) == before, f"{actor} changed something with {data}"


@pytest.mark.parametrize("name", list(CALLBACKS))
async def test_forged_ids_get_the_same_refusal(sv_driver: Driver, name: str) -> None:
    """A unit/check-in/lock id that does not exist looks exactly like one that is not yours."""
    ids = await setup(sv_driver)
    missing = 987_654
    ids.w.org.grassroots["LH"] = missing
    ids.w.org.cells["C01"] = missing
    ids.w.checkins["c01_this"] = missing
    ids.broadcast = ids.lock = missing
    calls = await sv_driver.press(SUP_ABOVE, CALLBACKS[name](ids))
    assert refused(calls)
    garbage = await sv_driver.press(SUP_ABOVE, CALLBACKS[name](ids).replace(str(missing), "x;DROP"))
    assert refused(garbage)


# ---------------------------------------------------------------- commands

COMMANDS = [
    "/summary",
    "/missing",
    "/cell Bản Pắt",
    "/proposals",
    "/ranking",
    "/export",
    "/export csv",
    "/chart",
    "/broadcast",
    "/review",
    "/lock 2020",
    "/unlock",
]


@pytest.mark.parametrize("command", COMMANDS)
async def test_command_matrix(sv_driver: Driver, command: str) -> None:
    await setup(sv_driver)
    for actor, user in ACTORS.items():
        before = await state(sv_driver)
        calls = await sv_driver.send(user, command)
        await sv_driver.send(user, "/cancel")  # leave /broadcast's question
        # The searched words echo back in "no cell matching …": not a leak.
        text = (
            texts(calls).replace(command.partition(" ")[2], "")
            if "/cell" in command
            else texts(calls)
        )
        if actor in NON_SUPERVISORS:
            assert text == NOT_SUPERVISOR, f"{actor}: {text}"
            assert not leaks(calls)
        elif actor == "supervisor of a sibling":
            assert NOT_SUPERVISOR not in text
            assert not any(name in text for name in INSIDE_NAMES), f"{actor} saw: {text}"
        else:
            assert NOT_SUPERVISOR not in text and calls, f"{actor}: {text}"
        # Commands never change anything by themselves (locks need a confirming tap).
        assert await state(sv_driver) == before, f"{actor} changed something with {command}"


async def test_cell_search_inside_scope_only(sv_driver: Driver) -> None:
    await setup(sv_driver)
    for actor, user in ACTORS.items():
        text = texts(await sv_driver.send(user, "/cell Bản Pắt"))
        if actor in ALLOWED:
            assert "The last 12 months" in text, actor
        else:
            assert "The last 12 months" not in text and "QN-BL-LH-C01" not in text, actor


def _callback_patterns(handlers: list[Any]) -> list[re.Pattern[str]]:
    """The patterns of every CallbackQueryHandler, conversations' entry points, states and
    fallbacks included."""
    from telegram.ext import CallbackQueryHandler, ConversationHandler

    out: list[re.Pattern[str]] = []
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            nested = [*handler.entry_points, *handler.fallbacks]
            nested += [h for state in handler.states.values() for h in state]
            out += _callback_patterns(nested)
        elif isinstance(handler, CallbackQueryHandler) and isinstance(handler.pattern, re.Pattern):
            out.append(handler.pattern)
    return out


def test_every_sv_callback_in_the_matrix() -> None:
    """Every supervisor button the bot registers (``sv:…``) is tapped by the matrix: a new
    button fails here until the matrix covers it."""
    from bot.app import handlers

    tapped = [CALLBACKS[name](_fake()) for name in CALLBACKS]
    patterns = [p for p in _callback_patterns(handlers()) if p.pattern.startswith("^sv:")]
    assert len(patterns) > 10, [p.pattern for p in patterns]
    # The broadcast's own buttons are driven by its conversation tests (test_supervisor_views).
    untapped = [
        p.pattern
        for p in patterns
        if not p.pattern.startswith("^sv:bc") and not any(p.match(d) for d in tapped)
    ]
    assert not untapped, untapped


def _fake() -> Ids:
    from tests.factories import Org

    org = Org(1, 2, {"LH": 3, "DT": 4}, {"C01": 5, "C02": 6, "DT1": 7})
    month = dt.date(2026, 5, 1)
    return Ids(World(org, month, month, {"c01_this": 8}), 9, 10)


# ---------------------------------------------------------------- /access (issue 18)

SUP_PROVINCE = TgUser(3010, "Quang", "Đỗ Văn", "en")  # supervisor of the province
REVOKED = TgUser(3011, "Cũ", "Người", "en")  # was a supervisor of LH; the grant was revoked
ACCESS_ACTORS: dict[str, TgUser] = {
    **{name: user for name, user in ACTORS.items() if name != "admin"},
    "province supervisor": SUP_PROVINCE,
    "revoked": REVOKED,
    "admin": ADMIN,  # last: the admin may end grants the others' rows need
}
# Who may see LH's subtree (and so open its pages and act on its cells).
SEES_LH = {"supervisor of the unit", "supervisor above", "province supervisor", "admin"}
ABOVE_LH = {"supervisor above", "province supervisor", "admin"}


@dataclass
class AccessIds:
    w: World
    sec_grant: int  # SEC_IN's secretary grant on C01
    sup_grant: int  # SUP_UNIT's supervisor grant on LH (the last one once REVOKED's is gone)
    invitation: int  # a pending invitation for C01's deputy


async def access_setup(driver: Driver) -> World:
    from domain import clock
    from storage.access import revoke
    from storage.access_model import Actor

    ids = await setup(driver)
    async with driver.sessions.begin() as s:
        account = await ensure_account(s, SUP_PROVINCE.id, "Quang Đỗ Văn")
        await add_grant(s, account.id, ids.w.org.province, "supervisor")
        gone = await ensure_account(s, REVOKED.id, "Cũ Người")
        await add_grant(s, gone.id, ids.w.org.grassroots["LH"], "supervisor")
        await s.flush()
        grant = await s.scalar(select(RoleGrant.id).where(RoleGrant.account_id == gone.id))
        assert grant is not None
        cli = Actor(None, "cli", [], True)
        result = await revoke(s, cli, grant, now=clock.now())
        assert not isinstance(result, str), result
    return ids.w


async def access_ids(driver: Driver, w: World) -> AccessIds:
    """The ids the buttons name, with what an earlier actor's tap used up made again."""
    from storage.invitations import new_invitation

    async with driver.sessions.begin() as s:
        sec = await ensure_account(s, SEC_IN.id, "Hà Vi Thị")
        await add_grant(s, sec.id, w.org.cells["C01"], "secretary")
        unit = await s.get(OrgUnit, w.org.cells["C01"])
        assert unit is not None
        await new_invitation(s, unit, "deputy", created_by="test")
        await s.flush()
        sec_grant = await s.scalar(select(RoleGrant.id).where(RoleGrant.account_id == sec.id))
        sup_grant = await s.scalar(
            select(RoleGrant.id)
            .join(Account, Account.id == RoleGrant.account_id)
            .where(Account.telegram_id == SUP_UNIT.id)
        )
        invitation = await s.scalar(select(func.max(Invitation.id)))
    return AccessIds(w, int(sec_grant or 0), int(sup_grant or 0), int(invitation or 0))


async def access_state(driver: Driver) -> tuple[int, ...]:
    async with driver.sessions() as s:
        return (
            *(await state(driver)),
            int(await s.scalar(select(func.count()).select_from(Invitation)) or 0),
            int(
                await s.scalar(
                    select(func.count())
                    .select_from(Invitation)
                    .where(Invitation.cancelled_at.is_not(None))
                )
                or 0
            ),
            int(await s.scalar(select(func.count()).select_from(RoleGrant)) or 0),
        )


AccessData = Callable[[AccessIds], str]
NOBODY: set[str] = set()
# name: (callback data, the actors who are not refused, the actors whose tap may change the
# database; every other tap changes nothing).
ACCESS_CALLBACKS: dict[str, tuple[AccessData, set[str], set[str]]] = {
    "page": (lambda i: f"ac:u:{i.w.org.grassroots['LH']}:0", SEES_LH, NOBODY),
    "cell page": (lambda i: f"ac:u:{i.w.org.cells['C01']}:0", SEES_LH, NOBODY),
    "page 2": (lambda i: f"ac:u:{i.w.org.grassroots['LH']}:1", SEES_LH, NOBODY),
    "history": (lambda i: f"ac:l:{i.w.org.grassroots['LH']}", {"admin"}, NOBODY),
    # C01 has a secretary: the invitation first asks whether to hand over.
    "invite secretary (asks)": (lambda i: f"ac:i:{i.w.org.cells['C01']}:s", SEES_LH, NOBODY),
    "invite secretary, hand over": (
        lambda i: f"ac:i:{i.w.org.cells['C01']}:s:h",
        SEES_LH,
        SEES_LH,
    ),
    "invite secretary, both keep": (
        lambda i: f"ac:i:{i.w.org.cells['C01']}:s:k",
        SEES_LH,
        SEES_LH,
    ),
    "invite deputy": (lambda i: f"ac:i:{i.w.org.cells['C01']}:d", SEES_LH, SEES_LH),
    "invite supervisor of LH": (
        lambda i: f"ac:i:{i.w.org.grassroots['LH']}:v",
        ABOVE_LH,
        ABOVE_LH,
    ),
    "invite admin": (lambda i: f"ac:i:{i.w.org.grassroots['LH']}:a", NOBODY, NOBODY),
    "bulk (asks)": (lambda i: f"ac:b:{i.w.org.grassroots['LH']}", SEES_LH, NOBODY),
    "bulk": (lambda i: f"ac:bok:{i.w.org.grassroots['LH']}", SEES_LH, SEES_LH),
    "cancel": (lambda i: f"ac:c:{i.invitation}", SEES_LH, SEES_LH),
    "revoke secretary (asks)": (lambda i: f"ac:r:{i.sec_grant}", SEES_LH, NOBODY),
    "revoke secretary": (lambda i: f"ac:rok:{i.sec_grant}", SEES_LH, SEES_LH),
    # SUP_UNIT, the last supervisor of LH: they themself get "not your own access", those
    # above them "only replace, not remove" (clear answers, not refusals), the admin may.
    "revoke supervisor (asks)": (
        lambda i: f"ac:r:{i.sup_grant}",
        ABOVE_LH | {"supervisor of the unit"},
        NOBODY,
    ),
    "revoke supervisor": (
        lambda i: f"ac:rok:{i.sup_grant}",
        ABOVE_LH | {"supervisor of the unit"},
        {"admin"},
    ),
}


@pytest.mark.parametrize("name", list(ACCESS_CALLBACKS))
async def test_access_callback_matrix(sv_driver: Driver, name: str) -> None:
    w = await access_setup(sv_driver)
    make, allowed, changes = ACCESS_CALLBACKS[name]
    for actor, user in ACCESS_ACTORS.items():
        ids = await access_ids(sv_driver, w)
        data = make(ids)
        before = await access_state(sv_driver)
        calls = await sv_driver.press(user, data)
        if actor in allowed:
            assert not refused(calls), f"{actor} was refused {data}"
            assert len(calls) > 1, f"{actor} got only {texts(calls)!r} for {data}"
        else:
            assert refused(calls), f"{actor} was not refused {data}: {texts(calls)}"
        after = await access_state(sv_driver)
        if actor in changes:
            assert after != before, f"{actor}'s {data} did nothing: {texts(calls)}"
        else:
            assert after == before, f"{actor} changed something with {data}"


@pytest.mark.parametrize("name", list(ACCESS_CALLBACKS))
async def test_access_forged_ids_get_the_same_refusal(sv_driver: Driver, name: str) -> None:
    w = await access_setup(sv_driver)
    ids = await access_ids(sv_driver, w)
    missing = 987_654
    org = Org(missing, missing, {"LH": missing, "DT": missing}, dict.fromkeys(w.org.cells, missing))
    forged = AccessIds(World(org, w.this, w.last, w.checkins), missing, missing, missing)
    make, _allowed, _changes = ACCESS_CALLBACKS[name]
    assert refused(await sv_driver.press(ADMIN, make(forged)))
    assert refused(await sv_driver.press(ADMIN, make(forged).replace(str(missing), "x;DROP")))
    assert ids.sec_grant  # the real ones still exist: only the forged were refused


async def test_access_command_matrix(sv_driver: Driver) -> None:
    await access_setup(sv_driver)
    for actor, user in ACCESS_ACTORS.items():
        before = await access_state(sv_driver)
        calls = await sv_driver.send(user, "/access")
        text = texts(calls)
        if actor in NON_SUPERVISORS | {"revoked"}:
            assert text == NOT_SUPERVISOR, f"{actor}: {text}"
            assert not leaks(calls)
        elif actor == "supervisor of a sibling":
            assert NOT_SUPERVISOR not in text
            assert not any(name in text for name in INSIDE_NAMES), f"{actor} saw: {text}"
        else:
            assert NOT_SUPERVISOR not in text and calls, f"{actor}: {text}"
        assert await access_state(sv_driver) == before, f"{actor} changed something with /access"


def test_every_ac_callback_in_the_matrix() -> None:
    """New /access buttons must be added to the matrix: compare with bot/app.py's patterns."""
    import re
    from pathlib import Path

    from handlers import access

    source = Path("bot/app.py").read_text(encoding="utf-8")
    registered = set(re.findall(r'pattern=rf"\^\{AC\}:([a-z]+):"', source))
    registered |= {access.UNIT, access.HISTORY}  # named by constant in bot/app.py
    fake = AccessIds(_fake().w, 1, 2, 3)
    covered = {make(fake).split(":")[1] for make, _, _ in ACCESS_CALLBACKS.values()}
    assert registered <= covered, registered - covered


async def test_a_revoked_supervisor_is_refused_every_command_and_button(sv_driver: Driver) -> None:
    """REVOKED supervised LH until their grant ended: every supervisor command and sv: button
    now answers as to a stranger."""
    w = await access_setup(sv_driver)
    ids = Ids(w, 0, 0)
    async with sv_driver.sessions() as s:
        ids.broadcast = int(await s.scalar(select(func.max(Broadcast.id))) or 0)
        ids.lock = int(await s.scalar(select(func.max(PeriodLock.id))) or 0)
    for name, make in CALLBACKS.items():
        before = await access_state(sv_driver)
        calls = await sv_driver.press(REVOKED, make(ids))
        assert refused(calls), f"{name}: {texts(calls)}"
        assert await access_state(sv_driver) == before, name
    for command in [*COMMANDS, "/access"]:
        calls = await sv_driver.send(REVOKED, command)
        await sv_driver.send(REVOKED, "/cancel")
        assert texts(calls) == NOT_SUPERVISOR, f"{command}: {texts(calls)}"
        assert not leaks(calls)
