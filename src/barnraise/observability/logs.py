"""Structured logs (structlog): one line per event, JSON under `barnraise serve` and `worker`
(LOG_FORMAT=json), human-readable in a terminal (LOG_FORMAT=console).

Every line carries what is bound to the context: the request id of the request (or task) that
did the work, and the task's name in the worker. structlog's own loggers and the standard
library's (Django, huey, the apps' `logging.getLogger`) go through the same processors, so a
line from either has the same shape.
"""

import logging
import re
import secrets
from typing import Any

import structlog
from structlog.typing import Processor

REQUEST_ID_HEADER = "X-Request-ID"
# What an incoming X-Request-ID may be (a proxy's id, a client's trace id): short, and no
# characters that could break a log line or a header.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
FORMATS = ("json", "console")


def request_id_from(raw: str | None) -> str | None:
    """An incoming request id if it is sane (8 to 128 of letters, digits and `._:-`), else None."""
    if raw and _REQUEST_ID.fullmatch(raw):
        return raw
    return None


def new_request_id() -> str:
    return secrets.token_hex(16)


def current_request_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def formatter(fmt: str) -> logging.Formatter:
    """The formatter every handler uses: one JSON object a line, or the console's columns."""
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        # Plain tracebacks: rich's would print every frame's local variables (passwords too).
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    processors: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if fmt == "json":
        processors.append(structlog.processors.format_exc_info)
    processors.append(renderer)
    return structlog.stdlib.ProcessorFormatter(foreign_pre_chain=_shared_processors(), processors=processors)


def configure(fmt: str) -> None:
    """Route structlog's loggers through the standard library's handlers (see `logging_config`)."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(fmt: str, level: str) -> dict[str, Any]:
    """Django's LOGGING: one handler on stderr with the chosen format."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": formatter, "fmt": fmt}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # Django's "Not Found: <path>" warnings repeat what the request line says, with the
            # raw path (which may hold a password-reset key); errors (5xx) still log.
            "django.request": {"level": "ERROR"},
            # Stripe's library logs each request's form data at DEBUG (payment method ids and
            # all): never below WARNING, whatever LOG_LEVEL says.
            "stripe": {"level": "WARNING"},
            # Given a handler here, run_huey adds none of its own (which would print plain lines,
            # and each line twice with propagation). WARNING is run_huey's --quiet; `barnraise
            # worker --verbose` lowers it.
            "huey": {"handlers": ["console"], "propagate": False, "level": "WARNING"},
        },
    }
