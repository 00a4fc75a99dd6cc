"""Vietnamese name order: given name first, Vietnamese letters (Đ after D), tones after."""

from __future__ import annotations

import unicodedata

from domain.vnsort import SORT_TEXT_MAX, name_sort_key, name_sort_text


def _sorted(names: list[str]) -> list[str]:
    return sorted(names, key=name_sort_key)


def test_given_name_first_then_family_and_middle_names() -> None:
    names = ["Nguyễn Văn Bình", "Trần Thị An", "Lê Văn An", "Hoàng Cường"]
    assert _sorted(names) == ["Lê Văn An", "Trần Thị An", "Nguyễn Văn Bình", "Hoàng Cường"]


def test_d_with_stroke_comes_after_d_not_after_z() -> None:
    names = ["Phạm Văn Đức", "Vũ Thị Yến", "Lê Dũng", "Trần Văn Du", "Hà Văn Em"]
    assert _sorted(names) == ["Trần Văn Du", "Lê Dũng", "Phạm Văn Đức", "Hà Văn Em", "Vũ Thị Yến"]


def test_vietnamese_letter_order() -> None:
    # a < ă < â < b; e < ê; o < ô < ơ < p; u < ư < v
    given = ["Ân", "Ăn", "An", "Bá", "Êm", "Em", "Ơn", "Ôn", "On", "Phú", "Ưu", "Uy", "Vy"]
    ordered = _sorted([f"X {g}" for g in given])
    assert [n.split()[-1] for n in ordered] == [
        "An",
        "Ăn",
        "Ân",
        "Bá",
        "Em",
        "Êm",
        "On",
        "Ôn",
        "Ơn",
        "Phú",
        "Uy",
        "Ưu",
        "Vy",
    ]


def test_tones_only_break_ties_between_equal_letters() -> None:
    # ngang, huyền, hỏi, ngã, sắc, nặng; and "Anh" after every "An" whatever its tone.
    given = ["Anh", "Ạn", "Án", "Ãn", "Ản", "Àn", "An"]
    ordered = _sorted([f"X {g}" for g in given])
    assert [n.split()[-1] for n in ordered] == ["An", "Àn", "Ản", "Ãn", "Án", "Ạn", "Anh"]


def test_case_and_composition_do_not_matter() -> None:
    composed = "Nguyễn Thị Ánh"
    decomposed = unicodedata.normalize("NFD", composed)
    assert name_sort_key(composed) == name_sort_key(decomposed) == name_sort_key(composed.upper())
    assert name_sort_text(composed) == name_sort_text(decomposed)


def test_the_stored_text_sorts_like_the_key() -> None:
    names = [
        "Nguyễn Văn An",
        "Nguyễn An",
        "Trần Văn Ân",
        "Lê Thị Án",
        "Đỗ Đức",
        "Dương Văn Dũng",
        "Phạm Thị Ưng",
        "Vi Văn Uy",
        "Hoàng Ơn",
        "Lục Văn Ôn",
        "Nông Thị Ọn",
        "Bế Văn Z",
        "Hà Thị Anh",
        "Mã Anh",
        "La Văn An",
        "John Smith",
        "Lý A",
        "Lý Á",
        "Lý Ă",
        "Nguyễn Văn 2",
        "Hồ-Thị Liên",
        "Trịnh  Thị   Mai",
    ]
    by_key = sorted(names, key=lambda n: (name_sort_key(n), n))
    by_text = sorted(names, key=lambda n: (name_sort_text(n), n))
    assert by_key == by_text
    assert set(name_sort_text("Nguyễn Văn Ánh")) <= set("0123456789")


def test_the_stored_text_fits_its_column() -> None:
    longest = " ".join(["Ư"] * 60)[:120]
    assert len(name_sort_text(longest)) <= SORT_TEXT_MAX
    assert len(name_sort_text("Ngoằng" * 20)) <= SORT_TEXT_MAX
