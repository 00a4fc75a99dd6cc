"""Assembly: one builder for production and tests, handlers registered in a visible order."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import file_workers
from bot.context import Ctx, Services
from bot.conversation import CANCEL_FILTER, end_open_conversations, ignore_edit
from bot.replies import files_sent
from bot.settings import Settings
from bot.update_processor import ChatOrderedUpdateProcessor, concurrency_for
from domain.framework import FrameworkError, load_framework
from handlers import (
    access,
    access_invite,
    access_revoke,
    brief,
    candidates,
    checkin,
    common,
    initiatives,
    member_find,
    minutes,
    onboarding,
    review_committee,
    review_year,
    roster,
    schedule,
    supervisor_broadcast,
    supervisor_cell,
    supervisor_export,
    supervisor_initiatives,
    supervisor_missing,
    supervisor_proposals,
    supervisor_ranking,
    supervisor_review,
    supervisor_summary,
    thematic,
)
from handlers.access import PREFIX as AC
from handlers.supervisor_common import PREFIX as SV
from schedules import jobs
from storage.db import SessionFactory, create_engine, create_session_factory, pool_size_for
from storage.persistence import SQLPersistence

log = logging.getLogger(__name__)

Handler = BaseHandler[Update, Ctx, Any]
PRIVATE = filters.ChatType.PRIVATE


def guards() -> list[Handler]:
    """Group -1, run before every other group."""
    return [
        # An edited message (an edited command included) is stopped here: answers are taken
        # once, as first sent.
        MessageHandler(filters.UpdateType.EDITED, ignore_edit),
        # Any command but /cancel ends the conversations the user has open, then goes on.
        MessageHandler(filters.COMMAND & ~CANCEL_FILTER, end_open_conversations),
    ]


def handlers() -> list[Handler]:
    """Group 0, in the order PTB tries them: within a group only the first handler that
    matches an update runs, so a conversation waiting for typed text comes before the
    commands and buttons of other features, and the fallbacks come last."""
    return [
        # Secretaries: the meeting check-in (/checkin, every ci: button, reminders' "report").
        checkin.conversation(),
        # Secretaries: the month's minutes and resolution as DOCX (/minutes, the mn: cell picker).
        CommandHandler("minutes", minutes.minutes_command, filters=PRIVATE),
        CallbackQueryHandler(minutes.minutes_button, pattern=rf"^{minutes.PREFIX}:"),
        # Secretaries: the chi ủy's pre-meeting brief (/brief, the bf: buttons, the
        # pre-meeting reminder's "📋") and the thematic plan (/thematic, tp: and typed topics).
        CommandHandler("brief", brief.brief_command, filters=PRIVATE),
        CallbackQueryHandler(brief.brief_button, pattern=rf"^{brief.PREFIX}:"),
        CommandHandler("thematic", thematic.thematic_command, filters=PRIVATE),
        thematic.conversation(),
        # Secretaries: the annual review (/review_year, ry: buttons and typed notes).
        CommandHandler("review_year", review_year.review_year_command, filters=PRIVATE),
        review_year.conversation(),
        # The cell's members: /members, the m: buttons and the names typed after them.
        CommandHandler("members", roster.members_command, filters=PRIVATE),
        # /member <name>: one member's card by part of the name (its buttons are the m: ones).
        CommandHandler("member", member_find.member_command, filters=PRIVATE),
        roster.conversation(),
        # Candidates for admission: /candidates, the cd: buttons and the names and days typed
        # after them; supervisors' counts per unit (sv:cdu:, scope-checked).
        CommandHandler("candidates", candidates.candidates_command, filters=PRIVATE),
        candidates.conversation(),
        CallbackQueryHandler(candidates.unit_button, pattern=rf"^{SV}:{candidates.SV_ACTION}:"),
        # Initiatives: /initiatives, the in: buttons and their typed answers.
        CommandHandler("initiatives", initiatives.initiatives_command, filters=PRIVATE),
        initiatives.conversation(),
        # Meeting schedules and reminders: /schedule, /reminders, sc: and rm: buttons.
        schedule.conversation(),
        # Supervisors (sv: buttons; every one re-checks the caller's scope).
        CommandHandler("summary", supervisor_summary.summary_command, filters=PRIVATE),
        CallbackQueryHandler(
            supervisor_summary.summary_button, pattern=rf"^{SV}:{supervisor_summary.ACTION}:"
        ),
        CommandHandler("missing", supervisor_missing.missing_command, filters=PRIVATE),
        CallbackQueryHandler(
            supervisor_missing.missing_button, pattern=rf"^{SV}:{supervisor_missing.ACTION}:"
        ),
        CallbackQueryHandler(
            supervisor_missing.nudge_button, pattern=rf"^{SV}:{supervisor_missing.NUDGE}:"
        ),
        CommandHandler("cell", supervisor_cell.cell_command, filters=PRIVATE),
        CallbackQueryHandler(
            supervisor_cell.cell_button, pattern=rf"^{SV}:{supervisor_cell.ACTION}:"
        ),
        CommandHandler("proposals", supervisor_proposals.proposals_command, filters=PRIVATE),
        CallbackQueryHandler(
            supervisor_proposals.proposals_button,
            pattern=rf"^{SV}:{supervisor_proposals.ACTION}:",
        ),
        CallbackQueryHandler(
            supervisor_proposals.full_button, pattern=rf"^{SV}:{supervisor_proposals.FULL}:"
        ),
        CommandHandler("ranking", supervisor_ranking.ranking_command, filters=PRIVATE),
        CallbackQueryHandler(
            supervisor_ranking.ranking_button, pattern=rf"^{SV}:{supervisor_ranking.ACTION}:"
        ),
        CommandHandler("export", supervisor_export.export_command, filters=PRIVATE),
        CommandHandler("chart", supervisor_export.chart_command, filters=PRIVATE),
        CallbackQueryHandler(
            supervisor_export.export_button, pattern=rf"^{SV}:{supervisor_export.EXPORT}:"
        ),
        CallbackQueryHandler(
            supervisor_export.chart_button, pattern=rf"^{SV}:{supervisor_export.CHART}:"
        ),
        supervisor_broadcast.conversation(),
        CallbackQueryHandler(supervisor_broadcast.confirm_button, pattern=rf"^{SV}:bc(ok|no)(:|$)"),
        CallbackQueryHandler(supervisor_broadcast.report_button, pattern=rf"^{SV}:bcr:"),
        # Supervisors: the cells' annual reviews, the cap check, confirmations (rc: buttons).
        CommandHandler("reviews", review_committee.reviews_command, filters=PRIVATE),
        CallbackQueryHandler(
            review_committee.reviews_button, pattern=rf"^{review_committee.PREFIX}:"
        ),
        supervisor_review.conversation(),
        CommandHandler("review", supervisor_review.review_command, filters=PRIVATE),
        CommandHandler("lock", supervisor_review.lock_command, filters=PRIVATE),
        CommandHandler("unlock", supervisor_review.unlock_command, filters=PRIVATE),
        CallbackQueryHandler(supervisor_review.queue_button, pattern=rf"^{SV}:rvq:"),
        CallbackQueryHandler(supervisor_review.open_button, pattern=rf"^{SV}:rv:"),
        CallbackQueryHandler(supervisor_review.approve_button, pattern=rf"^{SV}:rva:"),
        CallbackQueryHandler(supervisor_review.lock_button, pattern=rf"^{SV}:lock(ok|no)?(:|$)"),
        CallbackQueryHandler(supervisor_review.unlock_button, pattern=rf"^{SV}:unl:"),
        CallbackQueryHandler(
            supervisor_initiatives.initiatives_button,
            pattern=rf"^{SV}:{supervisor_initiatives.ACTION}:",
        ),
        # Access management: /access and the ac: buttons (each re-checks the caller's scope,
        # and storage.access re-checks the right to invite, revoke or cancel).
        CommandHandler("access", access.access_command, filters=PRIVATE),
        CallbackQueryHandler(access.unit_button, pattern=rf"^{AC}:{access.UNIT}:"),
        CallbackQueryHandler(access.history_button, pattern=rf"^{AC}:{access.HISTORY}:"),
        CallbackQueryHandler(access_invite.invite_button, pattern=rf"^{AC}:i:"),
        CallbackQueryHandler(access_invite.bulk_button, pattern=rf"^{AC}:b:"),
        CallbackQueryHandler(access_invite.bulk_confirm_button, pattern=rf"^{AC}:bok:"),
        CallbackQueryHandler(access_invite.cancel_button, pattern=rf"^{AC}:c:"),
        CallbackQueryHandler(access_revoke.revoke_button, pattern=rf"^{AC}:r:"),
        CallbackQueryHandler(access_revoke.revoke_confirm_button, pattern=rf"^{AC}:rok:"),
        # Joining: /start with an invitation token (a /start without one is a fallback).
        CommandHandler("start", onboarding.start_with_token, filters=PRIVATE, has_args=True),
        # Everyone: help, who am I, language.
        CommandHandler("help", common.help_command, filters=PRIVATE),
        CommandHandler("whoami", common.whoami, filters=PRIVATE),
        CommandHandler("language", common.language_command, filters=PRIVATE),
        CallbackQueryHandler(common.language_chosen, pattern=r"^lang:"),
        CallbackQueryHandler(common.noop_button, pattern=r"^noop$"),
        # Fallbacks, last: they answer exactly the updates nothing above took.
        CommandHandler("start", common.start_without_token, filters=PRIVATE),
        CommandHandler("cancel", common.cancel_outside, filters=PRIVATE),
        MessageHandler(filters.COMMAND & PRIVATE, common.unknown_command),
        MessageHandler(filters.ALL & PRIVATE & ~filters.COMMAND, common.stray_text),
        CallbackQueryHandler(common.stale_button),
    ]


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
        engine = create_engine(
            url, pool_size=pool_size_for(concurrency, url), background_checkpoints=True
        )
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
        .post_stop(_post_stop)
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
    app.add_handlers(guards(), group=-1)
    app.add_handlers(handlers(), group=0)
    app.add_error_handler(common.error_handler)
    jobs.install(app)
    file_workers.configure(settings.file_worker_process)
    return app


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    await common.set_default_commands(app)


async def _post_stop(app: Application) -> None:  # type: ignore[type-arg]
    # Files still being written and sent after their update (minutes) go out before the bot
    # shuts its connection; then their worker process ends.
    await files_sent()
    await asyncio.to_thread(file_workers.shutdown)
