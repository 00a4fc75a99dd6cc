"""The synthetic province's tree: Quảng Ninh since July 2025, at any size.

Tỉnh ủy → the commune-level committees (real names, storage/synthetic/quang_ninh_2025.py)
→ their cells; and Tỉnh ủy → bloc committees → grassroots committees (đảng bộ cơ sở) → cells,
or → chi bộ cơ sở (a cell that is itself a grassroots organisation). No district level.
Every unit is checked against domain.orgtree's nesting rules as it is planned.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from domain.orgtree import CellSort, GrassrootsSort, UnitKind, unit_error
from storage.synthetic.quang_ninh_2025 import (
    BLOCS,
    COMMUNE_LEVEL,
    Bloc,
    bloc_organisation,
    commune_cells,
)

ROOT_CODE = "QNP"
GRASSROOTS_CELL_SHARE = 0.4  # of a bloc's grassroots organisations, how many are chi bộ cơ sở
COMMUNE_CELL_SHARE = 0.62  # of the cells in committees, how many are the communes'


@dataclass(frozen=True)
class ProvinceShape:
    """How big the synthetic province is; the default is Quảng Ninh's real size.

    `communes` commune-level committees (at most the real 54) and `blocs` bloc committees
    (at most 6) sit under the province; `grassroots` counts every grassroots organisation:
    the commune-level committees plus the blocs' đảng bộ cơ sở and chi bộ cơ sở. `cells`
    counts every cell, chi bộ cơ sở included. The split of 300 grassroots organisations is
    our assumption (696 before the reform, when 177 were communes); cells and members are
    Quảng Ninh's published figures.
    """

    communes: int = len(COMMUNE_LEVEL)
    blocs: int = len(BLOCS)
    grassroots: int = 300
    cells: int = 4_971
    members: int = 104_700
    roster_min: int = 5
    roster_max: int = 120

    def __post_init__(self) -> None:
        if not 0 < self.communes <= len(COMMUNE_LEVEL):
            raise ValueError(f"need 0 < communes <= {len(COMMUNE_LEVEL)}")
        if not 0 <= self.blocs <= len(BLOCS):
            raise ValueError(f"need 0 <= blocs <= {len(BLOCS)}")
        if not self.communes + self.blocs <= self.grassroots <= self.cells:
            raise ValueError("need communes + blocs <= grassroots <= cells")
        if self.blocs == 0 and self.grassroots != self.communes:
            raise ValueError("without blocs, grassroots must equal communes")
        # Both ends of the roster range occur (one cell of each): the rest must fit between.
        low = self.roster_min * (self.cells - 1) + self.roster_max
        high = self.roster_max * (self.cells - 1) + self.roster_min
        if not low <= self.members <= high:
            raise ValueError(
                "members must fit rosters of roster_min..roster_max per cell, with one cell "
                "of each size"
            )


QUANG_NINH = ProvinceShape()


@dataclass
class UnitPlan:
    id: int
    code: str
    name: str
    kind: str
    sort: str | None
    parent_id: int | None
    path: str
    flavour: str  # the sort of its grassroots organisation: ward, commune, enterprise…
    children: list[UnitPlan] = field(default_factory=list)


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
    if parts == 0:
        if total:
            raise ValueError("sizes cannot fit the bounds")
        return []
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


class _Planner:
    def __init__(self, take_id: Iterator[int]) -> None:
        self.take_id = take_id

    def add(
        self,
        parent: UnitPlan | None,
        code: str,
        name: str,
        kind: str,
        sort: str | None,
        flavour: str,
    ) -> UnitPlan:
        above = (parent.kind, parent.sort) if parent is not None else (None, None)
        problem = unit_error(above[0], above[1], kind, sort)
        if problem is not None:
            raise AssertionError(f"{code}: {problem}")
        unit_id = next(self.take_id)
        path = f"{parent.path if parent else '/'}{unit_id}/"
        parent_id = parent.id if parent is not None else None
        unit = UnitPlan(unit_id, code, name, kind, sort, parent_id, path, flavour)
        if parent is not None:
            parent.children.append(unit)
        return unit


def _spread(count: int, total: int) -> list[int]:
    """`count` distinct indices spread over range(total): a small province still mixes
    wards, communes and special zones."""
    return sorted({round(i * total / count) for i in range(count)})


def plan_tree(shape: ProvinceShape, rng: random.Random, take_id: Iterator[int]) -> UnitPlan:
    plan = _Planner(take_id)
    root = plan.add(None, ROOT_CODE, "Tỉnh ủy Quảng Ninh", UnitKind.PROVINCE, None, "province")
    bloc_orgs = shape.grassroots - shape.communes
    grassroots_cells = round(bloc_orgs * GRASSROOTS_CELL_SHARE) if shape.blocs else 0
    bloc_committees = bloc_orgs - grassroots_cells
    in_committees = shape.cells - grassroots_cells
    commune_total = min(
        in_committees - bloc_committees,
        max(shape.communes, round(in_committees * COMMUNE_CELL_SHARE)),
    )
    if bloc_committees == 0:
        commune_total = in_committees
    commune_sizes = split(commune_total, shape.communes, rng, sigma=0.45)
    committee_sizes = split(in_committees - commune_total, bloc_committees, rng, sigma=0.55)

    for index, size in zip(_spread(shape.communes, len(COMMUNE_LEVEL)), commune_sizes, strict=True):
        place = COMMUNE_LEVEL[index]
        unit = plan.add(
            root,
            f"{ROOT_CODE}-X{index + 1:02d}",
            place.committee,
            UnitKind.GRASSROOTS,
            place.sort,
            place.sort,
        )
        for c, (name, sort) in enumerate(commune_cells(place, size), start=1):
            plan.add(unit, f"{unit.code}-C{c:03d}", name, UnitKind.CELL, sort, place.sort)

    if not shape.blocs:
        return root
    per_bloc = split(bloc_orgs, shape.blocs, rng, sigma=0.5)
    # Which organisations are chi bộ cơ sở: generic ones first, never a named company.
    order = [(b, g) for b, n in enumerate(per_bloc) for g in range(n)]
    keyed = sorted(order, key=lambda bg: (bg[1] < len(BLOCS[bg[0]].named), rng.random()))
    small = set(keyed[:grassroots_cells])
    sizes = iter(committee_sizes)
    for b, count in enumerate(per_bloc):
        bloc = BLOCS[b]
        unit = plan.add(
            root, f"{ROOT_CODE}-B{b + 1}", bloc.name, UnitKind.BLOC, None, str(bloc.sort)
        )
        for g in range(count):
            _organisation(plan, unit, bloc, g, (b, g) in small, sizes)
    return root


def _organisation(
    plan: _Planner, bloc_unit: UnitPlan, bloc: Bloc, g: int, is_cell: bool, sizes: Iterator[int]
) -> None:
    org = bloc_organisation(bloc, g)
    code = f"{bloc_unit.code}-G{g + 1:03d}"
    flavour = str(bloc.sort)
    if is_cell:
        plan.add(bloc_unit, code, f"Chi bộ {org}", UnitKind.CELL, CellSort.GRASSROOTS, flavour)
        return
    unit = plan.add(bloc_unit, code, f"Đảng bộ {org}", UnitKind.GRASSROOTS, bloc.sort, flavour)
    cell_sort = {
        GrassrootsSort.ENTERPRISE: CellSort.ENTERPRISE,
        GrassrootsSort.ARMED_FORCES: CellSort.ARMED_FORCES,
    }.get(bloc.sort, CellSort.AGENCY)
    for c in range(1, next(sizes) + 1):
        stem = bloc.cells[(c - 1) % len(bloc.cells)]
        plan.add(unit, f"{code}-C{c:03d}", f"Chi bộ {stem} {c}", UnitKind.CELL, cell_sort, flavour)


def walk(unit: UnitPlan) -> Iterator[UnitPlan]:
    yield unit
    for child in unit.children:
        yield from walk(child)
