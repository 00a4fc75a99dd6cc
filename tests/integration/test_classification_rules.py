"""Two 2025 rules on SQLite and PostgreSQL alike: no member absent with reason more than 3 times
in a row (12-HD/BTCTW), and the 20 % cap on "excellent" among those rated "hoàn thành tốt",
counted within groups of like units (366-QĐ/TW) — the README's worked example."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.render_scores import committee_text, report_text
from domain.framework import DEFAULT_FRAMEWORK_PATH, load_framework, parse_framework
from domain.periods import Period
from storage.db import SessionFactory
from storage.member_metrics import members_excused_in_a_row
from storage.metrics import compute_metrics
from storage.models import AttendanceMark, Checkin, Member, OrgUnit
from storage.score_service import score_tree

FW = load_framework()
FW_BY_COMMITTEE = parse_framework(
    DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8").replace(
        "group_by: [grassroots, sort]", "group_by: [grassroots]"
    )
)


async def _unit(
    session: AsyncSession, code: str, kind: str, parent: OrgUnit | None, sort: str | None = None
) -> OrgUnit:
    unit = OrgUnit(
        code=code, name=f"Chi bộ {code}", kind=kind, parent_id=parent and parent.id, sort=sort
    )
    unit.path = ""
    session.add(unit)
    await session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    await session.flush()
    return unit


def _meeting(cell: OrgUnit, month: int, **changes: Any) -> Checkin:
    values: dict[str, Any] = {
        "held": True,
        "meeting_type": "regular",
        "meeting_date": dt.date(2026, month, 5),
        "duration_min": 90,
        "pre_meeting": True,
        "content_prepared": True,
        "draft_resolution": True,
        "expected_count": 10,
        "present_count": 10,
        "absent_excused": 0,
        "absent_unexcused": 0,
        "dues_status": "all",
        "current_affairs": True,
        "ho_chi_minh": True,
        "speakers": 4,
        "commended": 1,
        "criticised": 0,
        "assessed": True,
        "resolution_impl": "full",
        "resolution_adopted": True,
        "minutes_complete": True,
        "candidates": 0,
        "admitted": 0,
        "discipline": 0,
        "solidarity": 0,
        "status": "submitted",
    }
    values.update(changes)
    return Checkin(cell_id=cell.id, month=dt.date(2026, month, 1), slot="regular", **values)


# ---------------------------------------------------------------- excused in a row


async def test_absent_with_reason_more_than_3_times_in_a_row(
    session_factory: SessionFactory,
) -> None:
    async with session_factory.begin() as s:
        province = await _unit(s, "QN", "province", None)
        commune = await _unit(s, "LH", "grassroots", province, "commune")
        cell = await _unit(s, "LH-01", "cell", commune, "village")
        names = ("Bốn", "Ba", "Xen", "Miễn")
        members = {n: Member(cell_id=cell.id, full_name=n) for n in names}
        members["Miễn"].status = "exempt"
        s.add_all(members.values())
        meetings = [_meeting(cell, m) for m in range(1, 7)]
        s.add_all(meetings)
        await s.flush()
        excused = {
            "Bốn": [1, 2, 3, 4],  # 4 in a row: loses the indicator
            "Ba": [1, 2, 3],  # 3 in a row: the rule allows it
            "Xen": [1, 2, 4, 5, 6],  # present in March: 2, then 3
            "Miễn": [1, 2, 3, 4, 5],  # exempt: does not count
        }
        s.add_all(
            AttendanceMark(
                checkin_id=meetings[month - 1].id, member_id=members[name].id, status="excused"
            )
            for name, months in excused.items()
            for month in months
        )
        # An unexcused absence ends a run of excused ones too.
        s.add(
            AttendanceMark(
                checkin_id=meetings[4].id, member_id=members["Ba"].id, status="unexcused"
            )
        )
        s.add(
            AttendanceMark(checkin_id=meetings[5].id, member_id=members["Ba"].id, status="excused")
        )

    as_of = dt.date(2026, 7, 10)
    async with session_factory() as s:
        unit = await s.get(OrgUnit, cell.id)
        assert unit is not None

        async def streaks(period: Period) -> int:
            metrics = await compute_metrics(s, unit, period, standards=FW.standards, as_of=as_of)
            return metrics[cell.id].excused_streak_members

        # March: nobody has been excused 4 times yet; April: "Bốn" has.
        assert await streaks(Period("month", 2026, 3)) == 0
        assert await streaks(Period("month", 2026, 4)) == 1
        assert await streaks(Period("quarter", 2026, 1)) == 0
        assert await streaks(Period("quarter", 2026, 2)) == 1
        assert await streaks(Period("year", 2026, 1)) == 1
        listed = await members_excused_in_a_row(
            s, unit, Period("year", 2026, 1), standards=FW.standards
        )
        assert [name for _, name in listed] == ["Bốn"]

        q1 = (await score_tree(s, FW, "LH-01", Period("quarter", 2026, 1), as_of=as_of)).cells[0]
        q2 = (await score_tree(s, FW, "LH-01", Period("quarter", 2026, 2), as_of=as_of)).cells[0]
        m9 = [r for r in q2.result.reasons if r.indicator == "M9"]
        assert [(r.value, r.lost) for r in m9] == [(1, 2.0)]
        assert not [r for r in q1.result.reasons if r.indicator == "M9"]


# ---------------------------------------------------------------- the 20 % cap

GOOD = {  # 100 − preparation and closing misses: a total in 70–89 ("hoàn thành tốt")
    "pre_meeting": False,
    "draft_resolution": False,
    "minutes_complete": False,
    "resolution_adopted": False,
    "assessed": False,
}


async def _committee(session_factory: SessionFactory) -> dict[str, int]:
    """One commune: 12 village cells proposed good and 5 proposed excellent (the README's
    example), and agency cells: 5 good, 1 excellent."""
    ids: dict[str, int] = {}
    async with session_factory.begin() as s:
        province = await _unit(s, "QN", "province", None)
        commune = await _unit(s, "LH", "grassroots", province, "commune")
        plan = [("V", "village", 12, 5), ("A", "agency", 5, 1)]
        for prefix, sort, good, excellent in plan:
            for i in range(good + excellent):
                code = f"{prefix}{i + 1:02d}"
                cell = await _unit(s, code, "cell", commune, sort)
                ids[code] = cell.id
                # Excellent ones differ a little so "lowest first" is well defined.
                facts = GOOD if i < good else {"speakers": 4 - (i - good) % 3}
                for month in (1, 2, 3):
                    combined = {"meeting_type": "combined", "duration_min": 120}
                    s.add(_meeting(cell, month, **facts, **(combined if month == 2 else {})))
    return ids


async def test_the_cap_worked_example(session_factory: SessionFactory) -> None:
    ids = await _committee(session_factory)
    quarter = Period("quarter", 2026, 1)
    as_of = dt.date(2026, 4, 15)
    async with session_factory() as s:
        report = await score_tree(s, FW, "LH", quarter, as_of=as_of)
        by_code = {c.cell.code: c for c in report.cells}
        bands = {code: c.result.band for code, c in by_code.items()}
        villages = [bands[f"V{i:02d}"] for i in range(1, 18)]
        assert villages.count("good") == 12 and villages.count("excellent") == 5
        [committee] = report.committees
        caps = {c.group: c for c in committee.result.caps}
        village, agency = caps["village"], caps["agency"]
        # 12 rated good, 5 proposed excellent: 20 % of 12 = 2.4 -> 2 may stand, 3 over.
        assert (village.base, village.actual, village.allowed, village.excess) == (12, 5, 2, 3)
        totals = {code: by_code[code].result.total for code in ("V13", "V14", "V15", "V16", "V17")}
        over = [code for code, cell_id in ids.items() if cell_id in village.over]
        lowest = sorted(totals, key=lambda code: (totals[code], -ids[code]))[:3]
        assert sorted(over) == sorted(lowest)
        assert [by_code[c].cap_flag for c in sorted(over)] == [True] * 3
        assert sum(c.cap_flag for c in report.cells) == 3
        # Agencies are a group of their own: 5 good, 1 excellent is within the cap.
        assert (agency.base, agency.actual, agency.allowed, agency.exceeded) == (5, 1, 1, False)

        text = committee_text(
            FW, committee, "vi", "quarter", {c.cell.id: c.cell.name for c in report.cells}
        )
        assert "vượt 3" in text and "tối đa 2" in text, text
        assert all(by_code[code].cell.name in text for code in over)
        assert "Đề xuất xếp loại" in report_text(FW, report, "vi")

        # A month is never classified nor capped.
        month = await score_tree(s, FW, "LH", Period("month", 2026, 2), as_of=as_of)
        assert month.committees[0].result.caps == []
        assert not any(c.cap_flag for c in month.cells)
        month_text = report_text(FW, month, "vi")
        assert "Đề xuất xếp loại" not in month_text and "Điểm tham khảo" in month_text

        # Counted over the whole committee instead (group_by: [grassroots]): 17 good and 6
        # proposed: 3 may stand (3 ≤ 20 % × (17 + 3)), 3 over.
        whole = await score_tree(s, FW_BY_COMMITTEE, "LH", quarter, as_of=as_of)
        [one] = whole.committees[0].result.caps
        assert (one.group, one.base, one.actual, one.allowed, one.excess) == (None, 17, 6, 3, 3)
