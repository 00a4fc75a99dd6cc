"""What /access shows: a unit's holders and pending invitations, the history, and the files
of a bulk invitation (XLSX and CSV: unit code, name, link, expiry).

Pure rendering over storage.access's records; the handlers (handlers/access*.py) choose the
buttons. Times are stored in UTC and shown in the bot's zone.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.i18n import date_text, t
from bot.xlsx_stream import DAY_TIME, FORMULA_STARTS, PLAIN, WorkbookWriter
from storage.access_model import AccessEvent, Holder, PendingInvite, UnitAccess
from storage.scope import UnitRef

CELL = "cell"
# Telegram's limit for one message; the history is cut to fit.
MAX_TEXT = 4096


def esc(text: str | None) -> str:
    return html.escape(text or "")


def role_name(lang: str, role: str) -> str:
    return t(lang, f"role.{role}")


def day(moment: dt.datetime, lang: str, tz: Any) -> str:
    """A stored UTC instant as the local calendar day: "05/11/2026" (vi), "5 Nov 2026" (en)."""
    return date_text(moment.astimezone(tz).date(), lang)


def moment_text(moment: dt.datetime, lang: str, tz: Any) -> str:
    """A stored UTC instant as local time and day: "14:05 05/11/2026"."""
    local = moment.astimezone(tz)
    return f"{local:%H:%M} {date_text(local.date(), lang)}"


def holder_line(lang: str, tz: Any, holder: Holder) -> str:
    seen = (
        day(holder.last_seen_at, lang, tz)
        if holder.last_seen_at is not None
        else t(lang, "access.never_seen")
    )
    return t(
        lang,
        "access.holder_line",
        role=role_name(lang, holder.role),
        name=esc(holder.name),
        since=day(holder.since, lang, tz),
        seen=seen,
    )


def pending_line(lang: str, tz: Any, invite: PendingInvite) -> str:
    line = t(
        lang,
        "access.pending_line",
        role=role_name(lang, invite.role),
        expires=day(invite.expires_at, lang, tz),
        by=esc(invite.created_by),
    )
    return line + (t(lang, "access.pending_handover") if invite.handover else "")


def secretary_flag(lang: str, access: UnitAccess) -> str:
    """The line on top: how many cells of the subtree have no secretary."""
    if access.unit.kind == CELL:
        return t(lang, "access.cell_no_secretary") if access.cells_without_secretary else ""
    if access.cells_without_secretary:
        return t(lang, "access.no_secretary_count", count=access.cells_without_secretary)
    return t(lang, "access.all_have_secretary")


def unit_page_text(
    lang: str, tz: Any, access: UnitAccess, *, children: int, notice: str = ""
) -> str:
    """A unit's page: the flag line, its holders, its pending invitations, and (when it has
    children) the line that introduces their buttons."""
    parts = []
    if notice:
        parts.append(notice)
    head = t(lang, "access.title", unit=esc(access.unit.name))
    flag = secretary_flag(lang, access)
    parts.append(head + ("\n" + flag if flag else ""))
    holders = [holder_line(lang, tz, h) for h in access.holders]
    parts.append(
        t(lang, "access.holders") + "\n" + ("\n".join(holders) or t(lang, "access.no_holders"))
    )
    if access.pending:
        lines = [pending_line(lang, tz, p) for p in access.pending]
        parts.append(t(lang, "access.pending") + "\n" + "\n".join(lines))
    if access.unit.kind != CELL:
        parts.append(t(lang, "access.children" if children else "access.no_children"))
    return "\n\n".join(parts)


def child_label(child: UnitAccess) -> str:
    """A child's button: its name, and ⚠️ with the count of its cells without a secretary."""
    if child.cells_without_secretary:
        if child.unit.kind == CELL:
            return f"⚠️ {child.unit.name}"
        return f"{child.unit.name} ⚠️{child.cells_without_secretary}"
    return child.unit.name


def history_text(lang: str, tz: Any, unit: UnitRef, events: Sequence[AccessEvent]) -> str:
    head = t(lang, "access.history_title", unit=esc(unit.name))
    if not events:
        return head + "\n\n" + t(lang, "access.history_empty")
    lines: list[str] = []
    size = len(head) + 2
    for event in events:
        action_key = f"access.action.{event.action}"
        action = t(lang, action_key) if action_key in _actions(lang) else esc(event.action)
        subject = ""
        if event.subject_name and event.subject_name != event.actor:  # not "X: X accepted"
            subject = esc(event.subject_name)
            if event.subject_telegram_id is not None:
                subject += f" ({event.subject_telegram_id})"
        line = t(
            lang,
            "access.history_line",
            at=moment_text(event.at, lang, tz),
            actor=esc(event.actor),
            action=action,
            role=role_name(lang, event.role) if event.role else "",
            unit=esc(event.unit_code),
            subject=subject,
        )
        line = " ".join(line.split())
        if size + len(line) + 1 > MAX_TEXT:
            break
        lines.append(line)
        size += len(line) + 1
    return head + "\n\n" + "\n".join(lines)


def _actions(lang: str) -> set[str]:
    from bot.i18n import catalog

    return {k for k in catalog(lang) if k.startswith("access.action.")}


# ---------------------------------------------------------------- bulk invitation files


@dataclass(frozen=True)
class LinkRow:
    unit: UnitRef
    link: str
    expires_at: dt.datetime


def _headers(lang: str) -> list[str]:
    return [t(lang, f"access.col_{c}") for c in ("code", "name", "link", "expires")]


def links_xlsx(lang: str, tz: Any, rows: Sequence[LinkRow]) -> bytes:
    """One sheet: unit code, unit name, link, expiry (a local date and time Excel reads)."""
    buffer = io.BytesIO()
    book = WorkbookWriter(buffer)
    sheet = book.sheet(
        t(lang, "access.bulk_sheet")[:31], [16, 40, 60, 18], [PLAIN] * 3 + [DAY_TIME]
    )
    sheet.header(_headers(lang))
    sheet.append_rows(
        [r.unit.code, r.unit.name, r.link, r.expires_at.astimezone(tz).replace(tzinfo=None)]
        for r in rows
    )
    book.finish()
    return buffer.getvalue()


def links_csv(lang: str, tz: Any, rows: Sequence[LinkRow]) -> bytes:
    """The same as CSV, UTF-8 with a BOM so that Excel reads Vietnamese letters right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headers(lang))
    for r in rows:
        expires = r.expires_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        writer.writerow([_csv_text(r.unit.code), _csv_text(r.unit.name), r.link, expires])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_text(value: str) -> str:
    # A leading quote makes a formula-like name plain text (OWASP "CSV injection").
    return "'" + value if value.startswith(FORMULA_STARTS) else value
