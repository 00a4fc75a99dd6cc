"""Registering an initiative for one or several members, one short question at a time.

members (toggle list) → kind → title → description? → year → expected benefit? →
amount? (parsed back for confirmation) → target date? → confirm. Every question can be left
with /cancel; optional ones have a Skip button; a bad answer is explained and asked again.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import Ctx, Request
from bot.keyboards import button, int_arg, markup, pager_row, rows
from domain import clock
from domain.amounts import parse_amount
from handlers.initiatives_common import (
    ASK_AMOUNT,
    ASK_BENEFIT,
    ASK_DESC,
    ASK_TARGET,
    ASK_TITLE,
    BUTTONS,
    KIND_CODES,
    STAY,
    P,
    cancel_button,
    drop_draft,
    esc,
    expired,
    get_draft,
    kind_label,
    money,
    new_draft,
    parse_date,
    short,
    show_date,
    skip_button,
)
from handlers.initiatives_views import menu_view
from storage.initiatives import (
    MAX_GROUP,
    MAX_TEXT,
    MAX_TITLE,
    InitiativeError,
    InitiativeKind,
    NewInitiative,
    clean_text,
    clean_title,
    member_coverage,
    register,
    registrable_members,
)

PICK_PAGE_SIZE = 10
Row = list[InlineKeyboardButton]
END_STATE = -1  # ConversationHandler.END


def send(
    req: Request, text: str, keyboard: InlineKeyboardMarkup | None = None, *, edit: bool = True
) -> None:
    """Edit the message under a tapped button; reply to a typed answer (after the commit)."""
    if edit:
        req.show(text, keyboard)
    else:
        req.reply(text, keyboard)


# ---------------------------------------------------------------- picking members


async def start(
    context: Ctx,
    req: Request,
    cell_id: int,
    preselect: list[int],
    year: int | None = None,
) -> int:
    draft = new_draft(context, mode="reg", cell=cell_id, sel=preselect[:MAX_GROUP], page=0)
    if year is not None:
        draft["year"] = year
    return await show_picker(req, draft)


async def show_picker(req: Request, draft: dict[str, Any]) -> int:
    cell_id = int(draft["cell"])
    draft["step"] = "pick"
    year = int(draft.get("year") or clock.today(req.settings.tz).year)
    everyone = await member_coverage(req.session, cell_id, year)
    pages = max(1, -(-len(everyone) // PICK_PAGE_SIZE))
    page = min(max(int(draft.get("page", 0)), 0), pages - 1)
    selected = set(draft["sel"])
    chunk = everyone[page * PICK_PAGE_SIZE : (page + 1) * PICK_PAGE_SIZE]
    member_buttons = [
        button(
            short(
                ("☑ " if m.member_id in selected else "☐ ")
                + m.full_name
                + (" ✓" if m.covered else ""),
                40,
            ),
            P,
            "tg",
            cell_id,
            m.member_id,
            page,
        )
        for m in chunk
    ]
    text = req.t("initiatives.pick_members", year=year, count=len(selected))
    keyboard = markup(
        *rows(member_buttons, 2),
        pager_row(f"{P}:pk", page, len(everyone), PICK_PAGE_SIZE, cell_id),
        [button(req.t("initiatives.btn_next", count=len(selected)), P, "nx", cell_id)],
        [cancel_button(req, cell_id)],
    )
    send(req, text, keyboard)
    return BUTTONS


async def toggle(
    req: Request, draft: dict[str, Any], member_id: int | None, page: int
) -> int | None:
    cell_id = int(draft["cell"])
    found = await registrable_members(req.session, cell_id, [member_id] if member_id else [])
    if not found:  # another cell's member, a left one, or forged data
        req.refuse()
        return STAY
    selected: list[int] = list(draft["sel"])
    if found[0].id in selected:
        selected.remove(found[0].id)
    elif len(selected) < MAX_GROUP:
        selected.append(found[0].id)
    draft["sel"], draft["page"] = selected, page
    return await show_picker(req, draft)


# ---------------------------------------------------------------- the questions


# Typed questions: step → (question key, conversation state, optional).
TYPED = {
    "title": ("initiatives.ask_title", ASK_TITLE, False),
    "desc": ("initiatives.ask_desc", ASK_DESC, True),
    "benefit": ("initiatives.ask_benefit", ASK_BENEFIT, True),
    "amount": ("initiatives.ask_amount", ASK_AMOUNT, True),
    "target": ("initiatives.ask_target", ASK_TARGET, True),
}


def _question(req: Request, draft: dict[str, Any], step: str) -> tuple[str, list[Row], int]:
    cell_id = int(draft["cell"])
    if step in TYPED:
        key, state, optional = TYPED[step]
        keyboard = rows(_target_buttons(req, draft), 3) if step == "target" else []
        if optional:
            keyboard.append([skip_button(req, cell_id, step)])
        return req.t(key, max=MAX_TITLE), keyboard, state
    if step == "kind":
        kinds = [
            button(kind_label(req, k.value), P, "kd", cell_id, c) for c, k in KIND_CODES.items()
        ]
        return req.t("initiatives.ask_kind", count=len(draft["sel"])), rows(kinds, 1), BUTTONS
    if step == "year":
        year = clock.today(req.settings.tz).year
        this_year = req.t("initiatives.btn_this_year", year=year)
        next_year = req.t("initiatives.btn_next_year", year=year + 1)
        keyboard = [
            [
                button(this_year, P, "yr", cell_id, year),
                button(next_year, P, "yr", cell_id, year + 1),
            ]
        ]
        return req.t("initiatives.ask_year"), keyboard, BUTTONS
    if step == "amount_ok":
        amount = money(req, int(draft["pending_amount"]))
        keyboard = [
            [
                button(req.t("common.yes"), P, "am", cell_id, "y"),
                button(req.t("initiatives.btn_retype"), P, "am", cell_id, "n"),
            ]
        ]
        return req.t("initiatives.confirm_amount", amount=amount), keyboard, ASK_AMOUNT
    text = summary(req, draft) + "\n\n" + req.t("initiatives.ask_confirm")  # confirm
    return text, [[button(req.t("initiatives.btn_save"), P, "ok", cell_id)]], BUTTONS


def ask(
    req: Request,
    draft: dict[str, Any],
    step: str,
    *,
    edit: bool = True,
    prefix: str = "",
) -> int:
    """Put question `step` (with `prefix`, e.g. an error, above it); return its state."""
    draft["step"] = step
    text, keyboard, state = _question(req, draft, step)
    keyboard.append([cancel_button(req, int(draft["cell"]))])
    send(req, (prefix + "\n\n" if prefix else "") + text, markup(*keyboard), edit=edit)
    return state


def _target_buttons(req: Request, draft: dict[str, Any]) -> list[InlineKeyboardButton]:
    """Quarter ends of the chosen year that are still ahead: the usual deadlines."""
    year, now = int(draft["year"]), clock.today(req.settings.tz)
    ends = [dt.date(year, 3, 31), dt.date(year, 6, 30), dt.date(year, 9, 30), dt.date(year, 12, 31)]
    return [
        button(show_date(day), P, "td", int(draft["cell"]), day.strftime("%Y%m%d"))
        for day in ends
        if day >= now
    ]


def summary(req: Request, draft: dict[str, Any]) -> str:
    lines = [
        req.t("initiatives.summary_title", title=esc(draft.get("title"))),
        req.t(
            "initiatives.summary_members",
            count=len(draft["sel"]),
            names=esc(draft.get("names", "")),
        ),
        req.t(
            "initiatives.summary_kind",
            kind=kind_label(req, str(draft.get("kind"))),
            year=draft.get("year"),
        ),
    ]
    if draft.get("desc"):
        lines.append(req.t("initiatives.item_description", value=esc(draft["desc"])))
    if draft.get("benefit"):
        lines.append(req.t("initiatives.item_benefit", value=esc(draft["benefit"])))
    if draft.get("amount") is not None:
        lines.append(req.t("initiatives.item_amount", value=money(req, int(draft["amount"]))))
    if draft.get("target"):
        lines.append(
            req.t(
                "initiatives.item_target", value=show_date(dt.date.fromisoformat(draft["target"]))
            )
        )
    return "\n".join(lines)


def _after_amount(req: Request, draft: dict[str, Any], *, edit: bool = True) -> int:
    return ask(req, draft, "target", edit=edit)


async def _confirm(req: Request, draft: dict[str, Any], *, edit: bool = True) -> int:
    members = await registrable_members(req.session, int(draft["cell"]), list(draft["sel"]))
    draft["names"] = short(", ".join(m.full_name for m in members), 600)
    return ask(req, draft, "confirm", edit=edit)


# ---------------------------------------------------------------- buttons


async def on_button(
    context: Ctx, req: Request, action: str, parts: list[str], cell_id: int
) -> int | None:
    """The registration buttons (after the dispatcher checked the cell)."""
    if action == "reg":
        return await start(context, req, cell_id, [])
    if action == "regm":
        member_id = int_arg(parts, 3)
        found = await registrable_members(req.session, cell_id, [member_id] if member_id else [])
        if not found:
            req.refuse()
            return STAY
        return await start(context, req, cell_id, [found[0].id])
    if action == "regu":
        year = int_arg(parts, 3) or clock.today(req.settings.tz).year
        if year not in (clock.today(req.settings.tz).year, clock.today(req.settings.tz).year + 1):
            year = clock.today(req.settings.tz).year
        uncovered = [
            m.member_id
            for m in await member_coverage(req.session, cell_id, year)
            if m.active and not m.covered
        ]
        return await start(context, req, cell_id, uncovered, year)

    draft = get_draft(context, req, cell_id)
    if draft is None or draft.get("mode") != "reg":
        expired(req)
        return END_STATE
    step = draft.get("step")
    if action == "tg" and step == "pick":
        return await toggle(req, draft, int_arg(parts, 3), int_arg(parts, 4) or 0)
    if action == "pk" and step == "pick":
        draft["page"] = int_arg(parts, 3) or 0
        return await show_picker(req, draft)
    if action == "nx" and step == "pick":
        if not draft["sel"]:
            req.alert("initiatives.pick_none")
            return BUTTONS
        return ask(req, draft, "kind")
    if action == "kd" and step == "kind" and len(parts) > 3 and parts[3] in KIND_CODES:
        draft["kind"] = KIND_CODES[parts[3]].value
        return ask(req, draft, "title")
    if action == "sk" and len(parts) > 3 and parts[3] == step:
        return await _skip(req, draft, str(step))
    if action == "yr" and step == "year":
        chosen = int_arg(parts, 3)
        if chosen not in (clock.today(req.settings.tz).year, clock.today(req.settings.tz).year + 1):
            req.refuse()
            return STAY
        draft["year"] = chosen
        return ask(req, draft, "benefit")
    if action == "am" and step == "amount_ok" and len(parts) > 3:
        if parts[3] == "y":
            draft["amount"] = draft.pop("pending_amount")
            return _after_amount(req, draft)
        draft.pop("pending_amount", None)
        return ask(req, draft, "amount")
    if action == "td" and step == "target" and len(parts) > 3:
        try:
            day = dt.datetime.strptime(parts[3], "%Y%m%d").date()
        except ValueError:
            day = None
        if day is None or day < clock.today(req.settings.tz):
            req.refuse()
            return STAY
        draft["target"] = day.isoformat()
        return await _confirm(req, draft)
    if action == "ok" and step == "confirm":
        return await _save(context, req, draft)
    req.refuse()
    return STAY


async def _skip(req: Request, draft: dict[str, Any], step: str) -> int | None:
    if step == "desc":
        draft["desc"] = None
        return ask(req, draft, "year")
    if step == "benefit":
        draft["benefit"] = None
        return ask(req, draft, "amount")
    if step == "amount":
        draft["amount"] = None
        return _after_amount(req, draft)
    if step == "target":
        draft["target"] = None
        return await _confirm(req, draft)
    req.refuse()
    return STAY


async def _save(context: Ctx, req: Request, draft: dict[str, Any]) -> int:
    cell_id = int(draft["cell"])
    data = NewInitiative(
        kind=InitiativeKind(draft["kind"]),
        title=str(draft["title"]),
        year=int(draft["year"]),
        description=draft.get("desc"),
        expected_benefit=draft.get("benefit"),
        expected_amount_vnd=draft.get("amount"),
        target_date=dt.date.fromisoformat(draft["target"]) if draft.get("target") else None,
    )
    try:
        created = await register(
            req.session, cell_id, list(draft["sel"]), data, actor_account_id=req.account.id
        )
    except InitiativeError:
        # A member left or moved since they were picked: start the pick again.
        drop_draft(context)
        expired(req)
        return END_STATE
    drop_draft(context)
    text, keyboard = await menu_view(req, cell_id)
    done = req.t("initiatives.saved", title=html.escape(created[0].title), count=len(created))
    send(req, done + "\n\n" + text, keyboard)
    return END_STATE


# ---------------------------------------------------------------- typed answers


async def on_text(update: Update, context: Ctx, req: Request, state: int) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = get_draft(context, req)
    if draft is None or draft.get("mode") != "reg":
        expired(req)
        return END_STATE
    text, step = message.text, draft.get("step")
    if state == ASK_TITLE and step == "title":
        title = clean_title(text)
        if title is None:
            key = "initiatives.title_too_long" if text.strip() else "initiatives.title_empty"
            return ask(
                req,
                draft,
                "title",
                edit=False,
                prefix=req.t(key, max=MAX_TITLE, length=len(" ".join(text.split()))),
            )
        draft["title"] = title
        return ask(req, draft, "desc", edit=False)
    if state == ASK_DESC and step == "desc":
        value = clean_text(text)
        if value is None:
            return ask(
                req,
                draft,
                "desc",
                edit=False,
                prefix=req.t("initiatives.text_too_long", max=MAX_TEXT),
            )
        draft["desc"] = value
        return ask(req, draft, "year", edit=False)
    if state == ASK_BENEFIT and step == "benefit":
        value = clean_text(text)
        if value is None:
            return ask(
                req,
                draft,
                "benefit",
                edit=False,
                prefix=req.t("initiatives.text_too_long", max=MAX_TEXT),
            )
        draft["benefit"] = value
        return ask(req, draft, "amount", edit=False)
    if state == ASK_AMOUNT and step in ("amount", "amount_ok"):
        amount = parse_amount(text)
        if amount is None or amount <= 0:
            return ask(
                req,
                draft,
                "amount",
                edit=False,
                prefix=req.t("initiatives.bad_amount", text=esc(short(text, 40))),
            )
        draft["pending_amount"] = amount
        return ask(req, draft, "amount_ok", edit=False)
    if state == ASK_TARGET and step == "target":
        day = parse_date(text, int(draft["year"]))
        if day is None:
            return ask(req, draft, "target", edit=False, prefix=req.t("initiatives.bad_date"))
        if day < clock.today(req.settings.tz):
            return ask(
                req,
                draft,
                "target",
                edit=False,
                prefix=req.t("initiatives.past_date", date=show_date(day)),
            )
        draft["target"] = day.isoformat()
        return await _confirm(req, draft, edit=False)
    expired(req)
    return END_STATE
