"""domain/access_rules.py: who may grant, revoke and cancel which role where (issue 18)."""

from __future__ import annotations

import pytest

from domain.access_rules import is_last_supervisor, may_cancel, may_grant, role_fits_unit

PROVINCE, DISTRICT, COMMUNE, CELL, OTHER_CELL = "/1/", "/1/2/", "/1/2/3/", "/1/2/3/4/", "/1/9/7/"
KINDS = {PROVINCE: "province", DISTRICT: "district", COMMUNE: "grassroots", CELL: "cell"}
KINDS[OTHER_CELL] = "cell"


def test_roles_fit_units_as_before() -> None:
    assert role_fits_unit("secretary", "cell") and role_fits_unit("deputy", "cell")
    assert not role_fits_unit("secretary", "grassroots")
    assert role_fits_unit("supervisor", "grassroots") and role_fits_unit("supervisor", "cell")
    assert role_fits_unit("admin", "province") and not role_fits_unit("chairman", "cell")


@pytest.mark.parametrize(
    ("held", "role", "unit", "allowed"),
    [
        (COMMUNE, "secretary", CELL, True),
        (COMMUNE, "deputy", CELL, True),
        (COMMUNE, "supervisor", CELL, True),  # strictly under
        (COMMUNE, "supervisor", COMMUNE, False),  # not its own unit
        (COMMUNE, "supervisor", DISTRICT, False),  # not above
        (COMMUNE, "secretary", OTHER_CELL, False),  # not outside
        (COMMUNE, "admin", CELL, False),
        (DISTRICT, "supervisor", COMMUNE, True),
        (DISTRICT, "secretary", COMMUNE, False),  # a secretary fits cells only
        (CELL, "secretary", CELL, True),  # a cell's own supervisor: its secretaries
        (CELL, "supervisor", CELL, False),
    ],
)
def test_a_supervisor_grants_below_own_unit(held: str, role: str, unit: str, allowed: bool) -> None:
    got = may_grant(role, KINDS[unit], unit, supervised=[held], is_admin=False)
    assert got is allowed


def test_an_admin_grants_anything_but_admin() -> None:
    for unit, kind in KINDS.items():
        assert may_grant("supervisor", kind, unit, supervised=[], is_admin=True)
        assert not may_grant("admin", kind, unit, supervised=[], is_admin=True)
    assert not may_grant("secretary", "grassroots", COMMUNE, supervised=[], is_admin=True)


def test_nobody_without_a_supervisor_grant() -> None:
    assert not may_grant("secretary", "cell", CELL, supervised=[], is_admin=False)


def test_path_prefixes_are_whole_ids() -> None:
    # /1/2/ is not a prefix of /1/23/
    assert not may_grant("secretary", "cell", "/1/23/5/", supervised=["/1/2/"], is_admin=False)


def test_cancel_by_its_creator_or_by_whoever_could_make_it() -> None:
    def cancel(unit: str, *, creator: bool) -> bool:
        return may_cancel(
            "secretary", "cell", unit, supervised=[COMMUNE], is_admin=False, is_creator=creator
        )

    assert cancel(CELL, creator=False)
    assert not cancel(OTHER_CELL, creator=False)
    assert cancel(OTHER_CELL, creator=True)


def test_last_supervisor() -> None:
    assert is_last_supervisor("supervisor", 1)
    assert not is_last_supervisor("supervisor", 2)
    assert not is_last_supervisor("secretary", 1)
