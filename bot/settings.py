"""The one place that reads the environment and `.env`."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TOKEN_PATTERN = re.compile(r"^\d{5,12}:[A-Za-z0-9_-]{30,50}$")
SUPPORTED_DB_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
SUPPORTED_LANGUAGES = ("vi", "en")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/cellbot.db"


class SettingsError(Exception):
    """A configuration problem, already phrased for the person running the bot."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base_url: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    default_language: Literal["vi", "en"] = "vi"
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    criteria_framework: Path | None = None
    # Reminder tuning (see README "Reminders"); offsets in hours/days relative to the meeting.
    quiet_hours_start: int = Field(default=21, ge=0, le=23)
    quiet_hours_end: int = Field(default=7, ge=0, le=23)
    reminder_horizon_days: int = Field(default=40, ge=1, le=400)
    dispatch_interval_seconds: float = Field(default=30.0, gt=0)
    messages_per_second: float = Field(default=30.0, gt=0)
    # Updates handled at once (one chat's always in order); unset: 1 on SQLite, 8 otherwise.
    concurrent_updates: int | None = Field(default=None, ge=1, le=256)
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

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require_token(self) -> str:
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram "
                "(/newbot), then put its token in .env (copy .env.example)"
            )
        token = self.telegram_bot_token.get_secret_value()
        if not TOKEN_PATTERN.match(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is malformed: it looks like 123456789:AA... ; copy it "
                "again from @BotFather (/mybots -> API Token)"
            )
        return token


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable SettingsError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]).upper() or "settings"
        message = str(err["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{field}: {message} (fix it in .env or the environment)") from None
    except ValueError as exc:
        raise SettingsError(f"ADMIN_TELEGRAM_IDS: {exc} (comma-separated numbers)") from None
