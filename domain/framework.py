"""The criteria framework: the scoring rules as data (a YAML file validated by pydantic).

A province publishes its own indicators and points, so nothing about them is code. This
module loads a framework: the loader either returns a fully valid framework or raises
`FrameworkError` listing every problem with its path
(``criteria[2].indicators[1].points: must be greater than 0``). A bad file never half-loads.

The shape of the file and the vocabulary of metrics an indicator may read are in
domain.framework_model, the checks in domain.framework_checks; their public names are
importable from here, where callers import them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from pydantic import ValidationError

from domain.framework_checks import cross_check, cross_check_data, structural_errors
from domain.framework_model import (
    ALL_PERIODS,
    DUES_CHOICES,
    GRASSROOTS_METRICS,
    MEETING_METRICS,
    PERIOD_METRICS,
    RESOLUTION_IMPL_CHOICES,
    RULE_KINDS,
    Band,
    ChoiceRule,
    Classification,
    Code,
    Criterion,
    ExcellentCap,
    Framework,
    GrassrootsRules,
    Indicator,
    LinearRule,
    MeetingRubric,
    MetricSpec,
    MetricType,
    Names,
    PenaltyRule,
    Points,
    RubricItem,
    RubricSection,
    Rule,
    Standards,
    ThresholdRule,
    YesNoRule,
)

__all__ = [
    "ALL_PERIODS",
    "DEFAULT_FRAMEWORK_PATH",
    "DUES_CHOICES",
    "GRASSROOTS_METRICS",
    "MEETING_METRICS",
    "PERIOD_METRICS",
    "RESOLUTION_IMPL_CHOICES",
    "RULE_KINDS",
    "Band",
    "ChoiceRule",
    "Classification",
    "Code",
    "Criterion",
    "ExcellentCap",
    "Framework",
    "FrameworkError",
    "GrassrootsRules",
    "Indicator",
    "LinearRule",
    "MeetingRubric",
    "MetricSpec",
    "MetricType",
    "Names",
    "PenaltyRule",
    "Points",
    "RubricItem",
    "RubricSection",
    "Rule",
    "Standards",
    "ThresholdRule",
    "YesNoRule",
    "cross_check",
    "default_framework",
    "derived",
    "load_framework",
    "parse_framework",
    "read_framework",
]

DEFAULT_FRAMEWORK_PATH = Path(__file__).parent / "frameworks" / "default.yaml"

# ---------------------------------------------------------------- errors and loading


class FrameworkError(Exception):
    """A framework file that cannot be used; `errors` holds every problem, one per line."""

    def __init__(self, source: str, errors: Sequence[str]) -> None:
        self.source = source
        self.errors = list(errors)
        super().__init__(f"{source}: {len(self.errors)} error(s)\n" + "\n".join(self.errors))


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
        errors = structural_errors(exc) + cross_check_data(data)
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
