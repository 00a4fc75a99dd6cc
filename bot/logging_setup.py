"""Logging for `cellbot run`: one format, quiet libraries, and no secret in any output.

Redaction works on the *fully formatted* text of a record — message, exception text and stack
— because secrets hide in all three: httpx logs request URLs (which contain the bot token),
PTB puts the rejected token into the text of `InvalidToken`, and at DEBUG PTB logs whole
updates and API calls, including the `/start <invitation token>` a new user sent and the
webhook's secret token. A filter cleans each record before any handler sees it, and a
formatter cleans the final string again, so a handler added with its own formatter is
covered too.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import warnings
from collections import deque
from collections.abc import Iterable
from types import TracebackType

from telegram.error import NetworkError
from telegram.warnings import PTBUserWarning

from storage.invitations import hash_token

REDACTED = "<redacted>"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The argument of /start is an invitation token (deep link). It is cut wherever it appears:
# in a message text ('/start abc', "/start abc" in JSON), and in a t.me link (?start=abc).
_START_ARGUMENT = re.compile(r"(/start(?:@[A-Za-z0-9_]+)?[ \t]+)([^'\"\\\r\n}\]]+)")
_START_PARAMETER = re.compile(r"([?&]start(?:group)?=)([A-Za-z0-9_-]+)")
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")

# Libraries whose INFO lines are periodic noise or whose DEBUG lines carry data we do not log:
# APScheduler says "Running job"/"executed successfully" every tick; httpx/httpcore log each
# request; SQLAlchemy and aiosqlite log statements with their parameters (an invitation's
# hash among them); tornado logs every webhook request (refusals still come at WARNING).
_QUIET_ALWAYS = (
    "httpcore",
    "sqlalchemy",
    "aiosqlite",
    "asyncio",
    "tornado.access",
    "matplotlib",
    "PIL",
)
_QUIET_UNLESS_DEBUG = ("apscheduler", "httpx", "telegram")


class Redactor:
    """Replaces known secrets, /start arguments and their hashes in a text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._literals: list[str] = []
        # /start arguments seen so far and their hashes: the hash is what the database query
        # carries, logged after the update that revealed the argument.
        self._seen: deque[str] = deque(maxlen=512)
        self._lock = threading.Lock()
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, secret: str) -> None:
        if not secret:
            return
        with self._lock:
            for variant in {secret, secret.replace(":", "%3A")}:
                if variant not in self._literals:
                    self._literals.append(variant)
            # Longest first, so that a token is replaced whole before its secret half.
            self._literals.sort(key=len, reverse=True)

    def _remember(self, argument: str) -> None:
        first = argument.split()[0] if argument.split() else ""
        # Only what could be an invitation token (a deep-link payload): remembering "/start
        # afterwards" from a help text would blank that word in every later line.
        if not _TOKEN_SHAPE.fullmatch(first):
            return
        with self._lock:
            for value in (first, hash_token(first)):
                if value not in self._seen:
                    self._seen.append(value)

    def __call__(self, text: str) -> str:
        def start_argument(match: re.Match[str]) -> str:
            self._remember(match[2])
            return match[1] + REDACTED

        def start_parameter(match: re.Match[str]) -> str:
            self._remember(match[2])
            return match[1] + REDACTED

        text = _START_ARGUMENT.sub(start_argument, text)
        text = _START_PARAMETER.sub(start_parameter, text)
        with self._lock:
            literals = [*self._literals, *self._seen]
        for literal in literals:
            if literal in text:
                text = text.replace(literal, REDACTED)
        return text


class RedactingFilter(logging.Filter):
    """Rewrites a record so that no handler can output a secret.

    Also turns network errors into one line: a Telegram outage is an expected condition whose
    traceback says nothing (and would repeat at every retry); at DEBUG the traceback stays.
    """

    def __init__(self, redact: Redactor, *, keep_network_tracebacks: bool = False) -> None:
        super().__init__()
        self._redact = redact
        self._keep_network_tracebacks = keep_network_tracebacks
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: show the raw parts, redacted
            message = f"{record.msg!r} % {record.args!r}"
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, NetworkError) and not self._keep_network_tracebacks:
            message = f"{message} ({type(exc).__name__}: {exc})"
            record.exc_info, record.exc_text = None, None
        elif record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        record.msg, record.args = self._redact(message), None
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


class RedactingFormatter(logging.Formatter):
    """The last line of defence: redacts the string a handler is about to write."""

    def __init__(self, redact: Redactor, fmt: str = LOG_FORMAT) -> None:
        super().__init__(fmt)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


def configure_logging(level: str, secrets: Iterable[str]) -> Redactor:
    """Log to stderr at `level`, with every secret in `secrets` redacted; returns the redactor
    so that secrets known later (a generated webhook secret) can be added."""
    redact = Redactor(secrets)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(redact))
    handler.addFilter(RedactingFilter(redact, keep_network_tracebacks=level == "DEBUG"))
    root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET_ALWAYS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _QUIET_UNLESS_DEBUG:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    # Alembic: keep the "Running upgrade a -> b" lines (real events), drop its two lines of
    # preamble said at every start.
    logging.getLogger("alembic.runtime.migration").addFilter(_drop_alembic_preamble)
    # Conversations are deliberately tracked per chat and user (per_message=False) with
    # buttons inside: stale buttons are answered by the handlers. PTB warns about that
    # combination once per handler at start-up; it is expected, so it is filtered here.
    warnings.filterwarnings("ignore", message=r"If 'per_message=False'", category=PTBUserWarning)
    # Any other warning becomes one redacted log line instead of a block on stderr.
    logging.captureWarnings(True)
    _install_excepthooks()
    return redact


def _drop_alembic_preamble(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(("Context impl", "Will assume"))


def _install_excepthooks() -> None:
    """Uncaught exceptions (a thread, a failure in interpreter shutdown) go through logging,
    hence through redaction, and never as a raw traceback on stderr."""
    log = logging.getLogger("cellbot")

    def excepthook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        log.critical("unexpected error: %s: %s", kind.__name__, value)
        log.debug("traceback of the unexpected error", exc_info=(kind, value, tb))

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
