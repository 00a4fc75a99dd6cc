"""Following an initiative through the year: start, complete (result, realised amount,
optional photo or document), drop (with a reason), reopen or restore."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.context import Ctx, Request
from bot.keyboards import button, int_arg, markup
from domain.amounts import parse_amount
from handlers.initiatives_common import (
    ASK_ATTACH,
    ASK_REALISED,
    ASK_REASON,
    ASK_RESULT,
    STATUS_CODES,
    STAY,
    P,
    cancel_button,
    drop_draft,
    esc,
    expired,
    get_draft,
    money,
    new_draft,
    short,
    skip_button,
)
from handlers.initiatives_register import END_STATE, send
from handlers.initiatives_views import item_view
from storage.initiatives import (
    MAX_TEXT,
    TRANSITIONS,
    InitiativeError,
    InitiativeStatus,
    attachment_value,
    change_status,
    clean_text,
    initiative_of_cell,
    split_attachment,
)
from storage.models import Initiative


async def show_item(req: Request, ini: Initiative, *, notice: str = "") -> int:
    text, keyboard = await item_view(req, ini)
    send(req, (notice + "\n\n" if notice else "") + text, keyboard)
    return END_STATE


async def on_button(
    context: Ctx, req: Request, action: str, parts: list[str], cell_id: int
) -> int | None:
    """sh (show), st (status), fl (send the attachment) and the completion flow's buttons."""
    if action in ("am", "sk"):
        return await _flow_button(context, req, action, parts, cell_id)
    ini = await initiative_of_cell(req.session, cell_id, int_arg(parts, 3) or -1)
    if ini is None:  # another cell's initiative in forged data, or gone
        req.refuse()
        return STAY
    if action == "sh":
        return await show_item(req, ini)
    if action == "fl":
        return _send_attachment(req, ini)
    code = parts[4] if len(parts) > 4 else ""
    target = STATUS_CODES.get(code)
    if action != "st" or target is None or target.value not in TRANSITIONS.get(ini.status, ()):
        req.refuse()
        return STAY
    if target is InitiativeStatus.COMPLETED:
        draft = new_draft(context, mode="done", cell=cell_id, ini=ini.id)
        return ask(req, draft, "result")
    if target is InitiativeStatus.DROPPED:
        draft = new_draft(context, mode="drop", cell=cell_id, ini=ini.id)
        return ask(req, draft, "reason")
    await change_status(req.session, ini, target, actor_account_id=req.account.id)
    return await show_item(req, ini, notice=req.t("initiatives.status_changed"))


def _send_attachment(req: Request, ini: Initiative) -> int | None:
    attachment = split_attachment(ini.attachment_file_id)
    chat_id = req.out.chat_id
    if attachment is None or chat_id is None:
        req.refuse()
        return STAY
    kind, file_id = attachment
    caption = esc(short(ini.title, 900))
    if kind == "photo":
        req.out.photo(file_id, caption=caption)
    else:
        req.out.document(file_id, caption=caption)
    return END_STATE


def ask(req: Request, draft: dict[str, Any], step: str, *, prefix: str = "") -> int:
    cell_id = int(draft["cell"])
    draft["step"] = step
    cancel = [cancel_button(req, cell_id)]
    if step == "result":
        text, keyboard, state = req.t("initiatives.ask_result"), markup(cancel), ASK_RESULT
    elif step == "realised":
        text = req.t("initiatives.ask_realised")
        keyboard, state = markup([skip_button(req, cell_id, step)], cancel), ASK_REALISED
    elif step == "realised_ok":
        text = req.t("initiatives.confirm_amount", amount=money(req, int(draft["pending_amount"])))
        keyboard = markup(
            [
                button(req.t("common.yes"), P, "am", cell_id, "y"),
                button(req.t("initiatives.btn_retype"), P, "am", cell_id, "n"),
            ],
            cancel,
        )
        state = ASK_REALISED
    elif step == "attach":
        text = req.t("initiatives.ask_attachment")
        keyboard, state = markup([skip_button(req, cell_id, step)], cancel), ASK_ATTACH
    else:  # reason
        text, keyboard, state = req.t("initiatives.ask_reason"), markup(cancel), ASK_REASON
    send(req, (prefix + "\n\n" if prefix else "") + text, keyboard)
    return state


async def _flow_button(
    context: Ctx, req: Request, action: str, parts: list[str], cell_id: int
) -> int | None:
    draft = get_draft(context, req, cell_id)
    if draft is None or draft.get("mode") != "done":
        expired(req)
        return END_STATE
    step, arg = draft.get("step"), (parts[3] if len(parts) > 3 else "")
    if action == "am" and step == "realised_ok":
        if arg == "y":
            draft["realised"] = draft.pop("pending_amount")
            return ask(req, draft, "attach")
        draft.pop("pending_amount", None)
        return ask(req, draft, "realised")
    if action == "sk" and arg == step == "realised":
        draft["realised"] = None
        return ask(req, draft, "attach")
    if action == "sk" and arg == step == "attach":
        return await _complete(context, req, draft, None)
    req.refuse()
    return STAY


async def _initiative(req: Request, draft: dict[str, Any]) -> Initiative | None:
    ini_id = draft.get("ini")
    if not isinstance(ini_id, int):
        return None
    return await initiative_of_cell(req.session, int(draft["cell"]), ini_id)


async def _complete(
    context: Ctx, req: Request, draft: dict[str, Any], attachment: str | None
) -> int:
    ini = await _initiative(req, draft)
    drop_draft(context)
    try:
        if ini is None:
            raise InitiativeError("gone")
        await change_status(
            req.session,
            ini,
            InitiativeStatus.COMPLETED,
            actor_account_id=req.account.id,
            result=draft.get("result"),
            realised_amount_vnd=draft.get("realised"),
            attachment_file_id=attachment,
        )
    except InitiativeError:  # changed by someone else meanwhile
        expired(req)
        return END_STATE
    return await show_item(req, ini, notice=req.t("initiatives.completed_saved"))


async def on_text(update: Update, context: Ctx, req: Request, state: int) -> int:
    message = update.effective_message
    assert message is not None
    draft = get_draft(context, req)
    if draft is None or draft.get("mode") not in ("done", "drop"):
        expired(req)
        return END_STATE
    step, text = draft.get("step"), message.text or ""
    if state == ASK_ATTACH and step == "attach":
        return ask(req, draft, "attach", prefix=req.t("initiatives.need_attachment"))
    if state in (ASK_RESULT, ASK_REASON) and step in ("result", "reason"):
        value = clean_text(text)
        if value is None:
            key = "initiatives.text_too_long" if text.strip() else "initiatives.text_empty"
            return ask(req, draft, str(step), prefix=req.t(key, max=MAX_TEXT))
        if step == "result":
            draft["result"] = value
            return ask(req, draft, "realised")
        ini = await _initiative(req, draft)
        drop_draft(context)
        try:
            if ini is None:
                raise InitiativeError("gone")
            await change_status(
                req.session,
                ini,
                InitiativeStatus.DROPPED,
                actor_account_id=req.account.id,
                drop_reason=value,
            )
        except InitiativeError:
            expired(req)
            return END_STATE
        return await show_item(req, ini, notice=req.t("initiatives.dropped_saved"))
    if state == ASK_REALISED and step in ("realised", "realised_ok"):
        amount = parse_amount(text)
        if amount is None or amount <= 0:
            prefix = req.t("initiatives.bad_amount", text=esc(short(text, 40)))
            return ask(req, draft, "realised", prefix=prefix)
        draft["pending_amount"] = amount
        return ask(req, draft, "realised_ok")
    expired(req)
    return END_STATE


async def on_attachment(update: Update, context: Ctx, req: Request) -> int:
    message = update.effective_message
    assert message is not None
    draft = get_draft(context, req)
    if draft is None or draft.get("mode") != "done" or draft.get("step") != "attach":
        expired(req)
        return END_STATE
    try:
        if message.photo:
            value = attachment_value("photo", message.photo[-1].file_id)  # the largest size
        elif message.document is not None:
            value = attachment_value("document", message.document.file_id)
        else:
            raise InitiativeError("not a photo or document")
    except InitiativeError:
        return ask(req, draft, "attach", prefix=req.t("initiatives.need_attachment"))
    return await _complete(context, req, draft, value)
