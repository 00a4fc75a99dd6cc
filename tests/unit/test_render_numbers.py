"""Numbers and reason lines in the score texts: the fast formatter writes exactly what Babel
writes, and a reason line written from the cache is the line written afresh."""

from __future__ import annotations

import random

import pytest
from babel.numbers import format_decimal, format_percent
from hypothesis import given
from hypothesis import strategies as st

from bot.render_scores import NumberFormat, number_format, reason_text
from domain.framework import load_framework
from domain.scoring import Reason

PATTERNS = ("#,##0.#", "#,##0.##", "#,##0.#%")
EDGES = [
    0,
    0.0,
    -0.0,  # Babel writes "-0": left to Babel
    0.05,
    0.15,
    0.25,
    2.25,  # halves: Babel rounds the decimal text half-even
    0.35,
    0.95,
    0.9999,
    1e-7,
    1 / 3,
    2 / 3,
    12.345,
    999.95,
    1234.5,
    1234567.891,
    999_999_999_999.99,
    1e12,  # past the fast path's range
    -3.5,  # negative: left to Babel
    7,
    1000,
    12_345_678,
]


def babel(value: float | int, pattern: str, lang: str) -> str:
    if pattern.endswith("%"):
        return str(format_percent(value, format=pattern, locale=lang))
    return str(format_decimal(value, format=pattern, locale=lang))


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_edge_values_are_written_as_babel_writes_them(pattern: str, lang: str) -> None:
    fmt = NumberFormat(pattern, lang)
    for value in EDGES:
        assert fmt(value) == babel(value, pattern, lang), value
        assert fmt(value) == babel(value, pattern, lang), value  # and again, from the cache


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_random_values_are_written_as_babel_writes_them(lang: str) -> None:
    rng = random.Random(2024)
    values: list[float | int] = [rng.random() for _ in range(2000)]
    values += [round(rng.uniform(0, 100), rng.randint(0, 3)) for _ in range(2000)]
    values += [rng.randint(0, 40) / rng.randint(1, 40) for _ in range(2000)]
    values += [rng.uniform(0, 1e9) for _ in range(500)]
    values += [rng.randint(0, 10**9) for _ in range(500)]
    for pattern in PATTERNS:
        fmt = number_format(pattern, lang)
        for value in values:
            assert fmt(value) == babel(value, pattern, lang), (pattern, value)


@given(st.floats(min_value=0, max_value=1e13, allow_nan=False), st.sampled_from(PATTERNS))
def test_any_number_is_written_as_babel_writes_it(value: float, pattern: str) -> None:
    assert number_format(pattern, "vi")(value) == babel(value, pattern, "vi")


def test_a_reason_line_from_the_cache_is_the_line_written_afresh() -> None:
    fw = load_framework()
    reason = Reason("M3", "meetings", "attendance_rate", "ratio", 0.78, 0.85, ">=", 2.8)
    first = reason_text(fw, reason, "vi")
    assert first == "Tỷ lệ đảng viên dự sinh hoạt: 78% (cần ≥ 85%) −2,8"
    assert reason_text(fw, reason, "vi") == first
    assert reason_text(fw, reason, "en") == "Attendance rate: 78% (target ≥ 85%) −2.8"
    assert reason_text(fw, reason, "vi-VN") == first
