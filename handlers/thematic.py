"""/thematic: the cell's thematic meeting plan (*sinh hoạt chuyên đề*, at least one a quarter,
HD 42-HD/BTCTW): a topic (typed) and a presenter (tapped from the roster) for each quarter of
the year. The pre-meeting brief (handlers/brief.py) shows the quarter's plan while the
thematic meeting is still due.

Callback data ``tp:<cell>:<action>[:<year>[:<quarter>[:<arg>]]]``; actions: ``v`` the year,
``q`` one quarter, ``t`` type its topic, ``p`` presenter picker (arg: page), ``s`` set the
presenter (arg: member id), ``c`` clear the quarter. A typed topic that is not one line of
3..200 characters is refused with what is expected, and the question stays.
"""

from __future__ import annotations

import datetime as dt
import html

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.context import Ctx, Request, user_data, with_request
from bot.conversation import END, fallbacks
from bot.i18n import period_text
from bot.keyboards import button, int_arg, markup, pager_row, rows, tapped
from domain import clock
from handlers.cells import allowed, pick_cell_or_reply
from storage import schedules_store as store
from storage.brief import thematic_held
from storage.members import member_of_cell, page_of_members
from storage.thematic import QUARTERS, clear_quarter, set_presenter, set_topic, year_plan

PREFIX = "tp"
ASK_TOPIC = 0
PENDING = "thematic_pending"
MIN_TOPIC, MAX_TOPIC = 3, 200
PAGE_SIZE = 8
ACTIONS = ("v", "q", "t", "p", "s", "c")


def this_year(req: Request) -> int:
    return clock.now().astimezone(req.settings.tz).year


def quarter_text(req: Request, year: int, quarter: int) -> str:
    return period_text(f"{year}-Q{quarter}", req.lang)


def quarter_start(year: int, quarter: int) -> dt.date:
    return dt.date(year, 3 * (quarter - 1) + 1, 1)


def _years(req: Request) -> tuple[int, ...]:
    """The years a plan may be made for: last year (to read it), this one and the next;
    callback data naming another year is refused."""
    year = this_year(req)
    return (year - 1, year, year + 1)


async def year_view(req: Request, cell_id: int, year: int) -> tuple[str, InlineKeyboardMarkup]:
    cell = await store.get_unit(req.session, cell_id)
    assert cell is not None
    plans = await year_plan(req.session, cell_id, year)
    lines = [req.t("thematic.title", year=year, cell=html.escape(cell.name))]
    for quarter in QUARTERS:
        label = quarter_text(req, year, quarter)
        label = label[:1].upper() + label[1:]  # it starts the line: "Quý I/2026"
        held = await thematic_held(req.session, cell_id, quarter_start(year, quarter))
        mark = req.t("thematic.held") if held else ""
        plan = plans.get(quarter)
        if plan is None:
            lines.append(req.t("thematic.line_empty", quarter=label) + mark)
            continue
        topic = html.escape(plan.topic) if plan.topic else req.t("thematic.no_topic")
        presenter = (
            req.t("thematic.presenter", name=html.escape(plan.presenter_name))
            if plan.presenter_name
            else ""
        )
        lines.append(req.t("thematic.line", quarter=label, topic=topic, presenter=presenter) + mark)
    lines += ["", req.t("thematic.hint")]
    buttons = [
        button(
            req.t("thematic.btn_quarter", quarter=quarter_text(req, year, q)),
            PREFIX,
            cell_id,
            "q",
            year,
            q,
        )
        for q in QUARTERS
    ]
    return "\n".join(lines), markup(*rows(buttons, 2))


async def quarter_view(
    req: Request, cell_id: int, year: int, quarter: int
) -> tuple[str, InlineKeyboardMarkup]:
    cell = await store.get_unit(req.session, cell_id)
    assert cell is not None
    plan = (await year_plan(req.session, cell_id, year)).get(quarter)
    unset = req.t("thematic.unset")
    text = req.t(
        "thematic.quarter_title",
        quarter=quarter_text(req, year, quarter),
        cell=html.escape(cell.name),
        topic=html.escape(plan.topic) if plan is not None and plan.topic else unset,
        presenter=html.escape(plan.presenter_name)
        if plan is not None and plan.presenter_name
        else unset,
    )
    where = (PREFIX, cell_id)
    keyboard = markup(
        [
            button(req.t("thematic.btn_topic"), *where, "t", year, quarter),
            button(req.t("thematic.btn_presenter"), *where, "p", year, quarter, 0),
        ],
        [button(req.t("thematic.btn_clear"), *where, "c", year, quarter)] if plan else [],
        [button(req.t("thematic.btn_back"), *where, "v", year)],
    )
    return text, keyboard


async def presenter_picker(
    req: Request, cell_id: int, year: int, quarter: int, page: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    members, total = await page_of_members(req.session, cell_id, page, PAGE_SIZE)
    if not total:
        return None
    buttons = [button(m.full_name, PREFIX, cell_id, "s", year, quarter, m.id) for m in members]
    keyboard = markup(
        *rows(buttons, 2),
        pager_row(PREFIX, page, total, PAGE_SIZE, cell_id, "p", year, quarter),
        [button(req.t("thematic.btn_back"), PREFIX, cell_id, "q", year, quarter)],
    )
    text = req.t("thematic.pick_presenter", quarter=quarter_text(req, year, quarter))
    return text, keyboard


@with_request
async def thematic_command(update: Update, context: Ctx, req: Request) -> None:
    cell_id = pick_cell_or_reply(req, PREFIX, "v")
    if cell_id is None:
        return
    req.reply(*await year_view(req, cell_id, this_year(req)))


@with_request
async def thematic_button(update: Update, context: Ctx, req: Request) -> int:
    """Every tp: button. The cell is re-checked (callback data can be forged), and so are
    the year, the quarter and the member."""
    parts = tapped(update)
    cell_id = int_arg(parts, 1)
    action = parts[2] if len(parts) > 2 else ""
    year = int_arg(parts, 3) if len(parts) > 3 else this_year(req)
    quarter = int_arg(parts, 4) if len(parts) > 4 else None
    if (
        not allowed(req, cell_id)
        or action not in ACTIONS
        or year not in _years(req)
        or (action != "v" and quarter not in QUARTERS)
    ):
        req.refuse()
        return END
    assert cell_id is not None and year is not None
    if action == "v":
        req.answer()
        req.show(*await year_view(req, cell_id, year))
        return END
    assert quarter is not None
    if action == "q":
        req.answer()
        req.show(*await quarter_view(req, cell_id, year, quarter))
        return END
    if action == "t":
        user_data(context)[PENDING] = {"cell": cell_id, "year": year, "quarter": quarter}
        req.answer()
        req.reply(
            req.t("thematic.ask_topic", quarter=quarter_text(req, year, quarter), max=MAX_TOPIC)
        )
        return ASK_TOPIC
    if action == "p":
        picker = await presenter_picker(req, cell_id, year, quarter, int_arg(parts, 5) or 0)
        if picker is None:
            req.alert("thematic.no_members")
            return END
        req.answer()
        req.show(*picker)
        return END
    if action == "s":
        member = await member_of_cell(req.session, cell_id, int_arg(parts, 5) or -1)
        if member is None or member.status == "left":
            req.refuse()
            return END
        await set_presenter(req.session, cell_id, year, quarter, member.id, actor=req.account.id)
        req.answer(req.t("thematic.saved"))
        req.show(*await quarter_view(req, cell_id, year, quarter))
        return END
    # "c": clear the quarter
    cleared = await clear_quarter(req.session, cell_id, year, quarter, actor=req.account.id)
    if cleared:
        req.answer(req.t("thematic.cleared", quarter=quarter_text(req, year, quarter)))
    else:
        req.alert("thematic.nothing_to_clear")
    req.show(*await year_view(req, cell_id, year))
    return END


def valid_topic(text: str) -> str | None:
    """The topic as it will be stored, or None when it is not one line of 3..200 chars."""
    topic = " ".join(text.split())
    if "\n" in text.strip() or not MIN_TOPIC <= len(topic) <= MAX_TOPIC:
        return None
    return topic


def _pending(context: Ctx, req: Request) -> tuple[int, int, int] | None:
    pending = user_data(context).get(PENDING)
    if not isinstance(pending, dict):
        return None
    cell, year, quarter = pending.get("cell"), pending.get("year"), pending.get("quarter")
    if not (isinstance(cell, int) and isinstance(year, int) and isinstance(quarter, int)):
        return None
    return (cell, year, quarter) if allowed(req, cell) else None


@with_request
async def got_topic(update: Update, context: Ctx, req: Request) -> int:
    message = update.effective_message
    assert message is not None
    pending = _pending(context, req)
    if pending is None:
        req.reply(req.t("common.session_expired"))
        return END
    cell_id, year, quarter = pending
    topic = valid_topic(message.text or "")
    if topic is None:
        req.reply(
            req.t("thematic.bad_topic", quarter=quarter_text(req, year, quarter), max=MAX_TOPIC)
        )
        return ASK_TOPIC
    await set_topic(req.session, cell_id, year, quarter, topic, actor=req.account.id)
    user_data(context).pop(PENDING, None)
    text, keyboard = await quarter_view(req, cell_id, year, quarter)
    req.reply(req.t("thematic.saved") + "\n\n" + text, keyboard)
    return END


def conversation() -> ConversationHandler[Ctx]:
    """The tp: buttons and the topic typed after "✏️ Topic"."""
    pattern = rf"^{PREFIX}:"
    return ConversationHandler(
        entry_points=[CallbackQueryHandler(thematic_button, pattern=pattern)],
        states={
            ASK_TOPIC: [MessageHandler(~filters.COMMAND, got_topic)],
        },
        fallbacks=[*fallbacks(), CallbackQueryHandler(thematic_button, pattern=pattern)],
        name="thematic",
        persistent=True,
        allow_reentry=True,
    )
