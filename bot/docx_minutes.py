"""The minutes (*biên bản sinh hoạt chi bộ*) and the resolution (*nghị quyết*) of a month as DOCX.

Pure: (facts, language) -> bytes, from a submitted check-in (storage/minutes_facts.py) and the
texts of the ``minutes`` catalogs. The layout is the usual one of a cell's papers: a two-column
header ("ĐẢNG BỘ … / CHI BỘ … / *" and "ĐẢNG CỘNG SẢN VIỆT NAM" with the place and date line),
the title, the sections in the order of a regular meeting, and signature blocks side by side.
The place, chair and thư ký, the guest, absence notes, documents conveyed, the speakers by
name and the vote come from the check-in; what it does not ask (what was said, the place name
of the date line) is a dotted line to fill by hand, and so is any of those on an older
check-in that did not ask it.

The tasks (issue 16): last month's tasks are reviewed item by item with the one scale, and
next month's tasks are listed with their owners in the order the meeting set them; they are
the resolution's numbered items. A check-in that set no tasks item by item (an older one)
keeps the earlier layout: its main tasks text is next month's tasks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from babel.dates import format_date
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Pt

from bot.docx_layout import cell_first, heading, new_document, para, signatures, to_bytes
from bot.i18n import normalize_language, period_text, t
from storage.minutes_facts import MinutesFacts, TaskLine

DOTS = "……………………"
SHORT_DOTS = "……"
# A unit's name that already says what it is keeps its words ("Đảng bộ xã Lục Hồn").
KIND_WORDS = ("ĐẢNG BỘ", "ĐẢNG ỦY", "CHI BỘ", "TỈNH ỦY", "HUYỆN ỦY", "THÀNH ỦY", "QUẬN ỦY")


@dataclass(frozen=True)
class Texts:
    lang: str

    def __call__(self, key: str, /, **values: object) -> str:
        return t(self.lang, f"minutes.{key}", **values)


# ---------------------------------------------------------------- facts as words


def end_time(start: str | None, minutes: int | None) -> str | None:
    """ "19:30" + 90 -> "21:00" (past midnight wraps, as a clock does)."""
    if start is None or minutes is None:
        return None
    hours, mins = (int(part) for part in start.split(":"))
    total = (hours * 60 + mins + minutes) % (24 * 60)
    return f"{total // 60:02d}:{total % 60:02d}"


def unit_line(prefix: str, name: str | None) -> str:
    if not name:
        return f"{prefix.upper()} {DOTS}"
    upper = name.upper()
    if upper.startswith(KIND_WORDS) or upper.startswith(prefix.upper()):
        return upper
    return f"{prefix.upper()} {upper}"


def date_line(tx: Texts, day: dt.date | None) -> str:
    """ "……, ngày 05 tháng 11 năm 2026": the place is not asked yet, so it is dotted."""
    if day is None:
        return tx("date_line", place=DOTS, date=DOTS)
    return tx("date_line", place=DOTS, date=format_date(day, tx("date_long"), locale=tx.lang))


def task_lines(text: str | None) -> list[str]:
    """The main tasks as the secretary typed them, one line per line, bullets dropped."""
    lines = [line.strip().lstrip("-•*+").strip() for line in (text or "").splitlines()]
    return [line for line in lines if line]


def task_text(tx: Texts, task: TaskLine) -> str:
    """ "Sửa đường liên thôn — đồng chí Hà Vi Thị phụ trách" (or the whole cell)."""
    if task.owner is None:
        text = tx("task_whole_cell", text=task.text)
    else:
        text = tx("task_owner", text=task.text, owner=task.owner)
    return text + (tx("task_carried") if task.carried else "")


def status_text(tx: Texts, task: TaskLine) -> str:
    return tx(f"task_status.{task.status or 'none'}")


def names_or_none(tx: Texts, names: Iterable[str]) -> str:
    listed = list(names)
    return ", ".join(listed) if listed else tx("nobody")


def yes_no(tx: Texts, value: bool | None, yes: str, no: str) -> str:
    if value is None:
        return DOTS
    return tx(yes) if value else tx(no)


# ---------------------------------------------------------------- layout


def _header(doc: DocxDocument, tx: Texts, facts: MinutesFacts) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    cell_first(left, unit_line(tx("parent_prefix"), facts.parent_name))
    para(left, unit_line(tx("cell_prefix"), facts.cell_name), bold=True, center=True)
    para(left, "*", center=True)
    cell_first(right, tx("party"), bold=True, underline=True)
    para(right, date_line(tx, facts.answers.meeting_date), italic=True, center=True)


# ---------------------------------------------------------------- the minutes


def _kind(tx: Texts, facts: MinutesFacts) -> str:
    return tx(f"kind.{facts.answers.meeting_type or 'regular'}")


def minutes_docx(facts: MinutesFacts, language: str | None) -> bytes:
    tx = Texts(normalize_language(language))
    a = facts.answers
    doc = new_document()
    _header(doc, tx, facts)
    para(doc)
    para(doc, tx("minutes_title"), bold=True, center=True, size=Pt(15))
    para(
        doc,
        tx("minutes_subtitle", kind=_kind(tx, facts), period=period_text(_period(facts), tx.lang)),
        bold=True,
        center=True,
    )
    day = _day(tx, a.meeting_date)

    # I. Time, place, who
    heading(doc, tx("s1"))
    para(doc, tx("started", time=a.start_time or SHORT_DOTS, date=day))
    para(doc, tx("place", dots=a.place or DOTS))
    absent = facts.absent
    excused = sum(1 for m in absent if m.absence == "excused")
    para(
        doc,
        tx(
            "attendance",
            expected=len(facts.members) if facts.members else (a.expected_count or SHORT_DOTS),
            present=len(facts.present) if facts.members else (a.present_count or SHORT_DOTS),
            absent=len(absent),
            excused=excused,
            unexcused=len(absent) - excused,
        ),
    )
    para(doc, tx("present_list", names=names_or_none(tx, (m.name for m in facts.present))))
    if absent:
        para(doc, tx("absent_list"))
        for member in absent:
            kind = tx(f"absence.{member.absence}")
            if member.note:
                kind = tx("absent_note", kind=kind, note=member.note)
            para(doc, tx("absent_line", name=member.name, kind=kind))
    else:
        para(doc, tx("absent_none"))
    para(doc, tx("guest", dots=_or_none(tx, a.guest)))
    if facts.chair:
        para(doc, tx("chair_named", name=facts.chair))
    else:
        para(doc, tx("chair", dots=DOTS))
    para(doc, tx("clerk", dots=facts.clerk or DOTS))

    # II. Content, in the order of the meeting
    heading(doc, tx("s2"))
    para(doc, tx("dues", status=_dues(tx, facts)))
    if facts.unpaid:
        para(doc, tx("dues_unpaid", names=", ".join(facts.unpaid)))
    para(doc, tx("current_affairs", value=yes_no(tx, a.current_affairs, "done", "not_done")))
    _documents(doc, tx, facts)
    _review(doc, tx, facts)
    para(doc, tx("ho_chi_minh", value=yes_no(tx, a.ho_chi_minh, "studied", "not_studied")))
    if a.thematic_topic:
        para(doc, tx("thematic", topic=a.thematic_topic))
    para(doc, tx("tasks"))
    if facts.next_tasks:
        for task in facts.next_tasks:
            para(doc, f"- {task_text(tx, task)}")
    else:
        for line in task_lines(a.main_tasks) or [DOTS]:
            para(doc, f"- {line}")
    para(doc, tx("discussion", count=a.speakers if a.speakers is not None else SHORT_DOTS))
    if facts.speakers:
        para(doc, tx("speakers", names=", ".join(facts.speakers)))
    para(doc, tx("opinions", dots=DOTS))
    para(doc, tx("commended", names=names_or_none(tx, facts.commended)))
    para(doc, tx("criticised", names=names_or_none(tx, facts.criticised)))

    # III. Conclusion, resolution, member matters, the end
    heading(doc, tx("s3"))
    adopted = a.resolution_adopted
    para(doc, tx("adopted") if adopted else tx("not_adopted") if adopted is False else DOTS)
    if a.resolution_text:
        para(doc, tx("resolution_text"))
        for line in task_lines(a.resolution_text):
            para(doc, line)
    else:
        para(doc, tx("resolution_attached"))
    para(
        doc,
        tx(
            "vote",
            yes=_count(a.vote_for),
            no=_count(a.vote_against if a.vote_for is not None else None),
            present=len(facts.present) or SHORT_DOTS,
        ),
    )
    para(
        doc,
        tx(
            "matters",
            candidates=_count(a.candidates),
            admitted=_count(a.admitted),
            discipline=_count(a.discipline),
        ),
    )
    if facts.converted:
        para(doc, tx("conversions", names=", ".join(facts.converted)))
    if facts.admitted:
        para(doc, tx("admissions", names=", ".join(facts.admitted)))
    _proposals(doc, tx, facts)
    para(doc, tx("ended", time=end_time(a.start_time, a.duration_min) or SHORT_DOTS, date=day))
    para(doc, tx("read_out"))
    para(doc)
    signatures(
        doc,
        [tx("sign_clerk"), tx("sign_hint"), facts.clerk or DOTS],
        [tx("sign_chair"), tx("sign_hint"), facts.chair or DOTS],
    )
    return to_bytes(doc)


def _impl(tx: Texts, facts: MinutesFacts) -> str:
    # From the tasks reviewed one by one when last month set some, else the single rating.
    impl = facts.answers.effective_resolution_impl
    return t(tx.lang, f"checkin.resolution_impl.{impl}") if impl else DOTS


def _review(doc: DocxDocument, tx: Texts, facts: MinutesFacts) -> None:
    """3. Last month: the results as told (with tasks set item by item, the main tasks text
    is last month's results), each of last month's tasks with how it was carried out, and the
    indicator that follows from them."""
    results = task_lines(facts.answers.main_tasks) if facts.next_tasks else []
    if results:
        para(doc, tx("review_head"))
        for line in results:
            para(doc, f"- {line}")
    else:
        para(doc, tx("review", dots=DOTS))
    _reviewed_tasks(doc, tx, facts)
    para(doc, tx("resolution_impl", value=_impl(tx, facts)))


def _reviewed_tasks(doc: DocxDocument, tx: Texts, facts: MinutesFacts) -> None:
    if not facts.reviewed_tasks:
        return
    para(doc, tx("reviewed_tasks", count=len(facts.reviewed_tasks)))
    for task in facts.reviewed_tasks:
        para(doc, tx("reviewed_line", task=task_text(tx, task), status=status_text(tx, task)))


def _proposals(doc: DocxDocument, tx: Texts, facts: MinutesFacts) -> None:
    """Recommendations to the higher committee, a line each as typed ("" none; not asked:
    a dotted line to fill by hand)."""
    lines = task_lines(facts.proposals)
    if not lines:
        none = DOTS if facts.proposals is None else tx("proposals_none")
        para(doc, tx("proposals", text=none))
        return
    para(doc, tx("proposals_head"))
    for line in lines:
        para(doc, f"- {line}")


def _documents(doc: DocxDocument, tx: Texts, facts: MinutesFacts) -> None:
    """Documents and directives conveyed, a line each (not asked on older check-ins)."""
    documents = facts.answers.documents
    if documents is None:
        return
    lines = task_lines(documents)
    if not lines:
        para(doc, tx("documents", text=tx("nobody_none")))
        return
    para(doc, tx("documents_head"))
    for line in lines:
        para(doc, f"- {line}")


def _or_none(tx: Texts, text: str | None) -> str:
    """A typed answer; "" is «none»; None (not asked) a dotted line."""
    if text is None:
        return DOTS
    return text or tx("nobody_none")


def _period(facts: MinutesFacts) -> str:
    return f"{facts.month.year}-{facts.month.month:02d}"


def _day(tx: Texts, day: dt.date | None) -> str:
    if day is None:
        return DOTS
    return format_date(day, tx("date_pattern"), locale=tx.lang)


def _count(value: int | None) -> str:
    return SHORT_DOTS if value is None else str(value)


def _dues(tx: Texts, facts: MinutesFacts) -> str:
    a = facts.answers
    expected = len(facts.members) or a.expected_count or 0
    if a.dues_status == "all":
        return tx("dues_all", expected=expected)
    if a.dues_status == "some":
        # Typed on older check-ins; else the expected members less those tapped as unpaid.
        return tx("dues_some", paid=_count(a.to_columns()["dues_paid"]), expected=expected)
    if a.dues_status == "none":
        return tx("dues_none")
    return DOTS


# ---------------------------------------------------------------- the resolution


def resolution_docx(facts: MinutesFacts, language: str | None) -> bytes:
    tx = Texts(normalize_language(language))
    a = facts.answers
    doc = new_document()
    _header(doc, tx, facts)
    para(doc)
    para(doc, tx("resolution_title"), bold=True, center=True, size=Pt(15))
    period = period_text(_period(facts), tx.lang)
    para(doc, tx("resolution_subtitle", period=period), bold=True, center=True)
    para(doc, "-----", center=True)
    para(
        doc,
        tx(
            "resolution_intro",
            date=_day(tx, a.meeting_date),
            cell=facts.cell_name,
            kind=_kind(tx, facts),
            period=period,
        ),
    )
    heading(doc, tx("r1"))
    if facts.next_tasks:  # the main tasks text is last month's results
        for line in task_lines(a.main_tasks):
            para(doc, f"- {line}")
    _reviewed_tasks(doc, tx, facts)
    para(doc, tx("resolution_impl", value=_impl(tx, facts)))
    present = len(facts.present) if facts.members else (a.present_count or SHORT_DOTS)
    expected = len(facts.members) if facts.members else (a.expected_count or SHORT_DOTS)
    para(doc, tx("r1_attendance", present=present, expected=expected))
    para(doc, tx("r1_more", dots=DOTS))
    heading(doc, tx("r2"))
    _numbered_tasks(doc, tx, facts)
    heading(doc, tx("r3"))
    para(doc, tx("r3_text"))
    para(doc)
    signatures(
        doc,
        [tx("recipients"), tx("recipients_upper"), tx("recipients_file")],
        [tx("sign_on_behalf"), tx("sign_secretary"), facts.submitter or DOTS],
        recipients=True,
    )
    return to_bytes(doc)


def _numbered_tasks(doc: DocxDocument, tx: Texts, facts: MinutesFacts) -> None:
    """II. Next month's tasks with their owners, then the lines of a typed resolution text
    that say something else; without tasks set item by item, the main tasks text (as
    before)."""
    a = facts.answers
    if facts.next_tasks:
        items = [task_text(tx, task) for task in facts.next_tasks]
        known = {task.text for task in facts.next_tasks}
    else:
        items = task_lines(a.main_tasks)
        known = set(items)
    items += [line for line in task_lines(a.resolution_text) if line not in known]
    for number, line in enumerate(items or [DOTS], start=1):
        para(doc, f"{number}. {line}")


# ---------------------------------------------------------------- both files


def documents(facts: MinutesFacts, language: str | None) -> list[tuple[str, Callable[[], bytes]]]:
    """(file name, what writes its bytes) of the minutes and of the resolution, in that order:
    the bytes are written when called (after the commit, when the file is sent)."""
    lang = normalize_language(language)
    values = {"code": facts.cell_code, "month": _period(facts)}
    return [
        (t(lang, "minutes.file_minutes", **values), partial(minutes_docx, facts, lang)),
        (t(lang, "minutes.file_resolution", **values), partial(resolution_docx, facts, lang)),
    ]
