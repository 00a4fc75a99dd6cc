"""/cell <code or part of a name>: one cell in the supervisor's scope — the last 12 months
(held? score, band), criteria scores with reasons, initiative coverage, members at risk.

Callback data: ``sv:cell:<cell id>:<period>``. A search only looks inside the caller's
scope, so "not found" is the same answer for a cell elsewhere and for no cell at all.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import Ctx, Request, with_request
from bot.keyboards import button, markup
from bot.render_scores import period_text
from bot.supervisor_text import shorten, tasks_text
from domain import clock
from domain.framework import Framework
from domain.periods import Period
from domain.scoring import band_for
from handlers.supervisor_common import (
    PREFIX,
    band_name,
    button_unit_period,
    esc,
    framework,
    not_supervisor,
    num,
    pct,
    period_name,
    roots,
)
from storage.member_metrics import members_at_risk, members_excused_in_a_row
from storage.models import OrgUnit, UnitKind
from storage.proposals import latest_proposals, task_completion
from storage.scope import UnitRef, find_cells, is_supervisor, visible_unit
from storage.score_service import score_tree
from storage.supervision import MonthLine, cell_history

ACTION = "cell"
MAX_AT_RISK = 10
REASONS = 5
LATEST_PROPOSALS = 3
PROPOSAL_SHORT = 200  # characters of each in this already long message; /proposals has all


def _month_line(req: Request, fw: Framework, line: MonthLine) -> str:
    label = f"{line.month.month:02d}/{line.month.year}"
    extra = req.t("sv.cell.thematic_mark") if line.thematic else ""
    if not line.reported:
        return req.t("sv.cell.month_missing", month=label) + extra
    if not line.held:
        return req.t("sv.cell.month_not_held", month=label) + extra
    band = band_for(fw.meeting_rubric.bands, line.score)
    text = req.t(
        "sv.cell.month_held",
        month=label,
        score=num(req, line.score),
        band=band_name(req, fw, band, meeting=True),
    )
    return text + extra


async def _substance(req: Request, cell: UnitRef, period: Period) -> list[str]:
    """How the tasks reviewed in the period were carried out, and the cell's latest
    recommendations to the higher committee (up to the end of the period)."""
    lines = [tasks_text(req, await task_completion(req.session, cell.path, period), period)]
    latest = await latest_proposals(req.session, cell.id, period.end, LATEST_PROPOSALS)
    if not latest:
        return [*lines, req.t("sv.cell.proposals_none")]
    lines.append(req.t("sv.cell.proposals"))
    for item in latest:
        month = period_name(req, Period("month", item.month.year, item.month.month))
        text, _cut = shorten(item.text, PROPOSAL_SHORT)
        lines.append(req.t("sv.cell.proposal_line", month=month, text=esc(text)))
    return lines


async def cell_view(
    req: Request, fw: Framework, cell: UnitRef, period: Period
) -> tuple[str, InlineKeyboardMarkup]:
    as_of = clock.today(req.settings.tz)
    history = await cell_history(req.session, fw, cell.id, min(period.last_day, as_of))
    report = await score_tree(req.session, fw, cell.code, period, as_of=as_of)
    score = report.cells[0] if report.cells else None
    parent = await req.session.get(OrgUnit, cell.parent_id) if cell.parent_id else None
    parts = [
        req.t(
            "sv.cell.header",
            name=esc(cell.name),
            code=esc(cell.code),
            parent=esc(parent.name if parent else ""),
        ),
        "",
        req.t("sv.cell.months"),
        *[_month_line(req, fw, line) for line in history],
        "",
        req.t("sv.cell.period", period=period_name(req, period)),
    ]
    if score is not None:
        # Scores and reasons are rendered by the scoring feature (bot/render_scores.py).
        parts.append(period_text(fw, score.result, req.lang, reasons=REASONS))
        if score.cap_flag:
            parts.append(req.t("sv.cell.cap_flag"))
        m = score.metrics
        parts += [
            "",
            req.t(
                "sv.cell.initiatives",
                year=period.year,
                covered=m.initiative_members,
                active=m.active_members,
                coverage=pct(req, m.initiative_coverage),
                completed=m.initiative_completed_members,
                completion=pct(req, m.initiative_completion),
            ),
        ]
    parts += ["", *await _substance(req, cell, period), ""]
    unit = await req.session.get(OrgUnit, cell.id)
    assert unit is not None
    at_risk = await members_at_risk(req.session, unit, as_of=as_of, standards=fw.standards)
    if at_risk:
        parts.append(req.t("sv.cell.at_risk", count=len(at_risk)))
        parts += [
            req.t("sv.cell.at_risk_line", name=esc(m.full_name), months=m.months)
            for m in at_risk[:MAX_AT_RISK]
        ]
    else:
        parts.append(req.t("sv.cell.at_risk_none"))
    # 12-HD/BTCTW: no member absent with reason more than 3 times in a row in the year.
    in_a_row = await members_excused_in_a_row(req.session, unit, period, standards=fw.standards)
    if in_a_row:
        names = ", ".join(esc(name) for _, name in in_a_row[:MAX_AT_RISK])
        limit = fw.standards.excused_streak_max
        parts.append(req.t("sv.cell.excused_streak", limit=limit, names=names))
    keyboard = []
    scope = await roots(req)
    if cell.parent_id is not None and await visible_unit(req.session, scope, cell.parent_id):
        keyboard.append(
            [button(req.t("sv.btn_up"), PREFIX, "sum", cell.parent_id, period.label, 0)]
        )
    return "\n".join(parts), markup(*keyboard)


@with_request
async def cell_command(update: Update, context: Ctx, req: Request) -> None:
    if not is_supervisor(req.grants, req.is_admin):
        not_supervisor(req)
        return
    text = " ".join(context.args or []).strip()
    if not text:
        req.reply(req.t("sv.cell.usage"))
        return
    found = await find_cells(req.session, await roots(req), text)
    period = Period.of("year", clock.today(req.settings.tz))
    if not found:
        req.reply(req.t("sv.cell.not_found", text=esc(text[:60])))
        return
    if len(found) > 1:
        buttons = [
            [button(f"{c.name} ({c.code})", PREFIX, ACTION, c.id, period.label)] for c in found
        ]
        req.reply(req.t("sv.cell.pick", count=len(found)), markup(*buttons))
        return
    view, keyboard = await cell_view(req, framework(context), found[0], period)
    req.reply(view, keyboard)


@with_request
async def cell_button(update: Update, context: Ctx, req: Request) -> None:
    found = await button_unit_period(req, update)
    if found is None:
        return
    cell, period, _ = found
    if cell.kind != UnitKind.CELL.value:
        req.refuse()
        return
    text, keyboard = await cell_view(req, framework(context), cell, period)
    req.show(text, keyboard)
