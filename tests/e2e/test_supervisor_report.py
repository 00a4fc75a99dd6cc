"""`cellbot report`: the same figures as /summary, as text, JSON, CSV and XLSX."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sys
from pathlib import Path

import openpyxl

from bot.cli import build_parser
from bot.cli_report import build
from domain.framework import default_framework
from domain.periods import Period
from tests.e2e.test_supervisor_views import SUP_ABOVE, label, sv_driver, world
from tests.harness import Driver, texts

__all__ = ["sv_driver"]
CELLBOT = str(Path(sys.executable).with_name("cellbot"))


async def run_cli(db_url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": ""}
    proc = await asyncio.create_subprocess_exec(
        CELLBOT, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


def test_report_is_registered() -> None:
    args = build_parser().parse_args(["report", "--unit", "QN", "--period", "2026-Q2"])
    assert args.format == "text" and args.unit == "QN" and callable(args.func)


async def test_report_text_matches_summary(sv_driver: Driver, tmp_path: Path) -> None:
    w = await world(sv_driver)
    period = label(w.this)
    code, out, err = await run_cli(
        sv_driver.settings.database_url,
        "report",
        "--unit",
        "QN-BL",
        "--period",
        period,
        "--lang",
        "en",
    )
    assert code == 0, err
    assert "Reports: 2/3 (3 cells)" in out and "<b>" not in out
    bot_text = texts(await sv_driver.send(SUP_ABOVE, "/summary"))
    # The same figures as /summary: each child line's numbers appear in the report.
    for line in ("Đảng bộ xã Lục Hồn", "Đảng bộ xã Đồng Tâm", "Average reference score"):
        assert line in out and line in bot_text
    totals = next(x for x in bot_text.splitlines() if "Reports:" in x)
    assert totals.replace("<b>", "").replace("</b>", "") in out

    target = tmp_path / "report.xlsx"
    code, _, err = await run_cli(
        sv_driver.settings.database_url,
        "report",
        "--unit",
        "QN-BL",
        "--period",
        str(w.this.year),
        "--format",
        "xlsx",
        "--output",
        str(target),
    )
    assert code == 0, err
    assert openpyxl.load_workbook(target).sheetnames[0] == "Tổng hợp"

    code, _, err = await run_cli(
        sv_driver.settings.database_url, "report", "--unit", "NOPE", "--period", period
    )
    assert code == 1 and "no unit with code NOPE" in err
    code, _, err = await run_cli(
        sv_driver.settings.database_url, "report", "--unit", "QN", "--period", "May"
    )
    assert code == 2 and "--period" in err


async def test_report_json_and_csv(sv_driver: Driver) -> None:
    w = await world(sv_driver, onboard_all=False)
    period = Period("month", w.this.year, w.this.month)
    fw = default_framework()
    raw = await build(sv_driver.settings, fw, "QN-BL", period, "json", "en")
    assert raw is not None
    body = json.loads(raw)
    assert body["period"] == label(w.this)
    assert (body["total"]["submitted"], body["total"]["expected"]) == (2, 3)
    assert [c["code"] for c in body["children"]] == ["QN-BL-DT", "QN-BL-LH"]
    data = await build(sv_driver.settings, fw, "QN-BL", period, "csv", "en")
    assert data is not None
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Code", "Unit", "Cells", "Reported", "Expected"]
    assert rows[1][:5] == ["QN-BL", "Huyện ủy Bình Liêu", "3", "2", "3"]
    assert await build(sv_driver.settings, fw, "NOPE", period, "csv", "en") is None
