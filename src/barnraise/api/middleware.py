import os
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


class BodySizeLimitMiddleware:
    """Answer 413 before reading a body that is larger than allowed.

    JSON bodies may be up to API_MAX_BODY_BYTES; multipart uploads up to API_MAX_UPLOAD_BYTES.
    A chunked body (no Content-Length) is measured where the server has already buffered it
    (ASGI spools it to a file first); under WSGI Django reads no body without Content-Length.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if not length:
            length = buffered_size(request)
        is_upload = request.content_type == "multipart/form-data"
        limit = settings.API_MAX_UPLOAD_BYTES if is_upload else settings.API_MAX_BODY_BYTES
        if length > limit:
            return too_large_response(request, limit)
        return self.get_response(request)


class QueryStringLimitMiddleware:
    """Answer 414 `uri_too_long` to an API request whose query string is longer than
    API_MAX_QUERY_STRING, in the one error shape (the server's own 414 is an HTML page).
    Pages are left alone: a browser never sends a search form that long."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.API_MAX_QUERY_STRING
        if request.path.startswith("/api/") and len(request.META.get("QUERY_STRING", "")) > limit:
            message = _("The query string is longer than %(limit)d characters.") % {"limit": limit}
            body = {"error": {"code": "uri_too_long", "message": message, "details": {"limit": limit}}}
            return JsonResponse(body, status=414)
        return self.get_response(request)


def buffered_size(request: HttpRequest) -> int:
    """The size of a body the server has already buffered (ASGI's spooled file), else 0."""
    stream = getattr(request, "_stream", None)  # Django's own attribute; no public accessor
    if stream is None or not getattr(stream, "seekable", lambda: False)():
        return 0
    position = stream.tell()
    size = int(stream.seek(0, os.SEEK_END))
    stream.seek(position)
    return size


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    message = _("The request body is larger than %(limit)d bytes.") % {"limit": limit}
    if request.path.startswith("/api/"):
        body = {"error": {"code": "body_too_large", "message": message, "details": {"limit": limit}}}
        return JsonResponse(body, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
