"""`cellbot report --unit CODE --period P [--format text|json|csv|xlsx] [--output FILE]`:
the figures of /summary for admins and automation (cron jobs, spreadsheets).

text and json go to stdout unless --output is given; csv is the /summary table; xlsx is the
full /export workbook and needs --output (a binary file on a terminal helps nobody).
Exit codes: 0 fine, 1 unknown unit or database problem, 2 bad arguments, settings or
framework, or an --output path that cannot be written (checked before any work is done).
Database failures reach bot/cli.py's `run`, which prints them as one line.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import html
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli_errors import CliError
from bot.settings import SUPPORTED_LANGUAGES, Settings, load_settings
from domain.periods import Period, parse_period

if TYPE_CHECKING:  # the heavy modules load when the command runs, so that --help is quick
    from domain.framework import Framework

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
FORMATS = ("text", "json", "csv", "xlsx")
TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Reader:
    """The CLI's reader: a language, as `bot.supervisor_text.Reader` expects."""

    lang: str

    def t(self, key: str, /, **values: object) -> str:
        from bot.i18n import t

        return t(self.lang, key, **values)


def plain(text: str) -> str:
    """Catalog HTML as terminal text."""
    return html.unescape(TAGS.sub("", text))


async def build(
    settings: Settings, fw: Framework, code: str, period: Period, fmt: str, lang: str
) -> bytes | None:
    """The report's bytes, or None when no unit has that code."""
    from sqlalchemy import select

    from bot.export_csv import csv_bytes
    from bot.export_sheets import Labels
    from bot.export_xlsx import summary_table, write_workbook
    from bot.i18n import t
    from bot.render_scores import reason_text
    from bot.supervisor_text import summary_text
    from domain import clock
    from storage.db import create_engine, create_session_factory
    from storage.export import collect
    from storage.models import OrgUnit
    from storage.scope import UnitRef
    from storage.supervision import summary

    engine = create_engine(settings.database_url)
    try:
        # A transaction that commits: results the read model computes on the way are kept.
        async with create_session_factory(engine).begin() as session:
            unit = await session.scalar(select(OrgUnit).where(OrgUnit.code == code))
            if unit is None:
                return None
            ref = UnitRef.of(unit)
            as_of = clock.today(settings.tz)
            labels = Labels(lang, lambda key: t(lang, key), lambda r: reason_text(fw, r, lang))
            if fmt == "xlsx":
                data = await collect(session, fw, ref, period, as_of, settings.tz)
                # Written while the check-ins stream in: a read, in this one transaction.
                return await write_workbook(fw, labels, data)
            else:
                result = await summary(session, fw, ref, period, as_of, cells=False)
    finally:
        await engine.dispose()
    if fmt == "csv":
        return csv_bytes(labels, summary_table(fw, labels, result))
    if fmt == "json":
        body = {
            "unit": dataclasses.asdict(result.unit),
            "period": period.label,
            "as_of": as_of.isoformat(),
            "total": dataclasses.asdict(result.total),
            "children": [dataclasses.asdict(r) for r in result.rows],
        }
        return (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode()
    return (plain(summary_text(Reader(lang), fw, result, None)) + "\n").encode()


def cmd_report(args: argparse.Namespace) -> int:
    try:
        period = parse_period(args.period)
    except ValueError as exc:
        print(f"cellbot report: --period: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "xlsx" and not args.output:
        print("cellbot report: --format xlsx needs --output FILE.xlsx", file=sys.stderr)
        return EXIT_USAGE
    output = Path(args.output) if args.output else None
    if output is not None and (output.is_dir() or not output.absolute().parent.is_dir()):
        raise CliError(
            f"--output {output}: {'a folder' if output.is_dir() else 'no such folder'}: "
            "give a file name in an existing folder",
            EXIT_USAGE,
        )
    from domain.framework import FrameworkError, load_framework

    settings = load_settings()
    try:
        fw = load_framework(settings.criteria_framework)
    except FrameworkError as exc:
        print(f"cellbot report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from bot.cli_db import check_database

    check_database(settings, create=False)
    lang = args.lang or settings.default_language
    content = asyncio.run(build(settings, fw, args.unit, period, args.format, lang))
    if content is None:
        print(f"cellbot report: no unit with code {args.unit}", file=sys.stderr)
        return EXIT_FAILED
    if output is not None:
        try:
            output.write_bytes(content)
        except OSError as exc:
            raise CliError(
                f"--output {output}: {exc.strerror}: choose a writable file", EXIT_USAGE
            ) from None
        print(f"wrote {output} ({len(content)} bytes)", file=sys.stderr)
    else:
        sys.stdout.write(content.decode("utf-8-sig"))
    return EXIT_OK


def register(sub: Any) -> None:
    parser = sub.add_parser("report", help="the /summary figures of a unit for a period")
    parser.add_argument("--unit", required=True, help="unit code, e.g. QN-BL")
    parser.add_argument("--period", required=True, help="2026, 2026-Q2 or 2026-05")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", help="write to this file instead of stdout")
    parser.add_argument("--lang", choices=SUPPORTED_LANGUAGES, help="language of the texts")
    parser.set_defaults(func=cmd_report)


__all__ = ["Reader", "build", "cmd_report", "register"]
