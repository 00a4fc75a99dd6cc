"""The criteria framework: the scoring rules as data (a YAML file validated by pydantic).

A province publishes its own indicators and points, so nothing about them is code. This
module defines the shape of the file, the vocabulary of metrics an indicator may read, and a
loader that either returns a fully valid framework or raises `FrameworkError` listing every
problem with its path (``criteria[2].indicators[1].points: must be greater than 0``). A bad
file never half-loads.
"""

from __future__ import annotations

import difflib
import itertools
import weakref
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.periods import PERIOD_KINDS, PeriodKind

DEFAULT_FRAMEWORK_PATH = Path(__file__).parent / "frameworks" / "default.yaml"

# ---------------------------------------------------------------- metric vocabulary

MetricType = Literal["ratio", "count", "number", "bool", "choice"]
ALL_PERIODS: frozenset[PeriodKind] = frozenset(PERIOD_KINDS)


@dataclass(frozen=True)
class MetricSpec:
    """What an indicator may read: its type decides which rules fit and how it is shown."""

    type: MetricType
    choices: tuple[str, ...] = ()
    periods: frozenset[PeriodKind] = ALL_PERIODS  # review periods where it is defined


def _ratio(periods: Iterable[PeriodKind] = PERIOD_KINDS) -> MetricSpec:
    return MetricSpec("ratio", periods=frozenset(periods))


def _count(periods: Iterable[PeriodKind] = PERIOD_KINDS) -> MetricSpec:
    return MetricSpec("count", periods=frozenset(periods))


# Period metrics: the fields of domain.scoring.CellMetrics that indicators may read
# (a unit test keeps the two in step). Ratios are 0..1.
PERIOD_METRICS: dict[str, MetricSpec] = {
    "meetings_held": _count(),
    "meetings_missed": _count(),
    "meetings_held_ratio": _ratio(),
    "thematic_meetings": _count(),
    "thematic_quarter_ratio": _ratio(("quarter", "year")),
    "attendance_rate": _ratio(),
    "unexcused_absences": _count(),
    "no_unexcused_rate": _ratio(),
    "pre_meeting_rate": _ratio(),
    "content_prepared_rate": _ratio(),
    "draft_resolution_rate": _ratio(),
    "duration_ok_rate": _ratio(),
    "current_affairs_rate": _ratio(),
    "ho_chi_minh_rate": _ratio(),
    # Speakers per member expected at the meeting (not per member present: bringing more
    # members to a meeting must never lower a score).
    "speakers_rate": _ratio(),
    "assessed_rate": _ratio(),
    "commend_criticise_rate": _ratio(),
    "resolution_impl_score": _ratio(),
    "resolution_adopted_rate": _ratio(),
    "minutes_complete_rate": _ratio(),
    "dues_full_rate": _ratio(),
    "discipline_cases": _count(),
    "solidarity_problems": _count(),
    "admission_candidates": _count(),
    "admitted": _count(),
    "members_at_risk": _count(),
    "initiative_coverage": _ratio(),
    "initiative_completion": _ratio(),
}

RESOLUTION_IMPL_CHOICES = ("full", "mostly", "partly", "not")
DUES_CHOICES = ("all", "some", "none")

# Meeting metrics: derived from one check-in by domain.scoring.meeting_metric_values.
MEETING_METRICS: dict[str, MetricSpec] = {
    "pre_meeting": MetricSpec("bool"),
    "content_prepared": MetricSpec("bool"),
    "draft_resolution": MetricSpec("bool"),
    "attendance_rate": MetricSpec("ratio"),
    "no_unexcused": MetricSpec("bool"),
    "unexcused_absences": MetricSpec("count"),
    "dues_status": MetricSpec("choice", DUES_CHOICES),
    "duration_ok": MetricSpec("bool"),
    "duration_min": MetricSpec("count"),
    "current_affairs": MetricSpec("bool"),
    "ho_chi_minh": MetricSpec("bool"),
    "speakers_ratio": MetricSpec("ratio"),
    "assessed": MetricSpec("bool"),
    "commend_or_criticise": MetricSpec("bool"),
    "resolution_impl": MetricSpec("choice", RESOLUTION_IMPL_CHOICES),
    "resolution_adopted": MetricSpec("bool"),
    "minutes_complete": MetricSpec("bool"),
}

# Grassroots metrics: computed from the scores of a grassroots committee's cells.
GRASSROOTS_METRICS: dict[str, MetricSpec] = {
    "reporting_share": MetricSpec("ratio"),
    "four_good_share": MetricSpec("ratio"),
    "excellent_share": MetricSpec("ratio"),
    "passing_share": MetricSpec("ratio"),
    "average_total": MetricSpec("number"),
}

# ---------------------------------------------------------------- the file's shape

Code = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")]
Points = Annotated[float, Field(gt=0, le=1000)]


class _Strict(BaseModel):
    # Unknown keys are errors: a typo ("pionts") must not silently drop a rule.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(_Strict):
    vi: Annotated[str, Field(min_length=1, max_length=200)]
    en: Annotated[str, Field(min_length=1, max_length=200)]

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


class YesNoRule(_Strict):
    """Full points when the value is `expect`, none otherwise."""

    kind: Literal["yes_no"]
    expect: bool = True


class ThresholdRule(_Strict):
    """Full points when `value op target` holds, none otherwise."""

    kind: Literal["threshold"]
    op: Literal[">=", ">", "<=", "<"]
    target: float


class LinearRule(_Strict):
    """0 points at `zero_at`, full points at `full_at`, straight line between, clamped.

    `zero_at > full_at` means lower is better (e.g. absences).
    """

    kind: Literal["linear"]
    zero_at: float
    full_at: float


class PenaltyRule(_Strict):
    """Lose `per_unit` points for each count above `allowance`, down to zero."""

    kind: Literal["penalty"]
    per_unit: Annotated[float, Field(gt=0)]
    allowance: Annotated[int, Field(ge=0)] = 0


class ChoiceRule(_Strict):
    """A share of the points per answer (``full: 1.0, mostly: 0.75 …``)."""

    kind: Literal["choice"]
    values: dict[str, Annotated[float, Field(ge=0, le=1)]]


Rule = Annotated[
    YesNoRule | ThresholdRule | LinearRule | PenaltyRule | ChoiceRule,
    Field(discriminator="kind"),
]
RULE_KINDS = ("yes_no", "threshold", "linear", "penalty", "choice")


class Indicator(_Strict):
    code: Code
    name: Names
    metric: str
    rule: Rule
    points: Points
    periods: Annotated[list[PeriodKind], Field(min_length=1)] = list(PERIOD_KINDS)
    source: str | None = None  # the rule it comes from, e.g. "12-HD/BTCTW"


class Criterion(_Strict):
    code: Code
    name: Names
    max_points: Points
    # Points needed for the criterion to count as "good" in the 4-good verdict.
    good_threshold: Annotated[float, Field(ge=0)]
    indicators: Annotated[list[Indicator], Field(min_length=1)]


class RubricItem(_Strict):
    code: Code
    name: Names
    metric: str
    rule: Rule
    points: Points
    source: str | None = None


class RubricSection(_Strict):
    code: Code
    name: Names
    max_points: Points
    items: Annotated[list[RubricItem], Field(min_length=1)]


class Band(_Strict):
    code: Code
    name: Names
    min: Annotated[float, Field(ge=0, le=100)]  # inclusive lower bound on a 0..100 score


class MeetingRubric(_Strict):
    sections: Annotated[list[RubricSection], Field(min_length=1)]
    bands: Annotated[list[Band], Field(min_length=1)]


class ExcellentCap(_Strict):
    """At most `share` of the cells in `of_bands` may be in `band`, per grassroots committee.

    Reported as a flag; nobody is demoted by the software.
    """

    band: Code
    share: Annotated[float, Field(gt=0, le=1)]
    of_bands: Annotated[list[Code], Field(min_length=1)]

    def allowed(self, base: int) -> int:
        # Fraction(str(...)) because 0.29 * 100 is 28.999… in floating point.
        return int(Fraction(str(self.share)) * base)


class Classification(_Strict):
    bands: Annotated[list[Band], Field(min_length=1)]
    excellent_cap: ExcellentCap | None = None


class GrassrootsRules(_Strict):
    """A grassroots committee's own indicators over its cells' results (0..100 score)."""

    indicators: Annotated[list[Indicator], Field(min_length=1)]
    four_good_min_score: Annotated[float, Field(ge=0, le=100)]


class Standards(_Strict):
    """Parameters the metric SQL needs (what counts as a compliant meeting, a member at risk)."""

    min_duration_min: Annotated[int, Field(gt=0, le=600)] = 90
    min_duration_combined_min: Annotated[int, Field(gt=0, le=600)] = 120
    risk_months: Annotated[int, Field(ge=1, le=12)] = 2
    risk_window_months: Annotated[int, Field(ge=1, le=36)] = 12
    # How much of last month's resolution counts as carried out, in whole percent, so the
    # SQL sums integers and both databases give the same average.
    resolution_impl_percent: dict[str, Annotated[int, Field(ge=0, le=100)]] = {
        "full": 100,
        "mostly": 75,
        "partly": 50,
        "not": 0,
    }


class Framework(_Strict):
    version: Literal[1]
    name: Names
    standards: Standards = Standards()
    criteria: Annotated[list[Criterion], Field(min_length=1, max_length=10)]
    meeting_rubric: MeetingRubric
    classification: Classification
    grassroots: GrassrootsRules | None = None

    @property
    def max_points(self) -> float:
        return sum(c.max_points for c in self.criteria)

    def criterion(self, code: str) -> Criterion:
        return next(c for c in self.criteria if c.code == code)

    def indicator(self, code: str) -> Indicator | RubricItem:
        """Any indicator or rubric item by code (codes are unique framework-wide)."""
        for criterion in self.criteria:
            for indicator in criterion.indicators:
                if indicator.code == code:
                    return indicator
        for section in self.meeting_rubric.sections:
            for item in section.items:
                if item.code == code:
                    return item
        for indicator in self.grassroots.indicators if self.grassroots else []:
            if indicator.code == code:
                return indicator
        raise KeyError(code)

    def metric_spec(self, code: str) -> MetricSpec:
        """The spec of the metric read by indicator or rubric item `code`."""
        for criterion in self.criteria:
            for indicator in criterion.indicators:
                if indicator.code == code:
                    return PERIOD_METRICS[indicator.metric]
        for section in self.meeting_rubric.sections:
            for item in section.items:
                if item.code == code:
                    return MEETING_METRICS[item.metric]
        for indicator in self.grassroots.indicators if self.grassroots else []:
            if indicator.code == code:
                return GRASSROOTS_METRICS[indicator.metric]
        raise KeyError(code)


# ---------------------------------------------------------------- errors and loading


class FrameworkError(Exception):
    """A framework file that cannot be used; `errors` holds every problem, one per line."""

    def __init__(self, source: str, errors: Sequence[str]) -> None:
        self.source = source
        self.errors = list(errors)
        super().__init__(f"{source}: {len(self.errors)} error(s)\n" + "\n".join(self.errors))


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


def _structural_errors(exc: ValidationError) -> list[str]:
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

    for where, loose_item, registry in parts.loose:
        unique(where, loose_item.code)
        errors += _check_indicator(where, loose_item, registry)

    for ii, indicator in parts.grassroots:
        where = f"grassroots.indicators[{ii}]"
        unique(where, indicator.code)
        errors += _check_indicator(where, indicator, GRASSROOTS_METRICS)
    return errors


def parse_framework(text: str, source: str = "<text>") -> Framework:
    """YAML text → a valid Framework, or FrameworkError with every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise FrameworkError(source, [f"{where}: not valid YAML: {problem}"]) from None
    if not isinstance(data, dict):
        raise FrameworkError(source, ["(file): must be a mapping with version, criteria, …"])
    try:
        fw = Framework.model_validate(data)
    except ValidationError as exc:
        errors = _structural_errors(exc) + _cross_errors(_Parts.salvage(data))
        raise FrameworkError(source, errors) from None
    errors = cross_check(fw)
    if errors:
        raise FrameworkError(source, errors)
    return fw


def read_framework(path: Path) -> Framework:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FrameworkError(str(path), [f"(file): cannot read: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise FrameworkError(str(path), ["(file): not UTF-8 text"]) from None
    return parse_framework(text, str(path))


@cache
def default_framework() -> Framework:
    return read_framework(DEFAULT_FRAMEWORK_PATH)


def load_framework(path: Path | None = None) -> Framework:
    """The framework at `path`, or the shipped default (parsed once) when None."""
    if path is None:
        return default_framework()
    return read_framework(path)


D = TypeVar("D")
# (id of a framework, what was derived) -> (the framework, weakly, and what was derived).
_DERIVED: dict[tuple[int, Hashable], tuple[weakref.ref[Framework], Any]] = {}


def derived(fw: Framework, what: Hashable, build: Callable[[Framework], D]) -> D:
    """`build(fw)`, made once per framework object and kept while the framework lives.

    Frameworks are frozen, so what is derived from one stays valid; keyed by identity
    because hashing a whole framework on every call would cost more than the lookup saves.
    """
    key = (id(fw), what)
    hit = _DERIVED.get(key)
    if hit is not None and hit[0]() is fw:
        return cast(D, hit[1])
    value = build(fw)
    _DERIVED[key] = (weakref.ref(fw, lambda _: _DERIVED.pop(key, None)), value)
    return value
