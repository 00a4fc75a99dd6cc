"""Plausible Vietnamese personal names for demo and benchmark data (deterministic); place
names are real ones, in storage/synthetic/quang_ninh_2025.py."""

from __future__ import annotations

import random

SURNAMES = (
    ["Nguyễn"] * 38
    + ["Trần"] * 11
    + ["Lê"] * 10
    + ["Phạm"] * 7
    + ["Hoàng"] * 5
    + ["Vũ"] * 4
    + ["Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Nông", "Lục", "Hà", "Chu", "Vi"] * 2
)
MIDDLE_MALE = ["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thành", "Xuân"]
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Hồng", "Phương"]
GIVEN_MALE = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long", "Nam",
    "Phong", "Quân", "Sơn", "Thắng", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Hiếu", "Lâm",
]  # fmt: skip
GIVEN_FEMALE = [
    "Anh", "Châu", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai",
    "Nga", "Ngân", "Nhung", "Phượng", "Quyên", "Thảo", "Trang", "Tuyết", "Vân", "Yến",
]  # fmt: skip


def person_name(rng: random.Random) -> str:
    if rng.random() < 0.55:
        middle, given = rng.choice(MIDDLE_MALE), rng.choice(GIVEN_MALE)
    else:
        middle, given = rng.choice(MIDDLE_FEMALE), rng.choice(GIVEN_FEMALE)
    return f"{rng.choice(SURNAMES)} {middle} {given}"
