"""/candidates end to end: a candidate added (bad name stays), given a helper from the roster,
moved through the stages with one tap each, admitted on a typed day (bad day stays) into a
probationary member of the roster linked to the candidate; another dropped after a
confirmation; every change audited. Supervisors see counts per stage for their unit and its
children with drill-down, and nothing outside their scope."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain import clock
from storage.models import AuditEntry, Candidate, Member
from tests.factories import members_of, onboard, small_org
from tests.harness import Driver, TgUser, all_buttons, texts

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SEC = TgUser(6401, "Hà", "Vi Thị", "vi")
OTHER = TgUser(6402, "Lan", "Hoàng Thị", "vi")  # secretary of C02
SUP = TgUser(6403, "Minh", "Trần Văn", "vi")  # Lục Hồn
SUP_DT = TgUser(6404, "Tú", "Lê Văn", "vi")  # Đồng Tâm: outside Lục Hồn
SUP_QN = TgUser(6405, "Bình", "Phạm Văn", "en")  # the province, in English
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=HCM)


async def test_the_candidate_pipeline_end_to_end(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=3)
    cell = org.cells["C01"]
    clock.set_clock(clock.FixedClock(NOW.astimezone(dt.UTC)))
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, OTHER, "QN-BL-LH-C02", "secretary")
    roster = await members_of(driver.sessions, cell)

    calls = await driver.send(SEC, "/candidates")
    assert "Chưa có ai trong danh sách" in texts(calls)
    calls = await driver.tap(SEC, calls, "Thêm quần chúng")
    assert "họ và tên quần chúng ưu tú" in texts(calls)
    assert "Tên chưa hợp lệ" in texts(await driver.send(SEC, "12345"))
    calls = await driver.send(SEC, "  Lò   Thị Mai ")
    assert "✓ Đã thêm <b>Lò Thị Mai</b>." in texts(calls)
    assert "Chọn đảng viên giúp đỡ" in texts(calls)
    calls = await driver.tap(SEC, calls, roster[1].full_name)
    text = texts(calls)
    assert "Giai đoạn: Mới giới thiệu" in text
    assert f"Đảng viên giúp đỡ: {roster[1].full_name}" in text

    (next_data,) = [data for label, data in all_buttons(calls) if "Chuyển sang" in label]
    calls = await driver.press(SEC, next_data)
    assert "Giai đoạn: Đã học lớp nhận thức về Đảng" in texts(calls)
    # The same tap again (a double tap): refused, the stage moved once.
    assert [c.method for c in await driver.press(SEC, next_data)] == ["answerCallbackQuery"]
    calls = await driver.tap(SEC, calls, "Chuyển sang")
    assert "Giai đoạn: Đang làm hồ sơ" in texts(calls)
    assert not any("Chuyển sang" in label for label, _ in all_buttons(calls[-1:]))
    calls = await driver.tap(SEC, calls, "Kết nạp vào Đảng")
    assert "Hôm nay (20/11/2026)" in [label for label, _ in all_buttons(calls)]
    assert "Chưa đọc được ngày" in texts(await driver.send(SEC, "tuần trước"))
    assert "chưa tới" in texts(await driver.send(SEC, "21/11/2026"))
    calls = await driver.send(SEC, "01/11/2026")
    text = texts(calls)
    assert (
        "✓ Đã kết nạp <b>Lò Thị Mai</b>: đảng viên dự bị từ 01/11/2026, hết dự bị ngày 01/11/2027."
        in text
    ), text
    assert "Đã kết nạp: 1 người" in text

    # A second one, dropped after the confirmation; a third stays identified.
    calls = await driver.tap(SEC, calls, "Thêm quần chúng")
    calls = await driver.send(SEC, "Hoàng Văn Nam")
    calls = await driver.tap(SEC, calls, "Để sau")
    calls = await driver.tap(SEC, calls, "Bỏ khỏi danh sách")
    assert "Bỏ <b>Hoàng Văn Nam</b> khỏi danh sách quần chúng ưu tú?" in texts(calls)
    calls = await driver.tap(SEC, calls, "Có")
    assert "Hoàng Văn Nam" not in texts(calls[-1:])
    calls = await driver.tap(SEC, calls, "Thêm quần chúng")
    await driver.send(SEC, "Vi Văn Sơn")
    text = texts(await driver.send(SEC, "/candidates"))
    assert "• Vi Văn Sơn — Mới giới thiệu" in text and "Hoàng Văn Nam" not in text

    async with driver.sessions() as session:
        admitted = (
            await session.scalars(select(Candidate).where(Candidate.full_name == "Lò Thị Mai"))
        ).one()
        member = await session.get(Member, admitted.member_id)
        assert member is not None
        assert (member.cell_id, member.full_name, member.status, member.admitted_on) == (
            cell,
            "Lò Thị Mai",
            "probationary",
            dt.date(2026, 11, 1),
        )
        assert (admitted.stage, admitted.helper_member_id) == ("admitted", roster[1].id)
        dropped = (
            await session.scalars(select(Candidate).where(Candidate.full_name == "Hoàng Văn Nam"))
        ).one()
        assert dropped.dropped_at is not None
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.entity == "candidate", AuditEntry.actor_account_id.is_not(None)
                )
            )
        ).all()
    assert sorted(set(actions)) == ["admit", "create", "drop", "helper", "stage"]
    async with driver.sessions() as session:
        member_audit = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity == "member",
                    AuditEntry.entity_id == member.id,
                    AuditEntry.action == "admitted",
                )
            )
        ).one()
    assert member_audit.after == {
        "status": "probationary",
        "admitted_on": "2026-11-01",
        "candidate": admitted.id,
    }
    assert list(actions).count("stage") == 2

    # The new member is on the roster with the admission date on the card.
    calls = await driver.press(SEC, f"m:show:{cell}:{member.id}")
    assert "Ngày vào Đảng: 01/11/2026" in texts(calls)
    assert "Hết thời gian dự bị: 01/11/2027" in texts(calls)

    # Another cell's secretary cannot touch C01's candidates.
    calls = await driver.press(OTHER, f"cd:{cell}:nx:{admitted.id}")
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    calls = await driver.press(OTHER, f"cd:{cell}:l")
    assert [c.method for c in calls] == ["answerCallbackQuery"]


async def test_supervisors_see_counts_in_their_scope_only(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=2)
    clock.set_clock(clock.FixedClock(NOW.astimezone(dt.UTC)))
    for user, code in ((SUP, "QN-BL-LH"), (SUP_DT, "QN-BL-DT"), (SUP_QN, "QN")):
        await onboard(driver, user, code, "supervisor")
    async with driver.sessions.begin() as session:
        for cell, name, stage in (
            ("C01", "Lò Thị Mai", "identified"),
            ("C01", "Vi Văn Sơn", "dossier"),
            ("C01", "Hoàng Văn Nam", "dossier"),
            ("C02", "Lục Thị Hoa", "course"),
        ):
            session.add(Candidate(cell_id=org.cells[cell], full_name=name, stage=stage))
        session.add(
            Candidate(
                cell_id=org.cells["C02"],
                full_name="Đã Bỏ",
                stage="course",
                dropped_at=clock.now(),
            )
        )

    text = texts(await driver.send(SUP, "/candidates"))
    assert "<b>Quần chúng ưu tú — Đảng bộ xã Lục Hồn</b>" in text
    lines = text.splitlines()
    assert lines[1] == ("mới giới thiệu 1 · đã học lớp 1 · đang làm hồ sơ 2 · đã kết nạp 0"), text
    assert lines[2:] == [
        "• Chi bộ thôn Bản Pắt: mới giới thiệu 1 · đã học lớp 0 · đang làm hồ sơ 2 · đã kết nạp 0",
        "• Chi bộ thôn Khe Tiền: mới giới thiệu 0 · đã học lớp 1 · đang làm hồ sơ 0 · đã kết nạp 0",
    ]
    assert "Lò Thị Mai" not in text  # counts, not names

    # The province, in English: the district, then drill down to Lục Hồn.
    calls = await driver.send(SUP_QN, "/candidates")
    assert "identified 1 · course 1 · dossier 2 · admitted 0" in texts(calls)
    calls = await driver.tap(SUP_QN, calls, "Huyện ủy Bình Liêu")
    assert "• Đảng bộ xã Lục Hồn: identified 1 · course 1 · dossier 2" in texts(calls)
    assert "Đồng Tâm" not in texts(calls)  # no candidates there: no line
    calls = await driver.tap(SUP_QN, calls, "Đảng bộ xã Lục Hồn")
    assert "Candidates for admission — Đảng bộ xã Lục Hồn" in texts(calls)

    # Đồng Tâm's supervisor: nothing of Lục Hồn, not even by a forged button.
    text = texts(await driver.send(SUP_DT, "/candidates"))
    assert "Đồng Tâm" in text and "Chưa có quần chúng ưu tú nào" in text
    assert "Bản Pắt" not in text and "đang làm hồ sơ 0" in text
    calls = await driver.press(SUP_DT, f"sv:cdu:{org.grassroots['LH']}")
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert "Lục Hồn" not in texts(calls)
    calls = await driver.press(SUP_DT, f"cd:{org.cells['C01']}:l")
    assert [c.method for c in calls] == ["answerCallbackQuery"]
