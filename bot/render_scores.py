"""Scores and reasons as text in the reader's language (catalog `scoring.po`).

Names of criteria, indicators and bands come from the framework (it carries vi and en);
sentences come from the catalogs; numbers are formatted by Babel (``2,8`` and ``78,5%`` in
Vietnamese). Also the JSON form of a report, for `cellbot score --format json`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Hashable, Iterator, Sequence
from typing import Any

from bot.i18n import period_text as period_label
from bot.i18n import t
from bot.orgtree_text import unit_kind_label
from bot.render_numbers import NumberFormat as NumberFormat
from bot.render_numbers import language, number, number_format
from domain.classification import is_classified, proposed_band, reference_band
from domain.framework import (
    Band,
    Framework,
    Indicator,
    MetricType,
    Names,
    RubricItem,
    derived,
)
from domain.periods import PeriodKind, parse_period
from domain.scoring import (
    CapCheck,
    GroupScore,
    MeetingScore,
    PeriodResult,
    Reason,
    Value,
    criterion_scores,
    reason_ids,
    reason_keys,
    reasons_of,
    top_improvements,
)
from storage.score_service import CellScore, CommitteeScore, ScoreReport

COMPARATORS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": ""}


_lang = language  # cached: called for every name of every line


def value_text(unit: MetricType, value: Value, lang: str | None) -> str:
    """A metric value as a reader expects it: 78,5% / 3 / có / hoàn thành."""
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


def reference_band_name(fw: Framework, score: float | None, lang: str | None) -> str:
    """The meeting rubric's band of a reference score (a month, an average of cells)."""
    return _band_name(fw.meeting_rubric.bands, reference_band(fw, score), lang)


def proposed_band_name(fw: Framework, code: str | None, lang: str | None) -> str:
    """A 366 band, for ONE unit's quarter or year only (the caller checks the period)."""
    return _band_name(fw.classification.bands, code, lang)


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
    """A cell's period result: the reference score and its band, for a quarter or a year the
    proposed classification, the 4-good verdict, criteria, points lost."""
    if result.no_data or result.total is None:
        return t(lang, "scoring.cell.no_data")
    lines = [
        t(
            lang,
            "scoring.cell.total",
            total=number(result.total, lang),
            band=reference_band_name(fw, result.total, lang),
        )
    ]
    proposed = proposed_band(result)
    if proposed is not None:
        lines.append(t(lang, "scoring.cell.proposed", band=proposed_band_name(fw, proposed, lang)))
    lines.append(
        t(lang, "scoring.cell.four_good_yes" if result.four_good else "scoring.cell.four_good_no")
    )
    lines += [criterion_line(fw, criterion, lang) for criterion in result.criteria]
    shown = result.reasons if reasons is None else result.reasons[:reasons]
    if shown:
        lines.append(t(lang, "scoring.cell.reasons"))
        lines += [_reason_bullet(fw, r, lang) for r in shown]
    return "\n".join(lines)


def criterion_line(fw: Framework, criterion: GroupScore, lang: str | None) -> str:
    name = fw.criterion(criterion.code).name.get(_lang(lang))
    if criterion.score is None:
        return t(lang, "scoring.cell.criterion_no_data", name=name)
    return t(
        lang,
        "scoring.cell.criterion",
        mark="✓" if criterion.good else "✗",
        name=name,
        score=number(criterion.score, lang),
        max=number(criterion.max_points, lang),
        threshold=number(criterion.good_threshold or 0, lang),
    )


def cell_text(fw: Framework, score: CellScore, lang: str | None) -> str:
    header = t(
        lang,
        "scoring.cell.header",
        code=score.cell.code,
        name=score.cell.name,
        period=period_label(score.period, lang),
    )
    lines = [header, period_text(fw, score.result, lang)]
    if score.cap_flag:
        lines.append(t(lang, "scoring.cell.cap_flag"))
    return "\n".join(lines)


def _counts(bands: list[Band], counts: dict[str, int], lang: str | None) -> str:
    return ", ".join(f"{_band_name(bands, code, lang)} {counts.get(code, 0)}" for code in counts)


def cap_text(
    fw: Framework, cap: CapCheck, lang: str | None, names: dict[int, str] | None = None
) -> str:
    """One group of like units against the "excellent" cap: how many proposals may stand,
    and which go beyond (by score, lowest first) and by how many."""
    settings = fw.classification.excellent_cap
    share = value_text("ratio", settings.share if settings else 0.2, lang)
    group = (
        unit_kind_label(lang, "cell", cap.group)
        if cap.group
        else t(lang, "scoring.committee.cap_group_any")
    )
    values: dict[str, object] = {
        "group": group,
        "actual": cap.actual,
        "allowed": cap.allowed,
        "base": cap.base,
        "share": share,
        "band": proposed_band_name(fw, cap.band, lang),
    }
    if not cap.exceeded:
        return t(lang, "scoring.committee.cap_ok", **values)
    known = names or {}
    over = ", ".join(known.get(cell_id, f"#{cell_id}") for cell_id in cap.over)
    return t(lang, "scoring.committee.cap_exceeded", excess=cap.excess, cells=over, **values)


def committee_text(
    fw: Framework,
    committee: CommitteeScore,
    lang: str | None,
    period_kind: PeriodKind = "year",
    names: dict[int, str] | None = None,
) -> str:
    """A grassroots committee's aggregate: an average is a reference score; the counts of
    its cells' proposed classifications (a quarter or a year) and the cap per group."""
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
            band=reference_band_name(fw, r.average_total, lang),
            four_good=r.four_good_cells,
        )
    )
    lines.append(
        t(
            lang,
            "scoring.committee.reference_bands",
            bands=_counts(fw.meeting_rubric.bands, r.reference_counts, lang),
        )
    )
    if is_classified(period_kind):
        bands = _counts(fw.classification.bands, r.band_counts, lang)
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
    lines += [cap_text(fw, cap, lang, names) for cap in r.caps]
    return "\n".join(lines)


def report_text(fw: Framework, report: ScoreReport, lang: str | None) -> str:
    return "".join(report_parts(fw, report, lang))


def report_parts(
    fw: Framework, report: ScoreReport, lang: str | None, cells_per_part: int = 500
) -> Iterator[str]:
    """`report_text` in parts (their concatenation), `cells_per_part` cells a part, so
    that a province's report (~5 MB) is written as it is made.

    The cells' texts are `cell_text`'s, written from lines already made: a province writes
    ~100,000 lines but only a few thousand different ones (a criterion's line depends on its
    score alone, a reason's on its indicator, value and loss), so each is made once, by the
    same functions as `cell_text`, and then looked up.
    """
    yield t(
        lang,
        "scoring.report.header",
        unit=f"{report.unit_code} {report.unit_name}",
        period=period_label(report.period, lang),
        as_of=report.as_of.isoformat(),
    )
    if not report.cells:
        yield "\n" + t(lang, "scoring.report.empty")
    lines = _cell_lines(fw, lang)
    part: list[str] = []
    for start in range(0, len(report.cells), cells_per_part):
        part.clear()
        for cell in report.cells[start : start + cells_per_part]:
            part.append("\n\n")
            lines.write(fw, cell, part)
        yield "".join(part)
    kind = parse_period(report.period).kind
    names = {cell.cell.id: cell.cell.name for cell in report.cells}
    for committee in report.committees:
        yield "\n\n" + committee_text(fw, committee, lang, kind, names)


class _CellLines:
    """`cell_text`'s lines for one framework and language, each made once (on first need,
    from the result that needs it, by `cell_text`'s own functions) and then looked up; each
    kept with the newline before it."""

    LIMIT = 20_000  # different reasons kept (a province has ~2,000)

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.header = t(lang, "scoring.cell.header")  # the template `t` formats
        self.no_data = "\n" + t(lang, "scoring.cell.no_data")
        self.reasons = "\n" + t(lang, "scoring.cell.reasons") + "\n"
        self.cap_flag = "\n" + t(lang, "scoring.cell.cap_flag")
        self.four_good = {
            True: "\n" + t(lang, "scoring.cell.four_good_yes"),
            False: "\n" + t(lang, "scoring.cell.four_good_no"),
        }
        self.periods: dict[str, str] = {}
        self.totals: dict[float, str] = {}
        self.proposed: dict[str | None, str] = {}
        self.criteria: dict[tuple[PeriodKind, int, float | None], str] = {}
        self.bullets: dict[Hashable, str] = {}  # without the newline: joined by one

    def write(self, fw: Framework, score: CellScore, out: list[str]) -> None:
        """Append `cell_text(fw, score, lang)` to `out`, in pieces."""
        period = self.periods.get(score.period)
        if period is None:
            period = self.periods[score.period] = period_label(score.period, self.lang)
        out.append(self.header.format(code=score.cell.code, name=score.cell.name, period=period))
        result = score.result
        if result.no_data or result.total is None:
            out.append(self.no_data)
        else:
            self._result(fw, result, out)
        if score.cap_flag:
            out.append(self.cap_flag)

    def _result(self, fw: Framework, result: PeriodResult, out: list[str]) -> None:
        """`period_text(fw, result, lang)` of a result with data, after a newline."""
        lang, total = self.lang, result.total
        assert total is not None
        line = self.totals.get(total)
        if line is None:
            band = reference_band_name(fw, total, lang)
            line = self.totals[total] = "\n" + t(
                lang, "scoring.cell.total", total=number(total, lang), band=band
            )
        out.append(line)
        code = proposed_band(result)
        if code is not None:
            line = self.proposed.get(code)
            if line is None:
                band = proposed_band_name(fw, code, lang)
                line = self.proposed[code] = "\n" + t(lang, "scoring.cell.proposed", band=band)
            out.append(line)
        out.append(self.four_good[bool(result.four_good)])
        kind, criteria = result.period_kind, self.criteria
        for index, (_, points) in enumerate(criterion_scores(result)):
            line = criteria.get((kind, index, points))
            if line is None:
                line = "\n" + criterion_line(fw, result.criteria[index], lang)
                criteria[kind, index, points] = line
            out.append(line)
        ids = reason_ids(fw, result)
        if ids:
            out.append(self.reasons)
            try:
                out.append("\n".join(map(self.bullets.__getitem__, ids)))
            except KeyError:  # a reason not written yet
                self._learn(fw, result, ids)
                out.append("\n".join(map(self.bullets.__getitem__, ids)))

    def _learn(self, fw: Framework, result: PeriodResult, ids: Sequence[Hashable]) -> None:
        """Write the result's reasons not written yet (`ids`: `reason_ids`)."""
        bullets = self.bullets
        if len(bullets) + len(ids) > self.LIMIT:
            bullets.clear()
        keys = reason_keys(fw, result)
        for reason_id, key in zip(ids, keys, strict=True):
            if reason_id not in bullets:
                (reason,) = reasons_of(fw, [key])
                bullets[reason_id] = _reason_bullet(fw, reason, self.lang)


def _cell_lines(fw: Framework, lang: str | None) -> _CellLines:
    language_code = _lang(lang)
    return derived(fw, ("render cell lines", language_code), lambda _: _CellLines(language_code))


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
