"""Inline keyboards and callback data shared by handlers.

Callback data is `prefix:arg:arg` with short ASCII ids: Telegram allows 64 bytes and a
Vietnamese name can take three bytes a letter, so names never go into callback data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

MAX_CALLBACK_BYTES = 64
MAX_ID = 2**31 - 1  # PostgreSQL int4, the type of every id column
_ASCII_ID = re.compile(r"[0-9]{1,10}")


def cb(*parts: object) -> str:
    data = ":".join(str(p) for p in parts)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def parse_cb(data: str | None) -> list[str]:
    return (data or "").split(":")


def tapped(update: Update) -> list[str]:
    """The parts of the tapped button's callback data (for handlers of buttons only)."""
    query = update.callback_query
    assert query is not None, "a button handler got an update without a tapped button"
    return parse_cb(query.data)


def int_arg(parts: Sequence[str], index: int) -> int | None:
    """The id or number at `index`, or None when missing or forged into something else.

    Only ASCII digits count (`int()` also takes "１２", " 12", "1_2"), and only values a
    PostgreSQL `integer` column holds: a larger id would end in "value out of int32 range"
    there instead of the stale-button answer SQLite gives."""
    if not 0 <= index < len(parts) or not _ASCII_ID.fullmatch(parts[index]):
        return None
    value = int(parts[index])
    return value if value <= MAX_ID else None


def button(text: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=cb(*parts))


def rows(buttons: Sequence[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def markup(*button_rows: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(r) for r in button_rows if r])


def pager_row(
    prefix: str, page: int, total: int, page_size: int, *extra: object
) -> list[InlineKeyboardButton]:
    """◀ 2/5 ▶ buttons; empty when everything fits on one page."""
    pages = max(1, -(-total // page_size))
    if pages == 1:
        return []
    row = []
    if page > 0:
        row.append(button("◀", prefix, *extra, page - 1))
    row.append(button(f"{page + 1}/{pages}", "noop"))
    if page < pages - 1:
        row.append(button("▶", prefix, *extra, page + 1))
    return row
