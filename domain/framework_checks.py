"""The checks of a framework file that pydantic cannot make field by field: a rule that fits
its metric, points that add up, codes used once, ordered bands. Every problem is reported
with its path (``criteria[2].indicators[1].points: …``), and structural errors (pydantic's,
reworded for the people who edit the file) come with them in the same run.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from domain.framework_model import (
    GRASSROOTS_METRICS,
    MEETING_METRICS,
    PERIOD_METRICS,
    RESOLUTION_IMPL_CHOICES,
    RULE_KINDS,
    Band,
    ChoiceRule,
    Classification,
    Criterion,
    Framework,
    Indicator,
    LinearRule,
    MetricSpec,
    RubricItem,
    RubricSection,
    Standards,
    ThresholdRule,
)


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif previous == "rule" and part in RULE_KINDS:
            # pydantic puts the discriminator tag in the path; the file has no such key.
            pass
        else:
            out += f".{part}" if out else str(part)
        previous = part
    return out or "(file)"


def _message(err: Any) -> str:
    msg = str(err["msg"])
    msg = msg.replace("Input should be", "must be").replace("Value error, ", "")
    if err["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling)"
    elif err["type"] == "missing":
        msg = "is required"
    elif err["type"] in ("too_short", "too_long"):
        bound = err.get("ctx", {}).get("min_length" if err["type"] == "too_short" else "max_length")
        msg = f"must have {'at least' if err['type'] == 'too_short' else 'at most'} {bound} item(s)"
    elif err["type"] == "union_tag_invalid":
        msg = f"unknown rule kind; use one of {', '.join(RULE_KINDS)}"
    elif err["type"] == "union_tag_not_found":
        msg = f"rule needs a 'kind' ({', '.join(RULE_KINDS)})"
    return msg


def structural_errors(exc: ValidationError) -> list[str]:
    """pydantic's errors, one line each, in the words of the people who edit the file."""
    return [f"{_path(err['loc'])}: {_message(err)}" for err in exc.errors()]


def _check_rule(where: str, rule: Any, spec: MetricSpec, metric: str) -> list[str]:
    """The rule kind must fit the metric's type, and its parameters its range."""
    errors: list[str] = []
    fits = {
        "yes_no": ("bool",),
        "choice": ("choice",),
        "penalty": ("count",),
        "threshold": ("ratio", "count", "number"),
        "linear": ("ratio", "count", "number"),
    }[rule.kind]
    if spec.type not in fits:
        errors.append(
            f"{where}.rule.kind: '{rule.kind}' does not fit metric '{metric}' of type "
            f"{spec.type} (use {_rules_for(spec.type)})"
        )
        return errors
    if isinstance(rule, LinearRule):
        if rule.zero_at == rule.full_at:
            errors.append(f"{where}.rule: zero_at and full_at must differ")
        if spec.type == "ratio":
            for name in ("zero_at", "full_at"):
                if not 0 <= getattr(rule, name) <= 1:
                    errors.append(f"{where}.rule.{name}: a ratio must be between 0 and 1")
    if isinstance(rule, ThresholdRule) and spec.type == "ratio" and not 0 <= rule.target <= 1:
        errors.append(f"{where}.rule.target: a ratio must be between 0 and 1")
    if isinstance(rule, ChoiceRule):
        missing = [c for c in spec.choices if c not in rule.values]
        unknown = [c for c in rule.values if c not in spec.choices]
        if missing:
            errors.append(f"{where}.rule.values: missing {', '.join(missing)}")
        if unknown:
            errors.append(
                f"{where}.rule.values: unknown {', '.join(unknown)} "
                f"(choices: {', '.join(spec.choices)})"
            )
    return errors


def _rules_for(metric_type: str) -> str:
    return {
        "bool": "yes_no",
        "choice": "choice",
        "count": "penalty, threshold or linear",
    }.get(metric_type, "threshold or linear")


def _check_indicator(
    where: str, indicator: Indicator | RubricItem, registry: dict[str, MetricSpec]
) -> list[str]:
    spec = registry.get(indicator.metric)
    if spec is None:
        close = difflib.get_close_matches(indicator.metric, list(registry), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see README, Scoring"
        return [f"{where}.metric: unknown metric '{indicator.metric}' ({hint})"]
    errors = _check_rule(where, indicator.rule, spec, indicator.metric)
    if isinstance(indicator, Indicator):
        if len(set(indicator.periods)) != len(indicator.periods):
            errors.append(f"{where}.periods: listed twice")
        undefined = [p for p in indicator.periods if p not in spec.periods]
        if undefined:
            errors.append(
                f"{where}.periods: metric '{indicator.metric}' is not defined for "
                f"{', '.join(undefined)} periods"
            )
    return errors


def _check_bands(where: str, bands: list[Band]) -> list[str]:
    errors = _duplicates(where, list(enumerate(b.code for b in bands)), "code")
    mins = [b.min for b in bands]
    if any(a <= b for a, b in itertools.pairwise(mins)):
        errors.append(f"{where}: bands must be ordered from the highest min to the lowest")
    if mins and mins[-1] != 0:
        errors.append(f"{where}[{len(bands) - 1}].min: the last band must start at 0")
    return errors


def _duplicates(where: str, codes: Iterable[tuple[int, str]], what: str) -> list[str]:
    seen: set[str] = set()
    errors = []
    for i, code in codes:
        if code in seen:
            errors.append(f"{where}[{i}].{what}: '{code}' is used twice")
        seen.add(code)
    return errors


def _points(value: float) -> str:
    return f"{value:g}"


@dataclass
class _Parts:
    """The parts of a framework that are valid on their own, with their positions.

    Cross-checks run on these, so a file with a structural error elsewhere still gets every
    cross-field error reported in the same run.
    """

    criteria: list[tuple[int, Criterion]]
    sections: list[tuple[int, RubricSection]]
    meeting_bands: list[Band] | None
    classification: Classification | None
    standards: Standards | None
    grassroots: list[tuple[int, Indicator]]
    # Valid indicators of criteria (or items of sections) that are invalid as a whole.
    loose: list[tuple[str, Indicator | RubricItem, dict[str, MetricSpec]]] = field(
        default_factory=list
    )

    @classmethod
    def of(cls, fw: Framework) -> _Parts:
        return cls(
            criteria=list(enumerate(fw.criteria)),
            sections=list(enumerate(fw.meeting_rubric.sections)),
            meeting_bands=fw.meeting_rubric.bands,
            classification=fw.classification,
            standards=fw.standards,
            grassroots=list(enumerate(fw.grassroots.indicators if fw.grassroots else [])),
        )

    @classmethod
    def salvage(cls, data: dict[str, Any]) -> _Parts:
        def each(items: Any, model: type[_M]) -> list[tuple[int, _M]]:
            if not isinstance(items, list):
                return []
            return [(i, v) for i, item in enumerate(items) if (v := _try(model, item))]

        def get(obj: Any, key: str) -> Any:
            return obj.get(key) if isinstance(obj, dict) else None

        rubric = data.get("meeting_rubric")
        loose: list[tuple[str, Indicator | RubricItem, dict[str, MetricSpec]]] = []
        criteria = data.get("criteria")
        for gi, group in enumerate(criteria if isinstance(criteria, list) else []):
            if _try(Criterion, group) is None:
                for ii, indicator in each(get(group, "indicators"), Indicator):
                    where = f"criteria[{gi}].indicators[{ii}]"
                    loose.append((where, indicator, PERIOD_METRICS))
        sections = get(rubric, "sections")
        for gi, group in enumerate(sections if isinstance(sections, list) else []):
            if _try(RubricSection, group) is None:
                for ii, item in each(get(group, "items"), RubricItem):
                    where = f"meeting_rubric.sections[{gi}].items[{ii}]"
                    loose.append((where, item, MEETING_METRICS))
        bands = get(rubric, "bands")
        band_list = each(bands, Band)
        grassroots = get(data.get("grassroots"), "indicators")
        return cls(
            criteria=each(data.get("criteria"), Criterion),
            sections=each(get(rubric, "sections"), RubricSection),
            meeting_bands=[b for _, b in band_list]
            if isinstance(bands, list) and len(band_list) == len(bands)
            else None,
            classification=_try(Classification, data.get("classification")),
            standards=_try(Standards, data.get("standards", {})),
            grassroots=each(grassroots, Indicator),
            loose=loose,
        )


_M = TypeVar("_M", bound=BaseModel)


def _try(model: type[_M], value: Any) -> _M | None:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def cross_check(fw: Framework) -> list[str]:
    """The rules pydantic cannot see field by field; every problem is returned."""
    return _cross_errors(_Parts.of(fw))


def cross_check_data(data: dict[str, Any]) -> list[str]:
    """`cross_check` of the parts of a file that are valid on their own (the file as a whole
    is not), so one run reports every problem."""
    return _cross_errors(_Parts.salvage(data))


def _cross_errors(parts: _Parts) -> list[str]:
    errors: list[str] = []
    errors += _duplicates("criteria", [(i, c.code) for i, c in parts.criteria], "code")
    seen_indicators: dict[str, str] = {}

    def unique(where: str, code: str) -> None:
        if code in seen_indicators:
            errors.append(f"{where}.code: '{code}' is already used at {seen_indicators[code]}")
        else:
            seen_indicators[code] = where

    for ci, criterion in parts.criteria:
        where = f"criteria[{ci}]"
        total = sum(i.points for i in criterion.indicators)
        if total > criterion.max_points + 1e-9:
            errors.append(
                f"{where}.indicators: points add up to {_points(total)}, more than "
                f"max_points {_points(criterion.max_points)}"
            )
        if criterion.good_threshold > criterion.max_points:
            errors.append(
                f"{where}.good_threshold: {_points(criterion.good_threshold)} is more than "
                f"max_points {_points(criterion.max_points)}"
            )
        for ii, indicator in enumerate(criterion.indicators):
            unique(f"{where}.indicators[{ii}]", indicator.code)
            errors += _check_indicator(f"{where}.indicators[{ii}]", indicator, PERIOD_METRICS)

    sections = [(i, s.code) for i, s in parts.sections]
    errors += _duplicates("meeting_rubric.sections", sections, "code")
    for si, section in parts.sections:
        where = f"meeting_rubric.sections[{si}]"
        total = sum(i.points for i in section.items)
        if total > section.max_points + 1e-9:
            errors.append(
                f"{where}.items: points add up to {_points(total)}, more than "
                f"max_points {_points(section.max_points)}"
            )
        for ii, item in enumerate(section.items):
            unique(f"{where}.items[{ii}]", item.code)
            errors += _check_indicator(f"{where}.items[{ii}]", item, MEETING_METRICS)
    if parts.meeting_bands is not None:
        errors += _check_bands("meeting_rubric.bands", parts.meeting_bands)

    if parts.standards is not None:
        weights = parts.standards.resolution_impl_percent
        if set(weights) != set(RESOLUTION_IMPL_CHOICES):
            errors.append(
                "standards.resolution_impl_percent: give exactly "
                f"{', '.join(RESOLUTION_IMPL_CHOICES)}"
            )
    if parts.classification is not None:
        errors += _check_bands("classification.bands", parts.classification.bands)
        cap = parts.classification.excellent_cap
        if cap is not None:
            codes = {b.code for b in parts.classification.bands}
            for name, value in [("band", cap.band), *(("of_bands", b) for b in cap.of_bands)]:
                if value not in codes:
                    errors.append(
                        f"classification.excellent_cap.{name}: '{value}' is not a "
                        f"classification band ({', '.join(sorted(codes))})"
                    )
            if "grassroots" not in cap.group_by or len(set(cap.group_by)) != len(cap.group_by):
                errors.append(
                    "classification.excellent_cap.group_by: list grassroots (the committee "
                    "that classifies its cells), optionally sort, each once"
                )

    for where, loose_item, registry in parts.loose:
        unique(where, loose_item.code)
        errors += _check_indicator(where, loose_item, registry)

    for ii, indicator in parts.grassroots:
        where = f"grassroots.indicators[{ii}]"
        unique(where, indicator.code)
        errors += _check_indicator(where, indicator, GRASSROOTS_METRICS)
    return errors
