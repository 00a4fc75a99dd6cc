"""`cellbot demo seed --scale province`: a synthetic Quảng Ninh-sized province for benchmarks.

20 district-level committees, 696 grassroots committees, 4,971 cells, ~104,700 members
(rosters of 5–120), a secretary account per cell (a deputy for some), supervisors at every
level, meeting schedules, months of SUBMITTED check-ins with attendance marks, and yearly
initiatives with a realistic coverage spread. Same seed, same data.

Why it looks the way it does:
* Rows are generated cell by cell and written with SQLAlchemy Core ``insert()`` executemany
  in chunks (never ORM objects): about a million rows in a few minutes, in bounded memory.
* Ids are assigned here, from the table's current maximum, because a cell's materialised
  path and its check-ins' attendance marks need them before the rows exist; PostgreSQL
  sequences are moved past them at the end.
* Every code starts with ``ROOT_CODE``, so the province lives next to the small demo tree;
  seeding again when the root exists does nothing.
* Telegram ids of synthetic accounts start at ``SYNTHETIC_TELEGRAM_BASE``, above any real
  Telegram user id, so they are recognisable (and undeliverable) if a bot runs on this data.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from domain.checkin_schema import (
    RESOLUTION_IMPL,
    SCHEMA_VERSION,
    Absence,
    CheckinAnswers,
    DuesStatus,
    MeetingType,
)
from domain.periods import add_months, month_start
from storage import audit
from storage.initiatives import InitiativeKind, InitiativeStatus
from storage.models import (
    Account,
    AttendanceMark,
    Checkin,
    CheckinStatus,
    Initiative,
    MeetingSchedule,
    Member,
    MemberStatus,
    OrgUnit,
    Role,
    RoleGrant,
    UnitKind,
)
from storage.synthetic.names import VILLAGES, person_name

ROOT_CODE = "QNP"
SYNTHETIC_TELEGRAM_BASE = 900_000_000_000
CHUNK = 2_000
ACTIVE = (MemberStatus.OFFICIAL.value, MemberStatus.PROBATIONARY.value)


@dataclass(frozen=True)
class ProvinceShape:
    """How big the synthetic province is; the default is Quảng Ninh's real size."""

    districts: int = 20
    grassroots: int = 696
    cells: int = 4_971
    members: int = 104_700
    roster_min: int = 5
    roster_max: int = 120

    def __post_init__(self) -> None:
        if not 0 < self.districts <= self.grassroots <= self.cells:
            raise ValueError("need 0 < districts <= grassroots <= cells")
        if not self.cells * self.roster_min <= self.members <= self.cells * self.roster_max:
            raise ValueError("members must fit rosters of roster_min..roster_max per cell")


QUANG_NINH = ProvinceShape()


@dataclass
class ProvinceReport:
    skipped: bool = False
    units: int = 0
    members: int = 0
    accounts: int = 0
    grants: int = 0
    schedules: int = 0
    checkins: int = 0
    attendance_marks: int = 0
    initiatives: int = 0
    first_month: dt.date | None = None
    last_month: dt.date | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        if self.skipped:
            return f"province {ROOT_CODE} already exists: nothing added"
        return (
            f"province {ROOT_CODE}: {self.units} units, {self.members} members, "
            f"{self.accounts} accounts ({self.grants} role grants), {self.schedules} meeting "
            f"schedules, {self.checkins} check-ins "
            f"{self.first_month:%Y-%m}..{self.last_month:%Y-%m} "
            f"with {self.attendance_marks} absences, {self.initiatives} initiatives "
            f"in {self.seconds:.0f} s"
        )


# ---------------------------------------------------------------- names

# Quảng Ninh's district-level party committees: localities first, then the provincial blocs.
DISTRICTS: list[tuple[str, str]] = [
    ("Thành ủy Hạ Long", "town"),
    ("Thành ủy Cẩm Phả", "town"),
    ("Thành ủy Uông Bí", "town"),
    ("Thành ủy Móng Cái", "town"),
    ("Thị ủy Đông Triều", "town"),
    ("Thị ủy Quảng Yên", "town"),
    ("Huyện ủy Vân Đồn", "rural"),
    ("Huyện ủy Tiên Yên", "rural"),
    ("Huyện ủy Đầm Hà", "rural"),
    ("Huyện ủy Hải Hà", "rural"),
    ("Huyện ủy Bình Liêu", "rural"),
    ("Huyện ủy Ba Chẽ", "rural"),
    ("Huyện ủy Cô Tô", "rural"),
    ("Đảng ủy Khối các cơ quan tỉnh", "agency"),
    ("Đảng ủy Khối doanh nghiệp tỉnh", "enterprise"),
    ("Đảng ủy Than Quảng Ninh", "enterprise"),
    ("Đảng ủy Tổng công ty Đông Bắc", "enterprise"),
    ("Đảng ủy Quân sự tỉnh", "force"),
    ("Đảng ủy Công an tỉnh", "force"),
    ("Đảng ủy Bộ đội Biên phòng tỉnh", "force"),
]
PLACES = [
    *VILLAGES,
    "Hồng Gai",
    "Bãi Cháy",
    "Hà Khánh",
    "Cao Xanh",
    "Hoành Bồ",
    "Quang Hanh",
    "Cửa Ông",
    "Vàng Danh",
    "Bắc Sơn",
    "Trà Cổ",
    "Hải Yên",
    "Mạo Khê",
    "Tràng An",
    "Hà An",
    "Phong Cốc",
    "Đông Xá",
    "Quan Lạn",
    "Đồng Rui",
    "Quảng Hà",
    "Đường Hoa",
    "Lục Hồn",
    "Đồng Tâm",
    "Thanh Lâm",
    "Đạp Thanh",
    "Thanh Lân",
    "Yên Thọ",
    "Bình Dương",
    "Hồng Phong",
]
ENTERPRISES = [
    "Công ty Than Hà Lầm",
    "Công ty Than Mông Dương",
    "Công ty Than Vàng Danh",
    "Công ty Than Hạ Long",
    "Công ty Than Nam Mẫu",
    "Công ty Than Quang Hanh",
    "Công ty Tuyển than Cửa Ông",
    "Công ty Kho vận Đá Bạc",
    "Công ty Nhiệt điện Quảng Ninh",
    "Công ty Xi măng Hạ Long",
    "Công ty Cảng Quảng Ninh",
    "Công ty Than Thống Nhất",
]
AGENCIES = [
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Tài chính",
    "Sở Xây dựng",
    "Sở Nội vụ",
    "Sở Công Thương",
    "Sở Tư pháp",
    "Sở Du lịch",
    "Ban Quản lý vịnh Hạ Long",
    "Bệnh viện Đa khoa tỉnh",
    "Trường Đại học Hạ Long",
    "Đài Phát thanh và Truyền hình tỉnh",
]
WORKSHOPS = [
    "Phân xưởng Khai thác",
    "Phân xưởng Đào lò",
    "Phân xưởng Cơ điện",
    "Phân xưởng Vận tải",
    "Phòng Kỹ thuật công nghệ",
    "Phòng Kế hoạch",
    "Phòng Tổ chức lao động",
    "Phân xưởng Sàng tuyển",
]
OFFICES = [
    "Phòng Tổng hợp", "Phòng Nghiệp vụ", "Văn phòng", "Phòng Kế hoạch - Tài chính", "Khoa Nội",
]  # fmt: skip
FORCE_UNITS = ["Đồn Biên phòng", "Đại đội", "Tiểu đoàn", "Công an xã", "Phòng Tham mưu"]

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
PRODUCTIVE = (InitiativeKind.TECHNICAL_INNOVATION, InitiativeKind.RATIONALISATION)
K = InitiativeKind
INITIATIVE_KINDS: list[tuple[InitiativeKind, float, list[str]]] = [
    # (kind, weight, title stems)
    (K.UNCLE_HO_COMMITMENT, 0.42, [
        "Làm theo Bác: giúp đỡ hộ khó khăn", "Làm theo Bác: tiết kiệm, chống lãng phí",
        "Làm theo Bác: gương mẫu nơi cư trú",
    ]),
    (K.ENVIRONMENT_SECURITY, 0.18, [
        "Giữ gìn vệ sinh đường làng", "Trồng cây xanh khu dân cư", "Tự quản an ninh trật tự",
    ]),
    (K.TECHNICAL_INNOVATION, 0.12, [
        "Cải tiến máng cào vận tải than", "Ứng dụng giá khung di động", "Số hóa hồ sơ một cửa",
    ]),
    (K.RATIONALISATION, 0.09, [
        "Hợp lý hóa ca kíp sản xuất", "Tối ưu lịch bảo dưỡng thiết bị", "Rút gọn quy trình hồ sơ",
    ]),
    (K.ADMISSION_CANDIDATE, 0.12, [
        "Giới thiệu quần chúng ưu tú", "Bồi dưỡng đối tượng kết nạp Đảng",
    ]),
    (K.OTHER, 0.07, ["Đăng ký rèn luyện thể thao", "Kèm cặp đoàn viên thanh niên"]),
]  # fmt: skip
START_TIMES = ["07:30", "08:00", "08:00", "14:00", "19:30"]


# ---------------------------------------------------------------- helpers


def split(
    total: int,
    parts: int,
    rng: random.Random,
    *,
    minimum: int = 1,
    maximum: int | None = None,
    sigma: float = 0.5,
    extremes: bool = False,
) -> list[int]:
    """`total` split into `parts` random sizes within [minimum, maximum], summing exactly.

    With `extremes`, the smallest size is pinned to `minimum` and the largest to `maximum`,
    so that both ends of the promised range occur.
    """
    weights = [rng.lognormvariate(0.0, sigma) for _ in range(parts)]
    spare = total - minimum * parts
    scale = spare / sum(weights)
    sizes = [minimum + int(w * scale) for w in weights]
    if maximum is not None:
        sizes = [min(s, maximum) for s in sizes]
    order = list(range(parts))
    if extremes and maximum is not None and parts >= 3:
        low = min(order, key=sizes.__getitem__)
        high = max(order, key=sizes.__getitem__)
        sizes[low], sizes[high] = minimum, maximum
        order = [i for i in order if i not in (low, high)]
    # Hand out (or take back) the remainder one at a time, in a seeded order.
    rng.shuffle(order)
    diff = total - sum(sizes)
    while diff:
        moved = False
        for i in order:
            if diff > 0 and (maximum is None or sizes[i] < maximum):
                sizes[i] += 1
                diff -= 1
                moved = True
            elif diff < 0 and sizes[i] > minimum:
                sizes[i] -= 1
                diff += 1
                moved = True
            if not diff:
                break
        if not moved:
            raise ValueError("sizes cannot fit the bounds")
    return sizes


def history_months(months: int, end_month: dt.date | None) -> list[dt.date]:
    """`months` month starts ending with `end_month` (default: the last completed month)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    end = month_start(end_month) if end_month else add_months(month_start(clock.today()), -1)
    return [add_months(end, -i) for i in range(months - 1, -1, -1)]


def _at(day: dt.date, hour: int = 3) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


class Ids:
    """The next id of each table, starting after the rows already there."""

    def __init__(self, start: dict[str, int]) -> None:
        self._next = dict(start)

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


class Writer:
    """Buffers rows per table and writes them with executemany, parents before children."""

    ORDER = (
        "org_units",
        "accounts",
        "role_grants",
        "meeting_schedules",
        "members",
        "checkins",
        "attendance_marks",
        "initiatives",
    )
    TABLES: ClassVar[dict[str, Table]] = {
        model.__tablename__: cast(Table, model.__table__)
        for model in (
            OrgUnit,
            Account,
            RoleGrant,
            MeetingSchedule,
            Member,
            Checkin,
            AttendanceMark,
            Initiative,
        )
    }

    def __init__(self, session: AsyncSession, chunk: int) -> None:
        self.session = session
        self.chunk = chunk
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in self.ORDER}
        self.counts: dict[str, int] = dict.fromkeys(self.ORDER, 0)

    async def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)
        if len(self.rows[table]) >= self.chunk:
            await self.flush()

    async def flush(self) -> None:
        conn = await self.session.connection()
        for name in self.ORDER:
            rows = self.rows[name]
            if rows:
                await conn.execute(insert(self.TABLES[name]), rows)
                self.counts[name] += len(rows)
                self.rows[name] = []


# ---------------------------------------------------------------- the tree


@dataclass
class UnitPlan:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str
    flavour: str  # town | rural | agency | enterprise | force
    children: list[UnitPlan] = field(default_factory=list)


def _grassroots_name(flavour: str, index: int, rng: random.Random) -> str:
    if flavour == "town":
        return f"Đảng bộ phường {rng.choice(PLACES)}"
    if flavour == "rural":
        return f"Đảng bộ xã {rng.choice(PLACES)}"
    if flavour == "enterprise":
        return f"Đảng bộ {ENTERPRISES[index % len(ENTERPRISES)]}"
    if flavour == "agency":
        return f"Chi bộ - Đảng bộ {AGENCIES[index % len(AGENCIES)]}"
    return f"Đảng bộ {rng.choice(FORCE_UNITS)} {rng.choice(PLACES)}"


def _cell_name(flavour: str, index: int, rng: random.Random) -> str:
    if flavour == "town":
        return f"Chi bộ khu {index}"
    if flavour == "rural":
        return f"Chi bộ thôn {rng.choice(PLACES)}"
    if flavour == "enterprise":
        return f"Chi bộ {rng.choice(WORKSHOPS)} {index}"
    if flavour == "agency":
        return f"Chi bộ {rng.choice(OFFICES)} {index}"
    return f"Chi bộ {rng.choice(FORCE_UNITS)} {index}"


def plan_tree(shape: ProvinceShape, rng: random.Random, ids: Ids) -> UnitPlan:
    root_id = ids.take("org_units")
    root = UnitPlan(
        root_id,
        ROOT_CODE,
        "Tỉnh ủy Quảng Ninh",
        UnitKind.PROVINCE.value,
        None,
        f"/{root_id}/",
        "province",
    )
    grassroots_counts = split(shape.grassroots, shape.districts, rng, sigma=0.6)
    cell_counts = split(shape.cells, shape.grassroots, rng, minimum=1, maximum=60, sigma=0.55)
    g_index = 0
    for d, n_grassroots in enumerate(grassroots_counts, start=1):
        name, flavour = DISTRICTS[(d - 1) % len(DISTRICTS)]
        if d > len(DISTRICTS):
            name = f"{name} {d // len(DISTRICTS) + 1}"
        d_id = ids.take("org_units")
        district = UnitPlan(
            d_id,
            f"{ROOT_CODE}-D{d:02d}",
            name,
            UnitKind.DISTRICT.value,
            root.id,
            f"{root.path}{d_id}/",
            flavour,
        )
        root.children.append(district)
        for g in range(1, n_grassroots + 1):
            g_id = ids.take("org_units")
            grassroots = UnitPlan(
                g_id,
                f"{district.code}-G{g:03d}",
                _grassroots_name(flavour, g, rng),
                UnitKind.GRASSROOTS.value,
                district.id,
                f"{district.path}{g_id}/",
                flavour,
            )
            district.children.append(grassroots)
            for c in range(1, cell_counts[g_index] + 1):
                c_id = ids.take("org_units")
                grassroots.children.append(
                    UnitPlan(
                        c_id,
                        f"{grassroots.code}-C{c:02d}",
                        _cell_name(flavour, c, rng),
                        UnitKind.CELL.value,
                        grassroots.id,
                        f"{grassroots.path}{c_id}/",
                        flavour,
                    )
                )
            g_index += 1
    return root


def walk(unit: UnitPlan) -> Iterator[UnitPlan]:
    yield unit
    for child in unit.children:
        yield from walk(child)


# ---------------------------------------------------------------- one cell's history


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


def _meeting(
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


def _not_held(rng: random.Random) -> CheckinAnswers:
    return CheckinAnswers.model_construct(held=False, not_held_reason=rng.choice(NOT_HELD_REASONS))


class ProvinceSeeder:
    def __init__(
        self, session: AsyncSession, rng: random.Random, ids: Ids, months: list[dt.date], chunk: int
    ) -> None:
        self.rng = rng
        self.ids = ids
        self.months = months
        self.writer = Writer(session, chunk)
        self.stamp = _at(add_months(months[0], -1))
        self.next_telegram = SYNTHETIC_TELEGRAM_BASE

    async def unit(self, plan: UnitPlan) -> None:
        await self.writer.add(
            "org_units",
            {
                "id": plan.id,
                "code": plan.code,
                "name": plan.name,
                "kind": plan.kind,
                "parent_id": plan.parent_id,
                "path": plan.path,
                "created_at": self.stamp,
            },
        )

    async def account(self, name: str, unit_id: int, role: str) -> int:
        account_id = self.ids.take("accounts")
        self.next_telegram += 1
        await self.writer.add(
            "accounts",
            {
                "id": account_id,
                "telegram_id": self.next_telegram,
                "display_name": name,
                "language": "vi",
                "created_at": self.stamp,
            },
        )
        await self.writer.add(
            "role_grants",
            {
                "id": self.ids.take("role_grants"),
                "account_id": account_id,
                "unit_id": unit_id,
                "role": role,
                "created_at": self.stamp,
            },
        )
        return account_id

    async def schedule(self, unit_id: int) -> None:
        rng = self.rng
        by_day = rng.random() < 0.6
        await self.writer.add(
            "meeting_schedules",
            {
                "id": self.ids.take("meeting_schedules"),
                "unit_id": unit_id,
                "rule_kind": "day" if by_day else "weekday",
                "day": rng.choice([1, 3, 5, 5, 10, 15, 20, -1]) if by_day else None,
                "nth": None if by_day else rng.choice([1, 1, 2, 3, -1]),
                "weekday": None if by_day else rng.randint(0, 6),
                "start_time": rng.choice(START_TIMES),
                "timezone": None,
                "updated_by": None,
                "updated_at": self.stamp,
            },
        )

    async def cell(self, plan: UnitPlan, size: int) -> None:
        rng = self.rng
        roster: list[CellMember] = []
        for _ in range(size):
            roll = rng.random()
            status = (
                MemberStatus.PROBATIONARY
                if roll < 0.06
                else MemberStatus.EXEMPT
                if roll < 0.10
                else MemberStatus.LEFT
                if roll < 0.11
                else MemberStatus.OFFICIAL
            )
            member = CellMember(self.ids.take("members"), person_name(rng), status.value)
            roster.append(member)
            await self.writer.add(
                "members",
                {
                    "id": member.id,
                    "cell_id": plan.id,
                    "full_name": member.name,
                    "status": member.status,
                    "created_at": self.stamp,
                    "updated_at": self.stamp,
                },
            )
        secretary = await self.account(roster[0].name, plan.id, Role.SECRETARY.value)
        if rng.random() < 0.3 and size > 1:
            await self.account(roster[1].name, plan.id, Role.DEPUTY.value)
        if rng.random() < 0.1:
            await self.schedule(plan.id)
        habits = CellHabits.draw(rng)
        await self.history(plan.id, roster, habits, secretary)
        await self.initiatives(plan.id, roster, plan.flavour, secretary)

    async def history(
        self, cell_id: int, roster: list[CellMember], habits: CellHabits, secretary: int
    ) -> None:
        rng = self.rng
        thematic_month: dict[tuple[int, int], int] = {}
        for month in self.months:
            quarter = (month.year, (month.month - 1) // 3)
            if quarter not in thematic_month:
                thematic_month[quarter] = rng.randint(0, 2)
            if rng.random() > habits.reliability:
                continue  # never reported
            if rng.random() < 0.02:
                await self.checkin(cell_id, month, "regular", secretary, _not_held(rng), [])
                continue
            is_thematic_month = (month.month - 1) % 3 == thematic_month[quarter]
            skip_thematic = habits.thematic == "rare" and rng.random() < 0.7
            combined = is_thematic_month and habits.thematic != "separate" and not skip_thematic
            meeting_type: MeetingType = "combined" if combined else "regular"
            answers, absences = _meeting(rng, habits, roster, month, meeting_type)
            await self.checkin(cell_id, month, "regular", secretary, answers, absences)
            if is_thematic_month and habits.thematic == "separate":
                answers, absences = _meeting(rng, habits, roster, month, "thematic")
                await self.checkin(cell_id, month, "thematic", secretary, answers, absences)

    async def checkin(
        self,
        cell_id: int,
        month: dt.date,
        slot: str,
        secretary: int,
        answers: CheckinAnswers,
        absences: list[tuple[int, Absence]],
    ) -> None:
        checkin_id = self.ids.take("checkins")
        day = answers.meeting_date or month.replace(day=28)
        submitted = _at(day + dt.timedelta(days=self.rng.randint(0, 6)), 12)
        await self.writer.add(
            "checkins",
            {
                "id": checkin_id,
                "cell_id": cell_id,
                "month": month,
                "slot": slot,
                "status": CheckinStatus.SUBMITTED.value,
                "schema_version": SCHEMA_VERSION,
                "answers": answers.as_json(),
                "version": 1,
                "created_by": secretary,
                "updated_by": secretary,
                "created_at": _at(day),
                "updated_at": submitted,
                "submitted_at": submitted,
                "locked": False,
                "review_status": None,
                "review_comment": None,
                "reviewed_by": None,
                **answers.to_columns(),
            },
        )
        for member_id, status in absences:
            await self.writer.add(
                "attendance_marks",
                {
                    "id": self.ids.take("attendance_marks"),
                    "checkin_id": checkin_id,
                    "member_id": member_id,
                    "status": status,
                },
            )

    async def initiatives(
        self, cell_id: int, roster: list[CellMember], flavour: str, secretary: int
    ) -> None:
        rng = self.rng
        active = [m for m in roster if m.status in ACTIVE]
        last_year = self.months[-1].year
        for year in sorted({m.year for m in self.months}):
            roll = rng.random()
            coverage = (
                1.0
                if roll < 0.35
                else rng.uniform(0.8, 1.0)
                if roll < 0.7
                else rng.uniform(0.5, 0.8)
                if roll < 0.9
                else rng.uniform(0.05, 0.5)
            )
            covered = rng.sample(active, round(coverage * len(active)))
            group: str | None = None
            for n, member in enumerate(covered):
                if n % 6 == 0:  # a shared commitment for the next few members, sometimes
                    group = f"g{cell_id}-{year}-{n}" if rng.random() < 0.3 else None
                for _ in range(2 if rng.random() < 0.15 else 1):
                    await self.initiative(
                        cell_id,
                        member.id,
                        year,
                        flavour,
                        group,
                        ongoing=year == last_year,
                        secretary=secretary,
                    )

    async def initiative(
        self,
        cell_id: int,
        member_id: int,
        year: int,
        flavour: str,
        group: str | None,
        *,
        ongoing: bool,
        secretary: int,
    ) -> None:
        rng = self.rng
        weights = [
            w * (3 if flavour == "enterprise" and k in PRODUCTIVE else 1)
            for k, w, _ in INITIATIVE_KINDS
        ]
        kind, _, stems = rng.choices(INITIATIVE_KINDS, weights)[0]
        states = list(InitiativeStatus)
        odds = [0.3, 0.4, 0.27, 0.03] if ongoing else [0.04, 0.08, 0.83, 0.05]
        status = rng.choices(states, odds)[0]
        amount = None
        if kind in PRODUCTIVE:
            amount = rng.choice([5, 20, 50, 120, 500, 1_200, 33_000]) * 1_000_000
        registered = _at(dt.date(year, rng.randint(1, 3), rng.randint(1, 28)))
        done = status == "completed"
        completed_at = _at(dt.date(year, rng.randint(6, 12), rng.randint(1, 28))) if done else None
        await self.writer.add(
            "initiatives",
            {
                "id": self.ids.take("initiatives"),
                "cell_id": cell_id,
                "member_id": member_id,
                "group_key": group,
                "kind": kind.value,
                "title": rng.choice(stems),
                "description": None,
                "year": year,
                "expected_benefit": None,
                "expected_amount_vnd": amount,
                "target_date": dt.date(year, 12, 31),
                "status": status.value,
                "result": "Hoàn thành đúng đăng ký" if done else None,
                "realised_amount_vnd": int(amount * rng.uniform(0.5, 1.2))
                if done and amount
                else None,
                "attachment_file_id": None,
                "drop_reason": "Chuyển công tác" if status == "dropped" else None,
                "created_by": secretary,
                "created_at": registered,
                "updated_at": completed_at or registered,
                "completed_at": completed_at,
            },
        )


# ---------------------------------------------------------------- entry point


async def _next_ids(session: AsyncSession) -> Ids:
    start = {}
    for name, table in Writer.TABLES.items():
        highest = await session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
        start[name] = int(highest or 0) + 1
    return Ids(start)


async def _bump_sequences(session: AsyncSession) -> None:
    """Explicit ids do not advance PostgreSQL sequences: move each past its table's max."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name in Writer.TABLES:
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
        )


async def seed_province(
    session: AsyncSession,
    *,
    months: int = 36,
    seed: int = 2024,
    end_month: dt.date | None = None,
    shape: ProvinceShape = QUANG_NINH,
    chunk: int = CHUNK,
) -> ProvinceReport:
    """Write the synthetic province into `session`'s transaction (the caller commits).

    Deterministic for (`seed`, `months`, `end_month`, `shape`) on an empty database; does
    nothing when a unit with code ROOT_CODE already exists.
    """
    started = time.perf_counter()
    if await session.scalar(select(OrgUnit.id).where(OrgUnit.code == ROOT_CODE)) is not None:
        return ProvinceReport(skipped=True)
    history = history_months(months, end_month)
    rng = random.Random(seed)
    ids = await _next_ids(session)
    root = plan_tree(shape, rng, ids)
    seeder = ProvinceSeeder(session, rng, ids, history, chunk)
    for unit in walk(root):
        await seeder.unit(unit)
    await seeder.writer.flush()  # every unit exists before anything points at it

    await seeder.account("Ban Tổ chức Tỉnh ủy", root.id, Role.SUPERVISOR.value)
    for district in root.children:
        await seeder.account(f"Ban Tổ chức {district.name}", district.id, Role.SUPERVISOR.value)
        for grassroots in district.children:
            await seeder.account(
                f"Văn phòng {grassroots.name}", grassroots.id, Role.SUPERVISOR.value
            )
            await seeder.schedule(grassroots.id)

    cells = [u for u in walk(root) if u.kind == UnitKind.CELL.value]
    sizes = split(
        shape.members,
        len(cells),
        rng,
        minimum=shape.roster_min,
        maximum=shape.roster_max,
        sigma=0.6,
        extremes=True,
    )
    for cell, size in zip(cells, sizes, strict=True):
        await seeder.cell(cell, size)
    await seeder.writer.flush()
    await _bump_sequences(session)
    counts = seeder.writer.counts
    report = ProvinceReport(
        units=counts["org_units"],
        members=counts["members"],
        accounts=counts["accounts"],
        grants=counts["role_grants"],
        schedules=counts["meeting_schedules"],
        checkins=counts["checkins"],
        attendance_marks=counts["attendance_marks"],
        initiatives=counts["initiatives"],
        first_month=history[0],
        last_month=history[-1],
    )
    audit.record(
        session,
        actor_account_id=None,
        actor_label="demo seed --scale province",
        entity="org_unit",
        entity_id=root.id,
        action="seed_province",
        after={
            "seed": seed,
            "months": months,
            "first": history[0].isoformat(),
            "units": report.units,
            "members": report.members,
            "checkins": report.checkins,
        },
    )
    report.seconds = time.perf_counter() - started
    return report
