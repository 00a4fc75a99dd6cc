"""The organisation tree's materialised paths: a unit's path is ``/1/7/42/``, the ids from the
root down to the unit itself. Only this module reads the encoding; the SQL side of it ("the
units under this path") is storage/tree.py.
"""

from __future__ import annotations


def path_ids(path: str) -> list[int]:
    """The unit ids of a path, from the root down to the unit itself."""
    return [int(p) for p in path.strip("/").split("/") if p]


def parent_path(path: str) -> str:
    """The path of the unit's parent ("/" for a root)."""
    return path[: path.rstrip("/").rfind("/") + 1]
