"""The 2025 organisation tree through the `cellbot` command line: nesting refused row by row,
kinds shown in words, and a pre-2025 district folded into the province (both databases)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from storage.db import SessionFactory
from storage.models import (
    Account,
    AuditEntry,
    MeetingSchedule,
    OrgUnit,
    PeriodLock,
    RoleGrant,
)
from tests.integration.cli_run import call, cellbot, run_all

GOOD = """code,name,kind,parent,sort
QN,Tỉnh ủy Quảng Ninh,province,,
QN-LH,Đảng bộ xã Lục Hồn,commune,QN,
QN-LH-C01,Chi bộ thôn Nà Áng,cell,QN-LH,village
QN-HG,Đảng bộ phường Hồng Gai,ward,QN,
QN-HG-C01,Chi bộ khu 1,cell,QN-HG,residential
QN-VD,Đảng bộ đặc khu Vân Đồn,special_zone,QN,
QN-DN,Đảng bộ Khối doanh nghiệp tỉnh,bloc,QN,
QN-DN-G1,Đảng bộ Công ty Than Hòn Gai,grassroots,QN-DN,enterprise
QN-DN-G1-BP1,Đảng ủy bộ phận Phân xưởng 1,subcommittee,QN-DN-G1,
QN-DN-G1-BP1-C1,Chi bộ Khai thác 1,cell,QN-DN-G1-BP1,enterprise
QN-DN-CS,Chi bộ Công ty Cổ phần Cảng,grassroots_cell,QN-DN,
"""

BAD = """QN2,Tỉnh ủy thứ hai,province,,
QN-X1,Tỉnh ủy dưới chi bộ,province,QN-LH-C01,
QN-X2,Chi bộ dưới chi bộ,cell,QN-LH-C01,
QN-X3,Chi bộ thẳng dưới Tỉnh ủy,cell,QN,
QN-X4,Đảng ủy bộ phận dưới Tỉnh ủy,subcommittee,QN,
QN-X5,Chi bộ cơ sở dưới đảng bộ xã,grassroots_cell,QN-LH,
QN-X6,Loại lạ,hamlet,QN,
"""

OLD = """code,name,kind,parent
QN,Tỉnh ủy Quảng Ninh,province,
QN-BL,Huyện ủy Bình Liêu,district,QN
QN-BL-LH,Đảng bộ xã Lục Hồn,grassroots,QN-BL
QN-BL-LH-C01,Chi bộ thôn Bản Pắt,cell,QN-BL-LH
QN-BL-DT,Đảng bộ xã Đồng Tâm,grassroots,QN-BL
QN-BL-DT-C01,Chi bộ thôn Nà Làng,cell,QN-BL-DT
"""


async def test_bad_nesting_is_refused_row_by_row_and_a_good_tree_imports(
    tmp_path: Path, db_url: str, session_factory: SessionFactory
) -> None:
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(GOOD + BAD, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")
    # One after the other: each import opens a write transaction (SQLite allows one).
    refused = cellbot(tmp_path, "org", "import", str(bad), DATABASE_URL=db_url)
    refused_en = cellbot(tmp_path, "org", "import", str(bad), "--lang", "en", DATABASE_URL=db_url)
    assert refused.returncode == 1 and refused_en.returncode == 1
    errors = refused.errors
    assert errors[-1].startswith("nothing imported: 7 rejected row(s)")
    assert [e.split(":")[1] for e in errors[:-1]] == [str(n) for n in range(13, 20)]
    assert errors[0] == f"{bad}:13: QN2: cây chỉ có một Tỉnh ủy; đơn vị này là gốc thứ hai"
    assert "chi bộ là cấp cuối cùng" in errors[2]
    assert "grassroots_cell" in errors[3]  # the fix is named
    assert "đảng ủy bộ phận trực thuộc một đảng bộ cơ sở" in errors[4]
    assert errors[6].endswith("QN-X6: bad kind 'hamlet'")
    assert "nothing may be placed under a cell" in refused_en.errors[2]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(OrgUnit)) == 0

    imported = cellbot(tmp_path, "org", "import", str(good), DATABASE_URL=db_url)
    assert imported.returncode == 0, imported.stderr
    assert "created 11, updated 0, unchanged 0, rejected 0" in imported.stdout
    async with session_factory() as session:
        units = {u.code: u for u in (await session.scalars(select(OrgUnit))).all()}
    assert (units["QN-HG"].kind, units["QN-HG"].sort) == ("grassroots", "ward")
    assert (units["QN-DN-CS"].kind, units["QN-DN-CS"].sort) == ("cell", "grassroots")
    assert units["QN-DN-G1-BP1-C1"].path.startswith(units["QN-DN-G1-BP1"].path)

    vi, en = run_all(
        [
            call(tmp_path, "org", "show", DATABASE_URL=db_url),
            call(tmp_path, "org", "show", "QN-DN", "--lang", "en", DATABASE_URL=db_url),
        ]
    )
    assert vi.returncode == 0 and en.returncode == 0, vi.stderr + en.stderr
    shown = vi.stdout
    assert "QN  Tỉnh ủy Quảng Ninh (Tỉnh ủy)" in shown
    assert "QN-HG  Đảng bộ phường Hồng Gai (đảng bộ phường)" in shown
    assert "QN-VD  Đảng bộ đặc khu Vân Đồn (đảng bộ đặc khu)" in shown
    assert "QN-LH-C01  Chi bộ thôn Nà Áng (chi bộ thôn, bản, khu dân cư)  0 đảng viên" in shown
    assert "(đảng ủy bộ phận)" in shown and "(chi bộ cơ sở)" in shown
    assert en.stdout.splitlines()[0] == (
        "QN-DN  Đảng bộ Khối doanh nghiệp tỉnh (committee under the province (bloc))"
    )
    assert "(grassroots cell)  0 members" in en.stdout


async def test_a_district_is_shown_as_historical_and_folds_into_the_province(
    tmp_path: Path, db_url: str, session_factory: SessionFactory
) -> None:
    tree = tmp_path / "old.csv"
    tree.write_text(OLD, encoding="utf-8")
    assert cellbot(tmp_path, "org", "import", str(tree), DATABASE_URL=db_url).returncode == 0
    async with session_factory.begin() as session:
        units = {u.code: u for u in (await session.scalars(select(OrgUnit))).all()}
        district = units["QN-BL"]
        account = Account(telegram_id=4242, display_name="Đồng chí Huyện")
        session.add(account)
        await session.flush()
        session.add(RoleGrant(account_id=account.id, unit_id=district.id, role="supervisor"))
        session.add(MeetingSchedule(unit_id=district.id, rule_kind="day", day=5))
        session.add(MeetingSchedule(unit_id=units["QN-BL-DT"].id, rule_kind="day", day=20))
        session.add(PeriodLock(unit_id=district.id, period="2025"))

    shown = cellbot(tmp_path, "org", "show", "QN", DATABASE_URL=db_url)
    refused, not_district, unknown = (
        cellbot(tmp_path, "org", "fold-district", code, DATABASE_URL=db_url)
        for code in ("QN-BL", "QN-BL-LH", "NOPE")
    )
    assert "QN-BL  Huyện ủy Bình Liêu (cấp huyện (trước 7/2025))" in shown.stdout
    assert refused.returncode == 1 and len(refused.errors) == 1, refused.stderr
    assert "1 role grant(s)" in refused.stderr and "--drop-roles" in refused.stderr
    assert not_district.returncode == 1 and len(not_district.errors) == 1
    assert "is a grassroots, not a district" in not_district.stderr
    assert unknown.returncode == 1 and "no unit with code NOPE" in unknown.stderr
    async with session_factory() as session:
        assert await session.scalar(select(OrgUnit.id).where(OrgUnit.code == "QN-BL"))

    folded = cellbot(tmp_path, "org", "fold-district", "QN-BL", "--drop-roles", DATABASE_URL=db_url)
    assert folded.returncode == 0, folded.stderr
    assert folded.stdout.startswith("folded QN-BL: 2 unit(s) now directly under QN; 1 meeting")
    async with session_factory() as session:
        units = {u.code: u for u in (await session.scalars(select(OrgUnit))).all()}
        assert "QN-BL" not in units
        root = units["QN"]
        for code in ("QN-BL-LH", "QN-BL-DT"):
            assert units[code].parent_id == root.id
            assert units[code].path == f"{root.path}{units[code].id}/"
        cell = units["QN-BL-LH-C01"]
        assert cell.path == f"{units['QN-BL-LH'].path}{cell.id}/"
        days = dict(
            (await session.execute(select(MeetingSchedule.unit_id, MeetingSchedule.day))).all()
        )
        # LH inherited day 5 from the district and keeps it; DT had its own rule.
        assert days == {units["QN-BL-LH"].id: 5, units["QN-BL-DT"].id: 20}
        locks = (await session.execute(select(PeriodLock.unit_id, PeriodLock.period))).all()
        assert sorted(locks) == sorted(
            [(units["QN-BL-LH"].id, "2025"), (units["QN-BL-DT"].id, "2025")]
        )
        assert await session.scalar(select(func.count()).select_from(RoleGrant)) == 0
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.actor_label == "cli fold-district")
            )
        ).all()
        assert sorted(actions) == ["delete", "fold", "update", "update"]
    after = cellbot(tmp_path, "org", "show", DATABASE_URL=db_url)
    assert "cấp huyện" not in after.stdout and "  QN-BL-LH  Đảng bộ xã Lục Hồn" in after.stdout
