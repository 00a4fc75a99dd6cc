"""One synthetic cell's meetings: its habits over the years and the answers record of each
month's meeting, as a secretary would have submitted it (the province seed and the small
demo's year of history both use them)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from domain.checkin_schema import RESOLUTION_IMPL, Absence, CheckinAnswers, DuesStatus, MeetingType
from storage.models import MemberStatus

ACTIVE = (MemberStatus.OFFICIAL.value, MemberStatus.PROBATIONARY.value)

POLITICAL_TASKS = [
    "Triển khai nghị quyết của cấp ủy cấp trên",
    "Vệ sinh môi trường, xây dựng nông thôn mới",
    "Phòng chống thiên tai, mưa bão",
    "An ninh trật tự khu dân cư",
    "Thu đảng phí và quỹ khuyến học",
    "Chuyển đổi số, dịch vụ công trực tuyến",
    "Bảo đảm an toàn lao động trong hầm lò",
    "Tuyên truyền bầu cử, lấy ý kiến nhân dân",
]
THEMATIC_TOPICS = [
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Nâng cao chất lượng sinh hoạt chi bộ",
    "Phát triển đảng viên mới",
    "Phòng, chống tham nhũng, tiêu cực",
    "Xây dựng chi bộ 4 tốt",
]
NOT_HELD_REASONS = ["Mưa bão", "Trùng lịch công tác", "Dời sang tháng sau", "Dịch bệnh"]
START_TIMES = ["07:30", "08:00", "08:00", "14:00", "19:30"]


@dataclass(frozen=True)
class CellHabits:
    """How a cell behaves over the years: most are diligent, a few are weak."""

    reliability: float  # chance a month's check-in exists
    attendance: float  # mean share of active members present
    diligence: float  # chance each good-practice box is ticked
    thematic: str  # separate | combined | rare
    meeting_day: int
    unexcused_share: float
    chronic_absentee: bool

    @staticmethod
    def draw(rng: random.Random) -> CellHabits:
        roll = rng.random()
        if roll < 0.62:
            reliability, attendance, diligence = 0.995, rng.uniform(0.91, 0.99), 0.95
        elif roll < 0.87:
            reliability, attendance, diligence = 0.93, rng.uniform(0.85, 0.93), 0.82
        elif roll < 0.97:
            reliability, attendance, diligence = 0.75, rng.uniform(0.70, 0.84), 0.65
        else:
            reliability, attendance, diligence = 0.45, rng.uniform(0.55, 0.75), 0.5
        thematic = rng.choices(["separate", "combined", "rare"], [0.5, 0.32, 0.18])[0]
        return CellHabits(
            reliability=reliability,
            attendance=attendance,
            diligence=diligence,
            thematic=thematic,
            meeting_day=rng.randint(1, 25),
            unexcused_share=0.15 if attendance > 0.85 else 0.4,
            chronic_absentee=attendance < 0.85 and rng.random() < 0.7,
        )


@dataclass
class CellMember:
    id: int
    name: str
    status: str


def meeting_record(
    rng: random.Random,
    habits: CellHabits,
    roster: list[CellMember],
    month: dt.date,
    meeting_type: MeetingType,
) -> tuple[CheckinAnswers, list[tuple[int, Absence]]]:
    """The answers record of one held meeting, and its absences."""
    d = habits.diligence

    def tick() -> bool:
        return rng.random() < d

    active = [m for m in roster if m.status in ACTIVE]
    present_share = min(1.0, max(0.3, rng.gauss(habits.attendance, 0.04)))
    absences: list[tuple[int, Absence]] = []
    for i, member in enumerate(active):
        chance = 1 - present_share
        if habits.chronic_absentee and i == 0:
            chance = max(chance, 0.35)
        if rng.random() < chance:
            unexcused = rng.random() < habits.unexcused_share
            absences.append((member.id, "unexcused" if unexcused else "excused"))
    expected = len(active)
    present = expected - len(absences)
    day = min(28, max(1, habits.meeting_day + rng.randint(-2, 2)))
    combined = meeting_type == "combined"
    duration = rng.choice([120, 150, 180] if combined else [90, 90, 90, 100, 120, 60, 75])
    if tick():
        duration = max(duration, 120 if combined else 90)
    dues_roll = rng.random()
    dues_status: DuesStatus = (
        "all" if dues_roll < 0.8 + 0.15 * d else "some" if dues_roll < 0.985 else "none"
    )
    dues_paid = rng.randint(expected // 2, max(expected // 2, expected - 1))
    speakers = rng.randint(min(present, 2), max(min(present, 2), int(present * (0.3 + 0.5 * d))))
    commended = rng.choice([0, 0, 1, 1, 2, 3]) if tick() else 0
    criticised = rng.choice([0, 0, 0, 1]) if rng.random() < 0.5 else 0
    picks = rng.sample(active, min(len(active), commended + criticised))
    impl_weights = [d, (1 - d) * 0.6, (1 - d) * 0.3, (1 - d) * 0.1]
    answers = CheckinAnswers.model_construct(
        held=True,
        meeting_type=meeting_type,
        meeting_date=month.replace(day=day),
        start_time=rng.choice(START_TIMES),
        duration_min=duration,
        pre_meeting=tick(),
        content_prepared=tick(),
        draft_resolution=tick(),
        attendance_done=True,
        expected_ids=[m.id for m in active],
        absences=dict(absences),
        dues_status=dues_status,
        dues_paid=dues_paid if dues_status == "some" else None,
        main_tasks=rng.choice(POLITICAL_TASKS),
        current_affairs=tick(),
        ho_chi_minh=tick(),
        thematic_topic=rng.choice(THEMATIC_TOPICS) if meeting_type != "regular" else None,
        speakers=speakers,
        commended=sorted(m.id for m in picks[:commended]),
        criticised=sorted(m.id for m in picks[commended:]),
        lists_done=["commended", "criticised"],
        assessed=tick(),
        resolution_impl=rng.choices(RESOLUTION_IMPL, impl_weights)[0],
        resolution_adopted=tick(),
        resolution_text=None,
        minutes_complete=tick(),
        candidates=rng.choice([0] * 9 + [1, 2]),
        admitted=rng.choice([0] * 19 + [1]),
        discipline=rng.choice([0] * 60 + [1]),
        solidarity=rng.choice([0] * 40 + [1]),
    )
    return answers, absences


def not_held_record(rng: random.Random) -> CheckinAnswers:
    return CheckinAnswers.model_construct(held=False, not_held_reason=rng.choice(NOT_HELD_REASONS))
