"""A cell with fewer than 9 official members has no chi ủy (HD 42-HD/BTCTW): the check-in asks
whether the secretary or deputy prepared, never whether the chi ủy met, and the meeting gets
the full preparation points when they did — through the real conversation, then the metrics
and the period score."""

from __future__ import annotations

from domain import clock
from domain.framework import load_framework
from domain.periods import Period
from storage.score_service import score_meeting_for_checkin, score_units
from tests.e2e.checkin_helpers import (
    Secretary,
    answer_chair,
    answer_documents,
    answer_next_tasks,
    answer_place,
    answer_proposals,
    answer_speakers,
    answer_vote,
    checkins_of,
)
from tests.factories import onboard, small_org
from tests.harness import Driver, TgUser, texts

SEC = TgUser(3101, "Hà", "Vi Thị", "en")


async def test_secretary_prepared_gets_full_preparation_points(driver: Driver) -> None:
    org = await small_org(driver.sessions, members_per_cell=5)
    await onboard(driver, SEC, "QN-BL-LH-C01", "secretary")
    s = Secretary(driver, SEC)
    await s.command("/checkin")
    await s.tap("Regular")
    await s.tap("Today")
    await s.tap("19:30")
    await s.tap("90 min")
    calls = await answer_place(s)
    asked = texts(calls)
    assert "fewer than 9 official members" in asked and "secretary or deputy" in asked, asked
    assert "executive committee (chi ủy) meet" not in asked
    await s.tap("Yes")  # the secretary prepared the content
    await s.tap("Yes")  # draft resolution
    await s.tap("All present")
    await answer_chair(s)
    await s.tap("From all")
    await s.type("Thu hoạch vụ mùa")
    await answer_next_tasks(s)
    await s.tap("Yes")  # current affairs
    await answer_documents(s)
    await s.tap("Yes")  # Hồ Chí Minh
    await answer_speakers(s, 2)  # 2 of 5
    await s.tap("Nobody")  # commended
    await s.tap("Nobody")  # criticised
    await s.tap("Yes")  # assessed
    await s.tap("Fully")
    await s.tap("Yes")  # resolution adopted
    await answer_vote(s)
    await s.tap("Yes")  # minutes complete
    await s.tap("None of these")
    await answer_proposals(s)
    text = texts(await s.tap("Submit"))
    assert "is submitted" in text, text

    [row] = await checkins_of(driver, org.cells["C01"])
    assert row.status == "submitted"
    assert (row.pre_meeting, row.content_prepared, row.draft_resolution) == (None, True, True)
    assert row.answers["official_members"] == 5
    fw = load_framework()
    async with driver.sessions() as session:
        meeting = await score_meeting_for_checkin(session, fw, row.id)
        assert meeting is not None
        preparation = next(sec for sec in meeting.sections if sec.code == "preparation")
        assert preparation.score == 15
        assert not [r for r in meeting.reasons if r.group == "preparation"]
        # The period: the chi ủy indicator is left out, not lost.
        [cell] = await score_units(
            session, fw, "QN-BL-LH-C01", Period.of("month", row.month), as_of=clock.today()
        )
        assert cell.metrics.pre_meeting_rate is None
        assert not [r for r in cell.result.reasons if r.indicator == "M5"]
        m5 = next(
            i
            for c in cell.result.criteria
            if c.code == "meetings"
            for i in c.indicators
            if i.code == "M5"
        )
        assert m5.earned is None
