"""Texts come from gettext catalogs (.po), one per feature domain, Vietnamese and English.

Message ids are stable keys (``checkin.ask_date``), so the catalogs of both languages are
complete translations and a missing key is a test failure, not a silent fallback to code.
Catalogs are read with Babel at import time; no compile step is needed.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

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
