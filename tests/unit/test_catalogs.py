"""Every message exists in both languages with the same placeholders, and every key the
code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from bot.i18n import catalog

ROOT = Path(__file__).resolve().parents[2]
KEY_CALL = re.compile(
    r"""\b(?:t|req\.t|_t|tr)\(\s*(?:[\w.]+,\s*)?["']([a-z_]+(?:\.[a-z0-9_]+)+)["']"""
)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    vi, en = catalog("vi"), catalog("en")
    assert vi, "no Vietnamese catalog"
    assert set(vi) == set(en), set(vi) ^ set(en)
    for key in vi:
        assert _fields(vi[key]) == _fields(en[key]), key
        assert vi[key].strip() and en[key].strip(), key


def test_every_literal_key_used_in_code_exists() -> None:
    vi = catalog("vi")
    missing = []
    for folder in ("bot", "handlers", "storage", "schedules"):
        for path in (ROOT / folder).rglob("*.py"):
            for key in KEY_CALL.findall(path.read_text(encoding="utf-8")):
                if key not in vi:
                    missing.append(f"{path.relative_to(ROOT)}: {key}")
    assert not missing, missing
