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
from storage.supervision import Summary, UnitSummary

PAGE_SIZE = 10


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


# ---------------------------------------------------------------- /summary


def _verdict(req: Reader, line: UnitSummary) -> str:
    if line.kind == UnitKind.CELL.value:
        if line.four_good is None:
            return req.t("sv.sum.four_good_none")
        return req.t("sv.sum.four_good_yes" if line.four_good else "sv.sum.four_good_no")
    return req.t("sv.sum.four_good_count", count=line.four_good_cells, total=line.cells_with_data)


def _criteria(req: Reader, line: UnitSummary) -> str:
    return " | ".join(num(req, score) for score in line.criteria.values())


def _line(req: Reader, fw: Framework, line: UnitSummary, period: Period) -> str:
    return req.t(
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


def summary_text(req: Reader, fw: Framework, data: Summary, page: int | None) -> str:
    """The /summary message; `page=None` lists every child unit (the CLI report)."""
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
    if data.rows:
        parts.append("")
        parts.append(req.t("sv.sum.children", count=len(data.rows)))
        shown = data.rows if page is None else data.rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        for line in shown:
            parts.append(_line(req, fw, line, data.period))
        parts.append(req.t("sv.sum.legend"))
    return "\n".join(parts)
