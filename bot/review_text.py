"""The annual review's texts (issue 17): a member's year, the reasons of a suggested level,
the cell's year (criteria, total, meeting-quality rating, conditions, proposal) and the
committee's cap lines. Shared by handlers/review_year.py, handlers/review_committee.py and
the files (bot/docx_review.py, bot/xlsx_review.py)."""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.i18n import t
from bot.render_numbers import number
from bot.render_scores import criterion_line
from domain.framework import Framework
from domain.scoring_types import GroupScore
from domain.year_review_rules import CellProposal, MeetingYear, MemberYear, Reason


@dataclass(frozen=True)
class CellYear:
    """What the cell's part of the review shows (and the DOCX writes)."""

    total: float | None
    criteria: tuple[GroupScore, ...]
    meetings: MeetingYear
    proposal: CellProposal


def level_name(lang: str, level: str | None) -> str:
    return t(lang, f"review.level.{level}") if level else t(lang, "review.level.none")


def yes_no(lang: str, value: bool | None) -> str:
    if value is None:
        return t(lang, "review.unanswered")
    return t(lang, "review.yes") if value else t(lang, "review.no")


def initiative_status(lang: str, status: str) -> str:
    return t(lang, f"review.initiative.{status}") if status in INITIATIVE_STATUSES else status


INITIATIVE_STATUSES = ("registered", "in_progress", "completed", "dropped")


def member_facts(lang: str, year: MemberYear) -> str:
    """The member's year in a few lines (plain text: the caller escapes for HTML)."""
    lines = [
        t(
            lang,
            "review.facts.attendance",
            expected=year.expected,
            present=year.present,
            excused=year.excused,
            unexcused=year.unexcused,
        ),
        t(lang, "review.facts.dues", paid=year.dues_paid, recorded=year.dues_recorded)
        if year.dues_recorded
        else t(lang, "review.facts.dues_none"),
        t(lang, "review.facts.conduct", commended=year.commended, criticised=year.criticised),
        t(
            lang,
            "review.facts.tasks",
            tasks=year.tasks,
            done=year.tasks_done,
            not_done=year.tasks_not_done,
        ),
    ]
    if year.initiatives:
        listed = "; ".join(
            f"{title} ({initiative_status(lang, status)})" for title, status in year.initiatives
        )
        lines.append(t(lang, "review.facts.initiatives", items=listed))
    else:
        lines.append(t(lang, "review.facts.initiatives_none"))
    return "\n".join(lines)


def reasons_text(lang: str, reasons: tuple[Reason, ...]) -> str:
    return "; ".join(t(lang, f"review.reason.{code}", n=count) for code, count in reasons)


def meetings_text(lang: str, meetings: MeetingYear) -> str:
    key = "review.meetings.good" if meetings.rated_good else "review.meetings.not_good"
    return t(
        lang,
        key,
        due=meetings.due,
        held=meetings.held,
        good=meetings.good,
        below=meetings.below_fair,
    )


def cell_year_lines(
    fw: Framework,
    lang: str,
    cell: CellYear,
    tasks_on_time: bool | None,
    leader_disciplined: bool | None,
) -> list[str]:
    """The cell's year: criteria, total, meetings, conditions, the score's level and why it
    may not be proposed (HTML-safe: no user text)."""
    lines = [criterion_line(fw, c, lang) for c in cell.criteria]
    lines.append(
        t(lang, "review.cell.total", total=number(cell.total, lang))
        if cell.total is not None
        else t(lang, "review.cell.no_score")
    )
    lines.append(meetings_text(lang, cell.meetings))
    lines.append(t(lang, "review.cell.tasks_on_time", answer=yes_no(lang, tasks_on_time)))
    lines.append(t(lang, "review.cell.leader_disciplined", answer=yes_no(lang, leader_disciplined)))
    lines.append(
        t(lang, "review.cell.score_level", level=level_name(lang, cell.proposal.score_level))
    )
    if cell.proposal.held_back == "condition":
        lines.append(t(lang, "review.cell.held_back"))
    return lines


def esc(text: str | None) -> str:
    return html.escape(text or "")
