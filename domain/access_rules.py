"""Who may grant, revoke or cancel which role on which unit (issue 18): pure rules over
materialised paths, unit kinds and role names; storage/access.py applies them.

- secretary and deputy fit cells only; supervisor fits any unit; admin is never granted here
  (the operator's `cellbot invite create --role admin` is the only way to it);
- a supervisor of unit S may grant and revoke secretaries and deputies of the cells in S's
  subtree, and supervisors of the units strictly under S: not S itself, nothing above or
  outside it;
- an admin may grant and revoke any role but admin.
"""

from __future__ import annotations

from collections.abc import Iterable

SECRETARY = "secretary"
DEPUTY = "deputy"
SUPERVISOR = "supervisor"
ADMIN = "admin"
CELL = "cell"

CELL_ROLES = frozenset({SECRETARY, DEPUTY})
# The roles an invitation from the bot (or a revoke) may name: never admin.
GRANTABLE_ROLES = (SECRETARY, DEPUTY, SUPERVISOR)

# Rate limits of invitations (an operator on the CLI is not limited).
INVITES_PER_HOUR = 30
BULK_RUNS_PER_HOUR = 3
BULK_MAX_LINKS = 1000


def role_fits_unit(role: str, unit_kind: str) -> bool:
    """Whether a unit of `unit_kind` may hold `role` at all (admin included)."""
    if role in CELL_ROLES:
        return unit_kind == CELL
    return role in (SUPERVISOR, ADMIN)


def may_grant(
    role: str, unit_kind: str, unit_path: str, *, supervised: Iterable[str], is_admin: bool
) -> bool:
    """Whether an actor who supervises the units at paths `supervised` (or is an admin) may
    grant or revoke `role` on the unit of `unit_kind` at `unit_path`."""
    if role not in GRANTABLE_ROLES or not role_fits_unit(role, unit_kind):
        return False
    if is_admin:
        return True
    for path in supervised:
        if not unit_path.startswith(path):
            continue
        if role in CELL_ROLES or unit_path != path:
            return True
    return False


def may_cancel(
    role: str,
    unit_kind: str,
    unit_path: str,
    *,
    supervised: Iterable[str],
    is_admin: bool,
    is_creator: bool,
) -> bool:
    """Cancelling a pending invitation: whoever could make it, and its own creator."""
    return is_creator or may_grant(
        role, unit_kind, unit_path, supervised=supervised, is_admin=is_admin
    )


def is_last_supervisor(role: str, supervisors_of_unit: int) -> bool:
    """Revoking this grant would leave its unit without a supervisor (`supervisors_of_unit`
    counts the unit's supervisor grants, this one included)."""
    return role == SUPERVISOR and supervisors_of_unit <= 1
