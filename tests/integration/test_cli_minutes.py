"""`cellbot minutes --unit CODE --period YYYY-MM --output DIR [--lang vi|en]`, run as a user
runs it: the two DOCX files written and reopened, and each failure one line with its exit
code."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document

from domain import clock
from domain.periods import add_months, month_label
from storage.db import SessionFactory
from tests.e2e.test_minutes import RESOLUTION, TZ, insert_submitted
from tests.factories import small_org
from tests.integration.cli_run import call, run_all


def _text(path: Path) -> str:
    doc = Document(io.BytesIO(path.read_bytes()))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        lines += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(lines)


async def test_cli_minutes(tmp_path: Path, db_url: str, session_factory: SessionFactory) -> None:
    org = await small_org(session_factory, members_per_cell=4)
    month = add_months(clock.today(TZ).replace(day=1), -1)
    away = await insert_submitted(session_factory, org.cells["C01"], month, absent=2)
    period, empty = month_label(month), month_label(add_months(month, -1))
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")

    def minutes(*args: str) -> tuple[str, ...]:
        return ("minutes", *args)

    cell = ("--unit", "QN-BL-LH-C01")
    runs = {
        "vi": minutes(*cell, "--period", period, "--output", str(tmp_path / "vi")),
        "en": minutes(*cell, "--period", period, "--output", str(tmp_path / "en"), "--lang", "en"),
        "empty": minutes(*cell, "--period", empty, "--output", str(tmp_path / "x")),
        "unknown": minutes("--unit", "NOPE", "--period", period, "--output", str(tmp_path)),
        "district": minutes("--unit", "QN-BL", "--period", period, "--output", str(tmp_path)),
        "quarter": minutes(*cell, "--period", "2026-Q1", "--output", str(tmp_path)),
        "file": minutes(*cell, "--period", period, "--output", str(a_file)),
        "deep": minutes(*cell, "--period", period, "--output", str(tmp_path / "no" / "such")),
    }
    done = dict(
        zip(
            runs,
            run_all([call(tmp_path, *args, DATABASE_URL=db_url) for args in runs.values()]),
            strict=True,
        )
    )

    vi = done["vi"]
    assert vi.returncode == 0, vi.stderr
    written = [Path(line) for line in vi.stdout.splitlines()]
    assert [p.name for p in written] == [
        f"bien-ban-QN-BL-LH-C01-{period}.docx",
        f"nghi-quyet-QN-BL-LH-C01-{period}.docx",
    ]
    minutes_text, resolution_text = (_text(p) for p in written)
    assert "CHI BỘ THÔN BẢN PẮT" in minutes_text and "ĐẢNG BỘ XÃ LỤC HỒN" in minutes_text
    for name, kind in away.items():
        label = "vắng có lý do" if kind == "excused" else "vắng không có lý do"
        assert f"Đồng chí {name}: {label}" in minutes_text
    assert RESOLUTION.splitlines()[0] in resolution_text and "T/M CHI BỘ" in resolution_text

    en = done["en"]
    assert en.returncode == 0, en.stderr
    assert [Path(line).name.split("-")[0] for line in en.stdout.splitlines()] == [
        "minutes",
        "resolution",
    ]
    assert "COMMUNIST PARTY OF VIET NAM" in _text(Path(en.stdout.splitlines()[0]))

    expected = {
        "empty": (1, "no submitted check-in of a held meeting"),
        "unknown": (1, "no unit with code NOPE"),
        "district": (2, "not a cell"),
        "quarter": (2, "give a month as YYYY-MM"),
        "file": (2, "not a folder"),
        "deep": (2, "no such folder"),
    }
    for key, (code, words) in expected.items():
        result = done[key]
        assert result.returncode == code, (key, result)
        assert len(result.errors) == 1 and words in result.errors[0], (key, result.stderr)
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()  # nothing made when there is nothing to write
