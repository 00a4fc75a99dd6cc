"""The organisation tree since 1 July 2025: unit kinds, their sorts, and what may nest where.

The district level (huyện/thị/thành ủy) was abolished on 1 July 2025: the tree is now the
province committee → grassroots committees (đảng bộ xã / phường / đặc khu, and committees in
blocs of agencies, enterprises, armed forces) → optionally a đảng ủy bộ phận → cells. A
*chi bộ cơ sở* is a cell that is itself a grassroots organisation; it hangs directly under the
province or a bloc committee. `district` stays as a historical level so that a tree imported
before the reform keeps working.

Reasons are codes; bot/ renders them (catalog keys `org.nesting.<code>`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class UnitKind(enum.StrEnum):
    """The structural level of a unit (the column `org_units.kind`)."""

    PROVINCE = "province"
    BLOC = "bloc"
    DISTRICT = "district"  # historical: before July 2025
    GRASSROOTS = "grassroots"
    SUBCOMMITTEE = "subcommittee"
    CELL = "cell"


class GrassrootsSort(enum.StrEnum):
    COMMUNE = "commune"
    WARD = "ward"
    SPECIAL_ZONE = "special_zone"
    AGENCY = "agency"
    ENTERPRISE = "enterprise"
    ARMED_FORCES = "armed_forces"
    SCHOOL = "school"
    OTHER = "other"


class CellSort(enum.StrEnum):
    VILLAGE = "village"  # thôn, bản, khu dân cư
    RESIDENTIAL = "residential"  # tổ dân phố
    AGENCY = "agency"
    ENTERPRISE = "enterprise"
    SCHOOL = "school"
    ARMED_FORCES = "armed_forces"
    OTHER = "other"
    GRASSROOTS = "grassroots"  # chi bộ cơ sở


# Which sorts each kind may have; a kind missing here has none (its sort is NULL).
SORTS: dict[str, frozenset[str]] = {
    UnitKind.GRASSROOTS: frozenset(GrassrootsSort),
    UnitKind.CELL: frozenset(CellSort),
}

# The kind column of an import file: the structural kinds, plus shorthands for a sort.
FILE_KINDS: dict[str, tuple[str, str | None]] = {
    **{kind.value: (kind.value, None) for kind in UnitKind},
    "commune": (UnitKind.GRASSROOTS, GrassrootsSort.COMMUNE),
    "ward": (UnitKind.GRASSROOTS, GrassrootsSort.WARD),
    "special_zone": (UnitKind.GRASSROOTS, GrassrootsSort.SPECIAL_ZONE),
    "grassroots_cell": (UnitKind.CELL, CellSort.GRASSROOTS),
}

# Committees above the grassroots level: a chi bộ cơ sở may hang under them, a plain cell not.
ABOVE_GRASSROOTS = frozenset({UnitKind.PROVINCE, UnitKind.BLOC, UnitKind.DISTRICT})


class Nesting(enum.StrEnum):
    """Why a unit may not sit where it was put (catalog keys `org.nesting.<value>`)."""

    ROOT_NOT_PROVINCE = "root_not_province"  # only a province committee may be a root
    PROVINCE_NOT_ROOT = "province_not_root"
    TWO_ROOTS = "two_roots"
    UNDER_CELL = "under_cell"  # a cell has no units under it
    BLOC_NOT_UNDER_PROVINCE = "bloc_not_under_province"
    DISTRICT_NOT_UNDER_PROVINCE = "district_not_under_province"
    GRASSROOTS_TOO_LOW = "grassroots_too_low"  # under a grassroots committee or below
    SUBCOMMITTEE_NOT_UNDER_GRASSROOTS = "subcommittee_not_under_grassroots"
    CELL_NEEDS_GRASSROOTS = "cell_needs_grassroots"  # a plain cell above the grassroots level
    GRASSROOTS_CELL_TOO_LOW = "grassroots_cell_too_low"
    BAD_SORT = "bad_sort"


def sort_error(kind: str, sort: str | None) -> Nesting | None:
    """Whether `sort` is one the kind may have (no sort, meaning unknown, always is)."""
    if sort is None or sort in SORTS.get(kind, frozenset()):
        return None
    return Nesting.BAD_SORT


def nesting_error(
    parent_kind: str | None, parent_sort: str | None, kind: str, sort: str | None
) -> Nesting | None:
    """Why a unit of `kind`/`sort` may not sit under a parent of `parent_kind` (None: a root).

    `parent_sort` does not decide anything today (a chi bộ cơ sở is a cell either way) but
    is part of the question, so callers pass what they know.
    """
    del parent_sort
    if parent_kind is None:
        return None if kind == UnitKind.PROVINCE else Nesting.ROOT_NOT_PROVINCE
    if kind == UnitKind.PROVINCE:
        return Nesting.PROVINCE_NOT_ROOT
    if parent_kind == UnitKind.CELL:
        return Nesting.UNDER_CELL
    if kind == UnitKind.BLOC:
        return None if parent_kind == UnitKind.PROVINCE else Nesting.BLOC_NOT_UNDER_PROVINCE
    if kind == UnitKind.DISTRICT:
        return None if parent_kind == UnitKind.PROVINCE else Nesting.DISTRICT_NOT_UNDER_PROVINCE
    if kind == UnitKind.GRASSROOTS:
        return None if parent_kind in ABOVE_GRASSROOTS else Nesting.GRASSROOTS_TOO_LOW
    if kind == UnitKind.SUBCOMMITTEE:
        if parent_kind == UnitKind.GRASSROOTS:
            return None
        return Nesting.SUBCOMMITTEE_NOT_UNDER_GRASSROOTS
    if kind == UnitKind.CELL:
        if sort == CellSort.GRASSROOTS:
            return None if parent_kind in ABOVE_GRASSROOTS else Nesting.GRASSROOTS_CELL_TOO_LOW
        return None if parent_kind not in ABOVE_GRASSROOTS else Nesting.CELL_NEEDS_GRASSROOTS
    return None


def unit_error(
    parent_kind: str | None, parent_sort: str | None, kind: str, sort: str | None
) -> Nesting | None:
    """The first thing wrong with a unit of `kind`/`sort` under that parent, if any."""
    return sort_error(kind, sort) or nesting_error(parent_kind, parent_sort, kind, sort)


def is_grassroots_level(kind: str, sort: str | None) -> bool:
    """A grassroots organisation: a đảng bộ cơ sở, or a chi bộ cơ sở."""
    return kind == UnitKind.GRASSROOTS or (kind == UnitKind.CELL and sort == CellSort.GRASSROOTS)


def tree_errors(
    units: Iterable[tuple[str, str | None, str, str | None]],
) -> list[tuple[str, Nesting]]:
    """Every misplaced unit of a whole tree given as (code, parent code, kind, sort), parents
    anywhere in the list: for code that builds a tree without `org import` (seeds)."""
    rows = list(units)
    by_code = {code: (kind, sort) for code, _, kind, sort in rows}
    errors: list[tuple[str, Nesting]] = []
    roots = 0
    for code, parent, kind, sort in rows:
        parent_kind, parent_sort = by_code.get(parent, (None, None)) if parent else (None, None)
        problem = unit_error(parent_kind, parent_sort, kind, sort)
        if problem is None and parent is None:
            roots += 1
            if roots > 1:
                problem = Nesting.TWO_ROOTS
        if problem is not None:
            errors.append((code, problem))
    return errors
