"""The criteria-framework file: the default loads, and each kind of error is reported with
its path, all of them at once."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.framework import (
    DEFAULT_FRAMEWORK_PATH,
    GRASSROOTS_METRICS,
    MEETING_METRICS,
    PERIOD_METRICS,
    ExcellentCap,
    FrameworkError,
    load_framework,
    parse_framework,
)
from domain.scoring import CellMetrics, MeetingFacts, meeting_metric_values

DEFAULT = yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8"))


def errors_of(mutate: Callable[[dict[str, Any]], None]) -> list[str]:
    data = copy.deepcopy(DEFAULT)
    mutate(data)
    with pytest.raises(FrameworkError) as info:
        parse_framework(yaml.safe_dump(data, allow_unicode=True), "test.yaml")
    return info.value.errors


def test_default_framework_loads_and_is_cached() -> None:
    fw = load_framework(None)
    assert fw is load_framework(None)
    assert [c.code for c in fw.criteria] == ["political", "meetings", "solidarity", "members"]
    assert fw.max_points == 100
    assert [s.max_points for s in fw.meeting_rubric.sections] == [15, 20, 45, 20]
    assert [b.min for b in fw.meeting_rubric.bands] == [90, 70, 50, 0]
    assert [b.min for b in fw.classification.bands] == [90, 70, 50, 0]
    for criterion in fw.criteria:
        assert sum(i.points for i in criterion.indicators) == criterion.max_points
        for indicator in criterion.indicators:
            assert indicator.name.vi and indicator.name.en and indicator.source


def test_a_file_path_loads_fresh(tmp_path: Path) -> None:
    path = tmp_path / "fw.yaml"
    path.write_text(DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_framework(path) == load_framework(None)
    assert load_framework(path) is not load_framework(None)


def test_metric_vocabulary_matches_the_scoring_inputs() -> None:
    fields = {f.name for f in dataclasses.fields(CellMetrics)}
    assert set(PERIOD_METRICS) <= fields
    assert set(meeting_metric_values(MeetingFacts(), load_framework().standards)) == set(
        MEETING_METRICS
    )
    assert set(GRASSROOTS_METRICS) == {
        "reporting_share",
        "four_good_share",
        "excellent_share",
        "passing_share",
        "average_total",
    }


def test_the_path_of_a_bad_points_value() -> None:
    def zero_points(d: dict[str, Any]) -> None:
        d["criteria"][2]["indicators"][1]["points"] = 0

    assert errors_of(zero_points) == ["criteria[2].indicators[1].points: must be greater than 0"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("name"), "name: is required"),
        (lambda d: d.update(version=2), "version: must be 1"),
        (lambda d: d["criteria"][0].update(pionts=3), "criteria[0].pionts: unknown key"),
        (
            lambda d: d["criteria"][0].update(max_points="many"),
            "criteria[0].max_points: must be a valid number",
        ),
        (lambda d: d["criteria"][1].update(indicators=[]), "criteria[1].indicators: must have"),
        (
            lambda d: d["criteria"][0]["indicators"][0]["rule"].update(kind="curve"),
            "criteria[0].indicators[0].rule: unknown rule kind",
        ),
        (
            lambda d: d["criteria"][0]["indicators"][0]["rule"].pop("full_at"),
            "criteria[0].indicators[0].rule.full_at: is required",
        ),
        (
            lambda d: d["criteria"][0]["indicators"][0]["rule"].update(target=1),
            "criteria[0].indicators[0].rule.target: unknown key",
        ),
        (
            lambda d: d["criteria"][0]["indicators"][0].update(code="1bad code"),
            "criteria[0].indicators[0].code: String should match pattern",
        ),
        (
            lambda d: d["criteria"][0]["indicators"][0].update(periods=["week"]),
            "criteria[0].indicators[0].periods[0]: must be 'month', 'quarter' or 'year'",
        ),
    ],
)
def test_structural_errors_have_paths(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    errors = errors_of(mutate)
    assert any(e.startswith(expected) for e in errors), errors


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["criteria"][1]["indicators"][2].update(code="P1"),
            "criteria[1].indicators[2].code: 'P1' is already used at criteria[0].indicators[0]",
        ),
        (
            lambda d: d["criteria"][3].update(code="political"),
            "criteria[3].code: 'political' is used twice",
        ),
        (
            lambda d: d["criteria"][0].update(max_points=20, good_threshold=15),
            "criteria[0].indicators: points add up to 25, more than max_points 20",
        ),
        (
            lambda d: d["criteria"][0].update(good_threshold=26),
            "criteria[0].good_threshold: 26 is more than max_points 25",
        ),
        (
            lambda d: d["meeting_rubric"]["sections"][2]["items"][0].update(points=50),
            "meeting_rubric.sections[2].items: points add up to 87, more than max_points 45",
        ),
        (
            lambda d: d["criteria"][1]["indicators"][2].update(metric="attendence_rate"),
            "criteria[1].indicators[2].metric: unknown metric 'attendence_rate'",
        ),
        (
            lambda d: d["meeting_rubric"]["sections"][0]["items"][0].update(
                metric="meetings_missed"
            ),
            "meeting_rubric.sections[0].items[0].metric: unknown metric 'meetings_missed'",
        ),
        (
            lambda d: d["criteria"][1]["indicators"][2].update(rule={"kind": "yes_no"}),
            "criteria[1].indicators[2].rule.kind: 'yes_no' does not fit metric "
            "'attendance_rate' of type ratio",
        ),
        (
            lambda d: d["criteria"][2]["indicators"][1].update(
                rule={"kind": "penalty", "per_unit": 1}
            ),
            "criteria[2].indicators[1].rule.kind: 'penalty' does not fit metric",
        ),
        (
            lambda d: d["criteria"][1]["indicators"][2]["rule"].update(full_at=85),
            "criteria[1].indicators[2].rule.full_at: a ratio must be between 0 and 1",
        ),
        (
            lambda d: d["criteria"][1]["indicators"][2]["rule"].update(full_at=0.6),
            "criteria[1].indicators[2].rule: zero_at and full_at must differ",
        ),
        (
            lambda d: d["meeting_rubric"]["sections"][1]["items"][3]["rule"].update(
                values={"all": 1.0, "few": 0.5}
            ),
            "meeting_rubric.sections[1].items[3].rule.values: missing some, none",
        ),
        (
            lambda d: d["meeting_rubric"]["sections"][1]["items"][3]["rule"].update(
                values={"all": 1.0, "some": 0.5, "none": 0, "few": 0.2}
            ),
            "meeting_rubric.sections[1].items[3].rule.values: unknown few",
        ),
        (
            lambda d: d["criteria"][1]["indicators"][1].update(periods=["month", "year"]),
            "criteria[1].indicators[1].periods: metric 'thematic_quarter_ratio' is not "
            "defined for month periods",
        ),
        (
            lambda d: d["meeting_rubric"]["bands"][1].update(min=95),
            "meeting_rubric.bands: bands must be ordered",
        ),
        (
            lambda d: d["classification"]["bands"][3].update(min=10),
            "classification.bands[3].min: the last band must start at 0",
        ),
        (
            lambda d: d["classification"]["bands"][1].update(code="excellent"),
            "classification.bands[1].code: 'excellent' is used twice",
        ),
        (
            lambda d: d["classification"]["excellent_cap"].update(band="outstanding"),
            "classification.excellent_cap.band: 'outstanding' is not a classification band",
        ),
        (
            lambda d: d["grassroots"]["indicators"][0].update(metric="attendance_rate"),
            "grassroots.indicators[0].metric: unknown metric 'attendance_rate'",
        ),
        (
            lambda d: d["standards"].update(resolution_impl_percent={"full": 100}),
            "standards.resolution_impl_percent: give exactly full, mostly, partly, not",
        ),
    ],
)
def test_cross_field_errors_have_paths(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    errors = errors_of(mutate)
    assert any(e.startswith(expected) for e in errors), errors


def test_every_error_is_reported_at_once() -> None:
    def many(d: dict[str, Any]) -> None:
        d["criteria"][0]["indicators"][0]["points"] = -1  # structural
        d["criteria"][1]["indicators"][0]["rule"]["kind"] = "curve"  # structural
        d["criteria"][2]["indicators"][1]["metric"] = "nope"  # cross-field, valid criterion
        d["classification"]["bands"][3]["min"] = 5  # cross-field
        d["meeting_rubric"]["sections"][0]["items"][0]["metric"] = "nope"  # cross-field

    errors = errors_of(many)
    prefixes = [
        "criteria[0].indicators[0].points",
        "criteria[1].indicators[0].rule",
        "criteria[2].indicators[1].metric",
        "classification.bands[3].min",
        "meeting_rubric.sections[0].items[0].metric",
    ]
    for prefix in prefixes:
        assert any(e.startswith(prefix) for e in errors), (prefix, errors)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("criteria: [\n  - code: a\n", "line"),
        ("- just\n- a list\n", "(file): must be a mapping"),
        ("", "(file): must be a mapping"),
    ],
)
def test_unreadable_files(text: str, expected: str) -> None:
    with pytest.raises(FrameworkError) as info:
        parse_framework(text, "x.yaml")
    assert info.value.errors[0].startswith(expected)
    assert "x.yaml" in str(info.value)


def test_missing_file_is_a_framework_error(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError) as info:
        load_framework(tmp_path / "absent.yaml")
    assert info.value.errors[0].startswith("(file): cannot read")


def test_a_fifth_criterion_is_possible() -> None:
    data = copy.deepcopy(DEFAULT)
    data["criteria"].append(
        {
            "code": "living",
            "name": {"vi": "Nâng cao đời sống", "en": "Better living standards"},
            "max_points": 10,
            "good_threshold": 8,
            "indicators": [
                {
                    "code": "L1",
                    "name": {"vi": "Sáng kiến hoàn thành", "en": "Initiatives completed"},
                    "metric": "initiative_completion",
                    "rule": {"kind": "threshold", "op": ">=", "target": 0.5},
                    "points": 10,
                    "periods": ["year"],
                }
            ],
        }
    )
    fw = parse_framework(yaml.safe_dump(data, allow_unicode=True))
    assert [c.code for c in fw.criteria][-1] == "living"
    assert fw.max_points == 110


@pytest.mark.parametrize(
    ("share", "base", "allowed"),
    [(0.2, 10, 2), (0.2, 14, 2), (0.2, 15, 3), (0.29, 100, 29), (0.2, 0, 0), (1.0, 7, 7)],
)
def test_excellent_cap_allowed_is_exact(share: float, base: int, allowed: int) -> None:
    cap = ExcellentCap(band="excellent", share=share, of_bands=["excellent", "good"])
    assert cap.allowed(base) == allowed


@pytest.mark.parametrize(
    ("good", "proposed", "allowed"),
    # The README's example: 12 good, 5 proposed -> 2 (20 % of 12 = 2.4). With the proposals
    # moved down joining the base: 14 good, 6 proposed -> 3 (3 ≤ 20 % × 17), not 2.
    [(12, 5, 2), (14, 6, 3), (5, 1, 1), (3, 2, 0), (0, 4, 0), (12, 1, 1), (100, 30, 21)],
)
def test_excellent_cap_counts_the_proposals_moved_down(
    good: int, proposed: int, allowed: int
) -> None:
    cap = ExcellentCap(band="excellent", share=0.2, of_bands=["good"])
    assert cap.allowed(good, proposed) == allowed
    assert allowed <= 0.2 * (good + proposed - allowed) + 1e-9
    assert allowed == proposed or allowed + 1 > 0.2 * (good + proposed - allowed - 1)


def test_cap_groups_must_include_the_grassroots_committee() -> None:
    text = DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        parse_framework(text.replace("group_by: [grassroots, sort]", "group_by: [sort]"))
    assert info.value.errors == [
        "classification.excellent_cap.group_by: list grassroots (the committee that classifies "
        "its cells), optionally sort, each once"
    ]
    assert parse_framework(text.replace("[grassroots, sort]", "[grassroots]"))


def test_every_default_rule_names_its_source() -> None:
    fw = parse_framework(DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8"))
    items = [i for c in fw.criteria for i in c.indicators]
    items += [i for s in fw.meeting_rubric.sections for i in s.items]
    assert fw.grassroots is not None
    items += fw.grassroots.indicators
    assert all(i.source for i in items), [i.code for i in items if not i.source]
    assert all(c.source and "cellbot default" in c.source for c in fw.criteria)
    assert all(i.source == "cellbot default" for i in fw.grassroots.indicators)
    c1 = fw.indicator("C1")
    assert c1.source is not None and "Art. 8" in c1.source and "366" not in c1.source
    # Petitions are reported but score nothing.
    assert "solidarity_problems" not in {i.metric for i in items}


def test_derived_is_built_once_per_framework_object_and_goes_with_it() -> None:
    import gc

    from domain import framework as fwmod

    built: list[int] = []

    def build(fw: fwmod.Framework) -> int:
        built.append(id(fw))
        return len(built)

    first = fwmod.read_framework(fwmod.DEFAULT_FRAMEWORK_PATH)
    assert fwmod.derived(first, "test", build) == 1
    assert fwmod.derived(first, "test", build) == 1  # kept
    assert fwmod.derived(first, "other", build) == 2  # another derivation
    second = fwmod.read_framework(fwmod.DEFAULT_FRAMEWORK_PATH)
    assert fwmod.derived(second, "test", build) == 3  # equal, but another object
    key = (id(first), "test")
    del first
    gc.collect()
    assert key not in fwmod._DERIVED
