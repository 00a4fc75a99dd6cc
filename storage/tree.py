"""The organisation tree's materialised paths, read once: a unit's path is ``/1/7/42/``, the
ids from the root down to the unit itself. Every query that asks "under this unit" uses
`under` (or `cell_under` for a foreign key to a cell); the ids of a path are
`domain.orgpath.path_ids`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from storage.models import Checkin, OrgUnit


def under(path: str) -> ColumnElement[bool]:
    """A WHERE clause on `OrgUnit`: the unit at `path` and every unit below it."""
    return OrgUnit.path.startswith(path, autoescape=True)


def under_any(paths: Iterable[str]) -> ColumnElement[bool]:
    """A WHERE clause on `OrgUnit`: the unit lies under one of `paths`."""
    return or_(*[under(p) for p in paths])


def cell_under(cell_id: Any, path: str) -> ColumnElement[bool]:
    """`cell_id` (a column naming a unit) lies under `path`, as ``IN (SELECT id …)`` rather
    than a join: SQLite then walks the (cell_id, …) index in cell order and groups by cell
    without a sort (about a quarter to a half of an aggregate's cost); PostgreSQL plans it as
    the same hash join."""
    column: ColumnElement[int] = cell_id
    return column.in_(select(OrgUnit.id).where(under(path)).scalar_subquery())


def checkins_under(path: str) -> ColumnElement[bool]:
    """A WHERE clause on `Checkin`: the check-in's cell lies under `path`."""
    return cell_under(Checkin.cell_id, path)
