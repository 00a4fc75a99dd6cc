"""What the annual review's two sides share: which year a review is for, the cell's year
(the four criteria and the total from the read model, the regular meetings' rating, the
levels it may propose), and the report the DOCX and XLSX are written from."""

from __future__ import annotations

from functools import partial

from telegram import Update

from bot.context import Request
from bot.docx_review import MemberLine, ReviewReport, review_docx
from bot.review_text import CellYear
from bot.xlsx_review import review_xlsx
from domain import clock
from domain.framework import Framework
from domain.periods import Period
from domain.year_review_rules import cell_proposal, meeting_year
from storage import year_review as store
from storage import year_review_facts as facts
from storage.models import YearReview
from storage.score_service import score_tree

FIRST_YEAR = 2000


def default_year(req: Request) -> int:
    """The year being reviewed: the current one in December, the one just ended otherwise
    (review season is December and January; later, the last full year)."""
    today = clock.today(req.settings.tz)
    return today.year if today.month == 12 else today.year - 1


def valid_year(req: Request, year: int) -> bool:
    """Any past year; the current one only from December."""
    return FIRST_YEAR <= year <= default_year(req)


def command_year(req: Request, update: Update) -> int | None:
    """The year typed after /review_year or /reviews (the default one without); None, once
    the caller has been told what is expected."""
    message = update.effective_message
    assert message is not None
    args = (message.text or "").split()[1:]
    if not args:
        return default_year(req)
    year = int(args[0]) if args[0].isdigit() and len(args[0]) == 4 else -1
    if not valid_year(req, year):
        req.reply(req.t("review.bad_year", example=default_year(req)))
        return None
    return year


async def cell_year(req: Request, fw: Framework, review: YearReview) -> CellYear:
    cell = await store.cell_info(req.session, review.cell_id)
    assert cell is not None
    report = await score_tree(req.session, fw, cell.code, Period("year", review.year, 1))
    result = next(c.result for c in report.cells if c.cell.id == review.cell_id)
    total = None if result.no_data else result.total
    months = facts.months_due(review.year, clock.today(req.settings.tz))
    scores = await facts.regular_meeting_scores(req.session, fw, review.cell_id, months)
    return CellYear(
        total=total,
        criteria=tuple(result.criteria) if not result.no_data else (),
        meetings=meeting_year(fw, scores),
        proposal=cell_proposal(fw, total, review.tasks_on_time, review.leader_disciplined),
    )


async def review_report(req: Request, fw: Framework, review: YearReview) -> ReviewReport:
    cell = await store.cell_info(req.session, review.cell_id)
    assert cell is not None
    years = await facts.member_years(req.session, review.cell_id, review.year)
    lines = await store.lines_of(req.session, review.id)
    members = tuple(
        MemberLine(
            y,
            lines[y.member_id].proposed_level if y.member_id in lines else None,
            lines[y.member_id].note if y.member_id in lines else None,
        )
        for y in years
    )
    return ReviewReport(
        fw=fw,
        year=review.year,
        cell_code=cell.code,
        cell_name=cell.name,
        parent_name=cell.group_name or "",
        members=members,
        cell=await cell_year(req, fw, review),
        tasks_on_time=review.tasks_on_time,
        leader_disciplined=review.leader_disciplined,
        proposed_level=review.proposed_level,
        note=review.note,
        submitted=review.status == store.SUBMITTED,
    )


def queue_files(req: Request, report: ReviewReport) -> None:
    """The DOCX report and the committee's XLSX, written and sent after the commit."""
    lang = req.lang
    stem = f"{report.cell_code}-{report.year}"
    req.out.files_later(
        [
            (
                f"kiem-diem-{stem}.docx",
                partial(review_docx, report, lang),
                req.t("review.file_docx", year=report.year),
            ),
            (
                f"xep-loai-{stem}.xlsx",
                partial(review_xlsx, report, lang),
                req.t("review.file_xlsx", year=report.year),
            ),
        ]
    )
