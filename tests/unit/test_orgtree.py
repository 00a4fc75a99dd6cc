"""The nesting rules of the 2025 tree, as the lead's table states them."""

from __future__ import annotations

import pytest

from domain.orgtree import (
    FILE_KINDS,
    SORTS,
    CellSort,
    UnitKind,
    is_grassroots_level,
    nesting_error,
    sort_error,
    tree_errors,
    unit_error,
)
from storage.models import UnitKind as StoredUnitKind

P, B, D, G, S, C = (
    UnitKind.PROVINCE,
    UnitKind.BLOC,
    UnitKind.DISTRICT,
    UnitKind.GRASSROOTS,
    UnitKind.SUBCOMMITTEE,
    UnitKind.CELL,
)
GC = (C, CellSort.GRASSROOTS)  # chi bộ cơ sở
PLAIN_CELL = (C, CellSort.VILLAGE)
ALLOWED: dict[str, set[tuple[str, str | None]]] = {
    P: {(B, None), (G, None), (D, None), GC},
    B: {(G, None), GC},
    D: {(G, None), GC},
    G: {(S, None), PLAIN_CELL, (C, None)},
    S: {PLAIN_CELL, (C, None)},
    C: set(),
}
CHILDREN = [(k, None) for k in UnitKind] + [GC, PLAIN_CELL]


@pytest.mark.parametrize("parent", list(UnitKind))
def test_each_parent_takes_exactly_the_children_of_the_table(parent: str) -> None:
    allowed = {child for child in CHILDREN if nesting_error(parent, None, *child) is None}
    assert allowed == ALLOWED[parent]


def test_only_a_province_is_a_root() -> None:
    assert [k for k in UnitKind if nesting_error(None, None, k, None) is None] == [P]


def test_sorts_belong_to_their_kind() -> None:
    assert sort_error(G, "ward") is None and sort_error(C, "residential") is None
    assert sort_error(C, "ward") == "bad_sort" and sort_error(B, "commune") == "bad_sort"
    assert unit_error(G, None, C, "ward") == "bad_sort"
    assert all(sort_error(k, None) is None for k in UnitKind)
    assert set(SORTS) == {G, C}


def test_file_shorthands_and_the_stored_enum_agree() -> None:
    assert FILE_KINDS["grassroots_cell"] == GC
    assert FILE_KINDS["special_zone"] == (G, "special_zone")
    assert StoredUnitKind is UnitKind
    assert is_grassroots_level(*GC) and is_grassroots_level(G, "ward")
    assert not is_grassroots_level(*PLAIN_CELL)


def test_a_whole_tree_is_checked_at_once() -> None:
    tree = [
        ("QN", None, P, None),
        ("QN-LH", "QN", G, "commune"),
        ("QN-LH-C1", "QN-LH", C, "village"),
        ("QN-LH-C1-X", "QN-LH-C1", C, None),
        ("QN2", None, P, None),
        ("QN-CS", "QN", C, "grassroots"),
    ]
    assert tree_errors(tree) == [("QN-LH-C1-X", "under_cell"), ("QN2", "two_roots")]
