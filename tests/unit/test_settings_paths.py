"""Which .env is read, where the default database lives, and the warning for unknown keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import (
    Settings,
    SettingsError,
    load_settings,
    resolve_sqlite_url,
    unknown_keys,
    use_env_file,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No settings from the developer's shell; the per-user folder inside tmp_path."""
    import os

    for key in list(os.environ):
        if key.upper() in {n.upper() for n in Settings.model_fields} or key.startswith("CELLBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    yield
    use_env_file(None)


def quiet(**overrides: object) -> Settings:
    return load_settings(warn=lambda _line: None, **overrides)


def sqlite_file(settings: Settings) -> Path:
    path = settings.sqlite_path
    assert path is not None
    return path


def test_without_any_env_the_database_is_per_user_not_in_the_current_folder(
    tmp_path: Path,
) -> None:
    settings = quiet()
    assert sqlite_file(settings) == tmp_path / "xdg" / "cellbot" / "data" / "cellbot.db"
    assert settings.env_file is None and settings.default_database
    assert "per-user" in settings.why_home


def test_a_dotenv_in_the_current_folder_is_the_home(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEFAULT_LANGUAGE=en\n")
    settings = quiet()
    assert settings.default_language == "en"
    assert settings.env_file == tmp_path / ".env"
    assert sqlite_file(settings) == tmp_path / "data" / "cellbot.db"


def test_cellbot_home_wins_over_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("DEFAULT_LANGUAGE=en\n")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CELLBOT_HOME", str(home))
    settings = quiet()
    assert settings.env_file is None and settings.default_language == "vi"
    assert sqlite_file(settings) == home / "data" / "cellbot.db"
    (home / ".env").write_text("DATABASE_URL=sqlite+aiosqlite:///bot.db\n")
    settings = quiet()
    assert settings.env_file == home / ".env"
    assert sqlite_file(settings) == home / "bot.db" and not settings.default_database


def test_env_file_option_and_its_folder(tmp_path: Path) -> None:
    config = tmp_path / "etc"
    config.mkdir()
    (config / "cellbot.env").write_text("DEFAULT_LANGUAGE=en\n")
    use_env_file(config / "cellbot.env")
    settings = quiet()
    assert settings.default_language == "en"
    assert sqlite_file(settings) == config / "data" / "cellbot.db"
    use_env_file(tmp_path / "nope.env")
    with pytest.raises(SettingsError, match=r"--env-file .*nope\.env: no such file"):
        quiet()


def test_relative_sqlite_paths_follow_the_home_and_others_stay() -> None:
    home = Path("/srv/cellbot")
    assert resolve_sqlite_url("sqlite+aiosqlite:///data/x.db", home) == (
        "sqlite+aiosqlite:////srv/cellbot/data/x.db"
    )
    for unchanged in (
        "sqlite+aiosqlite:////abs/x.db",
        "sqlite+aiosqlite:///:memory:",
        "postgresql+asyncpg://u:p@h:5432/db",
    ):
        assert resolve_sqlite_url(unchanged, home) == unchanged


def test_keys_that_look_like_ours_get_one_warning_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        "TELEGRAM_BOT_TOKN=1\n"
        "DATABASE_URI=sqlite+aiosqlite:///x.db\n"
        "CELLBOT_SOMETHING=1\n"
        "log_levl=DEBUG\n"
        "POSTGRES_PASSWORD=compose-uses-this\n"  # someone else's: no warning
        "TIMEZONE=Asia/Ho_Chi_Minh\n"
    )
    monkeypatch.setenv("CELLBOT_HOMEE", "/x")
    monkeypatch.setenv("CELLBOT_TEST_NOW", "2027-01-01T00:30+07:00")  # the suite's own
    lines: list[str] = []
    load_settings(warn=lines.append)
    assert len(lines) == 5, lines
    joined = "\n".join(lines)
    for expected in (
        "TELEGRAM_BOT_TOKN is ignored (did you mean TELEGRAM_BOT_TOKEN?",
        "DATABASE_URI is ignored (did you mean DATABASE_URL?",
        "CELLBOT_SOMETHING is ignored",
        "log_levl is ignored (did you mean LOG_LEVEL?",
        "environment: unknown setting CELLBOT_HOMEE is ignored (did you mean CELLBOT_HOME?",
    ):
        assert expected in joined, (expected, lines)
    again: list[str] = []
    load_settings(warn=again.append)
    assert again == []  # once per process, not once per load


def test_env_example_names_every_setting_and_nothing_else() -> None:
    example = ROOT / ".env.example"
    assert unknown_keys(example) == []
    text = example.read_text()
    missing = [name.upper() for name in Settings.model_fields if f"{name.upper()}=" not in text]
    assert "#CELLBOT_HOME=" in text
    assert missing == [], "settings .env.example does not document"
