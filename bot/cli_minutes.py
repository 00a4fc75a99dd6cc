"""`cellbot minutes --unit CODE --period YYYY-MM --output DIR [--lang vi|en]`: the month's
minutes (*biên bản*) and resolution (*nghị quyết*) of one cell as two DOCX files, the same
files /minutes sends (bot/docx_minutes.py).

The paths written are printed on stdout, one a line. Exit codes: 0 written, 1 unknown unit,
no submitted check-in of a held meeting that month, or a database problem, 2 bad arguments
(a period that is not a month, a unit that is not a cell, an --output that is not a folder).
Database failures reach bot/cli.py's `run`, which prints them as one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli_errors import CliError
from bot.settings import SUPPORTED_LANGUAGES, load_settings
from domain.periods import parse_month

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.minutes_facts import MinutesFacts

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _output_folder(text: str) -> Path:
    """The folder to write in, checked before any work (made only when there is a file)."""
    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise CliError(f"--output {folder}: a file, not a folder: give a folder", EXIT_USAGE)
    if not folder.exists() and not folder.absolute().parent.is_dir():
        raise CliError(f"--output {folder}: no such folder: create it first", EXIT_USAGE)
    return folder


def cmd_minutes(args: argparse.Namespace) -> int:
    month = parse_month(args.period)
    if month is None:
        print(
            f"cellbot minutes: --period {args.period}: give a month as YYYY-MM, e.g. 2026-11",
            file=sys.stderr,
        )
        return EXIT_USAGE
    folder = _output_folder(args.output)
    settings = load_settings()
    from bot.cli_db import with_db
    from bot.docx_minutes import documents
    from storage.minutes_facts import facts_of_month
    from storage.orgs import get_unit_by_code

    async def work(session: AsyncSession) -> tuple[str, MinutesFacts | None]:
        unit = await get_unit_by_code(session, args.unit)
        if unit is None:
            return "unknown", None
        if unit.kind != "cell":
            return unit.kind, None
        return "cell", await facts_of_month(session, unit.id, month)

    kind, facts = with_db(settings, work)
    if kind == "unknown":
        print(f"cellbot minutes: no unit with code {args.unit}", file=sys.stderr)
        return EXIT_FAILED
    if kind != "cell":
        print(
            f"cellbot minutes: {args.unit} is a {kind}, not a cell: give a cell's code",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if facts is None:
        print(
            f"cellbot minutes: {args.unit} has no submitted check-in of a held meeting in "
            f"{args.period}: submit it with /checkin first",
            file=sys.stderr,
        )
        return EXIT_FAILED
    lang = args.lang or settings.default_language
    for name, make in documents(facts, lang):
        path = folder / name
        try:
            folder.mkdir(exist_ok=True)
            path.write_bytes(make())
        except OSError as exc:
            raise CliError(f"--output {folder}: {exc.strerror}: choose a writable folder") from None
        print(path)
    return EXIT_OK


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "minutes", help="a cell's minutes and resolution of a month as two DOCX files"
    )
    parser.add_argument("--unit", required=True, help="the cell's code, e.g. QN-BL-LH-C01")
    parser.add_argument("--period", required=True, help="the month, e.g. 2026-11")
    parser.add_argument("--output", required=True, help="the folder to write the files in")
    parser.add_argument("--lang", choices=SUPPORTED_LANGUAGES, help="language of the documents")
    parser.set_defaults(func=cmd_minutes)


__all__ = ["cmd_minutes", "register"]
