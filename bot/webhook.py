"""Webhook mode: where Telegram sends updates, where this process listens, and the secret.

Behind a reverse proxy (nginx, Caddy) that terminates HTTPS: Telegram POSTs each update to
WEBHOOK_URL with the header X-Telegram-Bot-Api-Secret-Token; the proxy forwards the request,
path unchanged, to WEBHOOK_LISTEN:WEBHOOK_PORT, where PTB's webhook server (tornado) refuses
any request without the right secret (403) before it reaches a handler.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.settings import Settings, SettingsError

# What Telegram accepts as secret_token (setWebhook).
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass(frozen=True)
class Webhook:
    url: str  # public URL given to Telegram (setWebhook)
    listen: str
    port: int
    path: str  # the URL's path, served as is: the proxy forwards it unchanged
    secret: str
    secret_generated: bool  # none configured: a new random one for this run


def webhook_from(settings: Settings, url: str | None = None) -> Webhook | None:
    """The webhook to serve, or None for long polling. `url` (from --webhook) wins over
    WEBHOOK_URL."""
    url = url or settings.webhook_url
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingsError(
            f"webhook URL {url!r} is not a URL: give the public HTTPS address Telegram should "
            "call, e.g. https://bot.example.org/cellbot"
        )
    configured = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if configured and not SECRET_PATTERN.match(configured):
        raise SettingsError(
            "WEBHOOK_SECRET: use 1-256 characters A-Z, a-z, 0-9, _ and - (Telegram's rule), "
            "or leave it empty for a random one per start"
        )
    # Without a configured secret, a fresh one per run is as good: setWebhook registers it
    # with Telegram at every start.
    secret = configured or secrets.token_urlsafe(32)
    return Webhook(
        url=url,
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        path=parts.path.strip("/"),
        secret=secret,
        secret_generated=not configured,
    )
