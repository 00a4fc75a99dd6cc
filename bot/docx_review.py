"""The cell's annual review report as DOCX (python-docx): the usual layout of a cell's papers
(bot/docx_layout.py) — the two-column header, the title "BÁO CÁO KIỂM ĐIỂM, ĐÁNH GIÁ, XẾP LOẠI
CHẤT LƯỢNG NĂM …", I. the cell's year (criteria, total, meeting-quality rating, conditions,
proposed level), II. the members' list with each one's year and proposed level, the note,
and the secretary's signature on behalf of the cell. Pure: (report, language) -> bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Pt

from bot.docx_layout import cell_first, heading, new_document, para, signatures, to_bytes
from bot.i18n import normalize_language, t
from bot.review_text import CellYear, cell_year_lines, level_name, member_facts
from domain.framework import Framework
from domain.year_review_rules import MemberYear

DOTS = "…………"


@dataclass(frozen=True)
class MemberLine:
    year: MemberYear
    proposed: str | None
    note: str | None


@dataclass(frozen=True)
class ReviewReport:
    """Everything the report and the committee's XLSX write, read in one transaction."""

    fw: Framework
    year: int
    cell_code: str
    cell_name: str
    parent_name: str
    members: tuple[MemberLine, ...]
    cell: CellYear
    tasks_on_time: bool | None
    leader_disciplined: bool | None
    proposed_level: str | None
    note: str | None
    submitted: bool


def _header(doc: DocxDocument, lang: str, report: ReviewReport) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    cell_first(left, report.parent_name.upper())
    para(left, report.cell_name.upper(), bold=True, center=True)
    para(left, "*", center=True)
    cell_first(right, t(lang, "review.docx.party"), bold=True, underline=True)
    para(right, t(lang, "review.docx.date_line", dots=DOTS), italic=True, center=True)


def review_docx(report: ReviewReport, language: str | None) -> bytes:
    lang = normalize_language(language)
    doc = new_document()
    _header(doc, lang, report)
    para(doc)
    para(doc, t(lang, "review.docx.title"), bold=True, center=True, size=Pt(15))
    para(doc, t(lang, "review.docx.subtitle", year=report.year), bold=True, center=True)
    para(doc, "-----", center=True)
    if not report.submitted:
        para(doc, t(lang, "review.docx.draft"), italic=True, center=True)

    heading(doc, t(lang, "review.docx.s1"))
    for line in cell_year_lines(
        report.fw, lang, report.cell, report.tasks_on_time, report.leader_disciplined
    ):
        para(doc, _plain(line))
    para(doc, t(lang, "review.docx.cell_proposed", level=level_name(lang, report.proposed_level)))

    heading(doc, t(lang, "review.docx.s2", n=len(report.members)))
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for head, key in zip(table.rows[0].cells, ("no", "name", "facts", "level"), strict=True):
        cell_first(head, t(lang, f"review.docx.col_{key}"), bold=True)
    for number, member in enumerate(report.members, start=1):
        row = table.add_row().cells
        cell_first(row[0], str(number))
        cell_first(row[1], member.year.name)
        row[2].paragraphs[0].add_run(member_facts(lang, member.year))
        if member.note:
            para(row[2], t(lang, "review.docx.member_note", note=member.note), italic=True)
        cell_first(row[3], level_name(lang, member.proposed), bold=True)
    counts = {lv: 0 for lv in ("xuat_sac", "tot", "hoan_thanh", "khong_hoan_thanh")}
    for member in report.members:
        if member.proposed in counts:
            counts[member.proposed] += 1
    para(doc)
    para(
        doc,
        t(lang, "review.docx.counts", **counts),
    )
    if report.note:
        heading(doc, t(lang, "review.docx.s3"))
        para(doc, report.note)
    para(doc)
    signatures(
        doc,
        [
            t(lang, "review.docx.recipients"),
            t(lang, "review.docx.recipient_committee"),
            t(lang, "review.docx.recipient_file"),
        ],
        [t(lang, "review.docx.sign_for"), t(lang, "review.docx.sign_title"), DOTS],
        recipients=True,
    )
    return to_bytes(doc)


def _plain(line: str) -> str:
    """A line of the cell's year without the HTML the chat shows (<b>)."""
    for tag in ("<b>", "</b>", "<i>", "</i>"):
        line = line.replace(tag, "")
    return line
