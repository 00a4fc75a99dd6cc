"""`cellbot framework check|show` and `cellbot score`, registered by bot/cli.py.

Every command returns an exit code: 0 fine, 1 a runtime problem (unknown unit, database),
2 a bad framework file (every error printed to stderr with its path, no traceback). Database
and settings failures reach bot/cli.py's `run`, which prints them as one line.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.settings import SUPPORTED_LANGUAGES, Settings, load_settings
from domain.periods import Period, parse_period

if TYPE_CHECKING:  # the heavy modules load when a command runs, so that --help is quick
    from domain.framework import Framework, FrameworkError
    from storage.score_service import ScoreReport

EXIT_OK, EXIT_FAILED, EXIT_BAD_FRAMEWORK = 0, 1, 2


def print_framework_error(exc: FrameworkError, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    print(f"{exc.source}: {len(exc.errors)} error(s) in the criteria framework", file=out)
    for line in exc.errors:
        print(f"  {line}", file=out)


def load_framework_or_exit(path: Path | None) -> Framework:
    """For start-up: the framework, or every error on stderr and exit code 2."""
    from domain.framework import FrameworkError, load_framework

    try:
        return load_framework(path)
    except FrameworkError as exc:
        print_framework_error(exc)
        raise SystemExit(EXIT_BAD_FRAMEWORK) from None


def _language(args: argparse.Namespace, settings: Settings) -> str:
    return str(args.lang) if args.lang else settings.default_language


def _active_framework(args: argparse.Namespace, settings: Settings) -> Framework:
    from domain.framework import load_framework

    return load_framework(getattr(args, "framework", None) or settings.criteria_framework)


# ---------------------------------------------------------------- commands


def cmd_framework_check(args: argparse.Namespace) -> int:
    from domain.framework import FrameworkError, load_framework

    try:
        fw = load_framework(args.file)
    except FrameworkError as exc:
        print_framework_error(exc)
        return EXIT_BAD_FRAMEWORK
    indicators = sum(len(c.indicators) for c in fw.criteria)
    print(
        f"{args.file}: OK — {len(fw.criteria)} criteria, {indicators} indicators, "
        f"{sum(len(s.items) for s in fw.meeting_rubric.sections)} meeting rubric items"
    )
    return EXIT_OK


def cmd_framework_show(args: argparse.Namespace) -> int:
    from bot.render_framework import framework_text
    from domain.framework import FrameworkError

    settings = load_settings()
    try:
        fw = _active_framework(args, settings)
    except FrameworkError as exc:
        print_framework_error(exc)
        return EXIT_BAD_FRAMEWORK
    print(framework_text(fw, _language(args, settings)))
    return EXIT_OK


async def _score(
    url: str, fw: Framework, unit: str, period: Period, as_of: dt.date, *, metrics: bool = True
) -> ScoreReport:
    from storage.db import create_engine, create_session_factory
    from storage.score_service import score_tree

    engine = create_engine(url)
    try:
        # In a transaction that commits: the results computed on the way are stored.
        async with create_session_factory(engine).begin() as session:
            return await score_tree(session, fw, unit, period, as_of=as_of, metrics=metrics)
    finally:
        await engine.dispose()


async def _score_and_print(args: argparse.Namespace, settings: Settings, fw: Framework) -> int:
    """Score, then print in the command's format. One coroutine that returns the exit code:
    asyncio.run in the main thread can format its task's result when it finishes (the
    SIGINT handler's repr), and a province's report fully formatted costs seconds."""
    from bot.render_scores import report_json, report_parts
    from domain import clock
    from storage.gc_pause import gc_paused
    from storage.score_service import UnknownUnitError

    as_of = args.as_of or clock.today(settings.tz)
    as_json = args.format == "json"
    # A province's report makes ~100,000 small objects, freed by reference counting: without
    # the pause, the collector's walks of the whole process cost as much as the work.
    with gc_paused():
        try:
            # The text shows scores and reasons (stored): the metrics are for the JSON only.
            report = await _score(
                settings.database_url, fw, args.unit, args.period, as_of, metrics=as_json
            )
        except UnknownUnitError:
            print(f"cellbot: no unit has the code '{args.unit}'", file=sys.stderr)
            return EXIT_FAILED
        if as_json:
            data: dict[str, Any] = report_json(report)
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            out = sys.stdout
            for part in report_parts(fw, report, _language(args, settings)):
                out.write(part)
            out.write("\n")
    return EXIT_OK


def cmd_score(args: argparse.Namespace) -> int:
    from bot.cli_db import check_database
    from domain.framework import FrameworkError

    settings = load_settings()
    try:
        fw = _active_framework(args, settings)
    except FrameworkError as exc:
        print_framework_error(exc)
        return EXIT_BAD_FRAMEWORK
    check_database(settings, create=False)
    return asyncio.run(_score_and_print(args, settings, fw))


def _progress_line(done: int, total: int, label: str) -> None:
    end = "\n" if done == total else ""
    print(f"\rrescore: {done}/{total} periods ({label})", end=end, file=sys.stderr, flush=True)


async def _rescore(url: str, fw: Framework, unit: str | None, *, only_if_stale: bool) -> int:
    """Rebuild the stored results; with `only_if_stale`, only when some row or meeting score
    is of another framework version (start-up). Returns the rows written."""
    from storage.db import create_engine, create_session_factory
    from storage.rescore import rescore_units, stale_exists

    engine = create_engine(url)
    try:
        factory = create_session_factory(engine)
        if only_if_stale:
            async with factory() as session:
                if not await stale_exists(session, fw):
                    return 0
            print("cellbot: the criteria framework changed: rescoring", file=sys.stderr)
        return await rescore_units(
            factory, fw, unit_code=unit, progress=_progress_line, only_stale=only_if_stale
        )
    finally:
        await engine.dispose()


def rescore_if_framework_changed(settings: Settings, fw: Framework) -> None:
    """At start-up: the stored results of another framework version are rebuilt before the
    bot serves (a framework change is a deliberate deployment; views then stay fast)."""
    asyncio.run(_rescore(settings.database_url, fw, None, only_if_stale=True))


def cmd_rescore(args: argparse.Namespace) -> int:
    from bot.cli_db import check_database
    from domain.framework import FrameworkError

    settings = load_settings()
    try:
        fw = _active_framework(args, settings)
    except FrameworkError as exc:
        print_framework_error(exc)
        return EXIT_BAD_FRAMEWORK
    check_database(settings, create=False)
    try:
        rows = asyncio.run(_rescore(settings.database_url, fw, args.unit, only_if_stale=False))
    except LookupError:
        print(f"cellbot: no unit has the code '{args.unit}'", file=sys.stderr)
        return EXIT_FAILED
    print(f"rescore: {rows} results stored")
    return EXIT_OK


# ---------------------------------------------------------------- registration


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-05-31") from None


def register(subparsers: Any) -> None:
    """Add `framework check FILE`, `framework show`, `score` and `rescore` to the main CLI."""
    framework = subparsers.add_parser(
        "framework", help="validate or show the criteria framework (scoring rules)"
    )
    fw_commands = framework.add_subparsers(dest="framework_command", required=True)

    check = fw_commands.add_parser("check", help="validate a framework file; exit 2 if bad")
    check.add_argument("file", type=Path, help="a YAML criteria-framework file")
    check.set_defaults(func=cmd_framework_check)

    show = fw_commands.add_parser("show", help="print the active framework as a table")
    show.add_argument("--framework", type=Path, help="a file instead of CRITERIA_FRAMEWORK")
    show.add_argument("--lang", choices=SUPPORTED_LANGUAGES)
    show.set_defaults(func=cmd_framework_show)

    score = subparsers.add_parser("score", help="scores and reasons of a unit's cells")
    score.add_argument("--unit", required=True, help="unit code: a cell, or every cell under it")
    score.add_argument("--period", required=True, type=_period, help="2026 | 2026-Q2 | 2026-05")
    score.add_argument("--format", choices=("text", "json"), default="text")
    score.add_argument("--lang", choices=SUPPORTED_LANGUAGES)
    score.add_argument("--as-of", type=_date, help="count months due up to this date (today)")
    score.add_argument("--framework", type=Path, help="a file instead of CRITERIA_FRAMEWORK")
    score.set_defaults(func=cmd_score)

    rescore = subparsers.add_parser(
        "rescore", help="rebuild the stored scores (after a change of the criteria framework)"
    )
    rescore.add_argument("--unit", help="unit code: only the cells under it (default: all)")
    rescore.add_argument("--framework", type=Path, help="a file instead of CRITERIA_FRAMEWORK")
    rescore.set_defaults(func=cmd_rescore)
