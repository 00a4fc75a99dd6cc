"""A cell's candidates for admission (*quần chúng ưu tú*): name, the member assigned to help,
the stage (identified → course → dossier → admitted), and, once admitted, the member row
they became. A dropped candidate keeps its row (``dropped_at``) and leaves the list.
Supervisors read counts per stage under a unit."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import clock
from storage import audit
from storage.members import add_members, normalize_name
from storage.models import Candidate, CandidateStage, Member, MemberStatus, OrgUnit
from storage.tree import under

STAGES = tuple(CandidateStage)
# The stages one tap moves forward; from the dossier, admission asks for the date.
NEXT_STAGE = {
    CandidateStage.IDENTIFIED.value: CandidateStage.COURSE.value,
    CandidateStage.COURSE.value: CandidateStage.DOSSIER.value,
}
MAX_LISTED = 40


@dataclass(frozen=True)
class CandidateRow:
    id: int
    name: str
    stage: str
    helper_name: str | None


def _audit(
    session: AsyncSession,
    candidate: Candidate,
    action: str,
    before: dict[str, object] | None,
    after: dict[str, object],
    actor: int | None,
) -> None:
    audit.record(
        session,
        actor_account_id=actor,
        entity="candidate",
        entity_id=candidate.id,
        action=action,
        before=before,
        after=after,
    )


async def open_candidates(session: AsyncSession, cell_id: int) -> tuple[list[CandidateRow], int]:
    """The cell's candidates on the way (neither dropped nor admitted), furthest stage first,
    and how many were admitted (still linked to their member)."""
    helper = select(Member.full_name).where(Member.id == Candidate.helper_member_id)
    rows = await session.execute(
        select(
            Candidate.id,
            Candidate.full_name,
            Candidate.stage,
            helper.scalar_subquery(),
        )
        .where(
            Candidate.cell_id == cell_id,
            Candidate.dropped_at.is_(None),
            Candidate.stage != CandidateStage.ADMITTED.value,
        )
        .order_by(Candidate.sort_key, Candidate.id)
        .limit(MAX_LISTED)
    )
    order = {s.value: i for i, s in enumerate(STAGES)}
    listed = [CandidateRow(int(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows.all()]
    listed.sort(key=lambda c: -order.get(c.stage, 0))  # stable: names stay in order
    admitted = await session.scalar(
        select(func.count())
        .select_from(Candidate)
        .where(
            Candidate.cell_id == cell_id,
            Candidate.dropped_at.is_(None),
            Candidate.stage == CandidateStage.ADMITTED.value,
        )
    )
    return listed, admitted or 0


async def candidate_of_cell(
    session: AsyncSession, cell_id: int, candidate_id: int | None
) -> Candidate | None:
    """The open candidate only if it belongs to `cell_id` (guards forged callback data)."""
    if candidate_id is None:
        return None
    candidate = await session.get(Candidate, candidate_id)
    if candidate is None or candidate.cell_id != cell_id or candidate.dropped_at is not None:
        return None
    return candidate


async def add_candidate(
    session: AsyncSession, cell_id: int, name: str, *, actor: int | None
) -> Candidate:
    candidate = Candidate(
        cell_id=cell_id, full_name=normalize_name(name), stage=CandidateStage.IDENTIFIED.value
    )
    session.add(candidate)
    await session.flush()
    _audit(session, candidate, "create", None, {"cell_id": cell_id, "name": name}, actor)
    return candidate


async def set_helper(
    session: AsyncSession, candidate: Candidate, member: Member, *, actor: int | None
) -> None:
    before = candidate.helper_member_id
    candidate.helper_member_id = member.id
    _audit(session, candidate, "helper", {"helper": before}, {"helper": member.id}, actor)


async def advance(session: AsyncSession, candidate: Candidate, *, actor: int | None) -> bool:
    """One stage on (not into "admitted": that needs the member row); False at the dossier."""
    nxt = NEXT_STAGE.get(candidate.stage)
    if nxt is None:
        return False
    before = candidate.stage
    candidate.stage = nxt
    _audit(session, candidate, "stage", {"stage": before}, {"stage": nxt}, actor)
    return True


async def drop(session: AsyncSession, candidate: Candidate, *, actor: int | None) -> None:
    candidate.dropped_at = clock.now()
    _audit(session, candidate, "drop", {"stage": candidate.stage}, {"dropped": True}, actor)


async def admit(
    session: AsyncSession, candidate: Candidate, on: dt.date, *, actor: int | None
) -> Member:
    """The candidate becomes a probationary member admitted `on`, linked to the candidate."""
    (member,) = await add_members(
        session, candidate.cell_id, [candidate.full_name], actor_account_id=actor
    )
    member.status = MemberStatus.PROBATIONARY.value
    member.admitted_on = on
    audit.record(
        session,
        actor_account_id=actor,
        entity="member",
        entity_id=member.id,
        action="admitted",
        before={"status": MemberStatus.OFFICIAL.value},
        after={"status": member.status, "admitted_on": on.isoformat(), "candidate": candidate.id},
    )
    before = candidate.stage
    candidate.stage = CandidateStage.ADMITTED.value
    candidate.member_id = member.id
    _audit(
        session,
        candidate,
        "admit",
        {"stage": before},
        {"stage": candidate.stage, "member_id": member.id, "admitted_on": on.isoformat()},
        actor,
    )
    return member


async def stage_counts_under(session: AsyncSession, path: str) -> list[tuple[str, str, int]]:
    """(cell path, stage, count) of the candidates not dropped in cells under `path`
    (the admitted ones included)."""
    rows = await session.execute(
        select(OrgUnit.path, Candidate.stage, func.count())
        .join(OrgUnit, OrgUnit.id == Candidate.cell_id)
        .where(under(path), Candidate.dropped_at.is_(None))
        .group_by(OrgUnit.path, Candidate.stage)
    )
    return [(str(p), str(s), int(n)) for p, s, n in rows.all()]


def total_by_stage(rows: list[tuple[str, str, int]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for _path, stage, count in rows:
        counts[stage] += count
    return counts
