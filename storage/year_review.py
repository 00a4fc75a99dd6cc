"""The annual review's rows (issue 17): year_reviews / year_review_members, which the
secretary proposes and the committee confirms, and the committee's reading of them (the
facts of a member's year are storage/year_review_facts.py). Every write of a level is
audited; a submitted review is no longer changed by the cell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from storage import audit
from storage.metrics import cells_in_scope
from storage.metrics_sql import CellInfo
from storage.models import (
    Member,
    OrgUnit,
    YearReview,
    YearReviewMember,
)

DRAFT, SUBMITTED = "draft", "submitted"


# ---------------------------------------------------------------- the review rows


async def review_of(session: AsyncSession, cell_id: int, year: int) -> YearReview | None:
    return await session.scalar(
        select(YearReview).where(YearReview.cell_id == cell_id, YearReview.year == year)
    )


async def open_review(session: AsyncSession, cell_id: int, year: int) -> YearReview:
    """The cell's review of `year`, made (a draft) when there is none."""
    review = await review_of(session, cell_id, year)
    if review is None:
        review = YearReview(cell_id=cell_id, year=year, status=DRAFT)
        session.add(review)
        await session.flush()
    return review


async def review_by_id(session: AsyncSession, review_id: int | None) -> YearReview | None:
    return None if review_id is None else await session.get(YearReview, review_id)


async def lines_of(session: AsyncSession, review_id: int) -> dict[int, YearReviewMember]:
    rows = await session.scalars(
        select(YearReviewMember).where(YearReviewMember.review_id == review_id)
    )
    return {line.member_id: line for line in rows.all()}


async def _line(session: AsyncSession, review: YearReview, member_id: int) -> YearReviewMember:
    line = await session.scalar(
        select(YearReviewMember).where(
            YearReviewMember.review_id == review.id, YearReviewMember.member_id == member_id
        )
    )
    if line is None:
        line = YearReviewMember(review_id=review.id, member_id=member_id)
        session.add(line)
    return line


async def propose_members(
    session: AsyncSession, review: YearReview, levels: dict[int, str], actor: int
) -> None:
    """Set the proposed level of members (member id -> level) of a draft review; audited."""
    for member_id, level in levels.items():
        line = await _line(session, review, member_id)
        before = line.proposed_level
        line.proposed_level = level
        if before != level:
            audit.record(
                session,
                actor_account_id=actor,
                entity="year_review_member",
                entity_id=review.id,
                action="propose",
                before={"member": member_id, "level": before},
                after={"member": member_id, "level": level},
            )
    review.updated_at = clock.now()
    await session.flush()


async def set_member_note(
    session: AsyncSession, review: YearReview, member_id: int, note: str | None
) -> None:
    line = await _line(session, review, member_id)
    line.note = note
    review.updated_at = clock.now()
    await session.flush()


def set_conditions(
    review: YearReview, *, tasks_on_time: bool | None = None, leader_disciplined: bool | None = None
) -> None:
    if tasks_on_time is not None:
        review.tasks_on_time = tasks_on_time
    if leader_disciplined is not None:
        review.leader_disciplined = leader_disciplined


def submit(
    session: AsyncSession, review: YearReview, score: float | None, level: str, actor: int
) -> None:
    review.status = SUBMITTED
    review.score = score
    review.proposed_level = level
    review.submitted_by = actor
    review.submitted_at = clock.now()
    audit.record(
        session,
        actor_account_id=actor,
        entity="year_review",
        entity_id=review.id,
        action="submit",
        after={"level": level, "score": score, "year": review.year, "cell": review.cell_id},
    )


# ---------------------------------------------------------------- the committee's side


@dataclass(frozen=True)
class SubmittedReview:
    review: YearReview
    cell: CellInfo


async def submitted_under(session: AsyncSession, unit_id: int, year: int) -> list[SubmittedReview]:
    """The submitted reviews of `year` of the cells under the unit, by cell code."""
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        return []
    cells = await cells_in_scope(session, unit)
    if not cells:
        return []
    reviews = {
        r.cell_id: r
        for r in (
            await session.scalars(
                select(YearReview).where(
                    YearReview.year == year,
                    YearReview.status == SUBMITTED,
                    YearReview.cell_id.in_([c.id for c in cells]),
                )
            )
        ).all()
    }
    found = [SubmittedReview(reviews[c.id], c) for c in cells if c.id in reviews]
    return sorted(found, key=lambda s: s.cell.code)


async def cell_info(session: AsyncSession, cell_id: int) -> CellInfo | None:
    unit = await session.get(OrgUnit, cell_id)
    if unit is None:
        return None
    return next((c for c in await cells_in_scope(session, unit) if c.id == cell_id), None)


async def confirm_cell(session: AsyncSession, review: YearReview, level: str, actor: int) -> None:
    before = review.confirmed_level
    review.confirmed_level, review.confirmed_by, review.confirmed_at = level, actor, clock.now()
    audit.record(
        session,
        actor_account_id=actor,
        entity="year_review",
        entity_id=review.id,
        action="confirm",
        before={"level": before, "proposed": review.proposed_level},
        after={"level": level},
    )


async def confirm_members(
    session: AsyncSession, review: YearReview, levels: dict[int, str], actor: int
) -> None:
    """The committee's level for members of a submitted review (member id -> level)."""
    lines = await lines_of(session, review.id)
    now = clock.now()
    for member_id, level in levels.items():
        line = lines.get(member_id)
        if line is None:
            continue
        before = line.confirmed_level
        line.confirmed_level, line.confirmed_by, line.confirmed_at = level, actor, now
        audit.record(
            session,
            actor_account_id=actor,
            entity="year_review_member",
            entity_id=review.id,
            action="confirm",
            before={"member": member_id, "level": before, "proposed": line.proposed_level},
            after={"member": member_id, "level": level},
        )
    await session.flush()


async def member_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Member.id, Member.full_name).where(Member.id.in_(ids)))
    return {member_id: name for member_id, name in rows}


@dataclass(frozen=True)
class FinalLine:
    """One line of the final list (/export): a cell's level, or a member's in it."""

    cell_code: str
    cell_name: str
    member: str | None  # None: the cell's own line
    proposed: str | None
    confirmed: str | None
    note: str | None


async def final_list(session: AsyncSession, unit_id: int, year: int) -> list[FinalLine]:
    """The submitted reviews of `year` under the unit: each cell's line, then its members'."""
    found = await submitted_under(session, unit_id, year)
    if not found:
        return []
    review_ids = [s.review.id for s in found]
    rows = await session.execute(
        select(YearReviewMember, Member.full_name)
        .join(Member, Member.id == YearReviewMember.member_id)
        .where(YearReviewMember.review_id.in_(review_ids))
        .order_by(Member.sort_key, Member.id)
    )
    by_review: dict[int, list[tuple[YearReviewMember, str]]] = defaultdict(list)
    for line, name in rows:
        by_review[line.review_id].append((line, name))
    out = []
    for s in found:
        r = s.review
        out.append(
            FinalLine(s.cell.code, s.cell.name, None, r.proposed_level, r.confirmed_level, r.note)
        )
        out.extend(
            FinalLine(
                s.cell.code, s.cell.name, name, ln.proposed_level, ln.confirmed_level, ln.note
            )
            for ln, name in by_review[r.id]
        )
    return out
