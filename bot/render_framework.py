"""The criteria framework as a table in the reader's language (`cellbot framework show`):
criteria, indicators with their rules and points, the meeting rubric, the bands, the caps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.i18n import t
from bot.render_numbers import language, number
from bot.render_scores import COMPARATORS, value_text
from domain.framework import (
    Band,
    ChoiceRule,
    Framework,
    Indicator,
    LinearRule,
    MetricType,
    PenaltyRule,
    Rule,
    ThresholdRule,
    YesNoRule,
)


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
        t(lang, "scoring.fw.band", name=b.name.get(language(lang)), min=number(b.min, lang))
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
        name=item.name.get(language(lang)),
        rule=rule_text(item.rule, fw.metric_spec(item.code).type, lang),
        periods=periods,
    )


def framework_text(fw: Framework, lang: str | None) -> str:
    """The active framework as a readable table (`cellbot framework show`)."""
    lg = language(lang)
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
                groups=t(
                    lang,
                    "scoring.fw.cap_group."
                    + ("grassroots_sort" if "sort" in cap.group_by else "grassroots"),
                ),
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
