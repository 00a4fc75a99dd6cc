"""Assembly: one builder for production and tests, handlers registered in a visible order."""

from __future__ import annotations

import logging
from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults
from telegram.request import BaseRequest

from bot.context import Services
from bot.conversation import register_command_guard
from bot.settings import Settings
from bot.update_processor import ChatOrderedUpdateProcessor, concurrency_for
from handlers import checkin, common, initiatives, onboarding, roster, schedule, supervisor
from schedules import jobs
from storage.db import SessionFactory, create_engine, create_session_factory, pool_size_for
from storage.framework import FrameworkError, load_framework
from storage.persistence import SQLPersistence

log = logging.getLogger(__name__)

# Feature modules, each with register(app); order matters inside group 0.
FEATURES: list[Any] = [checkin, roster, initiatives, schedule, supervisor, onboarding, common]


def build_application(
    settings: Settings,
    *,
    token: str | None = None,
    session_factory: SessionFactory | None = None,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    rate_limiter: AIORateLimiter | None = None,
    persistence_interval: float = 10,
) -> Application:  # type: ignore[type-arg]
    """The Application used by `cellbot run`, and by the tests with an offline request."""
    concurrency = concurrency_for(settings.database_url, settings.concurrent_updates)
    if session_factory is None:
        # A connection for each update handled at once (capped; see storage.db.POOL_MAX).
        url = settings.database_url
        engine = create_engine(url, pool_size=pool_size_for(concurrency, url))
        session_factory = create_session_factory(engine)
    builder = (
        ApplicationBuilder()
        .token(token or settings.require_token())
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                tzinfo=settings.tz,
            )
        )
        .persistence(SQLPersistence(session_factory, update_interval=persistence_interval))
        .rate_limiter(
            rate_limiter
            or AIORateLimiter(overall_max_rate=settings.messages_per_second, max_retries=3)
        )
        .post_init(_post_init)
        .concurrent_updates(ChatOrderedUpdateProcessor(concurrency))
    )
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
    if request is not None:
        builder = builder.request(request)
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    app = builder.build()
    services = Services(settings=settings, sessions=session_factory)
    app.bot_data["services"] = services
    try:
        # Parsed here, not by the first check-in submitted (0.3 s of YAML and validation).
        services.extras["framework"] = load_framework(settings.criteria_framework)
    except FrameworkError:
        log.exception("criteria framework unavailable: check-ins confirm without a score")
        services.extras["framework"] = None  # said once: the check-in does not try again
    register_command_guard(app)
    for feature in FEATURES:
        feature.register(app)
    common.register_fallbacks(app)
    app.add_error_handler(common.error_handler)
    jobs.install(app)
    return app


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    await common.set_default_commands(app)
