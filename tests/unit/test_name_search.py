"""Finding a member by part of the name on a phone without Vietnamese input."""

from __future__ import annotations

import pytest

from domain.vnsort import folded, name_matches


def test_folded_drops_tones_marks_and_case() -> None:
    assert folded("  Đặng  THỊ Ngọc Ánh ") == "dang thi ngoc anh"
    assert folded("Nguyễn Văn Hòa") == folded("nguyen van hoa")


@pytest.mark.parametrize(
    ("needle", "found"),
    [
        ("hoa", True),
        ("HÒA", True),
        ("văn hoa", True),
        ("ng hoa", True),  # every word begins a word of the name
        ("oa", False),  # not the middle of a word
        ("hoa thi", False),  # "thi" begins no word of this name
        ("hoang", False),
    ],
)
def test_every_word_of_the_needle_begins_a_word_of_the_name(needle: str, found: bool) -> None:
    assert name_matches("Nguyễn Văn Hòa", needle) is found
