"""Member matters by name (issue 17 part 2): the probationary members a meeting made official
and the candidates it admitted, applied to the roster when the check-in is submitted (and on
an edit after submit), audited, in the caller's transaction.

A conversion sets the member's status official and ``official_on`` to the meeting date; one
taken back by a later edit is undone while the member is still as this meeting left them.
An admission makes the candidate a probationary member admitted on the meeting date, links the
candidate to the new member and marks it admitted (storage.candidates.admit); an admission
taken back later is not undone here (the member row may already have attendance of its own):
the roster is corrected with /members.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkin_schema import CandidateRef, CheckinAnswers
from storage import audit, candidates, read_model
from storage.models import Candidate, CandidateStage, Checkin, Member, MemberStatus


async def snapshot(session: AsyncSession, cell_id: int) -> tuple[list[int], list[CandidateRef]]:
    """The cell's probationary members and its candidates at the dossier stage, now."""
    probationary = await session.scalars(
        select(Member.id)
        .where(Member.cell_id == cell_id, Member.status == MemberStatus.PROBATIONARY.value)
        .order_by(Member.sort_key, Member.id)
    )
    dossier = await session.execute(
        select(Candidate.id, Candidate.full_name)
        .where(
            Candidate.cell_id == cell_id,
            Candidate.stage == CandidateStage.DOSSIER.value,
            Candidate.dropped_at.is_(None),
            Candidate.member_id.is_(None),
        )
        .order_by(Candidate.sort_key, Candidate.id)
    )
    return list(probationary), [CandidateRef(id=i, name=n) for i, n in dossier.all()]


async def write_matters(
    session: AsyncSession, checkin: Checkin, a: CheckinAnswers, *, actor: int | None
) -> None:
    """Apply the conversions and admissions the submitted answers record."""
    day = a.meeting_date or checkin.month
    held = a.held is True
    converted = set(a.converted_ids or []) if held and "conversions" in a.lists_done else set()
    await _conversions(session, checkin, a, converted, day, actor)
    if held and "admissions" in a.lists_done:
        for candidate_id in a.admission_ids or []:
            candidate = await candidates.candidate_of_cell(session, checkin.cell_id, candidate_id)
            if candidate is None or candidate.member_id is not None:
                continue  # admitted already (this submit before an edit, or by /candidates)
            if candidate.stage != CandidateStage.DOSSIER.value:
                continue
            await candidates.admit(session, candidate, day, actor=actor)


async def _conversions(
    session: AsyncSession,
    checkin: Checkin,
    a: CheckinAnswers,
    converted: set[int],
    day: dt.date,
    actor: int | None,
) -> None:
    asked = set(a.probationary_ids)
    if not asked:
        return
    members = await session.scalars(
        select(Member).where(Member.cell_id == checkin.cell_id, Member.id.in_(asked))
    )
    changed = False
    for member in members:
        before = {"status": member.status, "official_on": _iso(member.official_on)}
        if member.id in converted and member.status == MemberStatus.PROBATIONARY.value:
            member.status, member.official_on = MemberStatus.OFFICIAL.value, day
            action = "converted"
        elif (
            member.id not in converted
            and member.status == MemberStatus.OFFICIAL.value
            and member.official_on == day
        ):
            # This meeting's conversion taken back by an edit.
            member.status, member.official_on = MemberStatus.PROBATIONARY.value, None
            action = "conversion_undone"
        else:
            continue
        changed = True
        audit.record(
            session,
            actor_account_id=actor,
            entity="member",
            entity_id=member.id,
            action=action,
            before=before,
            after={
                "status": member.status,
                "official_on": _iso(member.official_on),
                "checkin": checkin.id,
            },
        )
    if changed:
        await read_model.mark_stale(session, [checkin.cell_id])


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()
