"""The deployment files are sound: compose.yaml (bot + PostgreSQL 15 with a volume), the
Dockerfile (slim, non-root, `cellbot run`, a health check the CLI has), the systemd units.

Offline: nothing here pulls an image. `docker compose config` and `systemd-analyze verify`
run when the tools are there and are skipped otherwise.
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_runs_the_bot_on_postgres_15_with_a_volume() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"bot", "db"}
    bot, db = services["bot"], services["db"]
    assert bot["build"] == "."
    assert bot["env_file"] == ".env"
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert bot["restart"] == "unless-stopped"
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://cellbot:")
    assert "@db:5432/cellbot" in bot["environment"]["DATABASE_URL"]
    assert db["image"] == "postgres:15"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume, target = db["volumes"][0].split(":", 1)
    assert target == "/var/lib/postgresql/data"
    assert volume in compose["volumes"]


def test_compose_config_validates_where_docker_compose_is_installed(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    if subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=1:x\nPOSTGRES_PASSWORD=secret\n")
    done = subprocess.run(
        [docker, "compose", "config", "--quiet"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_dockerfile_is_slim_non_root_and_runs_cellbot() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM (\S+)", text, flags=re.M)
    assert stages and all(image == "python:3.11-slim" for image in stages)
    users = re.findall(r"^USER (\S+)", text, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["cellbot"\]$', text, flags=re.M)
    assert re.search(r'^CMD \["run"\]$', text, flags=re.M)
    healthcheck = re.search(r"^HEALTHCHECK .*?CMD (\[.*?\])", text, flags=re.M | re.S)
    assert healthcheck is not None
    command = yaml.safe_load(healthcheck[1])
    assert command[0] == "cellbot"
    # The commands the image runs exist in the CLI.
    parser = build_parser()
    parser.parse_args(command[1:])
    parser.parse_args(["run"])
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and ".git" in ignored and ".venv" in ignored


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / name, encoding="utf-8")
    return unit


def test_systemd_unit_restarts_on_failure_and_is_hardened() -> None:
    unit = _unit("cellbot.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("/cellbot run")
    assert service["Restart"] == "on-failure"
    assert float(service["RestartSec"]) > 0
    assert service["RestartPreventExitStatus"] == "2"  # a configuration error: no loop
    assert service["User"] == "cellbot"
    assert service["EnvironmentFile"].startswith("/etc/cellbot/")
    for option in ("NoNewPrivileges", "ProtectSystem", "PrivateTmp", "ProtectHome"):
        assert service[option] in ("yes", "strict"), option
    assert "network-online.target" in unit["Unit"]["After"]
    backup = _unit("cellbot-backup.service")["Service"]
    assert "cellbot db backup" in backup["ExecStart"]
    build_parser().parse_args(["db", "backup", "x.backup"])


def test_systemd_units_verify_where_systemd_analyze_is_installed(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    names = ["cellbot.service", "cellbot-backup.service", "cellbot-backup.timer"]
    for name in names:
        text = (ROOT / "deploy" / name).read_text(encoding="utf-8")
        # The program is installed elsewhere on a server; verify checks it is executable.
        text = text.replace("/opt/cellbot/bin/cellbot", "/bin/true")
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", *(str(tmp_path / name) for name in names)],
        capture_output=True,
        text=True,
    )
    problems = [line for line in done.stderr.splitlines() if "cellbot" in line]
    assert done.returncode == 0 and not problems, done.stderr
