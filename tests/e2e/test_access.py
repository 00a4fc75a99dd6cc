"""/access end to end (issue 18): a commune supervisor invites a secretary from the bot (the
link as text and as a QR code that decodes to it), the link works once, the supervisor
revokes the grant and the revoked account is refused everywhere without a leak; handover;
the subtree rules with forged buttons; the bulk invitation files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import openpyxl
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from bot.i18n import t
from storage.accounts import add_grant, ensure_account
from storage.models import Account, Initiative, Invitation, Member, OutboxMessage, RoleGrant
from tests.e2e.checkin_helpers import Secretary, checkins_of, find
from tests.e2e.test_supervisor_views import ADMIN, sv_driver
from tests.factories import Org, invitation, onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, all_buttons, texts

__all__ = ["sv_driver"]  # the fixture, re-exported for pytest

SUP = TgUser(3401, "Minh", "Hoàng Văn", "en")  # supervisor of the commune QN-BL-LH
SUP_DISTRICT = TgUser(3402, "Tuấn", "Trần Văn", "en")  # supervisor of the district QN-BL
SEC = TgUser(3403, "Hà", "Vi Thị", "en")  # invited secretary of C01
LATE = TgUser(3404, "Muộn", "Người", "en")  # opens the same link too late
NEW_SEC = TgUser(3405, "Lan", "Nông Thị", "en")
SEC_DT = TgUser(3406, "Nam", "Lục Văn", "en")  # secretary of DT1, outside LH
REFUSED = t("en", "common.stale_button")
NOT_SECRETARY = t("en", "common.not_secretary")
EXPIRED = t("en", "common.session_expired")
LINK = re.compile(r"https://t\.me/cellbot_test_bot\?start=([A-Za-z0-9_-]+)")
# What a revoked secretary of C01 must never see again.
CELL_WORDS = ("Bản Pắt", "Nguyễn Văn", "QN-BL-LH-C01")


async def grant(driver: Driver, user: TgUser, unit_id: int, role: str) -> int:
    async with driver.sessions.begin() as s:
        account = await ensure_account(s, user.id, f"{user.first_name} {user.last_name}")
        await add_grant(s, account.id, unit_id, role)
        return account.id


async def grants_of(driver: Driver, user: TgUser) -> list[tuple[int, str]]:
    async with driver.sessions() as s:
        rows = await s.execute(
            select(RoleGrant.unit_id, RoleGrant.role)
            .join(Account, Account.id == RoleGrant.account_id)
            .where(Account.telegram_id == user.id)
        )
        return [(u, r) for u, r in rows.all()]


async def grant_id(driver: Driver, user: TgUser, unit_id: int) -> int:
    async with driver.sessions() as s:
        found = await s.scalar(
            select(RoleGrant.id)
            .join(Account, Account.id == RoleGrant.account_id)
            .where(Account.telegram_id == user.id, RoleGrant.unit_id == unit_id)
        )
    assert found is not None
    return int(found)


async def counts(driver: Driver) -> tuple[int, int, int]:
    """Invitations (cancelled ones too), grants, outbox rows: what an access action changes."""
    async with driver.sessions() as s:
        return (
            int(await s.scalar(select(func.count()).select_from(Invitation)) or 0),
            int(await s.scalar(select(func.count()).select_from(RoleGrant)) or 0),
            int(await s.scalar(select(func.count()).select_from(OutboxMessage)) or 0),
        )


def refused(calls: list[ApiCall]) -> bool:
    return [c.method for c in calls] == ["answerCallbackQuery"] and calls[0].params.get(
        "text"
    ) == REFUSED


def photo_of(driver: Driver) -> bytes:
    files = driver.files  # type: ignore[attr-defined]
    for parts in reversed(files):
        if "photo" in parts:
            _name, content, _mime = parts["photo"]
            return bytes(content)
    raise AssertionError("no photo was uploaded")


def menu_for(calls: list[ApiCall], user: TgUser) -> list[ApiCall]:
    """The setMyCommands calls that set `user`'s own chat menu."""
    found = []
    for call in calls:
        scope = call.params.get("scope")
        if isinstance(scope, str):
            scope = json.loads(scope)
        if (
            call.method == "setMyCommands"
            and isinstance(scope, dict)
            and scope.get("type") == "chat"
            and scope.get("chat_id") == user.id
        ):
            found.append(call)
    return found


def link_in(calls: list[ApiCall]) -> str:
    found = LINK.search(texts(calls))
    assert found, texts(calls)
    return found.group(0)


async def open_cell(driver: Driver, user: TgUser, org: Org, cell: str = "C01") -> list[ApiCall]:
    """/access, then the cell's page (from the commune's page)."""
    await driver.send(user, "/access")
    return await driver.press(user, f"ac:u:{org.cells[cell]}:0")


async def invite_secretary(driver: Driver, user: TgUser, org: Org, *, handover: bool) -> str:
    calls = await open_cell(driver, user, org)
    calls = await driver.tap(user, calls, "Invite a secretary")
    if "already has a secretary" in texts(calls):
        calls = await driver.tap(user, calls, "hand over" if handover else "both keep")
    assert any(c.method == "sendPhoto" for c in calls), texts(calls)
    return link_in(calls)


async def test_invite_qr_single_use_revoke_and_the_revoked_account_sees_nothing(
    sv_driver: Driver,
) -> None:
    d = sv_driver
    org = await small_org(d.sessions, members_per_cell=3)
    await grant(d, SUP, org.grassroots["LH"], "supervisor")

    # The commune's page: two cells without a secretary, one button per cell.
    calls = await d.send(SUP, "/access")
    page = texts(calls)
    assert "Đảng bộ xã Lục Hồn" in page and "Cells without a secretary: <b>2</b>" in page, page
    labels = [text for text, _ in all_buttons(calls)]
    assert "⚠️ Chi bộ thôn Bản Pắt" in labels and "⚠️ Chi bộ thôn Khe Tiền" in labels
    assert not any("Invite a supervisor" in x for x in labels)  # not at their own unit

    # The cell's page and the invitation: a link as text and the same link as a QR code.
    calls = await d.tap(SUP, calls, "Bản Pắt")
    assert "This cell has no secretary yet" in texts(calls)
    calls = await d.tap(SUP, calls, "Invite a secretary")
    link = link_in(calls)
    assert [c.method for c in calls].count("sendPhoto") == 1
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(photo_of(d))))
    assert [b.text for b in decoded] == [link]

    # The link works once.
    token = LINK.search(link).group(1)  # type: ignore[union-attr]
    calls = await d.send(SEC, f"/start {token}")
    assert "Cell secretary" in texts(calls) and "Bản Pắt" in texts(calls)
    assert texts(await d.send(LATE, f"/start {token}")) == t("en", "invite.used")
    assert await grants_of(d, LATE) == []

    # The new secretary starts a check-in, opens the roster: old buttons to replay later.
    s = Secretary(d, SEC)
    await s.command("/checkin")
    await s.tap("Regular")
    started = await s.tap("Today")
    old_ci = find(started, "19:30")
    members = await d.send(SEC, "/members")
    old_m = next(data for _, data in all_buttons(members) if data.startswith("m:"))
    initiatives = await d.send(SEC, "/initiatives")
    old_in = next(data for _, data in all_buttons(initiatives) if data.startswith("in:"))
    resumed = await s.command("/checkin")  # back in the check-in: typed text is an answer
    assert "19:30" in str(all_buttons(resumed)), texts(resumed)

    # The supervisor ends the grant; the confirmation names the person, the role, the unit.
    calls = await open_cell(d, SUP, org)
    calls = await d.tap(SUP, calls, "✖ Hà Vi Thị")
    asked = texts(calls)
    assert "Hà Vi Thị" in asked and "Cell secretary" in asked and "Chi bộ thôn Bản Pắt" in asked
    assert await grants_of(d, SEC) == [(org.cells["C01"], "secretary")]  # not before "Yes"
    calls = await d.tap(SUP, calls, "Yes, end access")
    assert "no longer has access" in texts(calls)
    assert await grants_of(d, SEC) == []
    menus = menu_for(calls, SEC)
    assert len(menus) == 1, [c.method for c in calls]
    menu = str(menus[0].params.get("commands"))
    assert "checkin" not in menu and "members" not in menu and "help" in menu
    async with d.sessions() as session:
        notes = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == SEC.id))
        ).all()
    assert len(notes) == 1 and notes[0].kind == "access", notes

    # The revoked account: a typed answer mid-conversation, old buttons, then the commands.
    typed = await d.send(SEC, "19:30")
    assert texts(typed) == EXPIRED, texts(typed)
    for data in (old_ci, old_m, old_in, f"ci:cell:{org.cells['C01']}"):
        assert refused(await d.press(SEC, data)), data
    assert texts(await d.send(SEC, "/checkin")) == NOT_SECRETARY
    assert texts(await d.send(SEC, "/members")) == NOT_SECRETARY
    for command in ("/initiatives", "/summary", "/access"):
        said = texts(await d.send(SEC, command))
        assert not any(word in said for word in CELL_WORDS), (command, said)
    rows = await checkins_of(d, org.cells["C01"])
    assert len(rows) <= 1 and all(r.status == "draft" for r in rows)


async def test_handover_ends_the_old_grant_when_the_new_secretary_accepts(
    sv_driver: Driver,
) -> None:
    d = sv_driver
    org = await small_org(d.sessions, members_per_cell=3)
    await grant(d, SUP, org.grassroots["LH"], "supervisor")
    await onboard(d, SEC, "QN-BL-LH-C01", "secretary")
    old = Secretary(d, SEC)
    await old.command("/checkin")
    await old.tap("Regular")
    await old.tap("Today")
    [draft] = await checkins_of(d, org.cells["C01"])

    calls = await open_cell(d, SUP, org)
    calls = await d.tap(SUP, calls, "Invite a secretary")
    asked = texts(calls)
    assert "already has a secretary: Hà Vi Thị" in asked and "loses access" in asked, asked
    assert {"Yes, hand over", "No, both keep access"} <= {x for x, _ in all_buttons(calls)}
    calls = await d.tap(SUP, calls, "Yes, hand over")
    link = link_in(calls)
    assert "Hà Vi Thị loses" in texts(calls)

    # Not before: the old secretary still works.
    assert await grants_of(d, SEC) == [(org.cells["C01"], "secretary")]
    assert texts(await old.command("/checkin")) != NOT_SECRETARY

    # Exactly when the new one accepts.
    token = LINK.search(link).group(1)  # type: ignore[union-attr]
    calls = await d.send(NEW_SEC, f"/start {token}")
    assert "Cell secretary" in texts(calls)
    assert await grants_of(d, SEC) == []
    assert await grants_of(d, NEW_SEC) == [(org.cells["C01"], "secretary")]
    assert len(menu_for(calls, SEC)) == 1
    assert texts(await d.send(SEC, "/checkin")) == NOT_SECRETARY
    async with d.sessions() as session:
        notes = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == SEC.id))
        ).all()
    assert len(notes) == 1 and notes[0].kind == "access"

    # The draft belongs to the cell: the new secretary continues it.
    new = Secretary(d, NEW_SEC)
    calls = await new.command("/checkin")
    assert "19:30" in str(all_buttons(calls)), texts(calls)  # the next open question
    await new.tap("19:30")
    [row] = await checkins_of(d, org.cells["C01"])
    assert row.id == draft.id and row.status == "draft"
    assert row.answers.get("meeting_time") or row.version > draft.version


async def test_both_keep_access_when_the_supervisor_says_so(sv_driver: Driver) -> None:
    d = sv_driver
    org = await small_org(d.sessions, members_per_cell=2)
    await grant(d, SUP, org.grassroots["LH"], "supervisor")
    await onboard(d, SEC, "QN-BL-LH-C01", "secretary")
    link = await invite_secretary(d, SUP, org, handover=False)
    await d.send(NEW_SEC, f"/start {LINK.search(link).group(1)}")  # type: ignore[union-attr]
    assert await grants_of(d, SEC) == [(org.cells["C01"], "secretary")]
    assert await grants_of(d, NEW_SEC) == [(org.cells["C01"], "secretary")]


async def test_a_supervisor_acts_only_strictly_inside_their_subtree(sv_driver: Driver) -> None:
    d = sv_driver
    org = await small_org(d.sessions, members_per_cell=2)
    await grant(d, SUP, org.grassroots["LH"], "supervisor")
    await grant(d, SUP_DISTRICT, org.district, "supervisor")
    await grant(d, SEC_DT, org.cells["DT1"], "secretary")
    sup_grant = await grant_id(d, SUP, org.grassroots["LH"])
    district_grant = await grant_id(d, SUP_DISTRICT, org.district)
    dt_grant = await grant_id(d, SEC_DT, org.cells["DT1"])
    # An invitation outside LH, made by the district.
    calls = await open_cell(d, SUP_DISTRICT, org, "DT1")
    calls = await d.tap(SUP_DISTRICT, calls, "Invite a deputy")
    async with d.sessions() as s:
        outside_invite = await s.scalar(select(func.max(Invitation.id)))
    before = await counts(d)
    forged = [
        f"ac:u:{org.grassroots['DT']}:0",  # a sibling commune's page
        f"ac:u:{org.district}:0",  # above
        f"ac:i:{org.cells['DT1']}:s",  # a cell outside
        f"ac:i:{org.cells['DT1']}:s:h",
        f"ac:i:{org.grassroots['LH']}:v",  # their own unit
        f"ac:i:{org.district}:v",  # above
        f"ac:i:{org.province}:v",
        f"ac:i:{org.cells['C01']}:a",  # admin is no role here
        f"ac:b:{org.grassroots['DT']}",
        f"ac:bok:{org.grassroots['DT']}",
        f"ac:bok:{org.district}",
        f"ac:r:{dt_grant}",
        f"ac:rok:{dt_grant}",
        f"ac:r:{district_grant}",
        f"ac:rok:{district_grant}",
        f"ac:c:{outside_invite}",
        f"ac:l:{org.grassroots['LH']}",  # the history is for admins
        "ac:rok:987654",
        "ac:c:987654",
        "ac:u:x;DROP:0",
    ]
    for data in forged:
        calls = await d.press(SUP, data)
        assert refused(calls), (data, texts(calls))
    # Their own grant: never revoked by themselves (refused, or a clear refusal).
    for data in (f"ac:r:{sup_grant}", f"ac:rok:{sup_grant}"):
        calls = await d.press(SUP, data)
        assert refused(calls) or "own access" in texts(calls), texts(calls)
    assert await counts(d) == before

    # The last supervisor of LH: the district may not remove them (only replace them)...
    calls = await d.press(SUP_DISTRICT, f"ac:rok:{sup_grant}")
    assert "last supervisor" in texts(calls) and "takes over first" in texts(calls)
    assert await counts(d) == before
    # ... by inviting the one who takes over: once they have accepted, the old grant can end.
    calls = await d.press(SUP_DISTRICT, f"ac:i:{org.grassroots['LH']}:v")
    token = LINK.search(link_in(calls)).group(1)  # type: ignore[union-attr]
    await d.send(NEW_SEC, f"/start {token}")
    calls = await d.press(SUP_DISTRICT, f"ac:rok:{sup_grant}")
    assert "no longer has access" in texts(calls)
    assert await grants_of(d, SUP) == []
    assert await grants_of(d, NEW_SEC) == [(org.grassroots["LH"], "supervisor")]
    # ... and an admin may remove even the last one.
    new_grant = await grant_id(d, NEW_SEC, org.grassroots["LH"])
    calls = await d.press(ADMIN, f"ac:r:{new_grant}")
    assert "Lan Nông Thị" in texts(calls) and "Đảng bộ xã Lục Hồn" in texts(calls)
    calls = await d.tap(ADMIN, calls, "Yes, end access")
    assert "no longer has access" in texts(calls)
    assert await grants_of(d, NEW_SEC) == []
    # And the revoked supervisor's old buttons are refused, /access says they supervise nothing.
    assert refused(await d.press(SUP, f"ac:u:{org.grassroots['LH']}:0"))
    assert texts(await d.send(SUP, "/access")) == t("en", "sv.not_supervisor")


async def test_cancel_a_pending_invitation(sv_driver: Driver) -> None:
    d = sv_driver
    org = await small_org(d.sessions, members_per_cell=2)
    await grant(d, SUP, org.grassroots["LH"], "supervisor")
    link = await invite_secretary(d, SUP, org, handover=False)
    calls = await open_cell(d, SUP, org)
    assert "Invitations not yet accepted" in texts(calls)
    calls = await d.tap(SUP, calls, "🗑")
    assert "Invitation cancelled" in texts(calls)
    assert "Invitations not yet accepted" not in texts(calls)
    token = LINK.search(link).group(1)  # type: ignore[union-attr]
    calls = await d.send(SEC, f"/start {token}")
    assert texts(calls) == t("en", "invite.cancelled")
    assert await grants_of(d, SEC) == []


async def test_bulk_invitation_files_have_a_working_link_per_cell(sv_driver: Driver) -> None:
    d = sv_driver
    org = await small_org(d.sessions, members_per_cell=2)
    await grant(d, SUP, org.grassroots["LH"], "supervisor")
    await grant(d, SEC_DT, org.cells["DT1"], "secretary")
    calls = await d.send(SUP, "/access")
    calls = await d.tap(SUP, calls, "Invite every cell without a secretary")
    assert "<b>2</b> cells without a secretary" in texts(calls), texts(calls)
    calls = await d.tap(SUP, calls, "Create the links")
    assert [c.method for c in calls].count("sendDocument") == 2, [c.method for c in calls]
    files = d.files[-2:]  # type: ignore[attr-defined]
    (xlsx_name, xlsx, _), (csv_name, raw_csv, _) = (next(iter(f.values())) for f in files)
    assert xlsx_name.endswith("QN-BL-LH.xlsx") and csv_name.endswith("QN-BL-LH.csv")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[0] == ["Unit code", "Unit name", "Invitation link", "Expires"]
    assert sorted(r[0] for r in table[1:]) == ["QN-BL-LH-C01", "QN-BL-LH-C02"]
    csv_rows = list(csv.reader(io.StringIO(raw_csv.decode("utf-8-sig"))))
    assert [r[:3] for r in csv_rows[1:]] == [[str(c) for c in r[:3]] for r in table[1:]]
    for i, row in enumerate(table[1:]):
        token = LINK.fullmatch(str(row[2])).group(1)  # type: ignore[union-attr]
        user = TgUser(3500 + i, "Bí thư", str(i), "en")
        assert "Cell secretary" in texts(await d.send(user, f"/start {token}"))
        assert await grants_of(d, user) == [(org.cells["C01" if i == 0 else "C02"], "secretary")]
    # Now every cell has one: nothing more to invite.
    calls = await d.send(SUP, "/access")
    assert "Every cell has a secretary" in texts(calls)
    assert "Invite every cell" not in str(all_buttons(calls))


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_help_and_menu_name_access_for_supervisors(sv_driver: Driver, lang: str) -> None:
    d = sv_driver
    await small_org(d.sessions, members_per_cell=1)
    user = TgUser(3600, "Hùng", "Lý Văn", lang)
    calls = await d.send(user, f"/start {await invitation(d.sessions, 'QN-BL-LH', 'supervisor')}")
    [menu] = menu_for(calls, user)
    commands = menu.params["commands"]
    commands = json.loads(commands) if isinstance(commands, str) else commands
    names = [c["command"] for c in commands]
    assert "access" in names and names.index("access") > names.index("summary")
    assert t(lang, "cmd.access") in str(menu.params["commands"])
    assert "/access" in texts(await d.send(user, "/help"))


async def revoke_by_admin(driver: Driver, user: TgUser, unit_id: int) -> None:
    calls = await driver.press(ADMIN, f"ac:r:{await grant_id(driver, user, unit_id)}")
    calls = await driver.tap(ADMIN, calls, "Yes, end access")
    assert "no longer has access" in texts(calls)


async def test_typed_answers_of_a_revoked_secretary_are_refused_everywhere(
    sv_driver: Driver,
) -> None:
    """The roster's "full name?" and the initiative's "title?" questions, open when the grant
    ends: the typed answer is refused, saves nothing and shows nothing of the cell."""
    d = sv_driver
    org = await small_org(d.sessions, members_per_cell=2)
    cell = org.cells["C01"]
    await onboard(d, SEC, "QN-BL-LH-C01", "secretary")

    calls = await d.press(SEC, f"m:add:{cell}")
    assert "full name" in texts(calls)
    await revoke_by_admin(d, SEC, cell)
    typed = await d.send(SEC, "Hoàng Văn Thụ")
    assert texts(typed) == EXPIRED
    async with d.sessions() as s:
        names = (await s.scalars(select(Member.full_name).where(Member.cell_id == cell))).all()
    assert "Hoàng Văn Thụ" not in names

    await onboard(d, SEC, "QN-BL-LH-C01", "secretary")
    calls = await d.send(SEC, "/initiatives")
    calls = await d.tap(SEC, calls, "Register")
    member = next(text for text, data in all_buttons(calls) if "Nguyễn Văn" in text)
    calls = await d.tap(SEC, calls, member)
    calls = await d.tap(SEC, calls, "Next ▶ (1)")
    calls = await d.tap(SEC, calls, "Technical innovation")
    assert "title" in texts(calls)
    await revoke_by_admin(d, SEC, cell)
    typed = await d.send(SEC, "Máy đào lò xuyên vỉa")
    assert texts(typed) == EXPIRED
    async with d.sessions() as s:
        assert not (await s.scalars(select(Initiative.id))).all()


async def test_the_hourly_invitation_limit_says_when_to_try_again(sv_driver: Driver) -> None:
    from domain import clock
    from domain.access_rules import INVITES_PER_HOUR

    d = sv_driver
    org = await small_org(d.sessions, members_per_cell=1)
    await grant(d, SUP, org.grassroots["LH"], "supervisor")
    first = clock.now()
    for _ in range(INVITES_PER_HOUR):
        calls = await d.press(SUP, f"ac:i:{org.cells['C02']}:d")
        assert any(c.method == "sendPhoto" for c in calls)
    before = await counts(d)
    calls = await d.press(SUP, f"ac:i:{org.cells['C02']}:d")
    said = texts(calls)
    assert "try again after" in said and not any(c.method == "sendPhoto" for c in calls), said
    local = (first + dt.timedelta(hours=1)).astimezone(d.settings.tz)
    allowed_times = {f"{(local + dt.timedelta(minutes=m)):%H:%M}" for m in (0, 1)}
    assert any(hhmm in said for hhmm in allowed_times), (said, allowed_times)
    assert await counts(d) == before


async def test_many_children_are_paged_like_summary(sv_driver: Driver) -> None:
    from storage.orgfile import UnitRow
    from storage.orgs import import_units

    d = sv_driver
    org = await small_org(d.sessions, members_per_cell=0)
    rows = [
        UnitRow(100 + i, f"QN-BL-LH-X{i:02d}", f"Chi bộ thôn Mới {i:02d}", "cell", "QN-BL-LH")
        for i in range(11)
    ]
    async with d.sessions.begin() as s:
        report = await import_units(s, rows)
    assert not report.rejected, report.rejected
    await grant(d, SUP, org.grassroots["LH"], "supervisor")
    calls = await d.send(SUP, "/access")
    assert "Cells without a secretary: <b>13</b>" in texts(calls)
    first = [x for x, data in all_buttons(calls) if data.startswith("ac:u:") and "Chi bộ" in x]
    assert len(first) == 10 and ("1/2", "noop") in all_buttons(calls)
    calls = await d.tap(SUP, calls, "▶")
    second = [x for x, data in all_buttons(calls) if data.startswith("ac:u:") and "Chi bộ" in x]
    assert len(second) == 3 and not set(first) & set(second)
