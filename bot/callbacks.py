"""Callback data that more than one room builds: the reminder planner, the outbox
dispatcher and the handlers must agree on it byte for byte, so it is spelled here once
(storage stores facts and never builds it). Imports nothing, so the planner can use it."""

from __future__ import annotations


def start_checkin(cell_id: int, month: str) -> str:
    """The "report this month" button: opens `/checkin` for the cell's month (YYYY-MM)."""
    return f"ci:start:{cell_id}:{month}"
