"""Vietnamese name order: by given name (the last word), then the rest as written.

Letters follow the Vietnamese alphabet (a ă â b c d đ e ê … o ô ơ … u ư …, with f j w z
placed where the Latin alphabet puts them, for foreign names), and tones count only when
the letters are equal (ngang, huyền, hỏi, ngã, sắc, nặng: the order of CLDR's ``vi``
collation). Case and the way the text was typed (composed or not) do not matter.

`name_sort_key` is the key for Python sorts; `name_sort_text` encodes the same order as a
string of digits for a database column, because rosters are paged in SQL and a digit-only
string compares the same way under every collation (SQLite's binary, PostgreSQL's libc or
ICU locales).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# The order of the base letters; a letter not listed sorts after z.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_DIGITS = "0123456789"
# Two-digit codes: 00 ends a word's letters, 01-10 digits, 11-43 letters, 98 anything else.
_CODES = {ch: 1 + i for i, ch in enumerate(_DIGITS)} | {
    ch: 11 + i for i, ch in enumerate(_ALPHABET)
}
_OTHER = 98
# Combining marks that make a different letter (breve, circumflex, horn), not a tone.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
# Tone marks in sorting order (no mark = 0).
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

Letter = tuple[int, int]  # (letter code, tone)
WordKey = tuple[tuple[int, ...], tuple[int, ...]]  # (letters, tones)
NameKey = tuple[WordKey, ...]


def _letters(word: str) -> list[Letter]:
    """Each base letter of `word` with its tone; marks that are not Vietnamese are dropped."""
    out: list[Letter] = []
    for ch in unicodedata.normalize("NFD", word.casefold()):
        if unicodedata.combining(ch):
            if not out:
                continue
            code, tone = out[-1]
            if ch in _TONES:
                out[-1] = (code, _TONES[ch])
            elif ch in _LETTER_MARKS:
                base = _ALPHABET[code - 11] if code >= 11 and code != _OTHER else ""
                marked = unicodedata.normalize("NFC", base + ch)
                if marked in _CODES:
                    out[-1] = (_CODES[marked], tone)
            continue
        if not ch.isalnum():
            continue  # hyphens, dots, apostrophes: "Hồ-Thị" sorts as "Hồthị"
        out.append((_CODES.get(ch, _OTHER), 0))
    return out


# Names repeat their words (a province has ~100,000 members and a few thousand distinct
# words): caching a word's key makes a whole seed's keys cheap.
@lru_cache(maxsize=1 << 16)
def _word_key(word: str) -> WordKey:
    letters = _letters(word)
    return tuple(code for code, _ in letters), tuple(tone for _, tone in letters)


@lru_cache(maxsize=1 << 16)
def _word_text(word: str) -> str:
    letters, tones = _word_key(word)
    return "".join(f"{code:02d}" for code in letters) + "00" + "".join(map(str, tones))


def _words(full_name: str) -> list[str]:
    """The words that carry letters, the given name (the last one) first."""
    words = [w for w in full_name.split() if _word_key(w)[0]]
    return [words[-1], *words[:-1]] if words else []


def name_sort_key(full_name: str) -> NameKey:
    """The key that puts names in Vietnamese order: given name first, then family and
    middle names as written; within a word, letters before tones."""
    return tuple(_word_key(w) for w in _words(full_name))


def name_sort_text(full_name: str) -> str:
    """`name_sort_key` as digits that sort the same way as text (for an indexed column).

    Each word is its letters (two digits each), ``00``, then its tones (one digit each). Two
    words compare their letters first; ``00`` is below every letter, so "An" comes before
    "Anh"; only when the letters are equal do the tones, of equal length then, compare.
    """
    return "".join(_word_text(w) for w in _words(full_name))


SORT_TEXT_MAX = 3 * 120 + 2 * 60  # 120 letters at most (the name column), 00 per word


def folded(text: str) -> str:
    """`text` without tones or letter marks, đ as d, case folded, spaces collapsed: what a
    search on a phone keyboard without Vietnamese input still finds ("hoa" finds "Hòa")."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def name_matches(full_name: str, needle: str) -> bool:
    """Whether every word of `needle` begins a word of the name, tones and case aside
    ("văn hoa" finds "Nguyễn Văn Hòa"; "oa" does not)."""
    words = folded(full_name).split()
    return all(any(w.startswith(part) for w in words) for part in folded(needle).split())
