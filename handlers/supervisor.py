"""Placeholder replaced by the feature's own module; registers nothing yet."""

from __future__ import annotations

from telegram.ext import Application


def register(app: Application) -> None:  # type: ignore[type-arg]
    return None
