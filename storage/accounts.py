"""Accounts (Telegram users) and their role grants; who may see which unit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from storage.models import Account, OrgUnit, Role, RoleGrant

CELL_ROLES = (Role.SECRETARY.value, Role.DEPUTY.value)
SEEN_EVERY = dt.timedelta(hours=1)


async def get_account(session: AsyncSession, telegram_id: int) -> Account | None:
    return await session.scalar(select(Account).where(Account.telegram_id == telegram_id))


async def ensure_account(session: AsyncSession, telegram_id: int, display_name: str) -> Account:
    account = await get_account(session, telegram_id)
    if account is None:
        account = Account(telegram_id=telegram_id, display_name=display_name[:200])
        session.add(account)
        await session.flush()
    else:
        _rename(account, display_name)
    return account


def _rename(account: Account, display_name: str) -> None:
    """Follow the user's Telegram name (an empty one keeps the stored name)."""
    if display_name and account.display_name != display_name[:200]:
        account.display_name = display_name[:200]


@dataclass(frozen=True)
class Grant:
    role: str
    unit_id: int
    unit_code: str
    unit_name: str
    unit_kind: str
    unit_path: str


GRANT_COLUMNS = (RoleGrant.role, OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.kind, OrgUnit.path)


async def grants_of(session: AsyncSession, account_id: int) -> list[Grant]:
    rows = await session.execute(
        select(*GRANT_COLUMNS)
        .join(OrgUnit, OrgUnit.id == RoleGrant.unit_id)
        .where(RoleGrant.account_id == account_id)
        .order_by(OrgUnit.path, RoleGrant.role)
    )
    return [Grant(*row) for row in rows.all()]


# Built once: constructing a statement and its cache key costs more than running it on
# SQLite, and this one runs on every update.
_CALLER = (
    select(Account, *GRANT_COLUMNS)
    .outerjoin(RoleGrant, RoleGrant.account_id == Account.id)
    .outerjoin(OrgUnit, OrgUnit.id == RoleGrant.unit_id)
    .where(Account.telegram_id == bindparam("telegram_id"))
    .order_by(OrgUnit.path, RoleGrant.role)
)


async def load_caller(
    session: AsyncSession, telegram_id: int, display_name: str
) -> tuple[Account, list[Grant]]:
    """The account of a Telegram user (created on first contact) and its grants.

    One statement for a known user instead of two: it runs on every update, and on SQLite
    each statement is four thread hops of aiosqlite.
    """
    rows = (await session.execute(_CALLER, {"telegram_id": telegram_id})).all()
    if not rows:
        account = await ensure_account(session, telegram_id, display_name)
        _seen(account)
        return account, []
    account = rows[0][0]
    _rename(account, display_name)
    _seen(account)
    return account, [Grant(*row[1:]) for row in rows if row[1] is not None]


def _seen(account: Account) -> None:
    """Note the account's activity, at most once every SEEN_EVERY: a write an hour rather
    than one per update (the row is already loaded; the UPDATE goes with the commit)."""
    now = clock.now()
    if account.last_seen_at is None or account.last_seen_at <= now - SEEN_EVERY:
        account.last_seen_at = now


async def add_grant(
    session: AsyncSession,
    account_id: int,
    unit_id: int,
    role: str,
    *,
    granted_by: str | None = None,
) -> bool:
    """Grant a role (`granted_by`: who invited, "cli" or "tg:123"); False when the account
    already held it."""
    exists = await session.scalar(
        select(RoleGrant.id).where(
            RoleGrant.account_id == account_id,
            RoleGrant.unit_id == unit_id,
            RoleGrant.role == role,
        )
    )
    if exists is not None:
        return False
    session.add(RoleGrant(account_id=account_id, unit_id=unit_id, role=role, granted_by=granted_by))
    return True


def cell_grants(grants: list[Grant]) -> list[Grant]:
    """Grants that let the account run a cell (secretary or deputy)."""
    return [g for g in grants if g.role in CELL_ROLES and g.unit_kind == "cell"]


def supervised_grants(grants: list[Grant]) -> list[Grant]:
    return [g for g in grants if g.role in (Role.SUPERVISOR.value, Role.ADMIN.value)]


def can_run_cell(grants: list[Grant], cell_id: int) -> bool:
    return any(g.unit_id == cell_id for g in cell_grants(grants))


async def secretaries_of(session: AsyncSession, cell_ids: list[int]) -> dict[int, list[Account]]:
    """Secretaries and deputies of each cell (secretaries first)."""
    rows = await session.execute(
        select(RoleGrant.unit_id, RoleGrant.role, Account)
        .join(Account, Account.id == RoleGrant.account_id)
        .where(RoleGrant.unit_id.in_(cell_ids), RoleGrant.role.in_(CELL_ROLES))
        .order_by(RoleGrant.unit_id, RoleGrant.role.desc())
    )
    result: dict[int, list[Account]] = {}
    for unit_id, _role, account in rows.all():
        result.setdefault(unit_id, []).append(account)
    return result
