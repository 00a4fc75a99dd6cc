"""Amounts of money in VND as secretaries type them, and back to text.

Accepted: ``33 tỷ``, ``1,2 triệu``, ``1.5tr``, ``500k``, ``2 trăm nghìn``, ``1 tỷ 200 triệu``,
``33.000.000``, ``33,000,000``, ``33 000 000``, ``33000000``, ``33 billion``, ``1.2m``, with an
optional ``đ``/``đồng``/``VND``/``₫``. Anything else gives None: the caller asks again.

Separators are ambiguous (``1.234`` is 1234 in Vietnamese and 1.234 in English), so:

* several separators of one kind are thousands groups (``33.000.000``);
* two kinds: the last one is the decimal mark (``1.234,5`` / ``1,234.5``);
* one separator followed by exactly three digits follows the language of the unit word after
  the number — Vietnamese units (tỷ, triệu, nghìn, ``k``) read ``.`` as thousands and ``,`` as
  decimal, English units (billion, million, ``m``) the reverse; with no unit the number is in
  đồng, which has no fractions, so it is a thousands group;
* any other single separator is the decimal mark (``1,2 triệu``, ``1.5tr``).

`format_amount` writes by the same rules, so format → parse is the identity (tested with
hypothesis). Both functions are pure; `parse_amount` never raises.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

MAX_AMOUNT = 10**15  # a million billion đồng: far above any real benefit, far below BIGINT
MAX_INPUT = 100

VI_UNITS = {
    "trăm": 100,
    "tram": 100,
    "nghìn": 10**3,
    "nghin": 10**3,
    "ngàn": 10**3,
    "ngan": 10**3,
    "triệu": 10**6,
    "trieu": 10**6,
    "tr": 10**6,
    "tỷ": 10**9,
    "tỉ": 10**9,
    "ty": 10**9,
    "ti": 10**9,
    "k": 10**3,  # used in both languages; Vietnamese users are the default
}
EN_UNITS = {
    "hundred": 100,
    "thousand": 10**3,
    "million": 10**6,
    "millions": 10**6,
    "mil": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "billions": 10**9,
    "bn": 10**9,
    "b": 10**9,
}
CURRENCY = {"đ", "đồng", "dong", "vnd", "vnđ", "₫"}
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_TOKEN = re.compile(r"([0-9]+(?:[.,][0-9]+)*)|([^\W\d_]+)|(₫)|(\S)")
_GROUPS = re.compile(r"^[1-9][0-9]{0,2}(?:([.,])[0-9]{3})(?:\1[0-9]{3})*$")


def _number(token: str, convention: str | None) -> Decimal | None:
    """The value of a number token, reading its separators by the rules above."""
    if token.isdigit():
        return Decimal(token)
    seps = [ch for ch in token if ch in ".,"]
    kinds = set(seps)
    if len(kinds) == 2:
        decimal_mark = seps[-1]
        if seps.count(decimal_mark) != 1:
            return None
        whole, _, fraction = token.rpartition(decimal_mark)
        if not _GROUPS.match(whole):
            return None
        return Decimal(whole.replace(seps[0], "") + "." + fraction)
    if len(seps) > 1:
        return Decimal(token.replace(seps[0], "")) if _GROUPS.match(token) else None
    mark = seps[0]
    whole, _, fraction = token.partition(mark)
    thousands = convention is None or (mark == "." if convention == "vi" else mark == ",")
    if len(fraction) == 3 and _GROUPS.match(token) and thousands:
        return Decimal(whole + fraction)
    return Decimal(whole + "." + fraction)


def _tokens(text: str) -> list[tuple[str, str]] | None:
    """(kind, value) pairs — num, unit-vi, unit-en, cur — or None on any other word or sign."""
    out: list[tuple[str, str]] = []
    spaced = False  # the last number was written in space-separated groups of three
    for match in _TOKEN.finditer(text):
        number, word, symbol, _other = match.groups()
        if number is not None:
            last = out[-1] if out else None
            # "33 000 000": groups of three digits separated by spaces are one number.
            if (
                last is not None
                and last[0] == "num"
                and last[1].isdigit()
                and number.isdigit()
                and len(number) == 3
                and (spaced or len(last[1]) <= 3)
                and not last[1].startswith("0")
            ):
                out[-1] = ("num", last[1] + number)
                spaced = True
                continue
            out.append(("num", number))
        elif (word is not None and word in CURRENCY) or symbol is not None:
            out.append(("cur", word or symbol))
        elif word is not None and word in VI_UNITS:
            out.append(("unit-vi", word))
        elif word is not None and word in EN_UNITS:
            out.append(("unit-en", word))
        else:
            return None
        spaced = False
    return out


def parse_amount(text: object) -> int | None:
    """The amount in đồng written in `text`, or None when it is not (only) an amount."""
    try:
        return _parse(text)
    except (InvalidOperation, ValueError, ArithmeticError):  # defensive: never raise
        return None


def _parse(text: object) -> int | None:
    if not isinstance(text, str) or len(text) > MAX_INPUT:
        return None
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFC", text).lower()).strip()
    tokens = _tokens(cleaned)
    if not tokens:
        return None
    # One currency word is allowed, at the start or at the end.
    if tokens[0][0] == "cur":
        tokens = tokens[1:]
    elif tokens[-1][0] == "cur":
        tokens = tokens[:-1]
    if not tokens or any(kind == "cur" for kind, _ in tokens):
        return None

    # Segments: a number and the unit words that multiply it ("2 trăm nghìn").
    segments: list[tuple[str, list[tuple[str, str]]]] = []
    for kind, value in tokens:
        if kind == "num":
            segments.append((value, []))
        elif not segments:
            return None
        else:
            segments[-1][1].append((kind, value))

    total = Decimal(0)
    previous_multiplier: int | None = None
    for number, units in segments:
        if len(segments) > 1 and not units:
            return None  # "2 triệu 500" is spoken shorthand we do not guess at
        multiplier = 1
        for kind, word in units:
            multiplier *= VI_UNITS[word] if kind == "unit-vi" else EN_UNITS[word]
        convention = None if not units else ("vi" if units[0][0] == "unit-vi" else "en")
        quantity = _number(number, convention)
        if quantity is None:
            return None
        if previous_multiplier is not None and (
            multiplier >= previous_multiplier or quantity * multiplier >= previous_multiplier
        ):
            return None  # "1 tỷ 2000 triệu": segments must go down in size
        previous_multiplier = multiplier
        total += quantity * multiplier
        if total > MAX_AMOUNT:
            return None
    if total != total.to_integral_value():
        return None  # fractions of a đồng: a typo, not an amount
    return int(total)


# ---------------------------------------------------------------- formatting

_WORDS = {
    "vi": ((10**9, "tỷ"), (10**6, "triệu"), (10**3, "nghìn")),
    "en": ((10**9, "billion"), (10**6, "million"), (10**3, "thousand")),
}
_MARKS = {"vi": (".", ","), "en": (",", ".")}  # (thousands, decimal)
_CURRENCY_WORD = {"vi": "đồng", "en": "VND"}


def _group(n: int, thousands: str) -> str:
    return f"{n:,}".replace(",", thousands)


def format_digits(amount: int, lang: str = "vi") -> str:
    """All digits, grouped: ``33.000.000.000 đồng`` / ``33,000,000,000 VND``."""
    lang = lang if lang in _MARKS else "vi"
    return f"{_group(amount, _MARKS[lang][0])} {_CURRENCY_WORD[lang]}"


def format_amount(amount: int, lang: str = "vi") -> str:
    """Short words where exact: ``33 tỷ đồng``, ``1,2 triệu đồng``, else all digits."""
    lang = lang if lang in _MARKS else "vi"
    thousands, decimal_mark = _MARKS[lang]
    for unit, word in _WORDS[lang]:
        # Up to two decimals for tỷ/triệu (1,25 tỷ); whole thousands only below a million.
        step = unit // 100 if unit >= 10**6 else unit
        limit = None if unit >= 10**6 else 10**6
        if amount >= unit and amount % step == 0 and (limit is None or amount < limit):
            whole, rest = divmod(amount, unit)
            text = _group(whole, thousands)
            if rest:
                text += decimal_mark + f"{rest * 100 // unit:02d}".rstrip("0")
            return f"{text} {word} {_CURRENCY_WORD[lang]}"
    return format_digits(amount, lang)
