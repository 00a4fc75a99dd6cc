"""Scenario 1's real check-in: the production application, and secretaries who each tap one
complete check-in through it.
"""

from __future__ import annotations

import cProfile
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from benchmarks.scenarios.base import TOKEN, BenchRequest, Latencies, lifted_limiter
from benchmarks.scenarios.chat_driver import App, ChatRun, ScriptError, drive
from bot.context import services
from domain import clock

# A complete check-in as a secretary taps it: (kind, pattern); a press picks, in the latest
# keyboard, the first button whose callback data matches (labels are language-dependent,
# data are not). One member is marked absent with a reason (no note); the place typed, the
# first names offered as chair and thư ký, one speaker tapped; everything else by buttons.
# "press?" is a question that is not always asked (the member matters by name: only when the
# cell has probationary members, or candidates with a dossier): skipped when not offered.
CHECKIN_SCRIPT: list[tuple[str, str]] = [
    ("send", "/checkin"),
    ("press", r"^ci:new:\d+:[\d-]+:regular$"),
    ("press", r":date:\d+$"),
    ("press", r":time:1930$"),
    ("press", r":duration:90$"),
    ("send", "Nhà văn hóa thôn"),
    ("press", r":pre_meeting:y$"),
    ("press", r":content_prepared:y$"),
    ("press", r":draft_resolution:y$"),
    ("press", r"^ci:t:"),
    ("press", r":attendance:done$"),
    ("press", r":absence:e$"),
    ("press", r":absence:skip$"),
    ("press", r"^ci:k:\d+:\d+:chair:\d+:0$"),
    ("press", r"^ci:k:\d+:\d+:clerk:\d+:0$"),
    ("press", r":guest:none$"),
    ("press", r":dues:all$"),
    ("send", "Triển khai nghị quyết tháng; phòng chống mưa bão"),
    ("send", "Sửa đường liên thôn"),  # next month's task, its owner, «Done» (issue 16)
    ("press", r"^ci:k:\d+:\d+:next_tasks:\d+:0$"),
    ("press", r":next_tasks:done$"),
    ("press", r":current_affairs:y$"),
    ("press", r":documents:none$"),
    ("press", r":ho_chi_minh:y$"),
    ("press", r"^ci:k:\d+:\d+:speakers:\d+:0$"),  # one speaker: the same data taps it off
    ("press", r":speakers:done$"),
    ("press", r":commended:none$"),
    ("press", r":criticised:none$"),
    ("press", r":assessed:y$"),
    ("press", r":resolution_impl:full$"),
    ("press", r":resolution_adopted:y$"),
    ("press", r":vote:all$"),
    ("press", r":minutes_complete:y$"),
    ("press", r":matters:none$"),
    ("press?", r":conversions:none$"),
    ("press?", r":admissions:none$"),
    ("press", r":proposals:none$"),
    ("press", r"^ci:s:"),
]


@dataclass
class SecretaryRun(ChatRun):
    cell_id: int = 0

    def next_update(self, updates: Any) -> dict[str, Any]:
        # A question not asked of this cell: on to the next step of the script.
        while self.script[self.step][0] == "press?":
            if self._offered(self.script[self.step][1]):
                break
            self.step += 1
        return super().next_update(updates)

    def _offered(self, value: str) -> bool:
        pattern = re.compile(value)
        return any(pattern.search(d) for call in self.last for _t, d in call.buttons())

    def button(self, value: str) -> str:
        pattern = re.compile(value)
        for call in reversed(self.last):
            for _text, data in call.buttons():
                if pattern.search(data):
                    return data
        shown = [b for c in self.last for b in c.buttons()]
        texts = [str(c.params.get("text", ""))[:160] for c in self.last]
        raise ScriptError(f"step {self.step}: no button {value!r} in {shown} after {texts}")


async def pick_secretaries(sessions: Any, count: int) -> list[SecretaryRun]:
    """Secretaries of cells that reported last month and not yet this month, with rosters
    of at least 12 active members (a cell of a typical size) and 9 official ones (a chi ủy,
    so the script's preparation questions are the ones asked), spread over the province."""
    from domain.periods import add_months, month_start
    from storage.members import ACTIVE_STATUSES
    from storage.models import Account, Checkin, Member, RoleGrant

    this_month = month_start(clock.today())
    last_month = add_months(this_month, -1)
    async with sessions() as session:
        big = (
            select(Member.cell_id)
            .where(Member.status.in_(ACTIVE_STATUSES))
            .group_by(Member.cell_id)
            .having(Member.cell_id.is_not(None))
        )
        from sqlalchemy import case, func

        official = func.sum(case((Member.status == "official", 1), else_=0))
        big = big.having(func.count() >= 12, official >= 9)
        reported = select(Checkin.cell_id).where(
            Checkin.month == last_month, Checkin.status == "submitted"
        )
        current = select(Checkin.cell_id).where(Checkin.month == this_month)
        rows = (
            await session.execute(
                select(Account.telegram_id, RoleGrant.unit_id)
                .join(RoleGrant, RoleGrant.account_id == Account.id)
                .where(
                    RoleGrant.role == "secretary",
                    RoleGrant.unit_id.in_(big),
                    RoleGrant.unit_id.in_(reported),
                    RoleGrant.unit_id.not_in(current),
                )
                .order_by(RoleGrant.unit_id)
            )
        ).all()
    if len(rows) < count:
        raise RuntimeError(f"only {len(rows)} eligible secretaries for {count}")
    stride = len(rows) / count
    return [
        SecretaryRun(
            int(rows[int(i * stride)][0]), CHECKIN_SCRIPT, cell_id=int(rows[int(i * stride)][1])
        )
        for i in range(count)
    ]


async def submitted_now(sessions: Any, cell_ids: list[int]) -> int:
    from sqlalchemy import func

    from domain.periods import month_start
    from storage.models import Checkin

    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Checkin)
                .where(
                    Checkin.cell_id.in_(cell_ids),
                    Checkin.month == month_start(clock.today()),
                    Checkin.status == "submitted",
                )
            )
            or 0
        )


def real_app(
    url: str,
    sessions: Any = None,
    concurrency: int = 1,
    latency: float = 0.0,
) -> tuple[App, BenchRequest]:
    """The production application. Without `sessions` it builds its own engine, with the
    connection pool `build_application` sizes for `concurrency` (dispose it with
    `dispose_engine`)."""
    from bot.app import build_application
    from bot.settings import Settings

    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=url,
        admin_telegram_ids=[],
        default_language="vi",
        concurrent_updates=concurrency,
    )
    request = BenchRequest(latency=latency)
    app = build_application(
        settings,
        token=TOKEN,
        session_factory=sessions,
        request=request,
        updates_request=BenchRequest(),
        rate_limiter=lifted_limiter(),
    )
    # As bot/runner.py does once the application is built: what is loaded lives as long as
    # the process, so the collector need not walk it again and again.
    import gc

    gc.freeze()
    return app, request


async def dispose_engine(app: App) -> None:
    """Close the pool of the engine `build_application` created for `app`."""
    engine = services(app).engine
    if engine is not None:
        await engine.dispose()


async def run_checkins(
    url: str,
    secretaries: list[SecretaryRun],
    concurrency: int,
    latency: float,
    profile: cProfile.Profile | None = None,
) -> tuple[Latencies, int]:
    """Every secretary completes a check-in (the first one untimed, as the warm-up);
    returns latencies and the failures."""
    app, request = real_app(url, concurrency=concurrency, latency=latency)
    try:
        result = await drive(app, request, secretaries[1:], concurrency, secretaries[0], profile)
    finally:
        await dispose_engine(app)
    return result, sum(1 for s in secretaries if s.failed)
