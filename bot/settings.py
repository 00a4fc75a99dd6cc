"""The one place that reads the environment and `.env`.

Where the settings come from, in order (see README "Settings"):

1. ``cellbot --env-file PATH``: that file; the home is its folder.
2. ``CELLBOT_HOME``: ``$CELLBOT_HOME/.env`` if there is one; the home is that folder.
3. a ``.env`` in the current folder (a checkout run with ``make run``): the home is that folder.
4. none of these: no file, and the home is the per-user data folder
   (``$XDG_DATA_HOME/cellbot``, by default ``~/.local/share/cellbot``).

The default database is ``<home>/data/cellbot.db`` and a relative SQLite path in
DATABASE_URL is taken relative to the home, never to the current folder: running `cellbot`
from another folder finds the same database, or says that there is none.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

TOKEN_PATTERN = re.compile(r"^\d{5,12}:[A-Za-z0-9_-]{30,50}$")
SUPPORTED_DB_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
SUPPORTED_LANGUAGES = ("vi", "en")
# Relative to the home folder (see the module's docstring), not to the current folder.
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/cellbot.db"
# Variables read outside Settings (tests, the migration environment, the CLI).
KNOWN_VARIABLES = frozenset(
    {
        "CELLBOT_HOME",
        "CELLBOT_DEBUG",
        "CELLBOT_TEST_DATABASE_URL",
        "CELLBOT_TEST_NOW",
        "CELLBOT_MIGRATION_TABLES",
    }
)
# A key starting like one of ours is taken for a misspelt setting, not someone else's.
OUR_PREFIXES = (
    "CELLBOT_",
    "TELEGRAM_",
    "DATABASE_",
    "REMINDER_",
    "DISPATCH_",
    "QUIET_",
    "WEBHOOK_",
    "INVITE_",
)


class SettingsError(Exception):
    """A configuration problem, already phrased for the person running the bot."""


class Settings(BaseSettings):
    # No env_file here: `load_settings` chooses it (a bare Settings() reads the environment).
    model_config = SettingsConfigDict(
        env_file=None, env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    cellbot_home: Path | None = None
    telegram_bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base_url: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    default_language: Literal["vi", "en"] = "vi"
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    criteria_framework: Path | None = None
    # Webhook mode (README "Running in production"); unset WEBHOOK_URL: long polling.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None  # checked in bot/webhook.py
    # Reminder tuning (see README "Reminders"); offsets in hours/days relative to the meeting.
    quiet_hours_start: int = Field(default=21, ge=0, le=23)
    quiet_hours_end: int = Field(default=7, ge=0, le=23)
    reminder_horizon_days: int = Field(default=40, ge=1, le=400)
    dispatch_interval_seconds: float = Field(default=30.0, gt=0)
    messages_per_second: float = Field(default=30.0, gt=0)
    # Updates handled at once (one chat's always in order); unset: 8.
    concurrent_updates: int | None = Field(default=None, ge=1, le=256)
    # Files sent after an update (minutes, reviews) written in a worker process (file_workers).
    file_worker_process: bool = True
    # Reminder offsets and dispatcher limits (schedules/; documented in README "Reminders").
    reminder_premeeting_days: int = Field(default=3, ge=1, le=14)
    reminder_morning_hour: int = Field(default=8, ge=0, le=23)
    reminder_eve_hour: int = Field(default=18, ge=0, le=23)
    reminder_soon_hours: float = Field(default=2.0, gt=0, le=24)
    reminder_checkin_after_hours: float = Field(default=2.0, gt=0, le=24)
    reminder_overdue_first_days: int = Field(default=3, ge=1, le=30)
    reminder_overdue_second_days: int = Field(default=7, ge=2, le=60)
    reminder_plan_interval_minutes: int = Field(default=60, ge=1, le=1440)
    dispatch_batch_size: int = Field(default=100, ge=1, le=1000)
    dispatch_max_attempts: int = Field(default=5, ge=1, le=50)
    dispatch_claim_timeout_seconds: int = Field(default=300, ge=30)
    # Failed invitation links per minute across all accounts before /start <token> pauses.
    invite_failures_per_minute: int = Field(default=30, ge=1, le=10_000)

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in re.split(r"[,\s]+", value.strip()) if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0]
        if scheme not in SUPPORTED_DB_SCHEMES:
            raise ValueError(
                f"unknown database scheme '{scheme}'; use one of {', '.join(SUPPORTED_DB_SCHEMES)}"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (e.g. Asia/Ho_Chi_Minh)") from None
        return value

    _env_file: Path | None = PrivateAttr(default=None)
    _source: str = PrivateAttr(default="the environment")
    _why_home: str = PrivateAttr(default="")
    _default_database: bool = PrivateAttr(default=False)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def env_file(self) -> Path | None:
        """The .env file these settings were read from, if any."""
        return self._env_file

    @property
    def source(self) -> str:
        """Where the settings came from, for messages: '/srv/cellbot/.env', or none."""
        return self._source

    @property
    def why_home(self) -> str:
        """How `cellbot_home` was chosen, for messages."""
        return self._why_home

    @property
    def default_database(self) -> bool:
        """True when DATABASE_URL was not set: the SQLite file under the home."""
        return self._default_database

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None for PostgreSQL (or an in-memory database)."""
        if not self.database_url.startswith("sqlite"):
            return None
        database = make_url(self.database_url).database
        return Path(database) if database and database != ":memory:" else None

    def require_token(self) -> str:
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram "
                f"(/newbot), then put its token in {self._env_file or '.env'} "
                "(copy .env.example)"
            )
        token = self.telegram_bot_token.get_secret_value()
        if not TOKEN_PATTERN.match(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is malformed: it looks like 123456789:AA... ; copy it "
                "again from @BotFather (/mybots -> API Token)"
            )
        return token


# ------------------------------------------------------------------------- where from


@dataclass(frozen=True)
class ConfigPaths:
    env_file: Path | None
    home: Path
    why_home: str  # for messages: how the home was chosen

    @property
    def source(self) -> str:
        return str(self.env_file) if self.env_file else "the environment, no .env file"


_env_file_option: Path | None = None
_warned: set[str] = set()


def use_env_file(path: Path | None) -> None:
    """`cellbot --env-file PATH`: read this file instead of looking for one."""
    global _env_file_option
    _env_file_option = path


def user_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "cellbot"


def config_paths() -> ConfigPaths:
    home_variable = os.environ.get("CELLBOT_HOME")
    home = Path(home_variable).expanduser().absolute() if home_variable else None
    if _env_file_option is not None:
        if not _env_file_option.is_file():
            raise SettingsError(
                f"--env-file {_env_file_option}: no such file (give the path of your .env)"
            )
        env_file = _env_file_option.absolute()
        if home is not None:
            return ConfigPaths(env_file, home, "CELLBOT_HOME")
        return ConfigPaths(env_file, env_file.parent, "the folder of --env-file")
    if home is not None:
        candidate = home / ".env"
        return ConfigPaths(candidate if candidate.is_file() else None, home, "CELLBOT_HOME")
    local = Path.cwd() / ".env"
    if local.is_file():
        return ConfigPaths(local, local.parent, "the folder of ./.env")
    return ConfigPaths(
        None,
        user_data_dir(),
        f"no .env in {Path.cwd()}, no CELLBOT_HOME or --env-file: the per-user default",
    )


def resolve_sqlite_url(url: str, home: Path) -> str:
    """A relative SQLite path in `url`, made absolute under `home`."""
    if not url.startswith("sqlite"):
        return url
    parsed = make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or Path(database).is_absolute():
        return url
    return parsed.set(database=str(home / database)).render_as_string(hide_password=False)


def unknown_keys(env_file: Path | None) -> list[str]:
    """Warnings for keys that look like cellbot settings but are none (typos, old names)."""
    fields = {name.upper() for name in Settings.model_fields}
    known = fields | KNOWN_VARIABLES
    found: list[tuple[str, str]] = []
    if env_file is not None:
        found += [(key, str(env_file)) for key in dotenv_values(env_file)]
    found += [(key, "environment") for key in os.environ if key.upper().startswith("CELLBOT_")]
    warnings = []
    for key, where in found:
        upper = key.upper()
        if upper in known:
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.8)
        if close or upper.startswith(OUR_PREFIXES):
            hint = f"did you mean {close[0]}? " if close else ""
            warnings.append(f"{where}: unknown setting {key} is ignored ({hint}see .env.example)")
    return warnings


def _stderr(line: str) -> None:
    print(f"cellbot: warning: {line}", file=sys.stderr)


def load_settings(warn: Callable[[str], None] = _stderr, **overrides: object) -> Settings:
    """Build settings from the chosen .env and the environment (see the module docstring),
    turning validation errors into one readable SettingsError. Unknown keys that look like
    ours are reported through `warn`, once per process."""
    paths = config_paths()
    where = f"{paths.env_file} or the environment" if paths.env_file else "the environment"
    try:
        settings = Settings(_env_file=paths.env_file, **overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]).upper() or "settings"
        message = str(err["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{field}: {message} (fix it in {where})") from None
    except ValueError as exc:
        raise SettingsError(f"ADMIN_TELEGRAM_IDS: {exc} (comma-separated numbers)") from None
    for line in unknown_keys(paths.env_file):
        if line not in _warned:
            _warned.add(line)
            warn(line)
    settings._default_database = "database_url" not in settings.model_fields_set
    settings._why_home = "CELLBOT_HOME" if settings.cellbot_home else paths.why_home
    home = (settings.cellbot_home or paths.home).expanduser().absolute()
    settings.cellbot_home = home
    settings.database_url = resolve_sqlite_url(settings.database_url, home)
    settings._env_file = paths.env_file
    settings._source = paths.source
    return settings
