"""The draft resolution (*dự thảo nghị quyết*) the chi ủy prepares before the meeting (HD 42):
a DOCX skeleton to edit, from the pre-meeting brief (bot/brief_text.py `Brief`).

The usual layout of a cell's papers, drawn with bot/docx_minutes.py's helpers: the two-column
header, "(DỰ THẢO)", the title "NGHỊ QUYẾT" and "Sinh hoạt chi bộ tháng …", then
I. last month's tasks still open, each with its owner and a dotted line for its result,
II. next month's tasks (the open ones carried on, the thematic topic when due, blank numbered
lines), III. implementation, the vote, and the signature of the secretary on behalf of the
cell. Pure: (brief, language) -> bytes.
"""

from __future__ import annotations

from babel.dates import format_date
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Pt

from bot.brief_text import Brief
from bot.docx_layout import cell_first, heading, new_document, para, signatures, to_bytes
from bot.docx_minutes import DOTS, Texts, unit_line
from bot.i18n import normalize_language, period_text, t
from domain.periods import month_label

BLANK_TASKS = 3  # numbered empty lines for new tasks


def _header(doc: DocxDocument, lang: str, brief: Brief) -> None:
    minutes = Texts(lang)
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    cell_first(left, unit_line(minutes("parent_prefix"), brief.parent_name))
    para(left, unit_line(minutes("cell_prefix"), brief.cell_name), bold=True, center=True)
    para(left, "*", center=True)
    cell_first(right, minutes("party"), bold=True, underline=True)
    day = (
        format_date(brief.start.date(), minutes("date_long"), locale=lang)
        if brief.start is not None and not brief.cancelled
        else DOTS
    )
    para(right, minutes("date_line", place=DOTS, date=day), italic=True, center=True)


def _owner(lang: str, name: str | None) -> str:
    if name:
        return t(lang, "brief.task_owner", name=name)
    return t(lang, "brief.task_owner_cell")


def draft_resolution_docx(brief: Brief, language: str | None) -> bytes:
    lang = normalize_language(language)
    doc = new_document()
    _header(doc, lang, brief)
    para(doc)
    para(doc, t(lang, "brief.docx.draft"), italic=True, center=True)
    para(doc, t(lang, "brief.docx.title"), bold=True, center=True, size=Pt(15))
    period = period_text(month_label(brief.month), lang)
    para(doc, t(lang, "brief.docx.subtitle", period=period), bold=True, center=True)
    para(doc, "-----", center=True)
    date = (
        format_date(brief.start.date(), Texts(lang)("date_pattern"), locale=lang)
        if brief.start is not None and not brief.cancelled
        else t(lang, "brief.docx.date_unknown")
    )
    para(doc, t(lang, "brief.docx.intro", date=date, cell=brief.cell_name, period=period))

    heading(doc, t(lang, "brief.docx.s1"))
    for number, task in enumerate(brief.open_tasks, start=1):
        owner = _owner(lang, task.owner_name)
        para(doc, t(lang, "brief.docx.s1_task", number=number, text=task.text, owner=owner))
    if not brief.open_tasks:
        para(doc, t(lang, "brief.docx.s1_none"))
    para(doc, t(lang, "brief.docx.s1_more"))

    heading(doc, t(lang, "brief.docx.s2"))
    number = 0
    for task in brief.open_tasks:
        number += 1
        owner = task.owner_name or DOTS
        para(doc, t(lang, "brief.docx.s2_carried", number=number, text=task.text, owner=owner))
    if brief.thematic_due and brief.plan is not None and brief.plan.topic:
        number += 1
        para(doc, t(lang, "brief.docx.s2_thematic", number=number, topic=brief.plan.topic))
    for _ in range(BLANK_TASKS):
        number += 1
        para(doc, t(lang, "brief.docx.s2_blank", number=number))

    heading(doc, t(lang, "brief.docx.s3"))
    para(doc, t(lang, "brief.docx.s3_text"))
    para(doc, t(lang, "brief.docx.vote"))
    para(doc)
    minutes = Texts(lang)
    signatures(
        doc,
        [minutes("recipients"), minutes("recipients_upper"), minutes("recipients_file")],
        [minutes("sign_on_behalf"), minutes("sign_secretary"), DOTS],
        recipients=True,
    )
    return to_bytes(doc)


def draft_file_name(brief: Brief, language: str | None) -> str:
    lang = normalize_language(language)
    return t(lang, "brief.file_draft", code=brief.cell_code, month=month_label(brief.month))
