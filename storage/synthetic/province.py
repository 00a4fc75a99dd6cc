"""`cellbot demo seed --scale province`: a synthetic Quảng Ninh-sized province for benchmarks.

The tree since July 2025 (storage/synthetic/province_tree.py): Tỉnh ủy → the 54 commune-level
committees with their real names and the bloc committees → grassroots organisations → cells;
by default 4,971 cells and ~104,700 members (rosters of 5–120), a secretary account per cell (a
deputy for some), supervisors at every committee, meeting schedules, months of SUBMITTED
check-ins with attendance marks, and yearly initiatives with a realistic coverage spread.
Same seed, same data.

Why it looks the way it does:
* Rows are generated cell by cell and written with SQLAlchemy Core ``insert()`` executemany
  in chunks (never ORM objects): about a million rows in a few minutes, in bounded memory.
* Ids are assigned here, from the table's current maximum, because a cell's materialised
  path and its check-ins' attendance marks need them before the rows exist; PostgreSQL
  sequences are moved past them at the end.
* Every code starts with ``ROOT_CODE``; seeding again when the root exists does nothing, and
  a database whose tree has another root (the small demo, a real import) is left alone: a
  database holds one tree.
* Telegram ids of synthetic accounts start at ``SYNTHETIC_TELEGRAM_BASE``, above any real
  Telegram user id, so they are recognisable (and undeliverable) if a bot runs on this data.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from domain.checkin_schema import SCHEMA_VERSION, Absence, CheckinAnswers, MeetingType
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
from storage.synthetic.meetings import (
    ACTIVE,
    START_TIMES,
    CellHabits,
    CellMember,
    meeting_record,
    not_held_record,
)
from storage.synthetic.names import person_name
from storage.synthetic.province_tree import (
    QUANG_NINH,
    ROOT_CODE,
    ProvinceShape,
    UnitPlan,
    plan_tree,
    split,
    walk,
)

__all__ = ["QUANG_NINH", "ROOT_CODE", "ProvinceReport", "ProvinceShape", "seed_province", "split"]
SYNTHETIC_TELEGRAM_BASE = 900_000_000_000
CHUNK = 2_000


@dataclass
class ProvinceReport:
    skipped: bool = False
    other_root: str | None = None  # skipped because the database holds this tree already
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
        if self.other_root is not None:
            return (
                f"this database holds the tree of {self.other_root}: nothing added (the "
                "province seed needs a database of its own)"
            )
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


# ---------------------------------------------------------------- initiatives

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


# ---------------------------------------------------------------- helpers


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
                "sort": plan.sort,
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
        self, cell_id: int, roster: list[CellMember], habits: CellHabits, secretary: int | None
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
                await self.checkin(cell_id, month, "regular", secretary, not_held_record(rng), [])
                continue
            is_thematic_month = (month.month - 1) % 3 == thematic_month[quarter]
            skip_thematic = habits.thematic == "rare" and rng.random() < 0.7
            combined = is_thematic_month and habits.thematic != "separate" and not skip_thematic
            meeting_type: MeetingType = "combined" if combined else "regular"
            answers, absences = meeting_record(rng, habits, roster, month, meeting_type)
            await self.checkin(cell_id, month, "regular", secretary, answers, absences)
            if is_thematic_month and habits.thematic == "separate":
                answers, absences = meeting_record(rng, habits, roster, month, "thematic")
                await self.checkin(cell_id, month, "thematic", secretary, answers, absences)

    async def checkin(
        self,
        cell_id: int,
        month: dt.date,
        slot: str,
        secretary: int | None,
        answers: CheckinAnswers,
        absences: list[tuple[int, Absence]],
    ) -> None:
        checkin_id = self.ids.take("checkins")
        day = answers.meeting_date or month.replace(day=28)
        submitted = _at(day + dt.timedelta(days=self.rng.randint(0, 6)), 12)
        # Last month's report is never submitted after "now" (the clock may be pinned).
        submitted = max(_at(day), min(submitted, clock.now()))
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


async def next_ids(session: AsyncSession) -> Ids:
    start = {}
    for name, table in Writer.TABLES.items():
        highest = await session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
        start[name] = int(highest or 0) + 1
    return Ids(start)


async def bump_sequences(session: AsyncSession) -> None:
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
    nothing when a unit with code ROOT_CODE already exists, or when another tree does.
    """
    started = time.perf_counter()
    roots = (await session.scalars(select(OrgUnit.code).where(OrgUnit.parent_id.is_(None)))).all()
    if ROOT_CODE in roots:
        return ProvinceReport(skipped=True)
    if roots:
        return ProvinceReport(skipped=True, other_root=sorted(roots)[0])
    history = history_months(months, end_month)
    rng = random.Random(seed)
    ids = await next_ids(session)
    root = plan_tree(shape, rng, (ids.take("org_units") for _ in itertools.count()))
    seeder = ProvinceSeeder(session, rng, ids, history, chunk)
    for unit in walk(root):
        await seeder.unit(unit)
    await seeder.writer.flush()  # every unit exists before anything points at it

    # Supervisors at every committee (not at a chi bộ cơ sở: its secretary runs it); the
    # meeting schedule is set by each grassroots committee for its cells.
    for unit in walk(root):
        if unit.kind in (UnitKind.PROVINCE, UnitKind.BLOC):
            await seeder.account(f"Ban Tổ chức {unit.name}", unit.id, Role.SUPERVISOR.value)
        elif unit.kind == UnitKind.GRASSROOTS:
            await seeder.account(f"Văn phòng {unit.name}", unit.id, Role.SUPERVISOR.value)
            await seeder.schedule(unit.id)

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
    await bump_sequences(session)
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
