"""Quảng Ninh after the 2025 reform: the real names the demo and the province seed use.

Commune level: Nghị quyết 1679/NQ-UBTVQH15 (16/6/2025) of the National Assembly Standing
Committee, in force 1/7/2025: 54 units, 30 wards (phường), 22 communes (xã), 2 special zones
(đặc khu). Checked against two reports of the resolution:
* [LĐ] laodong.vn, "Quảng Ninh có 54 đơn vị hành chính cấp xã, trong đó có 2 đặc khu"
  (news.laodong.vn/thoi-su/...-1524706.ldo): the full list, written without diacritics; the
  22nd commune, Cái Chiên, is the one not merged;
* [SH] soha.vn, "Chi tiết đơn vị hành chính cấp xã của tỉnh Quảng Ninh" (2025-06-30): the
  resolution's Article 1, of which items 1–6 were read (what each new commune is made of).
[LĐ] writes no diacritics: they come from the former units whose names the new ones keep (or
number: Móng Cái 1–3), or from the well-known place named (Yên Tử, Hoành Bồ, Hạ Long). Two are
new words: Lương Minh (spelt as in the former commune Lương Mông of Ba Chẽ) and Hải Ninh (as
the former Hải Ninh province). No name here is a guess; those two spellings are the least
certain.

Below the communes, public sources rarely name villages. Where one does, a cell is named
after it; every other cell is plainly generic ("Chi bộ thôn 3"), never a place from elsewhere:
* Lục Hồn: the seed article names the village of the cell secretary it quotes ("Lục Nà
  village (Lục Hồn commune)"); the article is a Hindi translation, which writes no tones, so
  the spelling "Lục Nà" is ours (Nà, "field", as in many Tày village names) and unverified.
* Bình Liêu: the khu phố of the former thị trấn Bình Liêu, from quangninh.gov.vn (page of
  thị trấn Bình Liêu, 28/11/2023, after NQ 89/NQ-HĐND 2022). That the town is now part of
  xã Bình Liêu follows from the name (the town was the district seat); item by item the
  resolution's text for Bình Liêu was not read.

The bloc committees follow the 2025 pattern of a province (các cơ quan Đảng tỉnh, UBND tỉnh,
quân sự, công an, biên phòng) plus the coal industry's committee; they were not checked one
by one against a Quảng Ninh source, and their grassroots organisations are generic beyond the
provincial departments and the coal companies named in the article (Hà Lầm).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.orgtree import CellSort, GrassrootsSort

SOURCE = "NQ 1679/NQ-UBTVQH15 (2025)"


@dataclass(frozen=True)
class CommuneLevel:
    name: str  # without the prefix: "Lục Hồn"
    sort: GrassrootsSort  # ward | commune | special_zone
    source: str  # where the name was checked

    @property
    def committee(self) -> str:
        prefix = {
            GrassrootsSort.WARD: "phường",
            GrassrootsSort.COMMUNE: "xã",
            GrassrootsSort.SPECIAL_ZONE: "đặc khu",
        }[self.sort]
        return f"Đảng bộ {prefix} {self.name}"


W, X, Z = GrassrootsSort.WARD, GrassrootsSort.COMMUNE, GrassrootsSort.SPECIAL_ZONE
WARDS = [
    "An Sinh", "Đông Triều", "Bình Khê", "Mạo Khê", "Hoàng Quế", "Yên Tử", "Vàng Danh",
    "Uông Bí", "Đông Mai", "Hiệp Hòa", "Quảng Yên", "Hà An", "Phong Cốc", "Liên Hòa",
    "Tuần Châu", "Việt Hưng", "Bãi Cháy", "Hà Tu", "Hà Lầm", "Cao Xanh", "Hồng Gai", "Hạ Long",
    "Hoành Bồ", "Mông Dương", "Quang Hanh", "Cẩm Phả", "Cửa Ông", "Móng Cái 1", "Móng Cái 2",
    "Móng Cái 3",
]  # fmt: skip
COMMUNES = [
    "Quảng La", "Thống Nhất", "Hải Hòa", "Tiên Yên", "Điền Xá", "Đông Ngũ", "Hải Lạng",
    "Lương Minh", "Kỳ Thượng", "Ba Chẽ", "Quảng Tân", "Đầm Hà", "Quảng Hà", "Đường Hoa",
    "Quảng Đức", "Hoành Mô", "Lục Hồn", "Bình Liêu", "Hải Sơn", "Hải Ninh", "Vĩnh Thực",
    "Cái Chiên",
]  # fmt: skip
SPECIAL_ZONES = ["Vân Đồn", "Cô Tô"]
# Items 1-6 of Article 1 as read in [SH]: Quảng La, Thống Nhất, Hải Hòa, Tiên Yên, Điền Xá,
# Đông Ngũ; every name is in [LĐ].
_READ_IN_FULL = {"Quảng La", "Thống Nhất", "Hải Hòa", "Tiên Yên", "Điền Xá", "Đông Ngũ"}


def _source(name: str) -> str:
    return f"{SOURCE}: [LĐ]" + (", [SH]" if name in _READ_IN_FULL else "")


COMMUNE_LEVEL: list[CommuneLevel] = [
    *(CommuneLevel(n, W, _source(n)) for n in WARDS),
    *(CommuneLevel(n, X, _source(n)) for n in COMMUNES),
    *(CommuneLevel(n, Z, _source(n)) for n in SPECIAL_ZONES),
]
assert (len(WARDS), len(COMMUNES), len(SPECIAL_ZONES)) == (30, 22, 2)
assert len({u.name for u in COMMUNE_LEVEL}) == 54

# Villages and residential groups a public source names, by commune (see the module doc).
NAMED_CELLS: dict[str, list[tuple[str, CellSort]]] = {
    "Lục Hồn": [("Chi bộ thôn Lục Nà", CellSort.VILLAGE)],
    "Bình Liêu": [
        (f"Chi bộ khu phố {name}", CellSort.RESIDENTIAL)
        for name in (
            "Bình Quyền",
            "Bình An",
            "Bình Đẳng",
            "Bình Công I",
            "Bình Công II",
            "Bình Quân",
            "Nà Kẻ",
        )
    ],
}

# A commune-level committee's own cells besides villages: its agencies and schools.
LOCAL_CELLS: list[tuple[str, CellSort]] = [
    ("Chi bộ Cơ quan Đảng ủy - Mặt trận {unit}", CellSort.AGENCY),
    ("Chi bộ Ủy ban nhân dân {unit}", CellSort.AGENCY),
    ("Chi bộ Trạm Y tế {unit}", CellSort.AGENCY),
    ("Chi bộ Trường Trung học cơ sở số 1 {unit}", CellSort.SCHOOL),
    ("Chi bộ Trường Tiểu học số 1 {unit}", CellSort.SCHOOL),
    ("Chi bộ Trường Mầm non số 1 {unit}", CellSort.SCHOOL),
    ("Chi bộ Trường Trung học cơ sở số 2 {unit}", CellSort.SCHOOL),
    ("Chi bộ Trường Tiểu học số 2 {unit}", CellSort.SCHOOL),
]


def commune_cells(unit: CommuneLevel, count: int) -> list[tuple[str, CellSort]]:
    """`count` distinct cell names for a commune-level committee: the named villages first,
    a few agency and school cells (about one in eight), then numbered villages or khu phố."""
    named = list(NAMED_CELLS.get(unit.name, []))[:count]
    local_count = min(len(LOCAL_CELLS), max(0, (count - len(named)) // 8))
    where = unit.committee.removeprefix("Đảng bộ ")
    local = [(n.format(unit=where), s) for n, s in LOCAL_CELLS[:local_count]]
    generic_sort = CellSort.RESIDENTIAL if unit.sort == GrassrootsSort.WARD else CellSort.VILLAGE
    stem = "Chi bộ khu" if generic_sort == CellSort.RESIDENTIAL else "Chi bộ thôn"
    generic = [
        (f"{stem} {n}", generic_sort) for n in range(1, count - len(named) - local_count + 1)
    ]
    return named + generic + local


@dataclass(frozen=True)
class Bloc:
    name: str
    sort: GrassrootsSort  # the sort of the grassroots organisations under it
    named: tuple[str, ...]  # real organisations, before the generic ones
    generic: str  # "{n}" numbered, for the rest
    cells: tuple[str, ...]  # cell name stems inside its đảng bộ cơ sở


BLOCS: list[Bloc] = [
    Bloc(
        "Đảng bộ các cơ quan Đảng tỉnh",
        GrassrootsSort.AGENCY,
        (
            "Văn phòng Tỉnh ủy",
            "Ban Tổ chức Tỉnh ủy",
            "Ban Tuyên giáo và Dân vận Tỉnh ủy",
            "Ủy ban Kiểm tra Tỉnh ủy",
            "Ban Nội chính Tỉnh ủy",
            "Ủy ban Mặt trận Tổ quốc tỉnh",
        ),
        "Cơ quan số {n}",
        ("Phòng Tổng hợp", "Phòng Nghiệp vụ", "Văn phòng"),
    ),
    Bloc(
        "Đảng bộ Ủy ban nhân dân tỉnh",
        GrassrootsSort.AGENCY,
        (
            "Sở Y tế",
            "Sở Giáo dục và Đào tạo",
            "Sở Tài chính",
            "Sở Xây dựng",
            "Sở Nội vụ",
            "Sở Công Thương",
            "Sở Tư pháp",
            "Sở Nông nghiệp và Môi trường",
            "Sở Khoa học và Công nghệ",
            "Bệnh viện Đa khoa tỉnh",
        ),
        "Đơn vị sự nghiệp số {n}",
        ("Phòng Tổng hợp", "Phòng Nghiệp vụ", "Văn phòng", "Phòng Kế hoạch - Tài chính", "Khoa"),
    ),
    Bloc(
        "Đảng bộ Than Quảng Ninh",
        GrassrootsSort.ENTERPRISE,
        ("Công ty Cổ phần Than Hà Lầm",),
        "Công ty số {n}",
        (
            "Phân xưởng Khai thác",
            "Phân xưởng Đào lò",
            "Phân xưởng Cơ điện",
            "Phân xưởng Vận tải",
            "Phòng Kỹ thuật công nghệ",
            "Phòng Kế hoạch",
        ),
    ),
    Bloc(
        "Đảng bộ Quân sự tỉnh",
        GrassrootsSort.ARMED_FORCES,
        (),
        "Đơn vị quân sự số {n}",
        ("Đại đội", "Phòng Tham mưu", "Ban"),
    ),
    Bloc(
        "Đảng bộ Công an tỉnh",
        GrassrootsSort.ARMED_FORCES,
        (),
        "Phòng nghiệp vụ số {n}",
        ("Đội", "Tổ công tác"),
    ),
    Bloc(
        "Đảng bộ Bộ đội Biên phòng tỉnh",
        GrassrootsSort.ARMED_FORCES,
        (),
        "Đồn Biên phòng số {n}",
        ("Đội", "Trạm kiểm soát"),
    ),
]


def bloc_organisation(bloc: Bloc, index: int) -> str:
    """The `index`-th (from 0) organisation of a bloc: a named one, then generic ones."""
    if index < len(bloc.named):
        return bloc.named[index]
    return bloc.generic.format(n=index - len(bloc.named) + 1)
