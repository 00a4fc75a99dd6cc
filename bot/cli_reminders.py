"""`cellbot reminders preview --unit CODE --days 40`: the reminders the planner would write."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from dataclasses import replace
from typing import Any

from bot.settings import load_settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    reminders = sub.add_parser("reminders", help="meeting reminders").add_subparsers(
        dest="reminders_command", required=True
    )
    preview = reminders.add_parser("preview", help="print the reminders planned for a unit")
    preview.add_argument("--unit", required=True, help="unit code (a cell or any unit above)")
    preview.add_argument("--days", type=int, default=40, help="how far ahead (default 40)")
    preview.add_argument("--now", help="plan as of this ISO time (default: now)")
    preview.set_defaults(func=cmd_preview)


def cmd_preview(args: argparse.Namespace) -> int:
    from bot.cli_db import check_database
    from storage.db import create_engine, create_session_factory, upgrade_to_head

    settings = load_settings(reminder_horizon_days=max(1, min(args.days, 400)))
    try:
        now = _parse_now(args.now)
    except ValueError as exc:
        print(f"cellbot: --now {args.now}: {exc}", file=sys.stderr)
        return 2
    check_database(settings, create=False)
    upgrade_to_head(settings.database_url)

    async def main() -> list[str] | None:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                lines = await preview_lines(session, args.unit, now, settings)
                await session.rollback()  # a preview writes nothing
                return lines
        finally:
            await engine.dispose()

    lines = asyncio.run(main())
    if lines is None:
        print(f"cellbot: no unit with code {args.unit}", file=sys.stderr)
        return 1  # as everywhere in the CLI: a unit not (yet) in the database
    for line in lines:
        print(line)
    return 0


def _parse_now(text: str | None) -> dt.datetime:
    if not text:
        from domain import clock

        return clock.now()
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=load_settings().tz)
    return value.astimezone(dt.UTC)


async def preview_lines(
    session: Any, code: str, now: dt.datetime, settings: Any
) -> list[str] | None:
    """One line per planned reminder (due within the horizon, still useful), by due time."""
    from sqlalchemy import select

    from schedules.plan_service import gather_facts, groups_for, offsets_from, supervisors_of
    from schedules.planner import Recipient, UnitFacts, plan_cell, plan_digests
    from storage.models import OrgUnit
    from storage.orgs import get_unit_by_code

    unit = await get_unit_by_code(session, code)
    if unit is None:
        return None
    offsets = offsets_from(settings)
    parents = await groups_for(session, unit.id)
    cells = [
        c
        for c in (
            await session.scalars(
                select(OrgUnit).where(OrgUnit.parent_id.in_(parents), OrgUnit.kind == "cell")
            )
        ).all()
        if c.path.startswith(unit.path)
    ]
    facts = [
        # A cell nobody runs in the bot yet still shows what it would get.
        f if f.recipients else replace(f, recipients=(Recipient(0, 0),))
        for f in await gather_facts(session, cells, now, offsets, settings.tz)
    ]
    planned = [p for f in facts for p in plan_cell(f, now, offsets)]
    supervisors = await supervisors_of(session, parents)
    for parent in (await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(parents)))).all():
        if parent.path.startswith(unit.path) or unit.kind == "cell":
            mine = [f for f in facts if f.grassroots_id == parent.id]
            unit_facts = UnitFacts(parent.id, parent.name, tuple(supervisors.get(parent.id, [])))
            planned += plan_digests(unit_facts, mine, now, offsets)
    horizon = now + dt.timedelta(days=offsets.horizon_days)
    codes = {c.id: c.code for c in cells}
    names = {f.cell_id: f for f in facts}
    lines = []
    for p in sorted(
        (p for p in planned if p.insertable(now, horizon)), key=lambda p: (p.due_at, p.dedup_key)
    ):
        rule = names[p.cell_id].rule if p.cell_id in names else None
        tz = rule.tz if rule is not None else settings.tz
        where = codes.get(p.cell_id, "") if p.cell_id else f"unit {p.payload.get('unit_id')}"
        lines.append(
            f"{p.due_at.astimezone(tz):%Y-%m-%d %H:%M %Z}  {p.kind:<15} {where:<16} "
            f"to {f'chat {p.chat_id}' if p.chat_id else 'nobody yet'}  "
            f"(expires {p.expires_at.astimezone(tz):%Y-%m-%d %H:%M})"
        )
    without = [f for f in facts if f.rule is None]
    if without:
        lines.append(
            f"{len(without)} cell(s) without a meeting schedule (set one with /schedule): "
            + ", ".join(codes[f.cell_id] for f in without[:20])
        )
    if not lines:
        lines.append("no reminders planned")
    return lines
