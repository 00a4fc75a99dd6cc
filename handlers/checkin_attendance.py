"""Member toggles: attendance (everyone present by default, tap to mark absent), the
pickers of several names (commended, criticised, the speakers, who has not paid the dues)
and of one (the chair, the thư ký). Large cells page through ``PAGE_SIZE`` names at a time.

Only official and probationary members are listed: exempt members (miễn sinh hoạt) are not
expected at meetings and are not counted.
"""

from __future__ import annotations

from babel.numbers import format_percent
from telegram import InlineKeyboardButton

from bot.i18n import t
from bot.keyboards import button, rows
from domain.checkin_answering import PERSON_FIELDS, PICK_FIELDS, Result, assign
from domain.checkin_schema import CheckinAnswers
from handlers.checkin_steps import Buttons
from storage.models import Member

PAGE_SIZE = 20


def rate_text(present: int, expected: int, lang: str) -> str:
    """``18/20 có mặt, 90%``."""
    rate = format_percent(present / expected if expected else 0, locale=lang)
    return t(lang, "checkin.attendance_rate", present=present, expected=expected, rate=rate)


def page_bounds(page: int, total: int) -> tuple[int, int, int]:
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return page, pages, page * PAGE_SIZE


def pager(keys: Buttons, what: str, page: int, pages: int) -> list[InlineKeyboardButton]:
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
    page, pages, start = page_bounds(page, len(members))
    toggles = [
        keys.make(("❌ " if m.id in absent else "✅ ") + m.full_name, "t", m.id, page)
        for m in members[start : start + PAGE_SIZE]
    ]
    keyboard = [
        *rows(toggles, 2),
        pager(keys, "attendance", page, pages),
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
    # Someone marked absent on an edit cannot have chaired or spoken: asked again / dropped.
    away = set(keep)
    values: dict[str, object] = {"expected_ids": ids, "absences": keep, "attendance_done": True}
    for field in ("chair_id", "clerk_id"):
        if getattr(a, field) in away:
            values[field] = None
    if a.speaker_ids and away & set(a.speaker_ids):
        speakers = [m for m in a.speaker_ids if m not in away]
        values["speaker_ids"] = speakers
        if a.speakers is not None:
            values["speakers"] = len(speakers)
    return assign(a, **values)


def pick_members(a: CheckinAnswers, question: str, members: list[Member]) -> list[tuple[int, str]]:
    """(id, name) of who a picker lists: the members present for the speakers, the chair and
    the thư ký; those expected for the dues; the probationary ones (when the draft opened) for
    conversions; the candidates at the dossier stage for admissions; every active member for
    commended and criticised."""
    if question == "admissions":
        return [(c.id, c.name) for c in a.dossier]
    keep: set[int] | None = None
    if question in ("speakers", *PERSON_FIELDS):
        keep = {m.id for m in members} - set(a.absent_ids)
        if question in PERSON_FIELDS:  # the chair does not take the minutes too
            keep -= {a.clerk_id if question == "chair" else a.chair_id}
    elif question == "dues_paid":
        keep = set(a.expected_ids or [])
    elif question == "conversions":
        keep = set(a.probationary_ids)
    return [(m.id, m.full_name) for m in members if keep is None or m.id in keep]


def picker_view(
    a: CheckinAnswers,
    question: str,
    members: list[Member],
    page: int,
    keys: Buttons,
    lang: str,
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    picked = set(getattr(a, PICK_FIELDS[question]) or [])
    listed = pick_members(a, question, members)
    page, pages, start = page_bounds(page, len(listed))
    toggles = [
        keys.make(("☑️ " if mid in picked else "▫️ ") + name, "k", question, mid, page)
        for mid, name in listed[start : start + PAGE_SIZE]
    ]
    done = t(lang, "checkin.btn_done_n", n=len(picked & {mid for mid, _name in listed}))
    last_row = [keys.make(done, "a", question, "done")]
    if question != "dues_paid":  # nobody unpaid is «everyone paid», one question before
        last_row.insert(0, keys.make(t(lang, "checkin.btn_nobody"), "a", question, "none"))
    keyboard = [*rows(toggles, 2), pager(keys, question, page, pages), last_row]
    return t(lang, f"checkin.q.{question}"), [r for r in keyboard if r]


def person_view(
    a: CheckinAnswers,
    question: str,
    members: list[Member],
    page: int,
    keys: Buttons,
    lang: str,
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    """The chair or the thư ký: one tap on a name present; last month's one first."""
    listed = pick_members(a, question, members)
    page, pages, start = page_bounds(page, len(listed))
    current = getattr(a, PERSON_FIELDS[question])
    names = [
        keys.make(("☑️ " if mid == current else "") + name, "k", question, mid, page)
        for mid, name in listed[start : start + PAGE_SIZE]
    ]
    keyboard = [*rows(names, 2), pager(keys, question, page, pages)]
    last = getattr(a.previous, PERSON_FIELDS[question]) if a.previous else None
    same = next(((mid, name) for mid, name in listed if mid == last), None)
    if same is not None:
        label = t(lang, "checkin.btn_same_person", name=same[1])
        keyboard.insert(0, [keys.make(label, "k", question, same[0], page)])
    return t(lang, f"checkin.q.{question}"), [r for r in keyboard if r]
