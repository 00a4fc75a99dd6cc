"""The richer check-in of issue 16 part 1 and its member-by-name steps (issue 17): the dues
per member, the conversions and admissions applied on submit, the vote's default, last
month's place, chair and thư ký offered again, and the minutes written from them — through
the real conversation, on both databases."""

from __future__ import annotations

import io

from docx import Document
from sqlalchemy import select, update

from bot.docx_minutes import minutes_docx
from domain import clock
from domain.checkin_schema import CheckinAnswers
from storage.minutes_facts import read_facts
from storage.models import AuditEntry, Candidate, Checkin, Member, MemberDues
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
    checkins_of,
    last_keyboard,
    member_buttons,
    tap_member,
)
from tests.factories import onboard, small_org
from tests.harness import ApiCall, Driver, TgUser, texts

SEC = TgUser(3301, "Hà", "Vi Thị", "en")
CANDIDATE = "Lò Thị Mai"


async def roster(driver: Driver, cell_id: int) -> list[Member]:
    async with driver.sessions() as session:
        rows = await session.scalars(
            select(Member).where(Member.cell_id == cell_id).order_by(Member.id)
        )
        return list(rows)


async def walk(
    s: Secretary, *, unpaid: tuple[str, ...] = (), matters: bool = False, vote: str | None = None
) -> list[ApiCall]:
    """A regular meeting, everyone present: `unpaid` tapped as not having paid («From some»),
    or «From all»; `matters`: the first probationary member converted and the candidate
    admitted; `vote` typed, or «All for»."""
    await s.command("/checkin")
    for answer in ("Regular", "Today", "19:30", "90 min"):
        await s.tap(answer)
    await answer_place(s)
    for _ in range(3):
        await s.tap("Yes")
    await s.tap("All present")
    await answer_chair(s)
    if unpaid:
        calls = await s.tap("From some")
        assert "NOT paid" in texts(calls)
        for name in unpaid:
            await s.tap(name)
        await s.tap(f"Done ({len(unpaid)})")
    else:
        await s.tap("From all")
    await s.type("Thu hoạch vụ mùa")
    await answer_next_tasks(s)
    await s.tap("Yes")
    await answer_documents(s)
    await s.tap("Yes")
    await answer_speakers(s, 2)
    for answer in ("Nobody", "Nobody", "Yes", "Fully", "Yes"):
        await s.tap(answer)
    calls = s.last
    if vote is None:
        assert "All for (20)" in [text for text, _ in last_keyboard(calls)]
        await answer_vote(s)
    else:
        await s.type(vote)
    await s.tap("Yes")  # minutes complete
    calls = await s.tap("None of these")
    if matters:
        assert "make <b>official</b>" in texts(calls)
        await tap_member(s, "conversions")
        await s.tap("Done (1)")
        await s.tap(CANDIDATE)
        await s.tap("Done (1)")
    return await answer_proposals(s)


async def test_dues_from_some_writes_a_row_per_member(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    cell = org.cells["C01"]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    people = await roster(driver, cell)
    async with driver.sessions.begin() as session:  # amounts recorded for two members
        await session.execute(
            update(Member)
            .where(Member.id.in_([people[0].id, people[1].id]))
            .values(monthly_dues=30_000)
        )
    s = Secretary(driver, SEC)
    unpaid = (people[1].full_name, people[2].full_name)
    calls = await walk(s, unpaid=unpaid, vote="17 2")
    assert "All answered" in texts(calls)
    assert "18; not paid" in texts(calls) and "17 for, 2 against" in texts(calls)
    await s.tap("Submit")
    [row] = await checkins_of(driver, cell)
    assert (row.status, row.dues_status, row.dues_paid) == ("submitted", "some", 18)
    async with driver.sessions() as session:
        dues = {d.member_id: d for d in await session.scalars(select(MemberDues))}
    assert set(dues) == {p.id for p in people}
    assert {m for m, d in dues.items() if not d.paid} == {people[1].id, people[2].id}
    assert all(d.month == row.month and d.checkin_id == row.id for d in dues.values())
    # The amount of a member who paid, when set; none for who did not pay, or has none set.
    assert (dues[people[0].id].amount, dues[people[1].id].amount) == (30_000, None)
    assert dues[people[3].id].amount is None

    # Edited after submit: «From all» now; every row says paid.
    await s.tap("Summary")
    await s.tap("✏️ Dues")
    await s.tap("From all")
    async with driver.sessions() as session:
        paid = [d.paid for d in await session.scalars(select(MemberDues))]
    assert len(paid) == 20 and all(paid)


async def test_conversion_and_admission_apply_on_submit(driver: Driver) -> None:
    org = await small_org(driver.sessions)
    cell = org.cells["C01"]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    people = await roster(driver, cell)
    async with driver.sessions.begin() as session:
        await session.execute(
            update(Member)
            .where(Member.id.in_([people[4].id, people[5].id]))
            .values(status="probationary")
        )
        session.add(Candidate(cell_id=cell, full_name=CANDIDATE, stage="dossier"))
        session.add(Candidate(cell_id=cell, full_name="Vi Văn Chưa", stage="course"))
    s = Secretary(driver, SEC)
    calls = await walk(s, matters=True)
    assert "All answered" in texts(calls) and CANDIDATE in texts(calls)
    await s.tap("Submit")
    today = clock.today()
    async with driver.sessions() as session:
        converted = await session.get(Member, people[4].id)
        assert converted is not None
        assert (converted.status, converted.official_on) == ("official", today)
        other = await session.get(Member, people[5].id)
        assert other is not None and other.status == "probationary"
        candidate = (
            await session.scalars(select(Candidate).where(Candidate.full_name == CANDIDATE))
        ).one()
        assert candidate.stage == "admitted" and candidate.member_id is not None
        admitted = await session.get(Member, candidate.member_id)
        assert admitted is not None
        assert (admitted.full_name, admitted.status, admitted.admitted_on, admitted.cell_id) == (
            CANDIDATE,
            "probationary",
            today,
            cell,
        )
        actions = set(
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.entity == "member", AuditEntry.entity_id == people[4].id
                )
            )
        )
        assert "converted" in actions
        row = (await session.scalars(select(Checkin))).one()
        facts = await read_facts(session, row.id)
    assert facts is not None
    text = "\n".join(p.text for p in Document(io.BytesIO(minutes_docx(facts, "vi"))).paragraphs)
    assert f"Xét chuyển đảng chính thức cho đồng chí: {people[4].full_name}." in text, text
    assert f"Xét kết nạp vào Đảng: {CANDIDATE}." in text, text

    # An edit after submit that takes the conversion back undoes it; the admission stays.
    await s.tap("Summary")
    await s.tap("✏️ Members")
    await s.tap("None of these")
    await tap_member(s, "conversions", people[4].full_name)  # untick
    await s.tap("Done (0)")
    async with driver.sessions() as session:
        back = await session.get(Member, people[4].id)
        assert back is not None and (back.status, back.official_on) == ("probationary", None)
        assert (await session.get(Candidate, candidate.id)).member_id == admitted.id  # type: ignore[union-attr]


async def test_without_probationary_members_or_candidates_the_step_is_skipped(
    driver: Driver,
) -> None:
    org = await small_org(driver.sessions)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    calls = await walk(s)  # «None of these», then straight to the recommendations
    assert "All answered" in texts(calls)
    [row] = await checkins_of(driver, org.cells["C01"])
    a = CheckinAnswers.model_validate(row.answers)
    assert (a.probationary_ids, a.dossier, a.converted_ids) == ([], [], None)
    assert (a.vote_for, a.vote_against) == (20, 0)  # the default: all present for

    # The chair marked absent on an edit: the chair is asked again, the others stay.
    await s.tap("Submit")
    chair = next(p for p in await roster(driver, org.cells["C01"]) if p.id == a.chair_id)
    await s.tap("Summary")
    await s.tap("✏️ Attendance")
    await s.tap(chair.full_name)
    await s.tap("Done")
    await s.tap("With reason")
    calls = await s.tap("Skip")
    assert "chaired" in texts(calls)
    assert chair.full_name not in [name for name, _ in member_buttons(s, "chair")]
    await tap_member(s, "chair")
    [row] = await checkins_of(driver, org.cells["C01"])
    b = CheckinAnswers.model_validate(row.answers)
    assert b.chair_id not in (None, chair.id) and b.clerk_id == a.clerk_id
    assert row.status == "submitted"


async def test_next_month_offers_last_months_place_chair_and_clerk(driver: Driver) -> None:
    from tests.e2e.test_checkin_tasks import last_month

    org = await small_org(driver.sessions)
    cell = org.cells["C01"]
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.press(f"ci:start:{cell}:{last_month():%Y-%m}")
    # Last month's meeting: the place typed, chair and thư ký the 3rd and 4th names offered.
    for answer in ("Regular", "Today", "19:30", "90 min"):
        await s.tap(answer)
    await answer_place(s)
    for _ in range(3):
        await s.tap("Yes")
    await s.tap("All present")
    offered = member_buttons(s, "chair")
    chair, clerk = offered[2], offered[3]
    await answer_chair(s, chair[0], clerk[0])
    first = (await checkins_of(driver, cell))[0]
    a = CheckinAnswers.model_validate(first.answers)
    assert (a.place, a.chair_id, a.clerk_id) == (PLACE, chair[1], clerk[1])
    # Finish and submit it (the rest of the answers as the walk gives them).
    await s.command("/checkin")
    await s.tap("From all")
    await s.type("Thu hoạch vụ mùa")
    await answer_next_tasks(s)
    await s.tap("Yes")
    await answer_documents(s)
    await s.tap("Yes")
    await answer_speakers(s, 1)
    for answer in ("Nobody", "Nobody", "Yes", "Fully", "Yes"):
        await s.tap(answer)
    await answer_vote(s)
    await s.tap("Yes")
    await s.tap("None of these")
    await answer_proposals(s)
    assert "is submitted" in texts(await s.tap("Submit"))

    # This month: one tap each.
    await s.command("/checkin")
    for answer in ("Regular", "Today", "19:30", "90 min"):
        await s.tap(answer)
    assert f"As last month: {PLACE}" in next(t for t, _ in last_keyboard(s.last))
    await s.tap("As last month")
    for _ in range(3):
        await s.tap("Yes")
    calls = await s.tap("All present")
    assert f"As last month: {chair[0]}" in next(t for t, _ in last_keyboard(calls))
    await s.tap("As last month")
    calls = await s.tap("As last month")
    assert "higher committee" in texts(calls)
    second = next(r for r in await checkins_of(driver, cell) if r.id != first.id)
    b = CheckinAnswers.model_validate(second.answers)
    assert (b.place, b.chair_id, b.clerk_id) == (PLACE, chair[1], clerk[1])
