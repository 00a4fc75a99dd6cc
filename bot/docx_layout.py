"""The page and paragraph layout of a cell's papers as DOCX (python-docx): an A4 page with the
usual margins in Times New Roman 13, paragraphs with bold/italic/underline runs, table cells
written centred, headings, and two signature blocks side by side. Shared by the minutes and
the resolution (bot/docx_minutes.py) and the draft resolution (bot/docx_resolution_draft.py).
"""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
SIZE = Pt(13)


def new_document() -> DocxDocument:
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


def para(
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


def cell_first(cell: _Cell, text: str, **style: bool) -> None:
    """Write into the empty paragraph a new table cell starts with."""
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = style.get("bold", False)
    run.italic = style.get("italic", False)
    run.underline = style.get("underline", False)


def heading(doc: DocxDocument, text: str) -> None:
    para(doc, text, bold=True)


def signatures(
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
                para(cell, line, size=Pt(11))
            continue
        cell_first(cell, lines[0], bold=True)
        for line in lines[1:-1]:  # "(Ký, ghi rõ họ tên)" in italics, a title in bold
            hint = line.startswith("(")
            para(cell, line, italic=hint, bold=not hint, center=True)
        for _ in range(3):
            para(cell)
        para(cell, lines[-1], bold=True, center=True)


def to_bytes(doc: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
