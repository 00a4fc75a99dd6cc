"""Render an outbox payload (storage/outbox.py) as the text and buttons the dispatcher sends,
in the recipient's language. Notices that storage writes as facts (`storage.outbox.Notice`)
become catalog messages here: the catalog key, the HTML escaping of names and comments, and
the callback data are chosen on the bot's side."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import start_checkin
from bot.i18n import PERIOD_CODE, period_text, t

_KEYS = {
    "nudge": "sv.nudge.text",
    "review_ok": "sv.review.notify_ok",
    "review_issues": "sv.review.notify_issues",
}
# `storage.outbox.AccessNotice`: a grant ended (values: the unit's name, the role's name).
_ACCESS_KEYS = {
    "access_revoked": "access.note.revoked",
    "access_replaced": "access.note.replaced",
}
# The notices that offer to open the month's check-in, with the button's label.
_START_LABELS = {"nudge": "sv.nudge.btn_start", "review_issues": "sv.review.btn_fix"}


def as_message(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """A notice as a catalog payload (``key``, ``values``, ``buttons``); others unchanged."""
    kind = payload.get("notice")
    if kind not in _KEYS:
        return payload
    year, month = str(payload["month"]).split("-")
    values = {"cell": html.escape(str(payload["cell"])), "month": f"{month}/{year}"}
    if "comment" in payload:
        values["comment"] = html.escape(str(payload["comment"]))
    label = _START_LABELS.get(str(kind))
    buttons = (
        [[[label, start_checkin(int(payload["cell_id"]), str(payload["month"]))]]] if label else []
    )
    return {"key": _KEYS[str(kind)], "values": values, "buttons": buttons}


def render_text(
    payload: Mapping[str, Any], lang: str, digest_cells: list[str] | None = None
) -> str:
    if payload.get("notice") in _ACCESS_KEYS:
        return t(
            lang,
            _ACCESS_KEYS[str(payload["notice"])],
            unit=html.escape(str(payload.get("unit", ""))),
            role=t(lang, f"role.{payload.get('role')}"),
        )
    payload = as_message(payload)
    if "html" in payload:
        return str(payload["html"])
    if "text" in payload:
        return html.escape(str(payload["text"]))
    values = dict(payload.get("values") or {})
    # Rows written before periods were rendered carry the code ("2026-Q4") in their values.
    quarter = values.get("quarter")
    if isinstance(quarter, str) and PERIOD_CODE.match(quarter):
        values["quarter"] = period_text(quarter, lang)
    if digest_cells is not None:
        values["count"] = len(digest_cells)
        values["cells"] = "\n".join(f"• {html.escape(name)}" for name in digest_cells)
    return t(lang, str(payload.get("key", "")), **values)


def render_buttons(
    payload: Mapping[str, Any], lang: str, row_id: int
) -> InlineKeyboardMarkup | None:
    rows = as_message(payload).get("buttons") or []
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, label), callback_data=data.replace("{id}", str(row_id))
                )
                for label, data in row
            ]
            for row in rows
        ]
    )
