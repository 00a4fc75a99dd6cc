"""The check-in conversation end to end: buttons, typed answers, not held, validation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from domain import clock
from storage.models import AttendanceMark, AuditEntry, Member, MemberDues
from tests.e2e.checkin_helpers import (
    PLACE,
    Secretary,
    answer_chair,
    answer_documents,
    answer_next_tasks,
    answer_place,
    answer_proposals,
    answer_speakers,
    answer_vote,
    answers_of,
    checkins_of,
    find,
    last_keyboard,
    member_buttons,
    tap_member,
)
from tests.factories import onboard, small_org
from tests.harness import Driver, TgUser, texts

SEC = TgUser(3001, "Hà", "Vi Thị", "en")
SEC_VI = TgUser(3002, "Nam", "Lục Văn", "vi")
OTHER = TgUser(3003, "Lan", "Hoàng Thị", "en")


def local_today() -> dt.date:

    return clock.today()


async def run_buttons_checkin(s: Secretary) -> None:
    """A typical regular meeting, everyone present, answered with as few taps as possible."""
    await s.command("/checkin")
    await s.tap("Regular")
    await s.tap("Today")
    await s.tap("19:30")
    await s.tap("90 min")
    await answer_place(s)
    for _ in range(3):  # pre-meeting, content prepared, draft resolution
        await s.tap("Yes")
    calls = await s.tap("All present")
    assert "20/20" in texts(calls) and "100%" in texts(calls)
    await answer_chair(s)
    await s.tap("From all")
    await s.type("Thu hoạch vụ mùa; phòng chống bão số 3")
    await answer_next_tasks(s)
    await s.tap("Yes")  # current affairs
    await answer_documents(s)
    await s.tap("Yes")  # Hồ Chí Minh
    await answer_speakers(s, 5)
    await s.tap("Nobody")  # commended
    await s.tap("Nobody")  # criticised
    await s.tap("Yes")  # assessed
    await s.tap("Fully")
    await s.tap("Yes")  # resolution adopted
    await answer_vote(s)
    await s.tap("Yes")  # minutes complete
    await s.tap("None of these")
    calls = await answer_proposals(s)
    assert "All answered" in texts(calls)


async def test_full_checkin_with_buttons_counts_taps(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await run_buttons_checkin(s)
    calls = await s.tap("Submit")
    text = texts(calls)
    assert "is submitted" in text
    assert s.taps < 40, s.taps
    print(f"TAPS for a 20-member check-in, all present: {s.taps}")
    rows = await checkins_of(driver, org.cells["C01"])
    assert len(rows) == 1
    row = rows[0]
    assert row.status == "submitted" and row.slot == "regular"
    assert row.month == local_today().replace(day=1)
    assert (row.held, row.meeting_type, row.duration_min) == (True, "regular", 90)
    assert (row.expected_count, row.present_count, row.absent_unexcused) == (20, 20, 0)
    assert (row.dues_status, row.dues_paid, row.speakers) == ("all", 20, 5)
    assert (row.commended, row.criticised, row.resolution_impl) == (0, 0, "full")
    assert (row.candidates, row.admitted, row.discipline, row.solidarity) == (0, 0, 0, 0)
    assert row.meeting_date == local_today()
    a = await answers_of(driver, org.cells["C01"])
    assert a.start_time == "19:30" and a.main_tasks.startswith("Thu hoạch")  # type: ignore[union-attr]


async def test_score_is_shown_after_submit(driver: Driver) -> None:
    await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await run_buttons_checkin(s)
    text = texts(await s.tap("Submit"))
    # The scoring engine's message: a score out of 100 and its band.
    assert "100" in text or "/100" in text, text


async def test_typed_answers_and_validation_keep_the_user_on_the_question(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Regular + thematic")
    today = local_today()

    async def refused(text: str, expected: str) -> None:
        before = await answers_of(driver, org.cells["C01"])
        calls = await s.type(text)
        assert expected in texts(calls), (text, texts(calls))
        assert await answers_of(driver, org.cells["C01"]) == before

    future = today + dt.timedelta(days=1)
    old = today - dt.timedelta(days=63)
    await refused(f"{future.day}/{future.month}/{future.year}", "cannot be in the future")
    await refused(f"{old.day}/{old.month}/{old.year}", "within the last 62 days")
    await refused("31/02/2026", "does not exist")
    await refused("hôm kia", "could not read that date")
    yesterday = today - dt.timedelta(days=1)
    calls = await s.type(f"{yesterday.day}/{yesterday.month}/{yesterday.year % 100}")
    assert "Start time" in texts(calls)
    await refused("25h", "could not read that time")
    calls = await s.type("7h30")
    assert "How long" in texts(calls)
    await refused("10", "from 15 to 600")
    await refused("601", "from 15 to 600")
    calls = await s.type("135")
    assert "Where" in texts(calls)
    await refused("x" * 201, "1 to 200 characters")
    calls = await s.type(PLACE)
    assert "executive committee" in texts(calls)
    await refused("yes", "tap one of the buttons")
    for _ in range(3):
        await s.tap("No")
    # Two absent, one without a reason.
    members = sorted(
        (m for m in await _members(driver, org.cells["C01"])), key=lambda m: m.full_name
    )
    await s.tap(members[0].full_name)
    calls = await s.tap(members[1].full_name)
    assert "18/20" in texts(calls) and "90%" in texts(calls)
    await s.tap("Done")
    await s.tap("With reason")
    await refused("y" * 101, "1 to 100 characters")
    await s.type("Đi công tác")
    await s.tap("Without reason")
    await s.tap("Skip")
    # The chair and the thư ký: only members present are offered.
    offered = [name for name, _id in member_buttons(s, "chair")]
    assert not any(members[0].full_name in name for name in offered), offered
    await tap_member(s, "chair", members[2].full_name)
    await tap_member(s, "clerk", members[3].full_name)
    await s.type("Đồng chí Hoàng Văn Tư, Phó Bí thư Đảng ủy xã")
    await s.tap("From some")
    await refused("15", "tap one of the buttons")
    for member in members[:5]:  # the five who have not paid
        await s.tap(member.full_name)
    await s.tap("Done (5)")
    await refused("x" * 1001, "1 to 1000 characters")
    await s.type("Chuyển đổi số; bảo vệ rừng <b>mùa khô</b>")
    await answer_next_tasks(s)
    await s.tap("No")
    await s.type("Chỉ thị 35-CT/TW\nNghị quyết 57-NQ/TW")  # documents conveyed
    await s.tap("No")
    calls = await s.type("Học tập chuyên đề năm 2026")  # thematic topic (combined meeting)
    speakers = [name for name, _id in member_buttons(s, "speakers")]
    assert len(speakers) == 18, speakers  # those present
    for member in members[2:6]:
        await s.tap(member.full_name)
    await s.tap("Done (4)")
    await s.tap(members[2].full_name)
    await s.tap("Done (1)")
    await s.tap("Nobody")
    await s.tap("No")
    await s.tap("Partly")
    await s.type("Đẩy mạnh thu đảng phí")  # typed resolution text counts as adopted
    await refused("19 0", "more than the 18 members present")
    await refused("many", "two numbers")
    await s.type("17 1")
    await s.tap("No")
    await s.tap("Yes, enter numbers")
    for number in ("2", "1", "0"):
        await s.type(number)
    await refused("1000", "at most 999")  # not bound by the roster, but sane
    await s.type("1")
    calls = await answer_proposals(s, "Đề nghị hỗ trợ kinh phí")
    assert "All answered" in texts(calls)
    assert "&lt;b&gt;mùa khô&lt;/b&gt;" in texts(calls)  # user text is escaped
    assert "Đi công tác" in texts(calls) and "17 for, 1 against" in texts(calls)
    await s.tap("Submit")
    row = (await checkins_of(driver, org.cells["C01"]))[0]
    assert (row.meeting_type, row.meeting_date, row.duration_min) == ("combined", yesterday, 135)
    assert (row.present_count, row.absent_excused, row.absent_unexcused) == (18, 1, 1)
    assert (row.dues_status, row.dues_paid, row.speakers, row.commended) == ("some", 15, 4, 1)
    assert (row.resolution_impl, row.resolution_adopted) == ("partly", True)
    assert (row.candidates, row.admitted, row.discipline, row.solidarity) == (2, 1, 0, 1)
    a = await answers_of(driver, org.cells["C01"])
    assert (a.place, a.chair_id, a.clerk_id) == (PLACE, members[2].id, members[3].id)
    assert a.guest is not None and a.guest.startswith("Đồng chí Hoàng Văn Tư")
    assert a.absence_notes == {members[0].id: "Đi công tác", members[1].id: ""}
    assert a.documents == "Chỉ thị 35-CT/TW\nNghị quyết 57-NQ/TW"
    assert a.speaker_ids == sorted(m.id for m in members[2:6])
    assert (a.vote_for, a.vote_against) == (17, 1)
    async with driver.sessions() as session:
        marks = (await session.scalars(select(AttendanceMark))).all()
        dues = {d.member_id: d.paid for d in await session.scalars(select(MemberDues))}
    assert sorted((m.member_id, m.status) for m in marks) == [
        (members[0].id, "excused"),
        (members[1].id, "unexcused"),
    ]
    # Every expected member has a row: the five tapped did not pay, the others did.
    assert dues == {m.id: m not in members[:5] for m in members}


async def _members(driver: Driver, cell_id: int) -> list[Member]:
    async with driver.sessions() as session:
        return list(await session.scalars(select(Member).where(Member.cell_id == cell_id)))


async def test_not_held_is_a_valid_answer(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Not held")
    calls = await s.type("Mưa lũ, đường bị chia cắt")
    assert "All answered" in texts(calls)
    calls = await s.tap("Submit")
    assert "is submitted" in texts(calls)
    # No minutes for a meeting not held: no file, and no "sending a file…" either.
    assert not {"sendDocument", "sendChatAction"} & {c.method for c in calls}, calls
    row = (await checkins_of(driver, org.cells["C01"]))[0]
    assert (row.status, row.held, row.slot, row.meeting_type) == (
        "submitted",
        False,
        "regular",
        None,
    )
    a = await answers_of(driver, org.cells["C01"])
    assert a.not_held_reason == "Mưa lũ, đường bị chia cắt"


async def test_not_held_by_button_then_changed_to_held_in_review(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Not held")
    await s.tap("Postponed")
    await s.tap("✏️ Meeting")
    calls = await s.tap("Regular")
    assert "Date of the meeting" in texts(calls)
    a = await answers_of(driver, org.cells["C01"])
    assert (a.held, a.meeting_type, a.not_held_reason) == (True, "regular", None)


async def test_typing_at_the_first_question_asks_it_again(driver: Driver) -> None:
    """Issue 12: text typed at "Buổi sinh hoạt nào?" (no draft exists yet) answered "Phiên
    làm việc đã hết" and left the check-in. It repeats the question with the hint instead,
    as every later question does, and the conversation goes on."""
    org = await small_org(driver.sessions)
    await onboard(driver, SEC_VI, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC_VI)
    first = await s.command("/checkin")
    assert "Buổi sinh hoạt nào?" in texts(first)
    this_month = f"{local_today():%m/%Y}"
    for typed in ("thường kỳ", "?"):  # twice: still in the conversation after the first
        calls = await s.type(typed)
        text = texts(calls)
        assert "Phiên làm việc đã hết" not in text, text
        assert "⚠️ Hãy bấm một trong các nút bên dưới." in text, text
        assert "Buổi sinh hoạt nào?" in text and this_month in text, text
        assert last_keyboard(calls) == last_keyboard(first)
        assert [c.method for c in calls] == ["sendMessage"]
    assert await checkins_of(driver, org.cells["C01"]) == []
    # The other month's picker is the question now: typing repeats that one.
    last_month = (local_today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    await s.tap("📅 Tháng")
    text = texts(await s.type("tháng trước"))
    assert "Buổi sinh hoạt nào?" in text and f"{last_month:%m/%Y}" in text, text
    assert "Hãy bấm một trong các nút bên dưới." in text
    # A tap on the repeated question works, and the typed answers after it too.
    calls = await s.tap("Thường kỳ")
    assert "Ngày sinh hoạt?" in texts(calls)
    rows = await checkins_of(driver, org.cells["C01"])
    assert [(r.slot, r.month, r.meeting_type) for r in rows] == [("regular", last_month, "regular")]
    calls = await s.type(f"{last_month.day}/{last_month.month}/{last_month.year}")
    assert "Giờ bắt đầu?" in texts(calls)
    assert (await answers_of(driver, org.cells["C01"])).meeting_date == last_month


async def test_stale_and_foreign_buttons_are_refused(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    await onboard(driver, OTHER, "QN-BL-LH-C02", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Regular")
    old_today = find(s.last, "Today")
    await s.tap("Today")
    before = await answers_of(driver, org.cells["C01"])
    current = find(s.last, "19:30")
    # The same button again (an old message): stale, nothing changes.
    calls = await s.press(old_today)
    assert "no longer active" in texts(calls)
    # Another cell's secretary forging this draft's current buttons.
    calls = await driver.press(OTHER, current)
    assert "no longer active" in texts(calls)
    for forged in (
        "ci:a:1:999:time:1930",
        "ci:a:x:y",
        "ci",
        "ci:new:999:2026-01:regular",
        f"ci:start:{org.cells['C02']}:{local_today():%Y-%m}",
        "ci:t:1:3:999999:0",
    ):
        calls = await s.press(forged)
        assert "no longer active" in texts(calls), forged
    assert await answers_of(driver, org.cells["C01"]) == before
    assert await checkins_of(driver, org.cells["C02"]) == []


async def test_resume_after_restart_and_cancel_keeps_the_draft(
    driver: Driver, session_factory: object, db_url: str
) -> None:
    from tests.harness import make_settings, start_driver, stop_driver

    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Regular")
    await s.tap("Today")
    await s.tap("19:00")
    assert "Stopped" in texts(await s.command("/cancel"))
    await stop_driver(driver)

    fresh = await start_driver(make_settings(db_url), driver.sessions)
    try:
        s2 = Secretary(fresh, SEC)
        calls = await s2.command("/checkin")
        text = texts(calls)
        assert "Continuing" in text and "How long" in text
        await s2.tap("120 min")
        a = await answers_of(fresh, org.cells["C01"])
        assert (a.start_time, a.duration_min) == ("19:00", 120)
        # A typed answer mid-conversation in the new app works too.
        await s2.type(PLACE)
        await stop_driver(fresh)
        fresh = await start_driver(make_settings(db_url), driver.sessions)
        s3 = Secretary(fresh, SEC)
        calls = await s3.command("/checkin")
        assert "meet beforehand" in texts(calls)
    finally:
        await stop_driver(fresh)
    # the conftest fixture stops `driver` again; make that harmless
    await driver.app.initialize()


async def test_edit_after_submit_is_audited_and_rewrites_attendance(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await run_buttons_checkin(s)
    await s.tap("Submit")
    await s.tap("Summary")
    await s.tap("✏️ Attendance")
    member = sorted(await _members(driver, org.cells["C01"]), key=lambda m: m.full_name)[3]
    await s.tap(member.full_name)
    calls = await s.tap("Done")
    assert "was absent" in texts(calls)
    await s.tap("Without reason")
    calls = await s.tap("Skip")  # the optional note
    assert "Report summary" in texts(calls) and "Submitted" in texts(calls)
    row = (await checkins_of(driver, org.cells["C01"]))[0]
    assert row.status == "submitted"
    assert (row.present_count, row.absent_unexcused) == (19, 1)
    async with driver.sessions() as session:
        marks = (await session.scalars(select(AttendanceMark))).all()
        edits = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity == "checkin", AuditEntry.action == "edit"
                )
            )
        ).all()
    assert [(m.member_id, m.status) for m in marks] == [(member.id, "unexcused")]
    assert edits and all(e.actor_account_id for e in edits)
    assert any(
        e.after and e.after.get("absences") == {str(member.id): "unexcused"} for e in edits
    ), [e.after for e in edits]


async def test_locked_period_refuses_edits(driver: Driver) -> None:
    from storage.models import PeriodLock

    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await run_buttons_checkin(s)
    await s.tap("Submit")
    summary = find(s.last, "Summary")
    async with driver.sessions.begin() as session:
        session.add(PeriodLock(unit_id=org.grassroots["LH"], period=f"{local_today():%Y-%m}"))
    calls = await s.press(summary)
    assert "locked" in texts(calls)
    assert not any("✏️" in b[0] for c in calls for b in c.buttons())
    edit = f"ci:e:{(await checkins_of(driver, org.cells['C01']))[0].id}:"
    row = (await checkins_of(driver, org.cells["C01"]))[0]
    calls = await s.press(f"{edit}{row.version}:prep")
    assert "locked" in texts(calls)
    calls = await s.press(f"ci:new:{org.cells['C01']}:{local_today():%Y-%m}:thematic")
    assert "locked" in texts(calls)
    assert len(await checkins_of(driver, org.cells["C01"])) == 1


async def test_discard_needs_confirmation(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Regular")
    await s.tap("Summary")
    await s.tap("Discard")
    calls = await s.tap("No")
    assert "Report summary" in texts(calls)
    await s.tap("Discard")
    calls = await s.tap("Delete")
    assert "Draft deleted" in texts(calls)
    assert await checkins_of(driver, org.cells["C01"]) == []


async def test_reminder_button_opens_the_month_and_thematic_is_separate(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    last = (local_today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    calls = await s.press(f"ci:start:{org.cells['C01']}:{last:%Y-%m}")
    assert f"{last:%m/%Y}" in texts(calls)
    calls = await s.tap("Thematic")
    assert "Date of the meeting" in texts(calls)
    rows = await checkins_of(driver, org.cells["C01"])
    assert [(r.slot, r.month, r.meeting_type) for r in rows] == [("thematic", last, "thematic")]
