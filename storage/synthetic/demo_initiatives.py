"""Demo initiatives: a realistic spread of coverage over the demo cells (idempotent).

A few cells reach the 100 % target, most sit between 40 and 90 %, a few lag far behind;
village cells register mostly "following Uncle Hồ" commitments, environment and security
work and admission candidates, with some technical initiatives; the coal company's cell
registers the article's rotary tunnel crossing on seam 7, completed with a profit of 33
billion VND. Everything goes through storage.initiatives, so the demo data is audited like
real data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.initiatives import (
    InitiativeKind,
    InitiativeStatus,
    NewInitiative,
    change_status,
    register,
)
from storage.members import ACTIVE_STATUSES
from storage.models import Initiative, Member, OrgUnit, UnitKind, utcnow

DEMO_PREFIX = "QN-"  # the small demo's codes (the province seed's start with QNP-)
TUNNEL_CELL = "QN-THAN-HL-C01"  # the article's mining technology department
K = InitiativeKind
KIND_WEIGHTS = {
    K.UNCLE_HO_COMMITMENT: 34,
    K.ENVIRONMENT_SECURITY: 24,
    K.ADMISSION_CANDIDATE: 14,
    K.RATIONALISATION: 10,
    K.TECHNICAL_INNOVATION: 7,
    K.OTHER: 11,
}
TITLES = {
    K.UNCLE_HO_COMMITMENT: [
        "Gương mẫu nộp đảng phí đúng hạn, vận động gia đình chấp hành tốt chính sách",
        "Giúp đỡ 1 hộ nghèo trong thôn phát triển kinh tế",
        "Đọc và kể chuyện Bác Hồ tại buổi sinh hoạt chi bộ",
        "Không uống rượu bia khi tham gia giao thông, vận động bà con cùng thực hiện",
        "Tham gia hòa giải mâu thuẫn trong khu dân cư",
        "Trồng và chăm sóc 200 cây quế",
    ],
    K.ENVIRONMENT_SECURITY: [
        "Tổng vệ sinh đường thôn mỗi tháng một lần",
        "Tham gia tổ an ninh tự quản, tuần tra ban đêm",
        "Phân loại rác thải tại hộ gia đình",
        "Trồng hoa hai bên đường vào thôn",
        "Vận động bà con không đốt rơm rạ, phòng cháy rừng",
    ],
    K.ADMISSION_CANDIDATE: [
        "Giới thiệu 1 quần chúng ưu tú là đoàn viên thanh niên",
        "Bồi dưỡng, theo dõi quần chúng ưu tú để đề nghị kết nạp",
        "Giới thiệu 1 quần chúng là trưởng nhóm sản xuất",
    ],
    K.RATIONALISATION: [
        "Sắp xếp lại lịch trực ca của tổ",
        "Cải tiến cách ghi chép sổ sách thu chi của thôn",
        "Hợp lý hóa quy trình thu hoạch, sơ chế hồi",
    ],
    K.TECHNICAL_INNOVATION: [
        "Cải tiến máy tẽ ngô chạy điện cho tổ hợp tác",
        "Làm hệ thống tưới nhỏ giọt cho vườn quế",
        "Cải tiến lò sấy hồi tiết kiệm củi",
    ],
    K.OTHER: [
        "Vận động con em đến trường đúng độ tuổi",
        "Tham gia hiến đất mở rộng đường liên thôn",
        "Hướng dẫn bà con dùng dịch vụ công trực tuyến",
    ],
}
# The coal company's cell registers work of a mine, not of a village.
COAL_TITLES = {
    K.UNCLE_HO_COMMITMENT: [
        "Gương mẫu chấp hành nội quy an toàn lao động trong lò",
        "Tiết kiệm vật tư, chống lãng phí trong ca sản xuất",
    ],
    K.ENVIRONMENT_SECURITY: [
        "Giữ vệ sinh môi trường mặt bằng sân công nghiệp",
        "Tham gia tổ an ninh tự quản khu tập thể thợ mỏ",
    ],
    K.ADMISSION_CANDIDATE: [
        "Giới thiệu 1 quần chúng ưu tú là thợ lò giỏi",
        "Bồi dưỡng quần chúng ưu tú là kỹ sư trẻ để đề nghị kết nạp",
    ],
    K.RATIONALISATION: ["Hợp lý hóa lịch bảo dưỡng thiết bị đào lò", "Hợp lý hóa ca kíp sản xuất"],
    K.TECHNICAL_INNOVATION: [
        "Cải tiến máng cào vận tải than",
        "Ứng dụng giá khung di động trong lò chợ",
    ],
    K.OTHER: ["Kèm cặp thợ lò mới vào nghề", "Hướng dẫn công nhân dùng dịch vụ công trực tuyến"],
}
RESULTS = [
    "Đã hoàn thành đúng kế hoạch",
    "Hoàn thành, được thôn biểu dương",
    "Đã thực hiện xong, bà con đồng tình hưởng ứng",
]
TUNNEL = NewInitiative(
    kind=K.TECHNICAL_INNOVATION,
    title="Thi công lò xuyên vỉa bằng máy đào quay tại vỉa 7",
    description="Áp dụng máy đào quay thay khoan nổ mìn khi đào lò xuyên vỉa.",
    expected_benefit="Duy trì sản lượng 1,2 triệu tấn than/năm",
    expected_amount_vnd=30_000_000_000,
    year=0,  # set to the demo year
)


def _targets(cells: int, rng: random.Random) -> list[float]:
    """Coverage targets: ~1 in 8 cells at 100 %, ~1 in 8 low, the rest 40–90 %."""
    full = max(1, cells // 8)
    low = max(1, cells // 8)
    targets = [1.0] * full + [rng.uniform(0.05, 0.25) for _ in range(low)]
    targets += [rng.uniform(0.4, 0.9) for _ in range(cells - full - low)]
    rng.shuffle(targets)
    return targets[:cells]


def _kind(rng: random.Random) -> InitiativeKind:
    return rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]


def _done_at(year: int, now: dt.datetime, rng: random.Random) -> dt.datetime:
    start = dt.datetime(year, 1, 15, 3, tzinfo=dt.UTC)
    end = min(now, dt.datetime(year, 12, 31, tzinfo=dt.UTC))
    if end <= start:
        return now
    return start + (end - start) * rng.random()


async def seed_demo_initiatives(session: AsyncSession, rng_seed: int) -> int:
    """Initiatives for the demo cells this year; returns how many were added (0 on re-runs)."""
    cells = list(
        (
            await session.scalars(
                select(OrgUnit)
                .where(OrgUnit.kind == UnitKind.CELL.value, OrgUnit.code.startswith(DEMO_PREFIX))
                .order_by(OrgUnit.code)
            )
        ).all()
    )
    if not cells:
        return 0
    existing = await session.scalar(
        select(Initiative.id).where(Initiative.cell_id.in_([c.id for c in cells])).limit(1)
    )
    if existing is not None:
        return 0
    rng = random.Random(rng_seed * 7 + 5)
    now = utcnow()
    year = now.year
    added = 0
    tunnel_cell = next((c.id for c in cells if c.code == TUNNEL_CELL), cells[0].id)
    for cell, target in zip(cells, _targets(len(cells), rng), strict=True):
        members = list(
            (
                await session.scalars(
                    select(Member)
                    .where(Member.cell_id == cell.id, Member.status.in_(ACTIVE_STATUSES))
                    .order_by(Member.id)
                )
            ).all()
        )
        covered = rng.sample(members, round(target * len(members)))
        rng.shuffle(covered)
        if cell.id == tunnel_cell and covered:
            added += await _tunnel(session, cell.id, covered.pop().id, year, now)
        while covered:
            kind = _kind(rng)
            # Environment and security work is often one commitment for a group of members.
            size = rng.randint(2, 5) if kind is K.ENVIRONMENT_SECURITY else 1
            group, covered = covered[:size], covered[size:]
            ids = [m.id for m in group]
            titles = COAL_TITLES if cell.code == TUNNEL_CELL else TITLES
            added += await _one(
                session, cell.id, ids, kind, year, now, rng, may_drop=False, titles=titles
            )
            if rng.random() < 0.2:  # some take on a second one; only those may be dropped
                extra = _kind(rng)
                added += await _one(
                    session, cell.id, ids[:1], extra, year, now, rng, may_drop=True, titles=titles
                )
    return added


async def _one(
    session: AsyncSession,
    cell_id: int,
    member_ids: list[int],
    kind: InitiativeKind,
    year: int,
    now: dt.datetime,
    rng: random.Random,
    *,
    may_drop: bool,
    titles: dict[InitiativeKind, list[str]],
) -> int:
    technical = kind in (K.TECHNICAL_INNOVATION, K.RATIONALISATION)
    data = NewInitiative(
        kind=kind,
        title=rng.choice(titles[kind]),
        year=year,
        expected_amount_vnd=rng.choice([20, 50, 80, 150, 300]) * 1_000_000 if technical else None,
        target_date=dt.date(year, rng.choice([6, 9, 12]), 30 if rng.random() < 0.5 else 1)
        if rng.random() < 0.6
        else None,
    )
    created = await register(session, cell_id, member_ids, data, actor_account_id=None)
    roll = rng.random()
    for ini in created:
        if roll < 0.38:
            realised = None
            if technical and data.expected_amount_vnd:
                realised = int(data.expected_amount_vnd * rng.uniform(0.6, 1.4)) // 10**6 * 10**6
            await change_status(
                session,
                ini,
                InitiativeStatus.COMPLETED,
                actor_account_id=None,
                result=rng.choice(RESULTS),
                realised_amount_vnd=realised,
                at=_done_at(year, now, rng),
            )
        elif roll < 0.68:
            await change_status(session, ini, InitiativeStatus.IN_PROGRESS, actor_account_id=None)
        elif roll < 0.78 and may_drop:
            await change_status(
                session,
                ini,
                InitiativeStatus.DROPPED,
                actor_account_id=None,
                drop_reason="Chuyển công tác, không tiếp tục được",
            )
    return len(created)


async def _tunnel(
    session: AsyncSession, cell_id: int, member_id: int, year: int, now: dt.datetime
) -> int:
    data = dataclasses.replace(TUNNEL, year=year)
    (ini,) = await register(session, cell_id, [member_id], data, actor_account_id=None)
    await change_status(
        session,
        ini,
        InitiativeStatus.COMPLETED,
        actor_account_id=None,
        result="Lò xuyên vỉa hoàn thành sớm, sản lượng 1,2 triệu tấn/năm, lợi nhuận 33 tỷ đồng",
        realised_amount_vnd=33_000_000_000,
        at=_done_at(year, now, random.Random(year)),
    )
    return 1
