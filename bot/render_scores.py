"""Scores and reasons as text in the reader's language (catalog `scoring.po`).

Names of criteria, indicators and bands come from the framework (it carries vi and en);
sentences come from the catalogs; numbers are formatted by Babel (``2,8`` and ``78,5%`` in
Vietnamese). Also the JSON form of a report, for `cellbot score --format json`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from babel.numbers import get_decimal_symbol, get_group_symbol, parse_pattern

from bot.i18n import normalize_language, t
from domain.framework import (
    Band,
    ChoiceRule,
    Framework,
    Indicator,
    LinearRule,
    MetricType,
    Names,
    PenaltyRule,
    RubricItem,
    Rule,
    ThresholdRule,
    YesNoRule,
    derived,
)
from domain.scoring import MeetingScore, PeriodResult, Reason, Value, top_improvements
from storage.score_service import CellScore, CommitteeScore, ScoreReport

COMPARATORS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": ""}


@cache
def _lang(lang: str | None) -> str:
    return normalize_language(lang)


class NumberFormat:
    """Babel's formatting of one pattern in one language, without Babel's cost per call.

    `format_decimal`/`format_percent` parse the locale and the pattern on every call (~40 µs);
    a province report formats ~150,000 numbers. The plain case (a finite number from 0 up
    to 10^12) is done here with the same steps as Babel's `NumberPattern.apply` — decimal
    from ``str(value)``, half-even quantize, trailing zeros dropped, groups of three — and
    the locale's symbols; anything else goes to Babel. Tested equal to Babel on random values.
    """

    def __init__(self, pattern: str, lang: str) -> None:
        self.pattern, self.lang = parse_pattern(pattern), lang
        p = self.pattern
        self.plain = (
            p.exp_prec is None
            and "@" not in p.pattern
            and p.grouping[0] == p.grouping[1] > 0
            and p.frac_prec[0] == 0
            and p.int_prec[0] <= 1
        )
        self.quantum = Decimal(10) ** -p.frac_prec[1]
        self.decimal = get_decimal_symbol(lang)
        self.group = get_group_symbol(lang)
        # Scores, targets and lost points repeat across cells (one decimal, a few targets).
        self.seen: dict[float, str] = {}

    def __call__(self, value: float | int) -> str:
        if (
            not self.plain
            or type(value) not in (float, int)
            or not 0 <= value < 1e12
            or (value == 0 and math.copysign(1.0, value) < 0)
        ):
            return str(self.pattern.apply(value, self.lang))
        text = self.seen.get(value)
        if text is None:
            if len(self.seen) >= 10_000:
                self.seen.clear()
            text = self.seen[value] = self._plain(value)
        return text

    def _plain(self, value: float | int) -> str:
        p = self.pattern
        rounded = Decimal(str(value)).scaleb(p.scale).quantize(self.quantum)
        whole, _, fraction = f"{rounded:f}".partition(".")
        size = p.grouping[0]
        groups = [whole[max(0, end - size) : end] for end in range(len(whole), 0, -size)]
        text = self.group.join(reversed(groups))
        fraction = fraction.rstrip("0")
        if fraction:
            text += self.decimal + fraction
        return p.prefix[0] + text + p.suffix[0]


@cache
def number_format(pattern: str, lang: str) -> NumberFormat:
    return NumberFormat(pattern, lang)


def number(value: float, lang: str | None) -> str:
    return number_format("#,##0.#", _lang(lang))(value)


def value_text(unit: MetricType, value: Value, lang: str | None) -> str:
    """A metric value as a reader expects it: 78,5% / 3 / có / đầy đủ."""
    if value is None:
        return t(lang, "scoring.no_data")
    if unit == "bool" or isinstance(value, bool):
        return t(lang, "scoring.value.yes" if value else "scoring.value.no")
    if unit == "choice":
        return t(lang, f"scoring.choice.{value}")
    if unit == "ratio":
        return number_format("#,##0.#%", _lang(lang))(float(value))
    return number_format("#,##0.##", _lang(lang))(value)  # type: ignore[arg-type]


def _band_name(bands: list[Band], code: str | None, lang: str | None) -> str:
    if code is None:
        return t(lang, "scoring.no_data")
    return next((b.name.get(_lang(lang)) for b in bands if b.code == code), code)


class _FrameworkTexts:
    """Per framework: indicator names by code, and the reason lines already written.

    A province report writes ~50,000 reason lines but only ~2,000 different ones (values are
    ratios of small counts), so each is formatted once per language.
    """

    def __init__(self, fw: Framework) -> None:
        items: list[Indicator | RubricItem] = [i for c in fw.criteria for i in c.indicators]
        items += [i for s in fw.meeting_rubric.sections for i in s.items]
        items += fw.grassroots.indicators if fw.grassroots else []
        # Codes are unique framework-wide; keep the first like Framework.indicator would.
        self.names: dict[str, Names] = {}
        for item in items:
            self.names.setdefault(item.code, item.name)
        self.lines: dict[tuple[str, str, Reason], str] = {}


def _texts(fw: Framework) -> _FrameworkTexts:
    return derived(fw, "render texts", _FrameworkTexts)


def reason_text(fw: Framework, reason: Reason, lang: str | None) -> str:
    """``Tỷ lệ dự họp: 78% (cần ≥ 85%) −2,8``."""
    return _reason_line(fw, reason, _lang(lang), bullet=False)


def _reason_bullet(fw: Framework, reason: Reason, lang: str | None) -> str:
    return _reason_line(fw, reason, _lang(lang), bullet=True)


def _reason_line(fw: Framework, reason: Reason, lang: str, *, bullet: bool) -> str:
    texts = _texts(fw)
    key = ("bullet" if bullet else "line", lang, reason)
    line = texts.lines.get(key)
    if line is not None:
        return line
    if bullet:
        line = t(lang, "scoring.reason.bullet", text=reason_text(fw, reason, lang))
    else:
        target = value_text(reason.unit, reason.target, lang)
        symbol = COMPARATORS.get(reason.comparator, reason.comparator)
        line = t(
            lang,
            "scoring.reason.line",
            name=texts.names[reason.indicator].get(lang),
            value=value_text(reason.unit, reason.value, lang),
            target=f"{symbol} {target}" if symbol else target,
            lost=number(reason.lost, lang),
        )
    if len(texts.lines) >= 20_000:
        texts.lines.clear()
    texts.lines[key] = line
    return line


def improvements_text(
    fw: Framework, result: MeetingScore | PeriodResult, lang: str | None, n: int = 3
) -> str:
    reasons = top_improvements(result, n)
    if not reasons:
        return t(lang, "scoring.improve.none")
    lines = [t(lang, "scoring.improve.header")]
    lines += [_reason_bullet(fw, r, lang) for r in reasons]
    return "\n".join(lines)


def meeting_text(fw: Framework, score: MeetingScore, lang: str | None, n: int = 3) -> str:
    """The secretary's message after submitting a check-in: score, band, what to improve."""
    if score.held is False:
        return t(lang, "scoring.meeting.not_held")
    if score.score is None:
        return t(lang, "scoring.meeting.no_data")
    band = _band_name(fw.meeting_rubric.bands, score.band, lang)
    lines = [t(lang, "scoring.meeting.header", score=number(score.score, lang), band=band)]
    names = {s.code: s.name.get(_lang(lang)) for s in fw.meeting_rubric.sections}
    for section in score.sections:
        if section.score is not None:
            lines.append(
                t(
                    lang,
                    "scoring.meeting.section",
                    name=names[section.code],
                    score=number(section.score, lang),
                    max=number(section.max_points, lang),
                )
            )
    lines += ["", improvements_text(fw, score, lang, n)]
    return "\n".join(lines)


def period_text(
    fw: Framework, result: PeriodResult, lang: str | None, *, reasons: int | None = None
) -> str:
    """A cell's period result: total, band, 4-good verdict, criteria, points lost."""
    if result.no_data or result.total is None:
        return t(lang, "scoring.cell.no_data")
    lines = [
        t(
            lang,
            "scoring.cell.total",
            total=number(result.total, lang),
            band=_band_name(fw.classification.bands, result.band, lang),
        ),
        t(lang, "scoring.cell.four_good_yes" if result.four_good else "scoring.cell.four_good_no"),
    ]
    for criterion in result.criteria:
        name = fw.criterion(criterion.code).name.get(_lang(lang))
        if criterion.score is None:
            lines.append(t(lang, "scoring.cell.criterion_no_data", name=name))
            continue
        lines.append(
            t(
                lang,
                "scoring.cell.criterion",
                mark="✓" if criterion.good else "✗",
                name=name,
                score=number(criterion.score, lang),
                max=number(criterion.max_points, lang),
                threshold=number(criterion.good_threshold or 0, lang),
            )
        )
    shown = result.reasons if reasons is None else result.reasons[:reasons]
    if shown:
        lines.append(t(lang, "scoring.cell.reasons"))
        lines += [_reason_bullet(fw, r, lang) for r in shown]
    return "\n".join(lines)


def cell_text(fw: Framework, score: CellScore, lang: str | None) -> str:
    header = t(
        lang,
        "scoring.cell.header",
        code=score.cell.code,
        name=score.cell.name,
        period=score.period,
    )
    lines = [header, period_text(fw, score.result, lang)]
    if score.cap_flag:
        lines.append(t(lang, "scoring.cell.cap_flag"))
    return "\n".join(lines)


def committee_text(fw: Framework, committee: CommitteeScore, lang: str | None) -> str:
    r = committee.result
    lines = [t(lang, "scoring.committee.header", code=committee.code or "", name=committee.name)]
    average = number(r.average_total, lang) if r.average_total is not None else "—"
    lines.append(
        t(
            lang,
            "scoring.committee.summary",
            with_data=r.cells_with_data,
            cells=r.cells,
            average=average,
            four_good=r.four_good_cells,
        )
    )
    bands = ", ".join(
        f"{_band_name(fw.classification.bands, code, lang)} {count}"
        for code, count in r.band_counts.items()
    )
    lines.append(t(lang, "scoring.committee.bands", bands=bands))
    if r.score is not None:
        verdict = t(
            lang,
            "scoring.committee.four_good_yes" if r.four_good else "scoring.committee.four_good_no",
        )
        lines.append(
            t(lang, "scoring.committee.score", score=number(r.score, lang), verdict=verdict)
        )
        lines += [_reason_bullet(fw, reason, lang) for reason in r.reasons]
    if r.cap is not None:
        key = "scoring.committee.cap_exceeded" if r.cap.exceeded else "scoring.committee.cap_ok"
        lines.append(t(lang, key, actual=r.cap.actual, allowed=r.cap.allowed, base=r.cap.base))
    return "\n".join(lines)


def report_text(fw: Framework, report: ScoreReport, lang: str | None) -> str:
    lines = [
        t(
            lang,
            "scoring.report.header",
            unit=f"{report.unit_code} {report.unit_name}",
            period=report.period,
            as_of=report.as_of.isoformat(),
        )
    ]
    if not report.cells:
        lines.append(t(lang, "scoring.report.empty"))
    for cell in report.cells:
        lines += ["", cell_text(fw, cell, lang)]
    for committee in report.committees:
        lines += ["", committee_text(fw, committee, lang)]
    return "\n".join(lines)


# ---------------------------------------------------------------- the framework as a table


def rule_text(rule: Rule, unit: MetricType, lang: str | None) -> str:
    if isinstance(rule, YesNoRule):
        return t(lang, "scoring.rule.yes_no", expect=value_text("bool", rule.expect, lang))
    if isinstance(rule, ThresholdRule):
        return t(
            lang,
            "scoring.rule.threshold",
            op=COMPARATORS[rule.op],
            target=value_text(unit, rule.target, lang),
        )
    if isinstance(rule, LinearRule):
        return t(
            lang,
            "scoring.rule.linear",
            zero=value_text(unit, rule.zero_at, lang),
            full=value_text(unit, rule.full_at, lang),
        )
    if isinstance(rule, PenaltyRule):
        key = "scoring.rule.penalty_allowance" if rule.allowance else "scoring.rule.penalty"
        return t(lang, key, per_unit=number(rule.per_unit, lang), allowance=rule.allowance)
    assert isinstance(rule, ChoiceRule)
    values = ", ".join(
        f"{value_text('choice', k, lang)} {value_text('ratio', v, lang)}"
        for k, v in rule.values.items()
    )
    return t(lang, "scoring.rule.choice", values=values)


def _bands_text(bands: list[Band], lang: str | None) -> str:
    return ", ".join(
        t(lang, "scoring.fw.band", name=b.name.get(_lang(lang)), min=number(b.min, lang))
        for b in bands
    )


def _indicator_lines(fw: Framework, items: Sequence[Any], lang: str | None) -> list[str]:
    width = max(len(i.code) for i in items)
    return [_indicator_line(fw, i, lang, width) for i in items]


def _indicator_line(fw: Framework, item: Any, lang: str | None, width: int) -> str:
    periods = ""
    if isinstance(item, Indicator) and len(item.periods) < 3:
        names = ", ".join(t(lang, f"scoring.period.{p}") for p in item.periods)
        periods = t(lang, "scoring.fw.periods", periods=names)
    return t(
        lang,
        "scoring.fw.indicator",
        code=item.code.ljust(width),
        points=number(item.points, lang),
        name=item.name.get(_lang(lang)),
        rule=rule_text(item.rule, fw.metric_spec(item.code).type, lang),
        periods=periods,
    )


def framework_text(fw: Framework, lang: str | None) -> str:
    """The active framework as a readable table (`cellbot framework show`)."""
    lg = _lang(lang)
    lines = [t(lang, "scoring.fw.header", name=fw.name.get(lg)), ""]
    for index, criterion in enumerate(fw.criteria, start=1):
        lines.append(
            t(
                lang,
                "scoring.fw.criterion",
                index=index,
                name=criterion.name.get(lg),
                code=criterion.code,
                max=number(criterion.max_points, lang),
                threshold=number(criterion.good_threshold, lang),
            )
        )
        lines += _indicator_lines(fw, criterion.indicators, lang)
    lines += ["", t(lang, "scoring.fw.four_good")]
    lines.append(
        t(lang, "scoring.fw.classification", bands=_bands_text(fw.classification.bands, lang))
    )
    cap = fw.classification.excellent_cap
    if cap is not None:
        names = {b.code: b.name.get(lg) for b in fw.classification.bands}
        lines.append(
            t(
                lang,
                "scoring.fw.cap",
                share=value_text("ratio", cap.share, lang),
                of=", ".join(names[b] for b in cap.of_bands),
                band=names[cap.band],
            )
        )
    lines += ["", t(lang, "scoring.fw.rubric")]
    for section in fw.meeting_rubric.sections:
        lines.append(
            t(
                lang,
                "scoring.fw.section",
                name=section.name.get(lg),
                code=section.code,
                max=number(section.max_points, lang),
            )
        )
        lines += _indicator_lines(fw, section.items, lang)
    lines.append(
        t(lang, "scoring.fw.meeting_bands", bands=_bands_text(fw.meeting_rubric.bands, lang))
    )
    if fw.grassroots is not None:
        lines += [
            "",
            t(lang, "scoring.fw.grassroots", min=number(fw.grassroots.four_good_min_score, lang)),
        ]
        lines += _indicator_lines(fw, fw.grassroots.indicators, lang)
    return "\n".join(lines)


# ---------------------------------------------------------------- JSON


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _cell_json(score: CellScore) -> dict[str, Any]:
    # `metrics` is read from the stored row on demand (a property, not a dataclass field).
    return {
        "cell": _plain(score.cell),
        "period": score.period,
        "metrics": _plain(score.metrics),
        "result": _plain(score.result),
        "cap_flag": score.cap_flag,
    }


def report_json(report: ScoreReport) -> dict[str, Any]:
    """A JSON-ready dict of the whole report (cells with metrics, scores, reasons)."""
    data: dict[str, Any] = _plain(dataclasses.replace(report, cells=[]))
    data["cells"] = [_cell_json(score) for score in report.cells]
    for cell, score in zip(data["cells"], report.cells, strict=True):
        if score.result.reasons:
            cell["top_improvements"] = [r.indicator for r in top_improvements(score.result)]
    return data
