"""/minutes [YYYY-MM]: the month's minutes (*biên bản*) and resolution (*nghị quyết*) as DOCX.

For a cell's secretary or deputy (their cell; several cells: the usual cell picker). Without a
month: the latest month with a submitted check-in. The same two files are sent right after a
check-in is submitted (handlers/checkin.py calls `send_after_submit`): then the facts are read
after the submit has committed. The files are written and sent by a task of their own once the
update's replies are out (bot/replies.py files_later): python-docx is CPU work that no
transaction, lock or the secretary's next tap should wait for.

Callback data: ``mn:<cell id>:<YYYY-MM or ->`` (the cell picker).
"""

from __future__ import annotations

import datetime as dt
import html

from telegram import Update

from bot.context import Ctx, Request, with_request
from bot.docx_minutes import documents
from bot.i18n import period_text
from bot.keyboards import int_arg, parse_cb
from bot.replies import LaterFiles
from domain.periods import month_label, parse_month
from handlers.cells import allowed, cell_name, pick_cell_or_reply
from storage.db import SessionFactory
from storage.minutes_facts import MinutesFacts, facts_of_month, latest_month, read_facts

PREFIX = "mn"
LATEST = "-"


def _files(req: Request, facts: MinutesFacts) -> LaterFiles:
    files = documents(facts, req.lang)
    values = {
        "cell": html.escape(facts.cell_name),
        "period": period_text(month_label(facts.month), req.lang),
    }
    captions = (
        req.t("minutes.caption_minutes", **values),
        req.t("minutes.caption_resolution", **values),
    )
    return [(name, make, caption) for (name, make), caption in zip(files, captions, strict=True)]


def queue_documents(req: Request, facts: MinutesFacts) -> None:
    """Both files, queued after whatever the update already says."""
    req.out.files_later(_files(req, facts))


def send_after_submit(req: Request, sessions: SessionFactory, checkin_id: int) -> None:
    """After a submit: the month's two files (nothing for a meeting reported as not held).
    Their facts are read once the submit has committed, in a read transaction of their own:
    the submit's transaction, which holds SQLite's one writer, does not wait for them."""

    async def files() -> LaterFiles:
        async with sessions() as session:
            facts = await read_facts(session, checkin_id)
        return [] if facts is None else _files(req, facts)

    req.out.files_later(files)


async def send_month(req: Request, cell_id: int, month: dt.date | None) -> None:
    if month is None:
        month = await latest_month(req.session, cell_id)
        if month is None:
            req.reply(req.t("minutes.none_at_all", cell=cell_name(req, cell_id)))
            return
    facts = await facts_of_month(req.session, cell_id, month)
    if facts is None:
        period = period_text(month_label(month), req.lang)
        req.reply(req.t("minutes.none_month", cell=cell_name(req, cell_id), period=period))
        return
    queue_documents(req, facts)


@with_request
async def minutes_command(update: Update, context: Ctx, req: Request) -> None:
    arg = " ".join(context.args or []).strip()
    month = parse_month(arg) if arg else None
    if arg and month is None:
        req.reply(req.t("minutes.bad_month"))
        return
    cell_id = pick_cell_or_reply(req, PREFIX, month_label(month) if month else LATEST)
    if cell_id is None:
        return
    await send_month(req, cell_id, month)


@with_request
async def minutes_button(update: Update, context: Ctx, req: Request) -> None:
    """A cell chosen in the picker. The cell is re-checked: callback data can be forged."""
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    cell_id = int_arg(parts, 1)
    code = parts[2] if len(parts) > 2 else ""
    month = None if code == LATEST else parse_month(code)
    if not allowed(req, cell_id) or (code != LATEST and month is None):
        req.refuse()
        return
    assert cell_id is not None
    req.answer()
    await send_month(req, cell_id, month)
