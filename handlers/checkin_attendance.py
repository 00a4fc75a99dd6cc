"""Member toggles: attendance (everyone present by default, tap to mark absent) and the
commended / criticised pickers. Large cells page through ``PAGE_SIZE`` names at a time.

Only official and probationary members are listed: exempt members (miễn sinh hoạt) are not
expected at meetings and are not counted.
"""

from __future__ import annotations

from typing import Literal

from babel.numbers import format_percent
from telegram import InlineKeyboardButton

from bot.i18n import t
from bot.keyboards import button, rows
from domain.checkin_rules import Result, assign
from domain.checkin_schema import CheckinAnswers
from handlers.checkin_steps import Buttons
from storage.models import Member

PAGE_SIZE = 20
Picker = Literal["commended", "criticised"]


def rate_text(present: int, expected: int, lang: str) -> str:
    """``18/20 có mặt, 90%``."""
    rate = format_percent(present / expected if expected else 0, locale=lang)
    return t(lang, "checkin.attendance_rate", present=present, expected=expected, rate=rate)


def _page_bounds(page: int, total: int) -> tuple[int, int, int]:
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return page, pages, page * PAGE_SIZE


def _pager(keys: Buttons, what: str, page: int, pages: int) -> list[InlineKeyboardButton]:
    if pages == 1:
        return []
    row = []
    if page > 0:
        row.append(keys.make("◀", "pg", what, page - 1))
    row.append(button(f"{page + 1}/{pages}", "noop"))
    if page < pages - 1:
        row.append(keys.make("▶", "pg", what, page + 1))
    return row


def attendance_view(
    a: CheckinAnswers, members: list[Member], page: int, keys: Buttons, lang: str
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    absent = {m for m in a.absences if any(x.id == m for x in members)}
    expected = len(members)
    text = (
        t(lang, "checkin.q.attendance") + "\n" + rate_text(expected - len(absent), expected, lang)
    )
    if not members:
        text += "\n" + t(lang, "checkin.no_members")
    page, pages, start = _page_bounds(page, len(members))
    toggles = [
        keys.make(("❌ " if m.id in absent else "✅ ") + m.full_name, "t", m.id, page)
        for m in members[start : start + PAGE_SIZE]
    ]
    keyboard = [
        *rows(toggles, 2),
        _pager(keys, "attendance", page, pages),
        [
            keys.make(t(lang, "checkin.btn_all_present"), "a", "attendance", "all"),
            keys.make(t(lang, "checkin.btn_done"), "a", "attendance", "done"),
        ],
    ]
    return text, [r for r in keyboard if r]


def toggle_absent(a: CheckinAnswers, member_id: int) -> Result:
    absences = dict(a.absences)
    if member_id in absences:
        del absences[member_id]
    else:
        absences[member_id] = None  # the reason is asked after "Done"
    return assign(a, absences=absences)


def finish_attendance(a: CheckinAnswers, members: list[Member], all_present: bool) -> Result:
    """Snapshot who was expected (the roster now) and keep the absences among them."""
    ids = [m.id for m in members]
    keep = {} if all_present else {m: r for m, r in a.absences.items() if m in set(ids)}
    return assign(a, expected_ids=ids, absences=keep, attendance_done=True)


def picker_view(
    a: CheckinAnswers,
    question: Picker,
    members: list[Member],
    page: int,
    keys: Buttons,
    lang: str,
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    picked = set(getattr(a, question) or [])
    page, pages, start = _page_bounds(page, len(members))
    toggles = [
        keys.make(("☑️ " if m.id in picked else "▫️ ") + m.full_name, "k", question, m.id, page)
        for m in members[start : start + PAGE_SIZE]
    ]
    keyboard = [
        *rows(toggles, 2),
        _pager(keys, question, page, pages),
        [
            keys.make(t(lang, "checkin.btn_nobody"), "a", question, "none"),
            keys.make(t(lang, "checkin.btn_done_n", n=len(picked)), "a", question, "done"),
        ],
    ]
    return t(lang, f"checkin.q.{question}"), [r for r in keyboard if r]


def toggle_pick(a: CheckinAnswers, question: Picker, member_id: int) -> Result:
    picked = set(getattr(a, question) or [])
    picked ^= {member_id}
    return assign(a, **{question: sorted(picked)})
