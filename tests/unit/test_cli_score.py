"""`cellbot framework check|show` and `cellbot score`, and the texts they print.

The commands run in-process through bot/cli.py's `run` (the parser the installed `cellbot`
uses); tests/integration/test_cli_entrypoint.py runs them through the entry point itself.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.cli import run as main
from bot.i18n import LOCALES_DIR, t
from bot.i18n import period_text as period_label
from bot.render_framework import framework_text
from bot.render_scores import (
    cell_text,
    committee_text,
    meeting_text,
    report_parts,
    report_text,
)
from domain.framework import DEFAULT_FRAMEWORK_PATH, load_framework
from domain.periods import parse_period
from domain.scoring import MeetingFacts, score_meeting
from storage.db import SessionFactory
from storage.score_service import score_tree
from tests.integration.test_metrics import AS_OF, _seed

BAD = """\
version: 1
name: {vi: "Sai", en: "Bad"}
criteria:
  - code: political
    name: {vi: a, en: a}
    max_points: 25
    good_threshold: 20
    indicators:
      - {code: P1, name: {vi: a, en: a}, metric: attendance_rate, points: 0,
         rule: {kind: linear, zero_at: 0.5, full_at: 1.0}}
      - {code: P1, name: {vi: b, en: b}, metric: nope, points: 5, rule: {kind: yes_no}}
meeting_rubric:
  sections:
    - code: prep
      name: {vi: a, en: a}
      max_points: 15
      items:
        - {code: pre, name: {vi: a, en: a}, metric: pre_meeting, points: 5,
           rule: {kind: yes_no}}
    - code: prep2
      name: {vi: a, en: a}
      max_points: 15
      items:
        - {code: pre, name: {vi: a, en: a}, metric: pre_meeting, points: 20,
           rule: {kind: yes_no}}
  bands: [{code: good, name: {vi: a, en: a}, min: 0}]
classification:
  bands: [{code: ok, name: {vi: a, en: a}, min: 10}]
"""


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRITERIA_FRAMEWORK", raising=False)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "vi")


def test_framework_check_of_a_bad_file_exits_2_with_every_error(
    bad_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["framework", "check", str(bad_file)]) == 2
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert lines[0].startswith(f"{bad_file}: ")
    for expected in [
        "criteria[0].indicators[0].points: must be greater than 0",
        "criteria[0].indicators[1].metric: unknown metric 'nope'",
        "meeting_rubric.sections[1].items[0].code: 'pre' is already used",
        "classification.bands[0].min: the last band must start at 0",
        "meeting_rubric.sections[1].items: points add up to 20, more than max_points 15",
    ]:
        assert any(line.strip().startswith(expected) for line in lines), (expected, lines)


def test_framework_check_of_the_default_is_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["framework", "check", str(DEFAULT_FRAMEWORK_PATH)]) == 0
    assert "OK" in capsys.readouterr().out


def test_framework_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["framework", "show", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Good execution of political tasks" in out and "Meeting rubric" in out
    assert main(["framework", "show"]) == 0
    assert "Chất lượng sinh hoạt tốt" in capsys.readouterr().out


def test_a_bad_active_framework_exits_2(
    bad_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRITERIA_FRAMEWORK", str(bad_file))
    assert main(["framework", "show"]) == 2
    assert main(["score", "--unit", "X", "--period", "2026"]) == 2
    assert "points: must be greater than 0" in capsys.readouterr().err


def test_a_bad_period_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["score", "--unit", "X", "--period", "2026-13"])
    assert info.value.code == 2
    assert "month 13" in capsys.readouterr().err


async def test_score_command_text_and_json(
    session_factory: SessionFactory,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await _seed(session_factory)
    monkeypatch.setenv("DATABASE_URL", db_url)
    base = ["score", "--period", "2026", "--as-of", AS_OF.isoformat()]

    assert await asyncio.to_thread(main, [*base, "--unit", "QN", "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "LH-01" in text and "HM-01" in text
    assert "No data" in text  # LH-02 sent nothing
    assert "Committee QN-BL-LH" in text

    assert await asyncio.to_thread(main, [*base, "--unit", "LH-01", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["cell"]["code"] for c in data["cells"]] == ["LH-01"]
    cell = data["cells"][0]
    assert cell["result"]["total"] is not None
    assert cell["metrics"]["members_at_risk"] == 1
    assert len(cell["top_improvements"]) == 3

    assert await asyncio.to_thread(main, [*base, "--unit", "NOPE"]) == 1
    assert "NOPE" in capsys.readouterr().err


# ---------------------------------------------------------------- catalogs and rendering


def _keys(lang: str) -> set[str]:
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "scoring.po").open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id and isinstance(m.id, str)}


def test_scoring_catalogs_have_the_same_keys() -> None:
    vi, en = _keys("vi"), _keys("en")
    assert vi == en and len(vi) > 40


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_everything_renders_without_missing_keys(
    lang: str, session_factory: SessionFactory
) -> None:
    await _seed(session_factory)
    fw = load_framework()
    async with session_factory() as s:
        report = await score_tree(s, fw, "QN", parse_period("2026"), as_of=AS_OF)
    facts = MeetingFacts(
        held=True,
        expected_count=10,
        present_count=6,
        absent_unexcused=4,
        dues_status="some",
        resolution_impl="partly",
        pre_meeting=False,
    )
    texts = [
        framework_text(fw, lang),
        report_text(fw, report, lang),
        meeting_text(fw, score_meeting(fw, facts), lang),
        meeting_text(fw, score_meeting(fw, MeetingFacts(held=False)), lang),
    ]
    for text in texts:
        assert "scoring." not in text, text
    meeting = texts[2]
    assert ("Nên cải thiện trước" if lang == "vi" else "To improve first") in meeting
    assert "60%" in meeting  # attendance 6/10, as Babel formats it in both languages


def _report_by_cell_text(fw: Any, report: Any, lang: str) -> str:
    """The report as `cell_text` and `committee_text` write it, line by line (the
    reference the report's parts, written from lines made once, must equal)."""
    lines = [
        t(
            lang,
            "scoring.report.header",
            unit=f"{report.unit_code} {report.unit_name}",
            period=period_label(report.period, lang),
            as_of=report.as_of.isoformat(),
        )
    ]
    if not report.cells:
        lines.append(t(lang, "scoring.report.empty"))
    for cell in report.cells:
        lines += ["", cell_text(fw, cell, lang)]
    kind = parse_period(report.period).kind
    names = {cell.cell.id: cell.cell.name for cell in report.cells}
    for committee in report.committees:
        lines += ["", committee_text(fw, committee, lang, kind, names)]
    return "\n".join(lines)


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_the_report_is_its_cells_texts(lang: str, session_factory: SessionFactory) -> None:
    """`report_text`/`report_parts` (lines looked up once made, reasons from the stored
    rows) write exactly what `cell_text` writes cell by cell, whatever the period, the
    part size, and whether the results' reasons were stored, read or not."""
    await _seed(session_factory)
    fw = load_framework()
    with_reasons = 0
    for period in ("2026", "2026-Q1", "2026-03"):
        async with session_factory() as s:
            report = await score_tree(s, fw, "QN", parse_period(period), as_of=AS_OF)
        async with session_factory() as s:
            lean = await score_tree(s, fw, "QN", parse_period(period), as_of=AS_OF, metrics=False)
        expected = _report_by_cell_text(fw, report, lang)  # reads every result's reasons
        with_reasons += sum(1 for c in report.cells if c.result.reasons)
        assert report_text(fw, lean, lang) == expected
        assert "".join(report_parts(fw, lean, lang, cells_per_part=1)) == expected
        assert report_text(fw, report, lang) == expected
    assert with_reasons  # the reasons were written
