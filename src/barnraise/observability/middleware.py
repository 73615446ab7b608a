"""One log line and one measurement per request, under a request id that follows the work."""

from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from barnraise.observability import logs, metrics

log = structlog.get_logger("barnraise.requests")
UNMATCHED = "unmatched"  # the route of a request no URL pattern took (or a middleware answered)


class RequestObservationMiddleware:
    """First in MIDDLEWARE, so that every answer is seen, the early 413/414 ones too.

    Takes a sane incoming X-Request-ID (a proxy's) or makes one, binds it to the context of
    this request (so every log line and every task it enqueues carries it) and returns it in
    the answer's header. The line names the route (the URL pattern that matched, never the
    path or its query string, which may hold a key or a token) and the member's id.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = (
            logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER)) or logs.new_request_id()
        )
        structlog.contextvars.clear_contextvars()  # a thread serves many requests
        structlog.contextvars.bind_contextvars(request_id=request_id)
        start = metrics.monotonic()
        try:
            response = self.get_response(request)
            seconds = metrics.monotonic() - start
            response[logs.REQUEST_ID_HEADER] = request_id
            route = route_of(request)
            if settings.METRICS_TOKEN:
                metrics.observe_request(request.method or "", route, response.status_code, seconds)
            log.info(
                "request",
                method=request.method,
                route=route,
                status=response.status_code,
                duration_ms=round(seconds * 1000, 2),
                user_id=_user_id(request),
            )
            return response
        finally:
            structlog.contextvars.clear_contextvars()


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return str(match.route) if match is not None and match.route else UNMATCHED


def _user_id(request: HttpRequest) -> str | None:
    """The member's id if the request was authenticated (token or session), without loading
    a session the view did not read."""
    user: Any = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", user)  # the lazy session user, if the view read it
    if wrapped is empty or wrapped is None or not getattr(wrapped, "is_authenticated", False):
        return None
    return str(wrapped.pk)
