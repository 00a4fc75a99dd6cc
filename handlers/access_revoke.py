"""/access: ending a grant. ``ac:r:<grant>`` asks, naming the person, the role and the unit;
``ac:rok:<grant>`` ends it. The person loses access at their very next update (their grant
row is gone), storage queues their note through the outbox, and after the commit their
command menu is set to what their remaining grants allow, in their language.
"""

from __future__ import annotations

import html

from telegram import Update

from bot.context import Ctx, Request, with_request
from bot.keyboards import button, int_arg, markup, tapped
from domain import clock
from handlers.access import PREFIX, UNIT, actor_of, refuse_with_reason, show_unit, unit_of
from handlers.common import reset_menu
from storage.access import grant_for_confirmation, revoke
from storage.access_model import AccessRefusal


@with_request
async def revoke_button(update: Update, context: Ctx, req: Request) -> None:
    grant_id = int_arg(tapped(update), 2)
    if grant_id is None:
        req.refuse()
        return
    found = await grant_for_confirmation(req.session, actor_of(req), grant_id)
    if isinstance(found, AccessRefusal):
        await refuse_with_reason(req, found)
        return
    holder, unit = found
    req.show(
        req.t(
            "access.revoke_ask",
            name=html.escape(holder.name),
            role=req.t(f"role.{holder.role}"),
            unit=html.escape(unit.name),
        ),
        markup(
            [
                button(req.t("access.btn_revoke_yes"), PREFIX, "rok", grant_id),
                button(req.t("common.no"), PREFIX, UNIT, unit.id, 0),
            ]
        ),
    )


@with_request
async def revoke_confirm_button(update: Update, context: Ctx, req: Request) -> None:
    grant_id = int_arg(tapped(update), 2)
    if grant_id is None:
        req.refuse()
        return
    result = await revoke(req.session, actor_of(req), grant_id, now=clock.now())
    if isinstance(result, AccessRefusal):
        await refuse_with_reason(req, result)
        return
    reset_menu(req, result)
    notice = req.t(
        "access.revoked",
        name=html.escape(result.name),
        role=req.t(f"role.{result.role}"),
        unit=html.escape(result.unit.name),
    )
    req.answer()
    unit = await unit_of(req, result.unit.id)
    if unit is None:
        req.show(notice)
        return
    await show_unit(req, unit, notice=notice)
