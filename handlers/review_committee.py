"""/reviews [YYYY]: the committee's side of the annual review. A supervisor sees every cell's
submitted review under their unit, grouped by grassroots committee, with the 20 % cap on
"excellent" checked by group of like units (which proposals go beyond, by how many); opens a
cell to confirm or change its level and each member's (audited in storage.audit).

Every button re-checks the cell against the caller's scope (storage.scope.visible_unit) and
refuses a foreign one exactly as a vanished one. The list shows 10 cells a page (a province
has thousands), with the caps of the grassroots committees of the cells on the page.
Callback data: ``rc:u:<unit>:<year>[:<page>]`` the list, ``rc:b:<review>:<unit>`` the list
at the page of the review's cell, ``rc:c:<review>:<unit>`` one cell,
``rc:k:<review>:<unit>:<level>`` the cell's level, ``rc:a:<review>:<unit>`` every member as
proposed, ``rc:m:<review>:<unit>:<member>`` one member,
``rc:x:<review>:<unit>:<member>:<level>`` a member's level.
"""

from __future__ import annotations

from collections import defaultdict

from telegram import InlineKeyboardMarkup, Update

from bot.context import Ctx, Request, with_request
from bot.keyboards import button, int_arg, markup, pager_row, rows, tapped
from bot.render_numbers import number
from bot.render_scores import cap_text
from bot.review_text import esc, level_name
from domain.framework import Framework
from domain.year_review_rules import LEVELS, ProposedUnit, level_caps, member_cap
from handlers.review_common import command_year, valid_year
from handlers.supervisor_common import framework, roots
from storage import year_review as store
from storage.models import YearReview
from storage.scope import UnitRef, is_supervisor, visible_unit

PREFIX = "rc"
PAGE_SIZE = 10  # cells a page of the list, as /summary
MAX_TEXT = 4096  # Telegram's limit for a message's text


def _level(review: YearReview) -> str | None:
    return review.confirmed_level or review.proposed_level


def cap_lines(fw: Framework, lang: str, found: list[store.SubmittedReview]) -> list[str]:
    """Per grassroots committee, the cap of each group of like units over the cells' levels
    (confirmed, else proposed)."""
    by_committee: dict[int | None, list[store.SubmittedReview]] = defaultdict(list)
    for s in found:
        by_committee[s.cell.group_id].append(s)
    names = {s.cell.id: s.cell.name for s in found}
    lines = []
    for members in by_committee.values():
        units = [
            ProposedUnit(s.cell.id, s.cell.sort, level, s.review.score)
            for s in members
            if (level := _level(s.review)) is not None
        ]
        for cap in level_caps(fw, units):
            lines.append(esc(members[0].cell.group_name) + ": " + cap_text(fw, cap, lang, names))
    return lines


def fit(lines: list[str], limit: int = MAX_TEXT) -> str:
    """The lines joined, whole lines only, within `limit` characters ("…" where cut)."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit - 2:
            kept.append("…")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


async def list_view(
    req: Request,
    context: Ctx,
    unit: UnitRef,
    year: int,
    page: int = 0,
    at_cell: int | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the submitted reviews under the unit (the page of `at_cell` when given)."""
    fw = framework(context)
    found = await store.submitted_under(req.session, unit.id, year)
    if at_cell is not None:
        page = next((i for i, s in enumerate(found) if s.cell.id == at_cell), 0) // PAGE_SIZE
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    text = [req.t("review.sv.title", unit=esc(unit.name), year=year, n=len(found))]
    if not found:
        text.append(req.t("review.sv.none"))
    buttons = []
    for s in shown:
        r = s.review
        confirmed = (
            req.t("review.sv.confirmed", level=level_name(req.lang, r.confirmed_level))
            if r.confirmed_level
            else ""
        )
        text.append(
            req.t(
                "review.sv.line",
                cell=esc(s.cell.name),
                score="—" if r.score is None else number(r.score, req.lang),
                level=level_name(req.lang, r.proposed_level),
                confirmed=confirmed,
            )
        )
        buttons.append(button(s.cell.name, PREFIX, "c", r.id, unit.id))
    # The caps are counted over each committee's cells, shown for the committees on the page.
    on_page = {s.cell.group_id for s in shown}
    caps = cap_lines(fw, req.lang, [s for s in found if s.cell.group_id in on_page])
    if caps:
        text += ["", req.t("review.sv.caps"), *caps]
    keyboard = [
        *rows(buttons, 1),
        pager_row(f"{PREFIX}:u", page, len(found), PAGE_SIZE, unit.id, year),
    ]
    return fit(text), markup(*keyboard)


async def cell_view(
    req: Request, fw: Framework, review: YearReview, unit: UnitRef
) -> tuple[str, InlineKeyboardMarkup]:
    cell = await store.cell_info(req.session, review.cell_id)
    assert cell is not None
    lines = await store.lines_of(req.session, review.id)
    names = await store.member_names(req.session, list(lines))
    text = [
        req.t(
            "review.sv.cell_title",
            cell=esc(cell.name),
            year=review.year,
            score="—" if review.score is None else number(review.score, req.lang),
            level=level_name(req.lang, review.proposed_level),
            confirmed=level_name(req.lang, review.confirmed_level),
        )
    ]
    if review.note:
        text.append(req.t("review.note_shown", note=esc(review.note)))
    ordered = sorted(lines.values(), key=lambda ln: names.get(ln.member_id, ""))
    cap = member_cap(fw, [ln.confirmed_level or ln.proposed_level for ln in ordered])
    if cap is not None:
        key = "review.sv.members_cap_over" if cap.exceeded else "review.sv.members_cap_ok"
        values = {"actual": cap.actual, "base": cap.base, "allowed": cap.allowed}
        text.append(req.t(key, excess=cap.excess, **values))
    member_buttons = []
    for ln in ordered:
        text.append(
            req.t(
                "review.sv.member_line",
                name=esc(names.get(ln.member_id)),
                level=level_name(req.lang, ln.proposed_level),
                confirmed=level_name(req.lang, ln.confirmed_level),
            )
        )
        member_buttons.append(
            button(names.get(ln.member_id, "?"), PREFIX, "m", review.id, unit.id, ln.member_id)
        )
    level_buttons = [
        button(
            ("• " if lv == review.confirmed_level else "") + level_name(req.lang, lv),
            PREFIX,
            "k",
            review.id,
            unit.id,
            i,
        )
        for i, lv in enumerate(LEVELS)
    ]
    keyboard = markup(
        *rows(level_buttons, 2),
        [button(req.t("review.sv.btn_confirm_members"), PREFIX, "a", review.id, unit.id)],
        *rows(member_buttons, 2),
        [button(req.t("review.btn_back"), PREFIX, "b", review.id, unit.id)],
    )
    return "\n".join(text), keyboard


async def member_view(
    req: Request, review: YearReview, unit: UnitRef, member_id: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    line = (await store.lines_of(req.session, review.id)).get(member_id)
    if line is None:
        return None
    name = (await store.member_names(req.session, [member_id])).get(member_id, "")
    text = req.t(
        "review.sv.member_title",
        name=esc(name),
        level=level_name(req.lang, line.proposed_level),
        confirmed=level_name(req.lang, line.confirmed_level),
    )
    if line.note:
        text += "\n" + req.t("review.note_shown", note=esc(line.note))
    level_buttons = [
        button(
            ("• " if lv == line.confirmed_level else "") + level_name(req.lang, lv),
            PREFIX,
            "x",
            review.id,
            unit.id,
            member_id,
            i,
        )
        for i, lv in enumerate(LEVELS)
    ]
    keyboard = markup(
        *rows(level_buttons, 2), [button(req.t("review.btn_back"), PREFIX, "c", review.id, unit.id)]
    )
    return text, keyboard


async def _pick_unit(req: Request, year: int) -> UnitRef | None:
    if not is_supervisor(req.grants, req.is_admin):
        req.reply(req.t("sv.not_supervisor"))
        return None
    units = await roots(req)
    if not units:
        req.reply(req.t("sv.not_supervisor"))
        return None
    if len(units) == 1:
        return units[0]
    buttons = [button(u.name, PREFIX, "u", u.id, year) for u in units[:40]]
    req.reply(req.t("sv.pick_unit"), markup(*rows(buttons, 1)))
    return None


@with_request
async def reviews_command(update: Update, context: Ctx, req: Request) -> None:
    year = command_year(req, update)
    if year is None:
        return
    unit = await _pick_unit(req, year)
    if unit is not None:
        req.reply(*await list_view(req, context, unit, year))


async def _review_in_scope(req: Request, parts: list[str]) -> tuple[YearReview, UnitRef] | None:
    """The submitted review a button names and the unit the view is of, both in scope."""
    scope = await roots(req)
    review = await store.review_by_id(req.session, int_arg(parts, 2))
    unit = await visible_unit(req.session, scope, int_arg(parts, 3))
    if review is None or unit is None or review.status != store.SUBMITTED:
        return None
    cell = await visible_unit(req.session, [unit], review.cell_id)
    return None if cell is None else (review, unit)


@with_request
async def reviews_button(update: Update, context: Ctx, req: Request) -> None:
    parts = tapped(update)
    action = parts[1] if len(parts) > 1 else ""
    if action == "u":
        unit = await visible_unit(req.session, await roots(req), int_arg(parts, 2))
        year = int_arg(parts, 3)
        if unit is None or year is None or not valid_year(req, year):
            req.refuse()
            return
        req.answer()
        req.show(*await list_view(req, context, unit, year, int_arg(parts, 4) or 0))
        return
    found = await _review_in_scope(req, parts)
    if found is None or action not in ("b", "c", "k", "a", "m", "x"):
        req.refuse()
        return
    review, unit = found
    if action == "b":
        req.answer()
        req.show(*await list_view(req, context, unit, review.year, at_cell=review.cell_id))
        return
    if action == "k":
        level = int_arg(parts, 4)
        if level is None or level >= len(LEVELS):
            req.refuse()
            return
        await store.confirm_cell(req.session, review, LEVELS[level], req.account.id)
        req.answer(req.t("review.saved"))
    elif action == "a":
        lines = await store.lines_of(req.session, review.id)
        levels = {m: ln.proposed_level for m, ln in lines.items() if ln.proposed_level}
        await store.confirm_members(req.session, review, levels, req.account.id)
        req.answer(req.t("review.sv.members_confirmed", n=len(levels)))
    elif action in ("m", "x"):
        member_id, level = int_arg(parts, 4), int_arg(parts, 5)
        if member_id is None:
            req.refuse()
            return
        if action == "x":
            if level is None or level >= len(LEVELS):
                req.refuse()
                return
            await store.confirm_members(
                req.session, review, {member_id: LEVELS[level]}, req.account.id
            )
        shown = await member_view(req, review, unit, member_id)
        if shown is None:
            req.refuse()
            return
        req.answer(req.t("review.saved") if action == "x" else None)
        req.show(*shown)
        return
    else:
        req.answer()
    req.show(*await cell_view(req, framework(context), review, unit))
