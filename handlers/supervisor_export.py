"""/export [period] [csv] and /chart [period]: files and pictures for a unit's period.

The data is read in the update's transaction; the file is written in a worker thread
(writing XLSX and matplotlib are CPU work) so other users are not kept waiting — an XLSX
export's check-ins and absences chunk by chunk as they are streamed from the database. The
finished bytes are queued on the request and sent after the commit, each after an
"uploading…" status (the upload of a large file is what the user waits for).

Callback data: ``sv:exp:<unit id>:<period>:<x|c>`` and ``sv:cht:<unit id>:<period>``.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from telegram import Update
from telegram.constants import ChatAction

from bot.charts import criteria_chart, trend_chart
from bot.context import Ctx, Request, with_request
from bot.export_csv import csv_bytes
from bot.export_sheets import Labels
from bot.export_xlsx import file_name, scores_table, write_workbook
from bot.render_scores import reason_text
from domain import clock
from domain.framework import Framework
from domain.periods import Period, add_months
from handlers.supervisor_common import (
    button_unit_period,
    command_unit_period,
    esc,
    framework,
    parse_period_arg,
    period_name,
    single_root_or_pick,
    this_month,
)
from storage.export import collect
from storage.scope import UnitRef
from storage.supervision import monthly_trend, summary

log = logging.getLogger(__name__)

EXPORT, CHART = "exp", "cht"
FORMATS = {"x": "xlsx", "c": "csv"}


def labels(req: Request, fw: Framework) -> Labels:
    return Labels(req.lang, req.t, lambda r: reason_text(fw, r, req.lang))


def _args(req: Request, args: list[str]) -> tuple[Period | None, str]:
    fmt = "x"
    rest = []
    for arg in args:
        if arg.lower() in ("csv", "xlsx", "excel"):
            fmt = "c" if arg.lower() == "csv" else "x"
        else:
            rest.append(arg)
    return parse_period_arg(" ".join(rest), this_month(req)), fmt


# ---------------------------------------------------------------- export


async def send_export(
    update: Update, context: Ctx, req: Request, unit: UnitRef, period: Period, fmt: str
) -> None:
    fw = framework(context)
    data = await collect(
        req.session, fw, unit, period, clock.today(req.settings.tz), req.settings.tz
    )
    texts = labels(req, fw)
    if fmt == "c":
        content = await asyncio.to_thread(csv_bytes, texts, scores_table(fw, texts, data))
    else:
        content = await write_workbook(fw, texts, data)
    name = file_name(unit, period, FORMATS[fmt])
    caption = req.t(
        "sv.exp.caption",
        unit=esc(unit.name),
        period=period_name(req, period),
        cells=len(data.summary.cells),
        checkins=data.checkin_count,
    )
    req.out.chat_action(ChatAction.UPLOAD_DOCUMENT)
    req.out.document(content, name, caption)


@with_request
async def export_command(update: Update, context: Ctx, req: Request) -> None:
    period, fmt = _args(req, list(context.args or []))
    if period is None:
        req.reply(req.t("sv.bad_period"))
        return
    unit = await single_root_or_pick(req, EXPORT, period.label, fmt)
    if unit is None:
        return
    await send_export(update, context, req, unit, period, fmt)


@with_request
async def export_button(update: Update, context: Ctx, req: Request) -> None:
    found = await button_unit_period(req, update)
    if found is None:
        return
    unit, period, parts = found
    fmt = parts[4] if len(parts) > 4 else "x"
    if fmt not in FORMATS:
        req.refuse()
        return
    await send_export(update, context, req, unit, period, fmt)


# ---------------------------------------------------------------- charts


async def send_charts(
    update: Update, context: Ctx, req: Request, unit: UnitRef, period: Period
) -> None:
    fw = framework(context)
    data = await summary(req.session, fw, unit, period, clock.today(req.settings.tz))
    end = period.end
    start = period.start if period.kind == "year" else add_months(end, -12)
    trend = await monthly_trend(req.session, fw, unit, start, end)
    rows = data.rows or [data.total]
    bars = await asyncio.to_thread(
        partial(
            criteria_chart,
            req.t("sv.chart.criteria_title", unit=unit.name, period=period_name(req, period)),
            [r.name for r in rows],
            [c.name.get(req.lang) for c in fw.criteria],
            [[r.criteria.get(c.code) for c in fw.criteria] for r in rows],
            [c.max_points for c in fw.criteria],
            ylabel=req.t("sv.chart.percent_of_max"),
        )
    )
    lines = await asyncio.to_thread(
        partial(
            trend_chart,
            req.t("sv.chart.trend_title", unit=unit.name),
            [p.month for p in trend],
            [p.meeting_score for p in trend],
            [p.attendance for p in trend],
            score_label=req.t("sv.chart.score_label"),
            attendance_label=req.t("sv.chart.attendance_label"),
        )
    )
    req.out.chat_action(ChatAction.UPLOAD_PHOTO)
    req.out.photo(
        bars,
        "criteria.png",
        req.t("sv.chart.criteria_caption", unit=esc(unit.name), period=period_name(req, period)),
    )
    req.out.photo(lines, "trend.png", req.t("sv.chart.trend_caption", unit=esc(unit.name)))


@with_request
async def chart_command(update: Update, context: Ctx, req: Request) -> None:
    found = await command_unit_period(req, context, this_month(req), CHART)
    if found is not None:
        await send_charts(update, context, req, *found)


@with_request
async def chart_button(update: Update, context: Ctx, req: Request) -> None:
    found = await button_unit_period(req, update)
    if found is not None:
        unit, period, _ = found
        await send_charts(update, context, req, unit, period)
