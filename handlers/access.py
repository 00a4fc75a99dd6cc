"""/access: who holds which role in the units under the caller, drilled down like /summary.

A unit's page shows how many cells of its subtree have no secretary, its own holders (role,
name, since, last active) and pending invitations, and its children as buttons with a ⚠️
count; a cell's page its holders and invitations. The buttons that change something
(invite, revoke, cancel; handlers/access_invite.py and access_revoke.py) are shown only
when storage.access.may_grant allows them, and storage checks again when they are tapped.

Callback data (ids only): ``ac:u:<unit>:<page>`` a page, ``ac:l:<unit>`` the history
(admins), ``ac:i:<unit>:<role>[:h|k]`` invite, ``ac:b:<unit>`` / ``ac:bok:<unit>`` invite
every cell without a secretary, ``ac:c:<invitation>`` cancel, ``ac:r:<grant>`` /
``ac:rok:<grant>`` revoke. Every unit id is re-checked against the caller's scope
(`storage.scope.visible_unit`); a forged or foreign one gets `req.refuse()`.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.access_text import child_label, history_text, moment_text, unit_page_text
from bot.context import Ctx, Request, with_request
from bot.keyboards import button, int_arg, markup, pager_row, parse_cb, rows, tapped
from domain import clock
from domain.access_rules import BULK_MAX_LINKS, CELL, DEPUTY, SECRETARY, SUPERVISOR
from domain.orgpath import parent_path
from handlers.supervisor_common import PAGE_SIZE, not_supervisor, roots
from storage.access import invite_window
from storage.access_model import AccessRefusal, Actor, PendingInvite, may_grant
from storage.access_read import access_log as read_access_log
from storage.access_read import access_page
from storage.scope import UnitRef, in_scope, is_supervisor, visible_unit

PREFIX = "ac"
UNIT, HISTORY = "u", "l"
# Roles in callback data, one letter each.
ROLE_CODES = {"s": SECRETARY, "d": DEPUTY, "v": SUPERVISOR}
CODE_OF_ROLE = {role: code for code, role in ROLE_CODES.items()}
HISTORY_LIMIT = 50


def actor_of(req: Request) -> Actor:
    """The caller as storage.access sees them."""
    return Actor(req.account.id, f"tg:{req.account.telegram_id}", req.grants, req.is_admin)


async def unit_of(req: Request, unit_id: int | None) -> UnitRef | None:
    """The unit if it lies in the caller's scope; None for a forged, gone or foreign id."""
    return await visible_unit(req.session, await roots(req), unit_id)


def back_row(req: Request, unit_id: int) -> list[InlineKeyboardButton]:
    return [button(req.t("access.btn_back"), PREFIX, UNIT, unit_id, 0)]


def may_cancel(actor: Actor, unit: UnitRef, invite: PendingInvite) -> bool:
    own = (
        invite.created_by_account_id is not None
        and invite.created_by_account_id == actor.account_id
    )
    return own or may_grant(actor, unit, invite.role)


async def unit_view(
    req: Request, unit: UnitRef, page: int, *, notice: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    now = clock.now()
    actor = actor_of(req)
    scope = await roots(req)
    access, kids = await access_page(req.session, unit, now=now)
    pages = max(1, -(-len(kids) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = kids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    tz, lang = req.settings.tz, req.lang
    text = unit_page_text(lang, tz, access, children=len(kids), notice=notice)
    keyboard: list[list[InlineKeyboardButton]] = [
        *rows([button(child_label(c), PREFIX, UNIT, c.unit.id, 0) for c in shown], 2),
        pager_row(f"{PREFIX}:{UNIT}", page, len(kids), PAGE_SIZE, unit.id),
    ]
    invite_roles = (SECRETARY, DEPUTY) if unit.kind == CELL else (SUPERVISOR,)
    keyboard.append(
        [
            button(req.t(f"access.btn_invite_{role}"), PREFIX, "i", unit.id, CODE_OF_ROLE[role])
            for role in invite_roles
            if may_grant(actor, unit, role)
        ]
    )
    if unit.kind != CELL and access.cells_without_secretary:
        keyboard.append([button(req.t("access.btn_bulk"), PREFIX, "b", unit.id)])
    for holder in access.holders:
        if holder.account_id != req.account.id and may_grant(actor, unit, holder.role):
            label = req.t("access.btn_revoke", name=holder.name, role=req.t(f"role.{holder.role}"))
            keyboard.append([button(label, PREFIX, "r", holder.grant_id)])
    for invite in access.pending:
        if may_cancel(actor, unit, invite):
            label = req.t(
                "access.btn_cancel",
                role=req.t(f"role.{invite.role}"),
                expires=moment_text(invite.expires_at, lang, tz),
            )
            keyboard.append([button(label, PREFIX, "c", invite.id)])
    last: list[InlineKeyboardButton] = []
    if req.is_admin:
        last.append(button(req.t("access.btn_history"), PREFIX, HISTORY, unit.id))
    # The unit is in scope, so its parent is when its path is: no second read of the roots.
    if unit.parent_id is not None and in_scope(parent_path(unit.path), scope):
        last.append(button(req.t("sv.btn_up"), PREFIX, UNIT, unit.parent_id, 0))
    keyboard.append(last)
    return text, markup(*keyboard)


async def show_unit(req: Request, unit: UnitRef, page: int = 0, *, notice: str = "") -> None:
    req.show(*await unit_view(req, unit, page, notice=notice))


async def refuse_with_reason(req: Request, refusal: AccessRefusal, *, bulk: bool = False) -> None:
    """Storage said no. Not allowed or gone: the one answer that reveals nothing. Otherwise a
    clear message in place of the tapped button's message."""
    if refusal in (AccessRefusal.NOT_ALLOWED, AccessRefusal.GONE):
        req.refuse()
        return
    if refusal is AccessRefusal.RATE_LIMITED:
        now = clock.now()
        _, at = await invite_window(req.session, req.account.id, now, bulk=bulk)
        text = req.t("access.refused.rate_limited", time=moment_text(at, req.lang, req.settings.tz))
    elif refusal is AccessRefusal.TOO_MANY:
        text = req.t("access.refused.too_many", limit=BULK_MAX_LINKS)
    elif refusal is AccessRefusal.LAST_SUPERVISOR:
        text = req.t("access.refused.last_supervisor")
    elif refusal is AccessRefusal.OWN_GRANT:
        text = req.t("access.refused.own_grant")
    elif refusal is AccessRefusal.ROLE_DOES_NOT_FIT:
        text = req.t("access.refused.role_does_not_fit")
    else:
        text = req.t("access.refused.nothing_to_do")
    req.answer()
    req.show("⚠️ " + text)


# ---------------------------------------------------------------- command and pages


@with_request
async def access_command(update: Update, context: Ctx, req: Request) -> None:
    if not is_supervisor(req.grants, req.is_admin):
        not_supervisor(req)
        return
    units = await roots(req)
    if not units:
        not_supervisor(req)
        return
    if len(units) == 1:
        req.reply(*await unit_view(req, units[0], 0))
        return
    buttons = [button(u.name, PREFIX, UNIT, u.id, 0) for u in units[:40]]
    req.reply(req.t("sv.pick_unit"), markup(*rows(buttons, 1)))


@with_request
async def unit_button(update: Update, context: Ctx, req: Request) -> None:
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    unit = await unit_of(req, int_arg(parts, 2))
    if unit is None:
        req.refuse()
        return
    await show_unit(req, unit, int_arg(parts, 3) or 0)


@with_request
async def history_button(update: Update, context: Ctx, req: Request) -> None:
    """The audit of access changes in a unit's subtree: admins only."""
    unit = await unit_of(req, int_arg(tapped(update), 2))
    if unit is None or not req.is_admin:
        req.refuse()
        return
    events = await read_access_log(req.session, unit, limit=HISTORY_LIMIT)
    req.show(history_text(req.lang, req.settings.tz, unit, events), markup(back_row(req, unit.id)))
