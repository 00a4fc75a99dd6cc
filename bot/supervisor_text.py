"""Texts of the supervisor views that are not handlers' own: numbers, names and the /summary
message, shared by the /summary handler and `cellbot report` (which has no Telegram update,
only a reader: a language)."""

from __future__ import annotations

import html
from typing import Protocol

from babel.numbers import format_decimal, format_percent

from bot.i18n import period_text
from domain.classification import is_classified, reference_band
from domain.framework import Framework
from domain.periods import Period
from storage.models import UnitKind
from storage.proposals import TaskCompletion, UnitTasks
from storage.supervision import Summary, UnitSummary

PAGE_SIZE = 10
# A page of 10 recommendations stays under Telegram's 4,096 characters: longer texts are
# shortened in lists and read in full through a button (/proposals).
SHORT = 280


class Reader(Protocol):
    """Who a text is for: a Request, or the CLI's stand-in (bot/cli_report.py)."""

    @property
    def lang(self) -> str: ...

    def t(self, key: str, /, **values: object) -> str: ...


# ---------------------------------------------------------------- numbers and names


def num(req: Reader, value: float | None) -> str:
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.0", locale=req.lang)


def pct(req: Reader, value: float | None) -> str:
    if value is None:
        return "—"
    return format_percent(value, format="#,##0%", locale=req.lang)


def vnd(req: Reader, value: int) -> str:
    return format_decimal(value, format="#,##0", locale=req.lang) + " đ"


def esc(text: str | None) -> str:
    return html.escape(text or "")


def band_name(req: Reader, fw: Framework, code: str | None, meeting: bool = False) -> str:
    if code is None:
        return "—"
    bands = fw.meeting_rubric.bands if meeting else fw.classification.bands
    return next((b.name.get(req.lang) for b in bands if b.code == code), code)


def score_band(req: Reader, fw: Framework, score: float | None) -> str:
    """The band of a reference score (a month, an average of cells): the meeting rubric's."""
    return band_name(req, fw, reference_band(fw, score), meeting=True)


def _proposed(req: Reader, fw: Framework, line: UnitSummary, period: Period) -> str:
    """One cell's proposed classification, for a quarter or a year only (366-QĐ/TW)."""
    if line.kind != UnitKind.CELL.value or not is_classified(period.kind) or line.band is None:
        return ""
    return req.t("sv.sum.proposed", band=band_name(req, fw, line.band))


def period_name(req: Reader, period: Period) -> str:
    return period_text(period, req.lang)


# ---------------------------------------------------------------- tasks (issue 16)


def shorten(text: str, limit: int = SHORT) -> tuple[str, bool]:
    """The text cut at a word before `limit` characters (with "…"), and whether it was cut."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(",.;: ") + "…", True


def tasks_text(req: Reader, tasks: TaskCompletion, period: Period) -> str:
    """How the tasks reviewed in the period were carried out: done/reviewed, then the rest
    by the one scale (Cơ bản hoàn thành · Hoàn thành một phần · Chưa thực hiện)."""
    if not tasks.reviewed:
        return req.t("sv.tasks.none", period=period_name(req, period))
    return req.t(
        "sv.tasks.line",
        period=period_name(req, period),
        done=tasks.done,
        reviewed=tasks.reviewed,
        rate=pct(req, tasks.rate),
        mostly=tasks.count("mostly"),
        partly=tasks.count("partly"),
        not_done=tasks.count("not"),
    )


def _child_tasks(req: Reader, tasks: UnitTasks | None, unit_id: int) -> str:
    found = tasks.by_child.get(unit_id) if tasks is not None else None
    if found is None or not found.reviewed:
        return ""
    return req.t("sv.sum.child_tasks", done=found.done, reviewed=found.reviewed)


# ---------------------------------------------------------------- /summary


def _verdict(req: Reader, line: UnitSummary) -> str:
    if line.kind == UnitKind.CELL.value:
        if line.four_good is None:
            return req.t("sv.sum.four_good_none")
        return req.t("sv.sum.four_good_yes" if line.four_good else "sv.sum.four_good_no")
    return req.t("sv.sum.four_good_count", count=line.four_good_cells, total=line.cells_with_data)


def _criteria(req: Reader, line: UnitSummary) -> str:
    return " | ".join(num(req, score) for score in line.criteria.values())


def _line(
    req: Reader, fw: Framework, line: UnitSummary, period: Period, tasks: UnitTasks | None
) -> str:
    text = req.t(
        "sv.sum.child",
        name=esc(line.name),
        submitted=line.submitted,
        expected=line.expected,
        meeting=num(req, line.meeting_score),
        total=num(req, line.total),
        band=score_band(req, fw, line.total),
        proposed=_proposed(req, fw, line, period),
        verdict=_verdict(req, line),
        criteria=_criteria(req, line),
    )
    return text + _child_tasks(req, tasks, line.unit_id)


def summary_text(
    req: Reader, fw: Framework, data: Summary, page: int | None, tasks: UnitTasks | None = None
) -> str:
    """The /summary message; `page=None` lists every child unit (the CLI report). With
    `tasks`, how the meetings' tasks were carried out and how many recommendations came."""
    total = data.total
    parts = [
        req.t(
            "sv.sum.header",
            unit=esc(data.unit.name),
            period=period_name(req, data.period),
            as_of=data.as_of.strftime("%d/%m/%Y"),
        ),
        req.t(
            "sv.sum.totals",
            submitted=total.submitted,
            expected=total.expected,
            cells=total.cells,
            meeting=num(req, total.meeting_score),
            attendance=pct(req, total.attendance),
        ),
        req.t(
            "sv.sum.total_score",
            total=num(req, total.total),
            band=score_band(req, fw, total.total),
            verdict=_verdict(req, total),
        ),
    ]
    for index, criterion in enumerate(fw.criteria):
        parts.append(
            req.t(
                "sv.sum.criterion",
                n=index + 1,
                name=esc(criterion.name.get(req.lang)),
                score=num(req, total.criteria.get(criterion.code)),
                max=num(req, criterion.max_points),
            )
        )
    if tasks is not None:
        parts.append(tasks_text(req, tasks.total, data.period))
        parts.append(req.t("sv.sum.proposals", count=tasks.proposals))
    if data.rows:
        parts.append("")
        parts.append(req.t("sv.sum.children", count=len(data.rows)))
        shown = data.rows if page is None else data.rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        for line in shown:
            parts.append(_line(req, fw, line, data.period, tasks))
        parts.append(req.t("sv.sum.legend"))
    return "\n".join(parts)
