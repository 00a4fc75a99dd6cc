"""Tasks carry over (issue 16): a meeting sets next month's tasks item by item, each with an
owner; next month's check-in reviews them one by one, the resolution-implementation
indicator follows from that review, the unfinished ones are carried over in one tap, and the
recommendations to the higher committee are saved — through the real conversation, on both
databases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from domain import clock
from domain.checkin_schema import CheckinAnswers, parse_answers, resolution_impl_of
from storage.models import AuditEntry, Checkin, MeetingTask, Member
from tests.e2e.checkin_helpers import (
    Secretary,
    answer_chair,
    answer_documents,
    answer_place,
    answer_speakers,
    answer_vote,
    checkins_of,
    last_keyboard,
)
from tests.factories import onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, texts

SEC = TgUser(3201, "Hà", "Vi Thị", "en")
TASKS = ("Thu hoạch chè vụ thu", "Sửa đường liên thôn", "Vận động tiêm chủng")


def this_month() -> dt.date:
    return clock.today().replace(day=1)


def last_month() -> dt.date:
    return (this_month() - dt.timedelta(days=1)).replace(day=1)


@dataclass
class Meeting:
    """How a walk answers the questions that vary between the tests."""

    absent: tuple[str, ...] = ()
    review: tuple[str, ...] = ()  # status buttons, one per task of last month, in order
    all_done: bool = False  # «✅ All done» at the first task instead
    messages: tuple[tuple[str, tuple[str | None, ...]], ...] = ((TASKS[0], (None,)),)
    carry: bool = False
    proposals: str | None = None
    # Last month's place, chair and thư ký tapped («As last month») instead of typed/picked.
    same_as_last: bool = False
    speakers: int = 5


async def walk(s: Secretary, m: Meeting) -> list[ApiCall]:
    """From the month's meeting picker to the review card, every answer given."""
    await s.tap("Regular")
    await s.tap("Today")
    await s.tap("19:30")
    await s.tap("90 min")
    if m.same_as_last:
        await s.tap("As last month")
    else:
        await answer_place(s)
    for _ in range(3):
        await s.tap("Yes")
    if m.absent:
        for name in m.absent:
            await s.tap(name)
        await s.tap("Done ▶")
        for _ in m.absent:
            await s.tap("With reason")
            await s.tap("Skip")
    else:
        await s.tap("All present")
    if m.same_as_last:
        await s.tap("As last month")  # the chair
        await s.tap("As last month")  # the thư ký
        await s.tap("Nobody attended")
    else:
        await answer_chair(s)
    await s.tap("From all")
    if m.all_done:
        await s.tap("All done")
    for status in m.review:
        await s.tap(status)
    await s.type("Thu hoạch xong vụ hè")
    for message, owners in m.messages:
        await s.type(message)
        for owner in owners:
            await s.tap(owner or "The whole cell")
    if m.carry:
        await s.tap("Carry over")
    elif m.all_done:  # nothing unfinished to carry
        assert not any("Carry over" in text for text, _ in last_keyboard(s.last))
    await s.tap("Done (")
    await s.tap("Yes")  # current affairs
    await answer_documents(s)
    await s.tap("Yes")  # Hồ Chí Minh
    await answer_speakers(s, m.speakers)
    await s.tap("Nobody")
    await s.tap("Nobody")
    await s.tap("Yes")  # assessed
    if not m.review and not m.all_done:
        await s.tap("Fully")
    await s.tap("Yes")  # resolution adopted
    await answer_vote(s)
    await s.tap("Yes")  # minutes complete
    await s.tap("None of these")
    if m.proposals is None:
        return await s.tap("No recommendations")
    return await s.type(m.proposals)


async def members(driver: Driver, cell_id: int) -> list[Member]:
    async with driver.sessions() as session:
        rows = await session.scalars(
            select(Member).where(Member.cell_id == cell_id).order_by(Member.id)
        )
        return list(rows)


async def tasks_of(driver: Driver, checkin_id: int) -> list[MeetingTask]:
    async with driver.sessions() as session:
        rows = await session.scalars(
            select(MeetingTask)
            .where(MeetingTask.checkin_id == checkin_id)
            .order_by(MeetingTask.seq)
        )
        return list(rows)


async def month_one(driver: Driver, s: Secretary, cell_id: int) -> tuple[Checkin, list[Member]]:
    """Last month's meeting sets three tasks: two typed in one message (one a line), owned
    by two members, and one for the whole cell."""
    people = await members(driver, cell_id)
    await s.press(f"ci:start:{cell_id}:{last_month():%Y-%m}")
    plan = Meeting(
        messages=(
            (f"- {TASKS[0]}\n\n2. {TASKS[1]}", (people[0].full_name, people[1].full_name)),
            (TASKS[2], (None,)),
        )
    )
    calls = await walk(s, plan)
    assert "All answered" in texts(calls)
    for task in TASKS:
        assert task in texts(calls)
    assert "is submitted" in texts(await s.tap("Submit"))
    [row] = [r for r in await checkins_of(driver, cell_id) if r.month == last_month()]
    assert row.status == "submitted"
    return row, people


async def test_a_month_sets_tasks_and_the_next_reviews_them_one_by_one(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    cell = org.cells["C01"]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    first, people = await month_one(driver, s, cell)
    rows = await tasks_of(driver, first.id)
    assert [(r.seq, r.text, r.owner_member_id, r.status) for r in rows] == [
        (0, TASKS[0], people[0].id, None),
        (1, TASKS[1], people[1].id, None),
        (2, TASKS[2], None, None),
    ]
    assert all(r.month == last_month() and r.cell_id == cell for r in rows)

    # Month two: the review asks each task in turn, with its owner; «All done» on the first.
    await s.command("/checkin")
    opening = ("Regular", "Today", "19:30", "90 min", "As last month", "Yes", "Yes", "Yes")
    for answer in (*opening, "All present", "As last month", "As last month"):
        await s.tap(answer)
    await s.tap("Nobody attended")
    calls = await s.tap("From all")
    asked = texts(calls)
    assert "(1/3)" in asked and TASKS[0] in asked and people[0].full_name in asked, asked
    assert any("All done" in text for text, _ in last_keyboard(calls))
    calls = await s.tap("Done")  # task 1: Hoàn thành
    assert "(2/3)" in texts(calls) and TASKS[1] in texts(calls)
    assert not any("All done" in text for text, _ in last_keyboard(calls))
    calls = await s.tap("Partly done")
    assert "(3/3)" in texts(calls) and "The whole cell" in texts(calls)
    calls = await s.tap("Not done")
    assert "Last month's results" in texts(calls)
    draft = await answers_of_month(driver, cell, this_month())
    assert draft.resolution_impl is None
    assert [draft.task_review[r.id] for r in rows] == ["done", "partly", "not"]

    # Next month's tasks: carry the two unfinished over, with their owners.
    await s.type("Thu hoạch xong vụ hè")
    calls = await s.type("Trồng rừng vụ thu")
    await s.tap(people[2].full_name)
    calls = await s.tap("Carry over 2 unfinished")
    shown = texts(calls)
    assert f"2. ↪ {TASKS[1]} — {people[1].full_name}" in shown, shown
    assert f"3. ↪ {TASKS[2]} — The whole cell" in shown, shown
    assert not any("Carry over" in text for text, _ in last_keyboard(calls))
    await s.tap("Done (3)")
    await s.tap("Yes")  # current affairs
    await answer_documents(s)
    await s.tap("Yes")  # Hồ Chí Minh
    await answer_speakers(s, 2)
    for answer in ("Nobody", "Nobody", "Yes", "Yes"):
        await s.tap(answer)
    await answer_vote(s)
    for answer in ("Yes", "None of these"):
        await s.tap(answer)
    calls = await s.type("Đề nghị huyện hỗ trợ kinh phí sửa nhà văn hóa")
    assert "All answered" in texts(calls)
    calls = await s.tap("Submit")
    # The meeting's score follows: "partly" earns half of the indicator's 6 points.
    lines = texts(calls).splitlines()
    assert any(
        line.startswith("• Last resolution carried out") and line.endswith("−3") for line in lines
    ), lines

    second = next(r for r in await checkins_of(driver, cell) if r.month == this_month())
    assert second.status == "submitted"
    assert second.resolution_impl == resolution_impl_of(["done", "partly", "not"]) == "partly"
    assert second.proposals == "Đề nghị huyện hỗ trợ kinh phí sửa nhà văn hóa"
    reviewed = await tasks_of(driver, first.id)
    assert [(r.status, r.reviewed_checkin_id) for r in reviewed] == [
        ("done", second.id),
        ("partly", second.id),
        ("not", second.id),
    ]
    new = await tasks_of(driver, second.id)
    assert [(r.text, r.owner_member_id, r.carried_from_id) for r in new] == [
        ("Trồng rừng vụ thu", people[2].id, None),
        (TASKS[1], people[1].id, rows[1].id),
        (TASKS[2], None, rows[2].id),
    ]


async def answers_of_month(driver: Driver, cell_id: int, month: dt.date) -> CheckinAnswers:
    row = next(r for r in await checkins_of(driver, cell_id) if r.month == month)
    return parse_answers(row.answers, row.schema_version)


async def test_all_done_in_one_tap_and_the_review_edited_after_submit(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    cell = org.cells["C01"]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    first, _people = await month_one(driver, s, cell)
    await s.command("/checkin")
    calls = await walk(s, Meeting(all_done=True))
    assert "All answered" in texts(calls)
    await s.tap("Submit")
    second = next(r for r in await checkins_of(driver, cell) if r.month == this_month())
    assert (second.status, second.resolution_impl, second.proposals) == ("submitted", "full", "")
    assert [r.status for r in await tasks_of(driver, first.id)] == ["done"] * 3

    # Edited after submit: the results section walks the three tasks again.
    await s.tap("Summary")
    calls = await s.tap("✏️ Results")
    assert "(1/3)" in texts(calls) and "Saved: Done" in texts(calls)
    calls = await s.type("xong cả")  # typing is no answer here
    assert "tap one of the buttons" in texts(calls) and "(1/3)" in texts(calls)
    calls = await s.tap("Not done")
    assert "(2/3)" in texts(calls)
    await s.tap("Done")
    calls = await s.tap("Done")
    assert "Was this month's resolution (conclusion) adopted?" in texts(calls)
    second = next(r for r in await checkins_of(driver, cell) if r.month == this_month())
    assert second.status == "submitted"
    assert second.resolution_impl == resolution_impl_of(["not", "done", "done"]) == "mostly"
    assert [r.status for r in await tasks_of(driver, first.id)] == ["not", "done", "done"]


async def test_a_task_edited_after_submit_is_audited(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    cell = org.cells["C01"]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    first, people = await month_one(driver, s, cell)
    before = await tasks_of(driver, first.id)
    await s.tap("Summary")
    await s.tap("✏️ Content")
    calls = await s.type("Thu hoạch xong vụ hè")  # the results, unchanged
    assert f"2. {TASKS[1]} — {people[1].full_name}" in texts(calls)
    calls = await s.tap("✖ 2")
    assert TASKS[1] not in texts(calls)
    calls = await s.type("Sửa cầu treo")
    assert "Who is responsible for «Sửa cầu treo»" in texts(calls)
    await s.tap(people[3].full_name)
    calls = await s.tap("Done (3)")
    assert "current affairs" in texts(calls)
    after = await tasks_of(driver, first.id)
    assert [(r.text, r.owner_member_id) for r in after] == [
        (TASKS[0], people[0].id),
        (TASKS[2], None),
        ("Sửa cầu treo", people[3].id),
    ]
    # Unchanged tasks keep their rows (next month's review refers to them by id).
    assert [after[0].id, after[1].id] == [before[0].id, before[2].id]
    [row] = [r for r in await checkins_of(driver, cell) if r.month == last_month()]
    assert row.status == "submitted"
    async with driver.sessions() as session:
        edits = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity == "checkin",
                    AuditEntry.entity_id == row.id,
                    AuditEntry.action == "edit",
                )
            )
        )
    changed = [e for e in edits if e.after and "next_tasks" in e.after]
    assert changed and all(e.actor_account_id for e in changed)
    assert any(
        any(t["text"] == TASKS[1] for t in (e.before or {}).get("next_tasks") or [])
        for e in changed
    )
    assert any(
        {"text": "Sửa cầu treo", "owner_id": people[3].id, "carried_from": None}
        in (e.after.get("next_tasks") or [])
        for e in changed
        if e.after
    )


async def test_bad_task_input_keeps_the_question_and_a_restart_resumes_it(
    driver: Driver, db_url: str
) -> None:
    from tests.harness import make_settings, start_driver, stop_driver

    org = await small_org(driver.sessions)
    cell = org.cells["C01"]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Regular")
    await s.tap("Today")
    await s.tap("19:30")
    await s.tap("90 min")
    await answer_place(s)
    for answer in ("Yes", "Yes", "Yes", "All present"):
        await s.tap(answer)
    await answer_chair(s)
    await s.tap("From all")
    calls = await s.type("Thu hoạch xong vụ hè")
    assert "Type a task" in texts(calls)
    assert not any("Done" in text for text, _ in last_keyboard(calls))  # no task yet

    async def refused(text: str, expected: str) -> None:
        before = await answers_of_month(driver, cell, this_month())
        calls = await s.type(text)
        assert expected in texts(calls), texts(calls)
        assert "Next month's tasks" in texts(calls)
        assert await answers_of_month(driver, cell, this_month()) == before

    await refused("x" * 301, "A task is at most 300 characters")
    await refused(" -\n  \n•", "Type what the task is")
    await refused("\n".join(f"Việc {i}" for i in range(31)), "At most 30 tasks: only 30 more")
    await s.type("\n".join(f"Việc {i}" for i in range(30)))
    await refused("Việc thừa", "only 0 more")
    a = await answers_of_month(driver, cell, this_month())
    assert len(a.next_tasks or []) == 30 and a.next_tasks_unowned == 30
    await s.tap("The whole cell")
    stale = next(d for text, d in last_keyboard(s.last) if text == "The whole cell")
    await s.tap("The whole cell")
    calls = await s.press(stale)  # the same button again, from the older message
    assert "no longer active" in texts(calls)
    assert (await answers_of_month(driver, cell, this_month())).next_tasks_unowned == 28

    await stop_driver(driver)
    fresh = await start_driver(make_settings(db_url), driver.sessions)
    try:
        s2 = Secretary(fresh, SEC)
        calls = await s2.command("/checkin")
        assert "Who is responsible for «Việc 2»" in texts(calls), texts(calls)
        await s2.tap("The whole cell")
        a = await answers_of_month(fresh, cell, this_month())
        assert a.next_tasks_unowned == 27
        assert a.next_tasks is not None and a.next_tasks[2].owner_id is None
    finally:
        await stop_driver(fresh)
    await driver.app.initialize()  # the fixture stops `driver` again


async def test_taps_of_a_typical_meeting(driver: Driver) -> None:
    """20 members, 2 absent with a reason (no note), the place, chair and thư ký as last
    month, no guest, no documents, last month's 3 tasks reviewed one by one, 3 tasks set (one
    message each, an owner tapped for each), 5 speakers tapped, all for the resolution, no
    recommendations."""
    org = await small_org(driver.sessions)
    cell = org.cells["C01"]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    _first, people = await month_one(driver, s, cell)
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    plan = Meeting(
        absent=(people[5].full_name, people[6].full_name),
        review=("Done", "Partly done", "Not done"),
        messages=tuple((f"Nhiệm vụ {i}", (people[i].full_name,)) for i in range(3)),
        same_as_last=True,
    )
    calls = await walk(s, plan)
    assert "All answered" in texts(calls)
    assert "18/20" in texts(calls)
    await s.tap("Submit")
    row = next(r for r in await checkins_of(driver, cell) if r.month == this_month())
    assert (row.status, row.present_count, row.resolution_impl) == ("submitted", 18, "partly")
    print(
        f"TAPS for a 20-member check-in, 2 absent, 3 tasks reviewed, 3 set: {s.taps} taps, "
        f"{s.typed} typed messages"
    )
    assert (s.taps, s.typed) == (44, 4)
