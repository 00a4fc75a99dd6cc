"""Pieces shared by the /initiatives modules: states, the draft, labels, small parsers.

The answers of a registration live in a draft in `user_data` (persisted by our
SQLPersistence) until the secretary confirms; the database gets the initiative in the same
transaction as the confirmation. A registration is a minute of tapping, so losing a draft to
a crash between two persistence flushes costs little, unlike a check-in.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from telegram import InlineKeyboardButton

from bot.context import Ctx, Request, user_data
from bot.keyboards import button
from domain.amounts import format_amount, format_digits
from handlers.cells import allowed
from storage.initiatives import InitiativeKind, InitiativeStatus

(
    ASK_TITLE,
    ASK_DESC,
    ASK_BENEFIT,
    ASK_AMOUNT,
    ASK_TARGET,
    BUTTONS,
    ASK_RESULT,
    ASK_REALISED,
    ASK_ATTACH,
    ASK_REASON,
) = range(10)

# A refused button changes nothing, not even the question being asked (PTB keeps the state).
STAY = None
DRAFT = "initiative_draft"
P = "in"  # callback prefix (cross-feature contract)

KIND_CODES: dict[str, InitiativeKind] = {
    "ti": InitiativeKind.TECHNICAL_INNOVATION,
    "ra": InitiativeKind.RATIONALISATION,
    "ho": InitiativeKind.UNCLE_HO_COMMITMENT,
    "ad": InitiativeKind.ADMISSION_CANDIDATE,
    "es": InitiativeKind.ENVIRONMENT_SECURITY,
    "ot": InitiativeKind.OTHER,
}
STATUS_CODES: dict[str, InitiativeStatus | None] = {
    "a": None,
    "r": InitiativeStatus.REGISTERED,
    "p": InitiativeStatus.IN_PROGRESS,
    "c": InitiativeStatus.COMPLETED,
    "d": InitiativeStatus.DROPPED,
}
STATUS_ICON = {"registered": "📝", "in_progress": "⏳", "completed": "✅", "dropped": "✖️"}


def kind_label(req: Request, kind: str) -> str:
    return req.t(f"initiatives.kind.{kind}")


def status_label(req: Request, status: str) -> str:
    return req.t(f"initiatives.status.{status}")


def money(req: Request, amount: int) -> str:
    short, digits = format_amount(amount, req.lang), format_digits(amount, req.lang)
    return short if short == digits else f"{short} ({digits})"


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def esc(text: str | None) -> str:
    return html.escape(text or "")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


# ---------------------------------------------------------------- the draft


def get_draft(context: Ctx, req: Request, cell_id: int | None = None) -> dict[str, Any] | None:
    """The caller's draft, only if it is for a cell they still run (and `cell_id` if given)."""
    draft = (context.user_data or {}).get(DRAFT)
    if not isinstance(draft, dict):
        return None
    cell = draft.get("cell")
    if not isinstance(cell, int) or (cell_id is not None and cell != cell_id):
        return None
    return draft if allowed(req, cell) else None


def new_draft(context: Ctx, **values: Any) -> dict[str, Any]:
    draft: dict[str, Any] = dict(values)
    user_data(context)[DRAFT] = draft
    return draft


def drop_draft(context: Ctx) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)


def expired(req: Request) -> None:
    """The draft is gone: an alert on a tapped button, a message after a typed answer."""
    req.alert("common.session_expired")


def skip_button(req: Request, cell_id: int, step: str) -> InlineKeyboardButton:
    return button(req.t("initiatives.btn_skip"), P, "sk", cell_id, step)


def cancel_button(req: Request, cell_id: int) -> InlineKeyboardButton:
    return button(req.t("common.cancel"), P, "menu", cell_id)


# ---------------------------------------------------------------- dates

_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(text: str, default_year: int) -> dt.date | None:
    """``31/12/2026``, ``31-12-26``, ``31.12`` (in `default_year`) or ``2026-12-31``."""
    cleaned = text.strip()
    try:
        if match := _ISO.match(cleaned):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DMY.match(cleaned):
            year = int(match[3]) if match[3] else default_year
            if year < 100:
                year += 2000
            return dt.date(year, int(match[2]), int(match[1]))
    except ValueError:
        return None
    return None


def show_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")
