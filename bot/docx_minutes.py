"""The minutes (*biên bản sinh hoạt chi bộ*) and the resolution (*nghị quyết*) of a month as DOCX.

Pure: (facts, language) -> bytes, from a submitted check-in (storage/minutes_facts.py) and the
texts of the ``minutes`` catalogs. The layout is the usual one of a cell's papers: a two-column
header ("ĐẢNG BỘ … / CHI BỘ … / *" and "ĐẢNG CỘNG SẢN VIỆT NAM" with the place and date line),
the title, the sections in the order of a regular meeting, and signature blocks side by side.
What the check-in does not ask yet (place, chair and thư ký, the vote tally, what was said) is
left as a dotted line to fill by hand.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from babel.dates import format_date
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from bot.i18n import normalize_language, period_text, t
from storage.minutes_facts import MinutesFacts

DOTS = "……………………"
SHORT_DOTS = "……"
FONT = "Times New Roman"
SIZE = Pt(13)
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


def names_or_none(tx: Texts, names: Iterable[str]) -> str:
    listed = list(names)
    return ", ".join(listed) if listed else tx("nobody")


def yes_no(tx: Texts, value: bool | None, yes: str, no: str) -> str:
    if value is None:
        return DOTS
    return tx(yes) if value else tx(no)


# ---------------------------------------------------------------- layout helpers


def _new_document() -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    style = doc.styles["Normal"]
    font = style.font
    font.name, font.size = FONT, SIZE
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is not None:
        fonts.set(qn("w:eastAsia"), FONT)
    paragraph_format = style.paragraph_format
    paragraph_format.space_after = Pt(3)
    return doc


def _para(
    target: DocxDocument | _Cell,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    center: bool = False,
    size: Pt | None = None,
) -> Paragraph:
    paragraph = target.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        if size is not None:
            run.font.size = size
    return paragraph


def _cell_first(cell: _Cell, text: str, **style: bool) -> None:
    """Write into the empty paragraph a new table cell starts with."""
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = style.get("bold", False)
    run.italic = style.get("italic", False)
    run.underline = style.get("underline", False)


def _header(doc: DocxDocument, tx: Texts, facts: MinutesFacts) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    _cell_first(left, unit_line(tx("parent_prefix"), facts.parent_name))
    _para(left, unit_line(tx("cell_prefix"), facts.cell_name), bold=True, center=True)
    _para(left, "*", center=True)
    _cell_first(right, tx("party"), bold=True, underline=True)
    _para(right, date_line(tx, facts.answers.meeting_date), italic=True, center=True)


def _heading(doc: DocxDocument, text: str) -> None:
    _para(doc, text, bold=True)


def _signatures(
    doc: DocxDocument, left: list[str], right: list[str], *, recipients: bool = False
) -> None:
    """Two blocks side by side. A signature: a title (bold), hints (italic), room to sign, a
    name. With `recipients` the left block is the list of who receives the paper."""
    table = doc.add_table(rows=1, cols=2)
    for index, (cell, lines) in enumerate(zip(table.rows[0].cells, (left, right), strict=True)):
        if recipients and index == 0:
            first = cell.paragraphs[0].add_run(lines[0])
            first.bold, first.italic = True, True
            for line in lines[1:]:
                _para(cell, line, size=Pt(11))
            continue
        _cell_first(cell, lines[0], bold=True)
        for line in lines[1:-1]:  # "(Ký, ghi rõ họ tên)" in italics, a title in bold
            hint = line.startswith("(")
            _para(cell, line, italic=hint, bold=not hint, center=True)
        for _ in range(3):
            _para(cell)
        _para(cell, lines[-1], bold=True, center=True)


def _bytes(doc: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- the minutes


def _kind(tx: Texts, facts: MinutesFacts) -> str:
    return tx(f"kind.{facts.answers.meeting_type or 'regular'}")


def minutes_docx(facts: MinutesFacts, language: str | None) -> bytes:
    tx = Texts(normalize_language(language))
    a = facts.answers
    doc = _new_document()
    _header(doc, tx, facts)
    _para(doc)
    _para(doc, tx("minutes_title"), bold=True, center=True, size=Pt(15))
    _para(
        doc,
        tx("minutes_subtitle", kind=_kind(tx, facts), period=period_text(_period(facts), tx.lang)),
        bold=True,
        center=True,
    )
    day = _day(tx, a.meeting_date)

    # I. Time, place, who
    _heading(doc, tx("s1"))
    _para(doc, tx("started", time=a.start_time or SHORT_DOTS, date=day))
    _para(doc, tx("place", dots=DOTS))
    absent = facts.absent
    excused = sum(1 for m in absent if m.absence == "excused")
    _para(
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
    _para(doc, tx("present_list", names=names_or_none(tx, (m.name for m in facts.present))))
    if absent:
        _para(doc, tx("absent_list"))
        for member in absent:
            _para(doc, tx("absent_line", name=member.name, kind=tx(f"absence.{member.absence}")))
    else:
        _para(doc, tx("absent_none"))
    _para(doc, tx("guest", dots=DOTS))
    _para(doc, tx("chair", dots=DOTS))
    _para(doc, tx("clerk", dots=DOTS))

    # II. Content, in the order of the meeting
    _heading(doc, tx("s2"))
    _para(doc, tx("dues", status=_dues(tx, facts)))
    _para(doc, tx("current_affairs", value=yes_no(tx, a.current_affairs, "done", "not_done")))
    _para(doc, tx("review", dots=DOTS))
    impl = t(tx.lang, f"checkin.resolution_impl.{a.resolution_impl}") if a.resolution_impl else DOTS
    _para(doc, tx("resolution_impl", value=impl))
    _para(doc, tx("ho_chi_minh", value=yes_no(tx, a.ho_chi_minh, "studied", "not_studied")))
    if a.thematic_topic:
        _para(doc, tx("thematic", topic=a.thematic_topic))
    _para(doc, tx("tasks"))
    for line in task_lines(a.main_tasks) or [DOTS]:
        _para(doc, f"- {line}")
    _para(doc, tx("discussion", count=a.speakers if a.speakers is not None else SHORT_DOTS))
    _para(doc, tx("opinions", dots=DOTS))
    _para(doc, tx("commended", names=names_or_none(tx, facts.commended)))
    _para(doc, tx("criticised", names=names_or_none(tx, facts.criticised)))

    # III. Conclusion, resolution, member matters, the end
    _heading(doc, tx("s3"))
    adopted = a.resolution_adopted
    _para(doc, tx("adopted") if adopted else tx("not_adopted") if adopted is False else DOTS)
    if a.resolution_text:
        _para(doc, tx("resolution_text"))
        for line in task_lines(a.resolution_text):
            _para(doc, line)
    else:
        _para(doc, tx("resolution_attached"))
    _para(doc, tx("vote", dots=SHORT_DOTS, present=len(facts.present) or SHORT_DOTS))
    _para(
        doc,
        tx(
            "matters",
            candidates=_count(a.candidates),
            admitted=_count(a.admitted),
            discipline=_count(a.discipline),
        ),
    )
    _para(doc, tx("ended", time=end_time(a.start_time, a.duration_min) or SHORT_DOTS, date=day))
    _para(doc, tx("read_out"))
    _para(doc)
    _signatures(
        doc,
        [tx("sign_clerk"), tx("sign_hint"), DOTS],
        [tx("sign_chair"), tx("sign_hint"), DOTS],
    )
    return _bytes(doc)


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
        return tx("dues_some", paid=_count(a.dues_paid), expected=expected)
    if a.dues_status == "none":
        return tx("dues_none")
    return DOTS


# ---------------------------------------------------------------- the resolution


def resolution_docx(facts: MinutesFacts, language: str | None) -> bytes:
    tx = Texts(normalize_language(language))
    a = facts.answers
    doc = _new_document()
    _header(doc, tx, facts)
    _para(doc)
    _para(doc, tx("resolution_title"), bold=True, center=True, size=Pt(15))
    period = period_text(_period(facts), tx.lang)
    _para(doc, tx("resolution_subtitle", period=period), bold=True, center=True)
    _para(doc, "-----", center=True)
    _para(
        doc,
        tx(
            "resolution_intro",
            date=_day(tx, a.meeting_date),
            cell=facts.cell_name,
            kind=_kind(tx, facts),
            period=period,
        ),
    )
    _heading(doc, tx("r1"))
    impl = t(tx.lang, f"checkin.resolution_impl.{a.resolution_impl}") if a.resolution_impl else DOTS
    _para(doc, tx("resolution_impl", value=impl))
    present = len(facts.present) if facts.members else (a.present_count or SHORT_DOTS)
    expected = len(facts.members) if facts.members else (a.expected_count or SHORT_DOTS)
    _para(doc, tx("r1_attendance", present=present, expected=expected))
    _para(doc, tx("r1_more", dots=DOTS))
    _heading(doc, tx("r2"))
    lines = task_lines(a.main_tasks) + [
        line for line in task_lines(a.resolution_text) if line not in task_lines(a.main_tasks)
    ]
    for number, line in enumerate(lines or [DOTS], start=1):
        _para(doc, f"{number}. {line}")
    _heading(doc, tx("r3"))
    _para(doc, tx("r3_text"))
    _para(doc)
    _signatures(
        doc,
        [tx("recipients"), tx("recipients_upper"), tx("recipients_file")],
        [tx("sign_on_behalf"), tx("sign_secretary"), facts.submitter or DOTS],
        recipients=True,
    )
    return _bytes(doc)


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
