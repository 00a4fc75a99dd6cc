"""Supervisor views, one module per command family (handlers/supervisor_*.py).

Supervisors are members of a grassroots, district or provincial committee: they see every
cell under their unit and nothing outside it (storage.supervision decides the scope; every
command and every ``sv:`` button re-checks it against the database).
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    supervisor_broadcast,
    supervisor_cell,
    supervisor_export,
    supervisor_initiatives,
    supervisor_missing,
    supervisor_ranking,
    supervisor_review,
    supervisor_summary,
)

MODULES = (
    supervisor_summary,
    supervisor_missing,
    supervisor_cell,
    supervisor_ranking,
    supervisor_export,
    supervisor_broadcast,
    supervisor_review,
    supervisor_initiatives,
)


def register(app: Application) -> None:  # type: ignore[type-arg]
    for module in MODULES:
        module.register(app)
