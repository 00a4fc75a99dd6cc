from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from domain.amounts import MAX_AMOUNT, format_amount, format_digits, parse_amount

amounts = st.one_of(
    st.integers(min_value=0, max_value=MAX_AMOUNT),
    # Round amounts are what people type; make sure the short forms get exercised.
    st.builds(
        lambda n, unit: min(n * unit, MAX_AMOUNT),
        st.integers(min_value=1, max_value=99_999),
        st.sampled_from([10**3, 10**4, 10**5, 10**6, 10**7, 10**8, 10**9]),
    ),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("33 tỷ", 33_000_000_000),
        ("33 tỉ", 33_000_000_000),
        ("33 Tỷ đồng", 33_000_000_000),
        ("1,2 triệu", 1_200_000),
        ("1.5tr", 1_500_000),
        ("500k", 500_000),
        ("500K VNĐ", 500_000),
        ("33.000.000", 33_000_000),
        ("33,000,000", 33_000_000),
        ("33 000 000", 33_000_000),
        ("33000000", 33_000_000),
        ("33.000.000đ", 33_000_000),
        ("₫ 1.000", 1_000),
        ("2 trăm nghìn", 200_000),
        ("2 tram nghin", 200_000),
        ("1 tỷ 200 triệu", 1_200_000_000),
        ("2 tỷ 3 trăm triệu", 2_300_000_000),
        ("1 nghìn tỷ", 10**12),
        ("1.234 tỷ", 1_234_000_000_000),  # Vietnamese: dot groups thousands
        ("1,234 tỷ", 1_234_000_000),  # Vietnamese: comma is the decimal mark
        ("1,234 billion", 1_234_000_000_000),  # English: the reverse
        ("1.234 billion", 1_234_000_000),
        ("1.234,5 tỷ", 1_234_500_000_000),
        ("1,234.5 million", 1_234_500_000),
        ("33 billion VND", 33_000_000_000),
        ("1.2m", 1_200_000),
        ("  7\u00a0triệu  ", 7_000_000),
        ("0", 0),
    ],
)
def test_accepted_forms(text: str, expected: int) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "khoảng 33 tỷ",
        "-5",
        "5 - 6 triệu",
        "1,5",  # half a đồng
        "0.4",
        "1 tỷ 2000 triệu",  # segments must get smaller
        "200 triệu 1 tỷ",
        "2 triệu 500",  # spoken shorthand, ambiguous
        "12345 678",
        "1..2",
        "1,2,3",
        "1.234,5,6",
        "đồng",
        "tỷ",
        "33 tỷ đồng đồng",
        "10000000 tỷ",  # above MAX_AMOUNT
        "9" * 200,
    ],
)
def test_refused_forms(text: str) -> None:
    assert parse_amount(text) is None


@given(amounts, st.sampled_from(["vi", "en"]))
@example(1_234_000_000_000, "vi")
@example(1_234_500_000_000, "en")
@example(1_234, "vi")
@example(0, "en")
def test_format_then_parse_round_trips(amount: int, lang: str) -> None:
    assert parse_amount(format_amount(amount, lang)) == amount
    assert parse_amount(format_digits(amount, lang)) == amount


@given(st.text(max_size=120))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    result = parse_amount(text)
    assert result is None or 0 <= result <= MAX_AMOUNT


@given(
    st.from_regex(
        r"\A[0-9 .,]{0,14}(tỷ|triệu|tr|k|m|b|nghìn|trăm| |đ|VND|₫)*[0-9 .,]{0,6}\Z",
        fullmatch=True,
    )
)
def test_never_raises_on_amount_like_text(text: str) -> None:
    result = parse_amount(text)
    assert result is None or 0 <= result <= MAX_AMOUNT


def test_never_raises_on_non_strings() -> None:
    for value in (None, 5, b"33", ["1"]):
        assert parse_amount(value) is None


def test_formats_read_naturally() -> None:
    assert format_amount(33_000_000_000) == "33 tỷ đồng"
    assert format_amount(33_000_000_000, "en") == "33 billion VND"
    assert format_amount(1_200_000) == "1,2 triệu đồng"
    assert format_amount(1_200_000, "en") == "1.2 million VND"
    assert format_amount(500_000) == "500 nghìn đồng"
    assert format_amount(1_234_567) == "1.234.567 đồng"
    assert format_digits(33_000_000_000) == "33.000.000.000 đồng"
    assert format_digits(33_000_000_000, "en") == "33,000,000,000 VND"
