"""Unit kinds, sorts and nesting reasons in the reader's language (catalog `org.po`)."""

from __future__ import annotations

from bot.i18n import catalog, normalize_language, t


def unit_kind_label(lang: str | None, kind: str, sort: str | None = None) -> str:
    """What a unit is, in words: its sort where known ("đảng bộ phường"), else its kind."""
    if sort:
        key = f"org.sort.{kind}.{sort}"
        if key in catalog(normalize_language(lang)):
            return t(lang, key)
    key = f"org.kind.{kind}"
    if key in catalog(normalize_language(lang)):
        return t(lang, key)
    return kind  # a kind this version does not know: show it as stored


def nesting_text(lang: str | None, code: str) -> str:
    """Why a unit may not sit where it was put (a domain.orgtree.Nesting code)."""
    return t(lang, f"org.nesting.{code}")
