"""/candidates: the cell's candidates for admission (*quần chúng ưu tú*) — add one (name
typed, then the member who helps tapped from the roster), move one stage on with one tap,
drop (confirmed), and admit: the candidate becomes a probationary member of the roster,
admitted today or on a typed day, linked to the candidate. Every change is audited.

Supervisors (not running a cell) get the counts per stage of their unit and of each child
unit, with drill-down buttons, scope-checked like /summary.

Callback data: ``cd:<cell>:<action>[:<candidate>[:<arg>]]`` for a cell; actions ``l`` the
list, ``add`` ask a name, ``c`` a candidate's card, ``nx`` next stage (arg: the stage it
moves from), ``hp`` pick the helper (arg: page), ``hs`` set the helper (arg: member),
``dr``/``drok`` drop, ``ad`` ask the admission day, ``adt`` admit today. ``sv:cdu:<unit>``
for supervisors.
"""

from __future__ import annotations

import datetime as dt
import html

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, ConversationHandler

from bot.context import Ctx, Request, user_data, with_request
from bot.conversation import END, fallbacks
from bot.i18n import date_text
from bot.keyboards import button, int_arg, markup, pager_row, parse_cb, rows
from bot.ledger_text import counts_text, stage_name
from domain import clock
from domain.member_rules import probation_end
from handlers.cell_input import member_page, text_states, typed_for
from handlers.cells import allowed, cell_name, my_cells, pick_cell_or_reply
from handlers.member_card import typed_day
from handlers.supervisor_common import PREFIX as SV
from handlers.supervisor_common import roots, single_root_or_pick, target_unit
from storage import candidates as store
from storage.members import MAX_NAME, member_of_cell, valid_name
from storage.models import Candidate, CandidateStage
from storage.scope import children, group_by_child, visible_unit

PREFIX = "cd"
SV_ACTION = "cdu"
ASK_NAME, ASK_DAY = range(2)
PENDING = "candidates_pending"
HELPER_PAGE = 10


def _esc(text: str) -> str:
    return html.escape(text)


async def list_view(req: Request, cell_id: int) -> tuple[str, InlineKeyboardMarkup]:
    listed, admitted = await store.open_candidates(req.session, cell_id)
    lines = [req.t("cand.title", cell=cell_name(req, cell_id), count=len(listed))]
    for row in listed:
        helper = req.t("cand.helper", name=_esc(row.helper_name)) if row.helper_name else ""
        lines.append(
            req.t(
                "cand.line",
                name=_esc(row.name),
                stage=stage_name(row.stage, req.lang),
                helper=helper,
            )
        )
    if not listed:
        lines.append(req.t("cand.none"))
    if admitted:
        lines.append(req.t("cand.admitted_count", count=admitted))
    names = [button(row.name, PREFIX, cell_id, "c", row.id) for row in listed]
    keyboard = [*rows(names, 2), [button(req.t("cand.btn_add"), PREFIX, cell_id, "add")]]
    return "\n".join(lines), markup(*keyboard)


async def card_view(
    req: Request, cell_id: int, candidate: Candidate
) -> tuple[str, InlineKeyboardMarkup]:
    helper = (
        await member_of_cell(req.session, cell_id, candidate.helper_member_id)
        if candidate.helper_member_id is not None
        else None
    )
    text = req.t(
        "cand.card",
        name=_esc(candidate.full_name),
        stage=stage_name(candidate.stage, req.lang),
        helper=_esc(helper.full_name) if helper is not None else req.t("cand.no_helper"),
    )
    nxt = store.NEXT_STAGE.get(candidate.stage)
    keyboard = []
    if nxt is not None:
        label = req.t("cand.btn_next", stage=stage_name(nxt, req.lang))
        # The stage it moves from rides along: a double tap moves one stage, not two.
        keyboard.append([button(label, PREFIX, cell_id, "nx", candidate.id, candidate.stage)])
    elif candidate.stage == CandidateStage.DOSSIER.value:
        keyboard.append([button(req.t("cand.btn_admit"), PREFIX, cell_id, "ad", candidate.id)])
    keyboard += [
        [button(req.t("cand.btn_helper"), PREFIX, cell_id, "hp", candidate.id, 0)],
        [button(req.t("cand.btn_drop"), PREFIX, cell_id, "dr", candidate.id)],
        [button(req.t("common.back"), PREFIX, cell_id, "l")],
    ]
    return text, markup(*keyboard)


async def helper_picker(
    req: Request, cell_id: int, candidate: Candidate, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    members, total, page = await member_page(req, cell_id, page, HELPER_PAGE)
    choices = [button(m.full_name, PREFIX, cell_id, "hs", candidate.id, m.id) for m in members]
    return req.t("cand.pick_helper", name=_esc(candidate.full_name)), markup(
        *rows(choices, 2),
        pager_row(PREFIX, page, total, HELPER_PAGE, cell_id, "hp", candidate.id),
        [button(req.t("cand.btn_later"), PREFIX, cell_id, "c", candidate.id)],
    )


def _ask_day(req: Request, cell_id: int, candidate: Candidate) -> None:
    today = date_text(clock.today(req.settings.tz), req.lang)
    req.show(
        req.t("cand.ask_admit", name=_esc(candidate.full_name), date=today),
        markup(
            [button(req.t("member.btn_today", date=today), PREFIX, cell_id, "adt", candidate.id)],
            [button(req.t("common.cancel"), PREFIX, cell_id, "c", candidate.id)],
        ),
    )


@with_request
async def candidates_command(update: Update, context: Ctx, req: Request) -> None:
    if my_cells(req):
        cell_id = pick_cell_or_reply(req, PREFIX, "l")
        if cell_id is not None:
            req.reply(*await list_view(req, cell_id))
        return
    unit = await single_root_or_pick(req, SV_ACTION)
    if unit is not None:
        req.reply(*await unit_view(req, unit.id))


@with_request
async def candidates_button(update: Update, context: Ctx, req: Request) -> int:
    """Every ``cd:`` button; the cell and the candidate are checked against the caller."""
    query = update.callback_query
    assert query is not None
    parts = parse_cb(query.data)
    cell_id = int_arg(parts, 1)
    action = parts[2] if len(parts) > 2 else ""
    if not allowed(req, cell_id):
        req.refuse()
        return END
    assert cell_id is not None
    if action == "l":
        req.show(*await list_view(req, cell_id))
        return END
    if action == "add":
        user_data(context)[PENDING] = {"cell": cell_id}
        req.show(
            req.t("cand.ask_name", max=MAX_NAME),
            markup([button(req.t("common.cancel"), PREFIX, cell_id, "l")]),
        )
        return ASK_NAME
    candidate = await store.candidate_of_cell(req.session, cell_id, int_arg(parts, 3))
    if candidate is None or candidate.stage == CandidateStage.ADMITTED.value:
        req.refuse()
        return END
    return await _candidate_action(context, req, cell_id, candidate, action, parts)


async def _candidate_action(
    context: Ctx, req: Request, cell_id: int, candidate: Candidate, action: str, parts: list[str]
) -> int:
    actor = req.account.id
    name = _esc(candidate.full_name)
    if action == "c":
        req.show(*await card_view(req, cell_id, candidate))
    elif (
        action == "nx"
        and parts[4:5] == [candidate.stage]
        and await store.advance(req.session, candidate, actor=actor)
    ):
        req.answer(req.t("cand.moved", stage=stage_name(candidate.stage, req.lang)))
        req.show(*await card_view(req, cell_id, candidate))
    elif action == "hp":
        req.show(*await helper_picker(req, cell_id, candidate, int_arg(parts, 4) or 0))
    elif action == "hs":
        member = await member_of_cell(req.session, cell_id, int_arg(parts, 4) or -1)
        if member is None:
            req.refuse()
            return END
        await store.set_helper(req.session, candidate, member, actor=actor)
        req.answer(req.t("cand.helper_set"))
        req.show(*await card_view(req, cell_id, candidate))
    elif action == "dr":
        req.show(
            req.t("cand.confirm_drop", name=name),
            markup(
                [
                    button(req.t("common.yes"), PREFIX, cell_id, "drok", candidate.id),
                    button(req.t("common.no"), PREFIX, cell_id, "c", candidate.id),
                ]
            ),
        )
    elif action == "drok":
        await store.drop(req.session, candidate, actor=actor)
        req.answer(req.t("cand.dropped", name=candidate.full_name))
        req.show(*await list_view(req, cell_id))
    elif action == "ad" and candidate.stage == CandidateStage.DOSSIER.value:
        user_data(context)[PENDING] = {"cell": cell_id, "candidate": candidate.id}
        _ask_day(req, cell_id, candidate)
        return ASK_DAY
    elif action == "adt" and candidate.stage == CandidateStage.DOSSIER.value:
        text = await admit_on(req, candidate, clock.today(req.settings.tz))
        user_data(context).pop(PENDING, None)
        list_text, keyboard = await list_view(req, cell_id)
        req.show(text + "\n\n" + list_text, keyboard)
    else:
        req.refuse()
    return END


async def admit_on(req: Request, candidate: Candidate, day: dt.date) -> str:
    """Admit the candidate on `day` (already checked); the message that says so."""
    member = await store.admit(req.session, candidate, day, actor=req.account.id)
    return req.t(
        "cand.admitted",
        name=_esc(member.full_name),
        date=date_text(day, req.lang),
        end=date_text(probation_end(day), req.lang),
    )


@with_request
async def got_name(update: Update, context: Ctx, req: Request) -> int:
    typed = typed_for(update, context, req, PENDING)
    if typed is None:
        return END
    cell_id, _, name = typed
    if not valid_name(name):
        req.reply(req.t("cand.bad_name", max=MAX_NAME))
        return ASK_NAME
    candidate = await store.add_candidate(req.session, cell_id, name, actor=req.account.id)
    user_data(context).pop(PENDING, None)
    text, keyboard = await helper_picker(req, cell_id, candidate, 0)
    req.reply(req.t("cand.added", name=_esc(candidate.full_name)) + "\n" + text, keyboard)
    return END


@with_request
async def got_day(update: Update, context: Ctx, req: Request) -> int:
    typed = typed_for(update, context, req, PENDING)
    if typed is None:
        return END
    cell_id, pending, text = typed
    candidate_id = pending.get("candidate")
    candidate = (
        await store.candidate_of_cell(req.session, cell_id, candidate_id)
        if isinstance(candidate_id, int)
        else None
    )
    if candidate is None or candidate.stage != CandidateStage.DOSSIER.value:
        req.reply(req.t("common.session_expired"))
        return END
    day = typed_day(req, text)
    if isinstance(day, str):
        req.reply(req.t(day))
        return ASK_DAY
    text = await admit_on(req, candidate, day)
    user_data(context).pop(PENDING, None)
    list_text, keyboard = await list_view(req, cell_id)
    req.reply(text + "\n\n" + list_text, keyboard)
    return END


@with_request
async def not_text(update: Update, context: Ctx, req: Request) -> None:
    req.reply(req.t("cand.need_text"))


def conversation() -> ConversationHandler[Ctx]:
    """The ``cd:`` buttons and the names and days typed after them."""
    return ConversationHandler(
        entry_points=[CallbackQueryHandler(candidates_button, pattern=rf"^{PREFIX}:")],
        states=text_states({ASK_NAME: got_name, ASK_DAY: got_day}, not_text),
        fallbacks=[
            *fallbacks(),
            CallbackQueryHandler(candidates_button, pattern=rf"^{PREFIX}:"),
        ],
        name="candidates",
        persistent=True,
        allow_reentry=True,
    )


# ---------------------------------------------------------------- supervisors


async def unit_view(req: Request, unit_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """Counts per stage under the unit (already scope-checked) and per child unit."""
    unit = await visible_unit(req.session, await roots(req), unit_id)
    assert unit is not None
    counted = await store.stage_counts_under(req.session, unit.path)
    lines = [
        req.t("cand.sv_title", unit=_esc(unit.name)),
        counts_text(store.total_by_stage(counted), req.lang),
    ]
    grouped = group_by_child(unit, counted, lambda row: row[0])
    drill = []
    for child in await children(req.session, unit.id):
        if child.id not in grouped:
            continue
        counts = store.total_by_stage(grouped[child.id])
        lines.append(
            req.t("cand.sv_line", unit=_esc(child.name), counts=counts_text(counts, req.lang))
        )
        if child.kind != "cell":
            drill.append(button(child.name, SV, SV_ACTION, child.id))
    if not counted:
        lines.append(req.t("cand.sv_none"))
    keyboard = [*rows(drill, 1)]
    parent = await visible_unit(req.session, await roots(req), unit.parent_id)
    if parent is not None:
        keyboard.append([button(req.t("common.back"), SV, SV_ACTION, parent.id)])
    return "\n".join(lines), markup(*keyboard)


@with_request
async def unit_button(update: Update, context: Ctx, req: Request) -> None:
    query = update.callback_query
    assert query is not None
    unit = await target_unit(req, parse_cb(query.data))
    if unit is None:
        req.refuse()
        return
    req.show(*await unit_view(req, unit.id))
