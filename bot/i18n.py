"""Texts come from gettext catalogs (.po), one per feature domain, Vietnamese and English.

Message ids are stable keys (``checkin.ask_date``), so the catalogs of both languages are
complete translations and a missing key is a test failure, not a silent fallback to code.
Catalogs are read with Babel at import time; no compile step is needed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po

from domain.periods import Period, parse_period

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

log = logging.getLogger(__name__)


@cache
def catalog(language: str) -> dict[str, str]:
    """All messages of one language, merged from every domain file."""
    messages: dict[str, str] = {}
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    for po_file in sorted(folder.glob("*.po")):
        with po_file.open("rb") as handle:
            parsed = read_po(handle, locale=language)
        for message in parsed:
            if message.id and isinstance(message.id, str) and isinstance(message.string, str):
                messages[message.id] = message.string
    return messages


def normalize_language(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    if code:
        short = code.split("-")[0].split("_")[0].lower()
        if short in LANGUAGES:
            return short
    return default


def t(language: str | None, key: str, /, **values: object) -> str:
    """The text `key` in `language`, formatted with `values` (str.format fields)."""
    lang = normalize_language(language)
    template = catalog(lang).get(key)
    if template is None:
        log.error("missing message %r in %s catalog", key, lang)
        template = catalog(DEFAULT_LANGUAGE).get(key, key)
    if not values:
        return template
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        log.exception("bad placeholders in message %r (%s)", key, lang)
        return template


# A period code (2026, 2026-Q4, 2026-11) as it is stored and put in callback data.
PERIOD_CODE = re.compile(r"^\d{4}(?:-Q[1-4]|-\d{2})?$")


def period_text(period: Period | str, language: str | None) -> str:
    """A period as a reader says it: "tháng 11/2026", "quý IV/2026", "năm 2026" (vi);
    "November 2026", "Q4 2026", "2026" (en). Codes such as ``2026-Q4`` stay in callback
    data, outbox keys and files; only this text is shown."""
    if isinstance(period, str):
        period = parse_period(period)
    lang = normalize_language(language)
    if period.kind == "month":
        # The Babel pattern is in the catalog: "MM/y" reads naturally in Vietnamese,
        # "MMMM y" in English.
        month = format_date(period.start, t(lang, "period.month_pattern"), locale=lang)
        return t(lang, "period.month", month=month)
    if period.kind == "quarter":
        # Vietnamese writes quarters in Roman numerals ("quý IV/2026"); the catalog says which.
        numeral = t(lang, "period.quarter_numerals").split()[period.index - 1]
        return t(lang, "period.quarter", quarter=numeral, year=period.year)
    return t(lang, "period.year", year=period.year)


def date_text(day: dt.date, language: str | None) -> str:
    """A calendar day: "05/11/2026" (vi), "5 Nov 2026" (en)."""
    lang = normalize_language(language)
    return format_date(day, t(lang, "date.pattern"), locale=lang)
