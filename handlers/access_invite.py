"""/access buttons that invite: one person (a link as text and as a QR code picture), every
cell without a secretary at once (XLSX and CSV), and cancelling a pending invitation.

A secretary invited for a cell that has one is a choice: hand over (the current secretary
loses access when the new one accepts) or both keep access. ``ac:i:<unit>:s`` asks it,
``ac:i:<unit>:s:h`` and ``ac:i:<unit>:s:k`` answer it.
"""

from __future__ import annotations

import datetime as dt
import html

from telegram import Update
from telegram.helpers import create_deep_linked_url

from bot.access_text import LinkRow, links_csv, links_xlsx, moment_text
from bot.context import Ctx, Request, with_request
from bot.keyboards import button, int_arg, markup, parse_cb, tapped
from bot.qr import qr_png
from domain import clock
from domain.access_rules import BULK_MAX_LINKS, CELL, SECRETARY
from handlers.access import (
    PREFIX,
    ROLE_CODES,
    UNIT,
    actor_of,
    back_row,
    refuse_with_reason,
    show_unit,
    unit_of,
)
from storage.access import cancel_invitation, invite, invite_cells_without_secretary
from storage.access_model import AccessRefusal, may_grant
from storage.access_read import cells_without_secretary, current_secretaries

HANDOVER, KEEP = "h", "k"
# How long an invitation from the bot stays valid (the CLI's default too).
INVITE_TTL = dt.timedelta(days=7)


def link_for(context: Ctx, token: str) -> str:
    """The t.me deep link that opens the bot with `/start <token>`."""
    username = context.bot.username
    return create_deep_linked_url(username, token)


@with_request
async def invite_button(update: Update, context: Ctx, req: Request) -> None:
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    unit = await unit_of(req, int_arg(parts, 2))
    role = ROLE_CODES.get(parts[3]) if len(parts) > 3 else None
    mode = parts[4] if len(parts) > 4 else ""
    actor = actor_of(req)
    if unit is None or role is None or mode not in ("", HANDOVER, KEEP):
        req.refuse()
        return
    if not may_grant(actor, unit, role):
        req.refuse()
        return
    tz, lang = req.settings.tz, req.lang
    current = await current_secretaries(req.session, unit.id) if role == SECRETARY else []
    names = ", ".join(html.escape(h.name) for h in current)
    if current and not mode:
        code = parts[3]
        req.show(
            req.t("access.handover_ask", unit=html.escape(unit.name), names=names),
            markup(
                [button(req.t("access.btn_handover_yes"), PREFIX, "i", unit.id, code, HANDOVER)],
                [button(req.t("access.btn_handover_no"), PREFIX, "i", unit.id, code, KEEP)],
                back_row(req, unit.id),
            ),
        )
        return
    handover = mode == HANDOVER and bool(current)
    result = await invite(
        req.session, actor, unit.id, role, handover=handover, now=clock.now(), ttl=INVITE_TTL
    )
    if isinstance(result, AccessRefusal):
        await refuse_with_reason(req, result)
        return
    token, pending = result
    link = link_for(context, token)
    role_text = req.t(f"role.{role}")
    expires = moment_text(pending.expires_at, lang, tz)
    text = req.t(
        "access.invite_made",
        role=role_text,
        unit=html.escape(unit.name),
        link=html.escape(link),
        expires=expires,
    )
    if handover:
        text += "\n\n" + req.t("access.invite_handover_note", names=names)
    req.answer()
    # No "back" button here: going back would edit this message and the link with it.
    req.show(text)
    caption = req.t(
        "access.qr_caption", role=role_text, unit=html.escape(unit.name), expires=expires
    )
    req.out.photo(qr_png(link), f"invitation-{unit.code}.png", caption)


# ---------------------------------------------------------------- every cell without a secretary


@with_request
async def bulk_button(update: Update, context: Ctx, req: Request) -> None:
    """``ac:b:<unit>``: how many links, and a confirming button (nothing is created yet)."""
    unit = await unit_of(req, int_arg(tapped(update), 2))
    if unit is None or unit.kind == CELL:
        req.refuse()
        return
    cells = await cells_without_secretary(req.session, unit)
    name = html.escape(unit.name)
    if not cells:
        req.show(req.t("access.bulk_none", unit=name), markup(back_row(req, unit.id)))
        return
    if len(cells) > BULK_MAX_LINKS:
        await refuse_with_reason(req, AccessRefusal.TOO_MANY)
        return
    expires = moment_text(clock.now() + INVITE_TTL, req.lang, req.settings.tz)
    req.show(
        req.t("access.bulk_ask", count=len(cells), unit=name, expires=expires),
        markup(
            [
                button(req.t("access.btn_bulk_yes"), PREFIX, "bok", unit.id),
                button(req.t("common.no"), PREFIX, UNIT, unit.id, 0),
            ]
        ),
    )


@with_request
async def bulk_confirm_button(update: Update, context: Ctx, req: Request) -> None:
    """``ac:bok:<unit>``: the links, as an XLSX and a CSV (unit code, name, link, expiry)."""
    unit = await unit_of(req, int_arg(tapped(update), 2))
    if unit is None or unit.kind == CELL:
        req.refuse()
        return
    result = await invite_cells_without_secretary(
        req.session, actor_of(req), unit.id, now=clock.now(), ttl=INVITE_TTL
    )
    if isinstance(result, AccessRefusal):
        await refuse_with_reason(req, result, bulk=True)
        return
    name = html.escape(unit.name)
    if not result:
        req.show(req.t("access.bulk_none", unit=name), markup(back_row(req, unit.id)))
        return
    tz, lang = req.settings.tz, req.lang
    links = [LinkRow(cell, link_for(context, token), expires) for cell, token, expires in result]
    expires = moment_text(links[0].expires_at, lang, tz)
    req.show(
        req.t("access.bulk_done", count=len(links), unit=name, expires=expires),
        markup(back_row(req, unit.id)),
    )
    stem = f"cellbot-{req.t('access.bulk_file')}-{unit.code}"
    req.out.chat_action("upload_document")
    req.out.document(links_xlsx(lang, tz, links), f"{stem}.xlsx")
    req.out.document(links_csv(lang, tz, links), f"{stem}.csv")


# ---------------------------------------------------------------- cancel


@with_request
async def cancel_button(update: Update, context: Ctx, req: Request) -> None:
    """``ac:c:<invitation>``: the link stops working; the unit's page is shown again."""
    invitation_id = int_arg(tapped(update), 2)
    if invitation_id is None:
        req.refuse()
        return
    result = await cancel_invitation(req.session, actor_of(req), invitation_id, now=clock.now())
    if isinstance(result, AccessRefusal):
        await refuse_with_reason(req, result)
        return
    req.answer(req.t("access.cancelled"))
    unit = await unit_of(req, result.unit_id)
    if unit is None:  # its creator, no longer supervising the unit
        req.show(req.t("access.cancelled"))
        return
    await show_unit(req, unit, notice=req.t("access.cancelled"))
