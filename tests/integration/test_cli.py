"""The `cellbot` command line, run as a user runs it (the installed entry point, a subprocess
with its environment)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from storage.db import SessionFactory
from storage.models import Invitation, Member, OrgUnit
from tests.integration.cli_run import call, cellbot, run_all

TREE = """code,name,kind,parent
QN,Tỉnh ủy Quảng Ninh,province,
QN-BL,Huyện ủy Bình Liêu,district,QN
QN-BL-LH,Đảng bộ xã Lục Hồn,grassroots,QN-BL
QN-BL-LH-C01,Chi bộ thôn Bản Pắt,cell,QN-BL-LH
QN-BL-LH-C02,Chi bộ thôn Khe Tiền,cell,QN-BL-LH
"""


GOOD_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
BAD_SETTINGS = [
    ({}, "TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_BOT_TOKEN": GOOD_TOKEN, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"TELEGRAM_BOT_TOKEN": GOOD_TOKEN, "TIMEZONE": "Mars/Base"}, "TIMEZONE"),
]


def test_run_with_bad_settings_exits_2_with_one_line(tmp_path: Path) -> None:
    results = run_all([call(tmp_path, "run", **env) for env, _ in BAD_SETTINGS])
    for (_, setting), result in zip(BAD_SETTINGS, results, strict=True):
        assert result.returncode == 2, result
        assert len(result.errors) == 1, result.stderr
        assert setting in result.errors[0]
        assert "Traceback" not in result.stderr
        if setting == "TELEGRAM_BOT_TOKEN":
            assert "@BotFather" in result.errors[0]
        assert "AAHdqTcv" not in result.stderr


def test_org_import_is_idempotent_and_updates(tmp_path: Path, db_url: str) -> None:
    tree = tmp_path / "tree.csv"
    tree.write_text(TREE, encoding="utf-8")
    first = cellbot(tmp_path, "org", "import", str(tree), DATABASE_URL=db_url)
    assert first.returncode == 0, first.stderr
    assert "created 5, updated 0, unchanged 0, rejected 0" in first.stdout
    again = cellbot(tmp_path, "org", "import", str(tree), DATABASE_URL=db_url)
    assert "created 0, updated 0, unchanged 5" in again.stdout
    tree.write_text(TREE.replace("Khe Tiền", "Khe Tiền Mới"), encoding="utf-8")
    changed = cellbot(tmp_path, "org", "import", str(tree), DATABASE_URL=db_url)
    assert "created 0, updated 1, unchanged 4" in changed.stdout


async def test_a_bad_file_changes_nothing(
    tmp_path: Path, db_url: str, session_factory: SessionFactory
) -> None:
    tree = tmp_path / "tree.csv"
    tree.write_text(TREE + "QN-X,Orphan,cell,NOWHERE\n", encoding="utf-8")
    result = cellbot(tmp_path, "org", "import", str(tree), DATABASE_URL=db_url)
    assert result.returncode == 1
    assert "tree.csv:7: QN-X: unknown parent 'NOWHERE'" in result.stderr
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(OrgUnit)) == 0


async def test_demo_seed_show_and_invite(
    tmp_path: Path, db_url: str, session_factory: SessionFactory
) -> None:
    seeded = cellbot(tmp_path, "demo", "seed", DATABASE_URL=db_url)
    assert seeded.returncode == 0, seeded.stderr
    again = cellbot(tmp_path, "demo", "seed", DATABASE_URL=db_url)
    assert again.returncode == 0, again.stderr
    async with session_factory() as session:
        cells = await session.scalar(
            select(func.count()).select_from(OrgUnit).where(OrgUnit.kind == "cell")
        )
        members = await session.scalar(select(func.count()).select_from(Member))
    assert cells == 31  # Lục Hồn 21, Bình Liêu 9, the coal cell
    assert members == 322 + 131 + 24  # the second run added nothing

    invite = ("invite", "create", "--bot-username", "demo_bot")
    shown, invited, wrong_role, unknown = run_all(
        [
            call(tmp_path, "org", "show", "QN-LH", DATABASE_URL=db_url),
            call(tmp_path, *invite, "--unit", "QN-LH-C01", "--role", "secretary",
                 DATABASE_URL=db_url),
            call(tmp_path, *invite, "--unit", "QN-LH", "--role", "secretary",
                 DATABASE_URL=db_url),
            call(tmp_path, *invite, "--unit", "NOPE", "--role", "supervisor",
                 DATABASE_URL=db_url),
        ]
    )  # fmt: skip
    assert shown.returncode == 0
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("QN-LH  Đảng bộ xã Lục Hồn")
    assert len(lines) == 22 and "đảng viên" in lines[1]  # org show speaks Vietnamese by default

    assert invited.returncode == 0, invited.stderr
    link = invited.stdout.strip()
    assert link.startswith("https://t.me/demo_bot?start=")
    token = link.rsplit("=", 1)[1]
    async with session_factory() as session:
        hashes = (await session.scalars(select(Invitation.token_hash))).all()
    assert len(hashes) == 1 and token not in hashes[0]

    assert wrong_role.returncode == 2 and "cell" in wrong_role.stderr
    assert unknown.returncode == 1 and "no unit" in unknown.stderr
