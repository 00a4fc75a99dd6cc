"""Pure reminder planning: offsets, quiet hours, expiry, month ends, DST, digests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from schedules.planner import (
    CHECKIN,
    DIGEST,
    MEETING_EVE,
    MEETING_SOON,
    OVERDUE_1,
    OVERDUE_2,
    PREMEETING,
    THEMATIC,
    CellFacts,
    Offsets,
    Planned,
    Recipient,
    UnitFacts,
    in_quiet_hours,
    out_of_quiet_hours,
    plan_cell,
    plan_digests,
    tomorrow_morning,
)
from schedules.rules import Override, Rule

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")
O = Offsets()  # noqa: E741
SEC = Recipient(11, 9001)
DEP = Recipient(12, 9002)


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0, tz: ZoneInfo = HCM) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=tz).astimezone(dt.UTC)


def cell(rule: Rule, **kw: object) -> CellFacts:
    values: dict[str, object] = {
        "cell_id": 4,
        "name": "Chi bộ <Bản Pắt>",
        "rule": rule,
        "recipients": (SEC,),
    }
    values.update(kw)
    return CellFacts(**values)  # type: ignore[arg-type]


def of_month(plans: list[Planned], month: str) -> dict[str, Planned]:
    return {p.kind: p for p in plans if p.payload.get("month") == month}


def test_default_offsets_for_an_evening_meeting() -> None:
    rule = Rule("day", dt.time(19, 30), HCM, day=5)
    now = at(2026, 2, 20)
    plans = of_month(plan_cell(cell(rule), now, O), "2026-03")
    due = {k: p.due_at for k, p in plans.items()}
    assert due[PREMEETING] == at(2026, 3, 2, 8)
    assert due[MEETING_EVE] == at(2026, 3, 4, 18)
    assert due[MEETING_SOON] == at(2026, 3, 5, 17, 30)
    # Start + 2 h is 21:30, inside quiet hours: moved to 07:00 next morning.
    assert due[CHECKIN] == at(2026, 3, 6, 7)
    assert due[OVERDUE_1] == at(2026, 3, 8, 8) and due[OVERDUE_2] == at(2026, 3, 12, 8)
    meeting = at(2026, 3, 5, 19, 30)
    assert all(plans[k].expires_at == meeting for k in (PREMEETING, MEETING_EVE, MEETING_SOON))
    assert plans[CHECKIN].expires_at == plans[OVERDUE_1].due_at
    assert plans[OVERDUE_1].expires_at == plans[OVERDUE_2].due_at
    # The cell name is user data: escaped for HTML; the check-in button carries cell and month.
    assert plans[PREMEETING].payload["values"]["cell"] == "Chi bộ &lt;Bản Pắt&gt;"
    assert ["reminders.btn_start", "ci:start:4:2026-03"] in plans[CHECKIN].payload["buttons"][0]
    assert any("rm:mv:4:2026-03" in b for row in plans[MEETING_EVE].payload["buttons"] for b in row)
    assert not any("rm:mv" in b[1] for row in plans[CHECKIN].payload["buttons"] for b in row)


def test_planning_twice_gives_the_same_rows_and_keys_are_unique() -> None:
    rule = Rule("weekday", dt.time(8), HCM, nth=1, weekday=0)
    facts = cell(rule, recipients=(SEC, DEP))
    now = at(2026, 1, 10, 9)
    first, second = plan_cell(facts, now, O), plan_cell(facts, now, O)
    assert first == second
    assert len({p.dedup_key for p in first}) == len(first)
    assert {p.chat_id for p in first} == {9001, 9002}


def test_meeting_on_the_first_reminds_in_the_previous_month() -> None:
    rule = Rule("day", dt.time(8), HCM, day=1)
    plans = of_month(plan_cell(cell(rule), at(2026, 2, 10), O), "2026-03")
    assert plans[PREMEETING].due_at == at(2026, 2, 26, 8)  # February 2026 has 28 days
    assert plans[MEETING_EVE].due_at == at(2026, 2, 28, 18)


def test_day_31_rule_in_february_and_april() -> None:
    rule = Rule("day", dt.time(14), HCM, day=31)
    plans = plan_cell(cell(rule), at(2026, 1, 31, 12), O)
    occurrences = sorted({p.occurrence for p in plans if p.kind == MEETING_SOON})
    assert at(2026, 2, 28, 14) in occurrences and at(2026, 3, 31, 14) in occurrences


def test_last_weekday_rule_across_a_month_end() -> None:
    rule = Rule("weekday", dt.time(8), HCM, nth=-1, weekday=5)  # last Saturday
    plans = of_month(plan_cell(cell(rule), at(2026, 1, 20), O), "2026-01")
    assert plans[MEETING_SOON].occurrence == at(2026, 1, 31, 8)
    assert plans[OVERDUE_2].due_at == at(2026, 2, 7, 8)  # into February


def test_early_meeting_reminder_that_quiet_hours_would_make_useless_is_not_planned() -> None:
    rule = Rule("day", dt.time(6, 30), HCM, day=10)
    now = at(2026, 3, 1)
    plans = of_month(plan_cell(cell(rule), now, O), "2026-03")
    soon = plans[MEETING_SOON]
    assert soon.due_at == at(2026, 3, 10, 7)  # 04:30 moved to 07:00 ...
    assert not soon.insertable(now, now + dt.timedelta(days=40))  # ... after the 06:30 start
    assert plans[MEETING_EVE].insertable(now, now + dt.timedelta(days=40))


def test_dst_zone_offsets() -> None:
    rule = Rule("weekday", dt.time(19), BERLIN, nth=-1, weekday=6)  # 29 March 2026: DST starts
    plans = of_month(plan_cell(cell(rule), at(2026, 3, 1, tz=BERLIN), O), "2026-03")
    assert plans[MEETING_EVE].due_at == dt.datetime(2026, 3, 28, 17, 0, tzinfo=dt.UTC)  # CET
    assert plans[MEETING_SOON].due_at == dt.datetime(2026, 3, 29, 15, 0, tzinfo=dt.UTC)  # CEST
    assert plans[CHECKIN].due_at == dt.datetime(2026, 3, 30, 5, 0, tzinfo=dt.UTC)  # 21:00 → 07:00
    assert plans[PREMEETING].payload["tz"] == "Europe/Berlin"


def test_submitted_cancelled_and_muted_months_plan_nothing_but_the_checkin_prompt_stays() -> None:
    rule = Rule("day", dt.time(9), HCM, day=15)
    now = at(2026, 3, 1)
    march, april = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
    plans = plan_cell(
        cell(
            rule,
            submitted_months=frozenset({march}),
            overrides=(Override(april, cancelled=True, reason="lũ"),),
            muted=frozenset({PREMEETING, MEETING_EVE, CHECKIN}),
        ),
        now,
        O,
    )
    months = {p.payload.get("month") for p in plans if p.kind != THEMATIC}
    assert "2026-03" not in months and "2026-04" not in months
    february = of_month(plans, "2026-02")  # the planning window starts a month back
    assert CHECKIN in february and PREMEETING not in february and MEETING_EVE not in february


def test_moved_meeting_gets_new_keys() -> None:
    rule = Rule("day", dt.time(9), HCM, day=15)
    now = at(2026, 3, 1)
    before = {p.dedup_key for p in plan_cell(cell(rule), now, O)}
    moved = Override(dt.date(2026, 3, 1), moved_to=at(2026, 3, 18, 14))
    after_plans = plan_cell(cell(rule, overrides=(moved,)), now, O)
    march = of_month(after_plans, "2026-03")
    assert march[MEETING_SOON].due_at == at(2026, 3, 18, 12)
    assert march[MEETING_SOON].dedup_key not in before


def test_thematic_reminder_in_the_last_month_of_a_quarter_unless_held() -> None:
    rule = Rule("day", dt.time(9), HCM, day=15)
    now = at(2026, 5, 20)
    plans = [p for p in plan_cell(cell(rule), now, O) if p.kind == THEMATIC]
    assert [(p.due_at, p.payload["quarter"]) for p in plans] == [(at(2026, 6, 1, 8), "2026-Q2")]
    assert plans[0].expires_at == at(2026, 7, 1)
    held = cell(rule, thematic_quarters=frozenset({"2026-Q2"}))
    assert not [p for p in plan_cell(held, now, O) if p.kind == THEMATIC]


def test_one_digest_per_unit_and_due_time() -> None:
    same = Rule("day", dt.time(9), HCM, day=10)
    other = Rule("day", dt.time(9), HCM, day=20)
    cells = [
        cell(same, cell_id=1),
        cell(same, cell_id=2),
        cell(other, cell_id=3),
        cell(same, cell_id=4, submitted_months=frozenset({dt.date(2026, 3, 1)})),
    ]
    unit = UnitFacts(100, "Đảng bộ xã", (Recipient(50, 8001), Recipient(51, 8002)))
    digests = [
        p for p in plan_digests(unit, cells, at(2026, 3, 1), O) if p.payload["month"] == "2026-03"
    ]
    assert all(p.kind == DIGEST for p in digests)
    by_due: dict[dt.datetime, list[Planned]] = {}
    for p in digests:
        by_due.setdefault(p.due_at, []).append(p)
    assert sorted(by_due) == [at(2026, 3, 17, 8), at(2026, 3, 27, 8)]
    assert [p.payload["digest_cells"] for p in by_due[at(2026, 3, 17, 8)]] == [[1, 2], [1, 2]]
    assert len({p.dedup_key for p in digests}) == 4


def test_quiet_hours_helpers() -> None:
    assert in_quiet_hours(at(2026, 3, 1, 21), HCM, 21, 7)
    assert in_quiet_hours(at(2026, 3, 1, 6, 59), HCM, 21, 7)
    assert not in_quiet_hours(at(2026, 3, 1, 7), HCM, 21, 7)
    assert out_of_quiet_hours(at(2026, 3, 1, 23), HCM, 21, 7) == at(2026, 3, 2, 7)
    assert out_of_quiet_hours(at(2026, 3, 1, 3), HCM, 21, 7) == at(2026, 3, 1, 7)
    # A window that does not wrap midnight, and "no quiet hours".
    assert out_of_quiet_hours(at(2026, 3, 1, 2), HCM, 0, 6) == at(2026, 3, 1, 6)
    assert out_of_quiet_hours(at(2026, 3, 1, 2), HCM, 0, 0) == at(2026, 3, 1, 2)
    assert tomorrow_morning(at(2026, 3, 31, 22), HCM, O) == at(2026, 4, 1, 8)
