"""`cellbot access list|revoke|log` and `cellbot invite list|cancel|create --handover`, run
as an operator runs them (the installed entry point, a subprocess), on both databases."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from storage.accounts import add_grant, ensure_account
from storage.db import SessionFactory
from storage.models import AuditEntry, Invitation, OutboxMessage, RoleGrant
from tests.factories import Org, small_org
from tests.integration.cli_run import call, cellbot, run_all


async def _setup(sessions: SessionFactory) -> Org:
    org = await small_org(sessions, members_per_cell=2)
    async with sessions.begin() as s:
        for tg, name, unit_id, role in [
            (101, "Lục Thị Xã", org.grassroots["LH"], "supervisor"),
            (201, "Nông Văn Bí", org.cells["C01"], "secretary"),
            (202, "La Thị Nà", org.cells["DT1"], "secretary"),
        ]:
            account = await ensure_account(s, tg, name)
            await add_grant(s, account.id, unit_id, role)
    return org


async def test_access_list_shows_holders_flags_and_pending(
    tmp_path: Path, db_url: str, session_factory: SessionFactory
) -> None:
    await _setup(session_factory)
    made = cellbot(
        tmp_path,
        *("invite", "create", "--bot-username", "demo_bot", "--unit", "QN-BL-LH-C02"),
        *("--role", "secretary", "--handover"),
        DATABASE_URL=db_url,
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().rsplit("=", 1)[1]
    listed, as_json, unknown, invites = run_all(
        [
            call(tmp_path, "access", "list", "--unit", "QN-BL", DATABASE_URL=db_url),
            call(tmp_path, "access", "list", "--unit", "QN-BL-LH", "--json", DATABASE_URL=db_url),
            call(tmp_path, "access", "list", "--unit", "NOPE", DATABASE_URL=db_url),
            call(tmp_path, "invite", "list", "--unit", "QN-BL-LH", DATABASE_URL=db_url),
        ]
    )
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == (
        "QN-BL Huyện ủy Bình Liêu: 6 unit(s), 1 cell(s) without a secretary, "
        "3 role holder(s), 1 pending invitation(s)"
    )
    assert lines[1] == "QN-BL  Huyện ủy Bình Liêu (district)  [1 cell(s) without a secretary]"
    text = listed.stdout
    assert "QN-BL-LH-C02  Chi bộ thôn Khe Tiền (cell)  [no secretary]" in text
    assert "secretary: Nông Văn Bí (telegram id 201" in text and "last seen never" in text
    assert "invited secretary #" in text and "hands the cell over" in text
    assert token not in text

    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["unit"] == "QN-BL-LH" and data["cells_without_secretary"] == 1
    units = {u["code"]: u for u in data["units"]}
    assert [h["name"] for h in units["QN-BL-LH"]["holders"]] == ["Lục Thị Xã"]
    assert units["QN-BL-LH-C02"]["pending"][0]["handover"] is True
    assert units["QN-BL-LH-C01"]["holders"][0]["telegram_id"] == 201

    assert unknown.returncode == 1 and unknown.errors == ["cellbot: no unit with code NOPE"]
    assert invites.returncode == 0, invites.stderr
    (line,) = invites.stdout.splitlines()
    assert "QN-BL-LH-C02  secretary  by cli" in line and line.endswith("pending  handover")
    assert token not in invites.stdout


async def test_revoke_asks_for_yes_then_ends_the_grant(
    tmp_path: Path, db_url: str, session_factory: SessionFactory
) -> None:
    await _setup(session_factory)
    revoke = ("access", "revoke", "--unit", "QN-BL-LH-C01", "--role", "secretary")
    asked, missing, both, no_unit = run_all(
        [
            call(tmp_path, *revoke, "--telegram-id", "201", DATABASE_URL=db_url),
            call(tmp_path, *revoke, "--telegram-id", "202", DATABASE_URL=db_url),
            call(tmp_path, *revoke, "--telegram-id", "201", "--account", "1", DATABASE_URL=db_url),
            call(
                tmp_path,
                *("access", "revoke", "--unit", "NOPE", "--role", "secretary"),
                *("--telegram-id", "201", "--yes"),
                DATABASE_URL=db_url,
            ),
        ]
    )
    assert asked.returncode == 2 and len(asked.errors) == 1, asked.stderr
    assert "Nông Văn Bí" in asked.stderr and "--yes" in asked.stderr
    assert missing.returncode == 1 and missing.errors == [
        "cellbot: QN-BL-LH-C01 has no secretary with telegram id 202"
    ]
    assert both.returncode == 2  # one of --telegram-id and --account
    assert no_unit.returncode == 1 and "no unit with code NOPE" in no_unit.stderr
    async with session_factory() as s:
        assert await s.scalar(select(func.count()).select_from(RoleGrant)) == 3

    done = cellbot(tmp_path, *revoke, "--telegram-id", "201", "--yes", DATABASE_URL=db_url)
    assert done.returncode == 0, done.stderr
    assert "revoked: Nông Văn Bí (telegram id 201) is no longer secretary" in done.stdout
    assert done.stderr == ""
    async with session_factory() as s:
        assert await s.scalar(select(func.count()).select_from(RoleGrant)) == 2
        note = (await s.scalars(select(OutboxMessage))).one()
        assert note.chat_id == 201 and note.payload["notice"] == "access_revoked"
        entry = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "revoke"))).one()
        assert entry.actor_label == "cli"

    # the CLI is an admin: it may end a unit's last supervisor, with a warning
    last = cellbot(
        tmp_path,
        *("access", "revoke", "--unit", "QN-BL-LH", "--role", "supervisor"),
        *("--account", await _account_id(session_factory, 101), "--yes"),
        DATABASE_URL=db_url,
    )
    assert last.returncode == 0, last.stderr
    assert last.errors == [
        "cellbot: warning: QN-BL-LH has no supervisor left; invite one with "
        "`cellbot invite create --unit QN-BL-LH --role supervisor`"
    ]
    log = cellbot(tmp_path, "access", "log", "--unit", "QN-BL-LH", DATABASE_URL=db_url)
    assert log.returncode == 0, log.stderr
    lines = log.stdout.splitlines()
    assert len(lines) == 2
    assert "  cli  revoke  supervisor  QN-BL-LH  Lục Thị Xã (telegram id 101)" in lines[0]
    assert "  cli  revoke  secretary  QN-BL-LH-C01  Nông Văn Bí (telegram id 201)" in lines[1]


async def _account_id(sessions: SessionFactory, tg: int) -> str:
    async with sessions() as s:
        account = await ensure_account(s, tg, "")
        return str(account.id)


async def test_invite_cancel_and_list_all(
    tmp_path: Path, db_url: str, session_factory: SessionFactory
) -> None:
    await _setup(session_factory)
    create = ("invite", "create", "--bot-username", "demo_bot", "--unit", "QN-BL-LH-C02")
    made = cellbot(tmp_path, *create, "--role", "deputy", DATABASE_URL=db_url)
    assert made.returncode == 0, made.stderr
    async with session_factory() as s:
        invitation_id = await s.scalar(select(Invitation.id))
    wrong = cellbot(tmp_path, *create, "--role", "deputy", "--handover", DATABASE_URL=db_url)
    assert wrong.returncode == 2 and "--handover" in wrong.stderr
    cancelled = cellbot(tmp_path, "invite", "cancel", str(invitation_id), DATABASE_URL=db_url)
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"cancelled invitation #{invitation_id}" in cancelled.stdout
    again, unknown, pending, everything, log = run_all(
        [
            call(tmp_path, "invite", "cancel", str(invitation_id), DATABASE_URL=db_url),
            call(tmp_path, "invite", "cancel", "999999", DATABASE_URL=db_url),
            call(tmp_path, "invite", "list", DATABASE_URL=db_url),
            call(tmp_path, "invite", "list", "--all", DATABASE_URL=db_url),
            call(tmp_path, "access", "log", "--limit", "1", DATABASE_URL=db_url),
        ]
    )
    assert again.returncode == 1 and len(again.errors) == 1
    assert f"no pending invitation #{invitation_id}" in again.stderr
    assert unknown.returncode == 1
    assert pending.returncode == 0 and pending.stdout == ""
    (line,) = everything.stdout.splitlines()
    assert line.startswith(f"#{invitation_id}  QN-BL-LH-C02  deputy  by cli")
    assert line.endswith("cancelled")
    assert log.stdout.count("\n") == 1 and "  cli  cancel  deputy  QN-BL-LH-C02" in log.stdout
    async with session_factory() as s:
        inv = await s.get(Invitation, invitation_id)
        assert inv is not None and inv.cancelled_by == "cli"


async def test_the_operator_ends_an_admin_grant(
    tmp_path: Path, db_url: str, session_factory: SessionFactory
) -> None:
    org = await _setup(session_factory)
    async with session_factory.begin() as s:
        admin = await ensure_account(s, 900, "Quản Trị")
        await add_grant(s, admin.id, org.province, "admin")
    done = cellbot(
        tmp_path,
        *("access", "revoke", "--unit", "QN", "--role", "admin"),
        *("--telegram-id", "900", "--yes"),
        DATABASE_URL=db_url,
    )
    assert done.returncode == 0, done.stderr
    assert "is no longer admin of QN" in done.stdout
    async with session_factory() as s:
        assert (
            await s.scalar(
                select(func.count()).select_from(RoleGrant).where(RoleGrant.role == "admin")
            )
            == 0
        )
