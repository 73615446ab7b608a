"""The kit's NinjaAPI: one error shape, the declared error responses, JSON bodies only.

Each context's router is mounted on an instance of it in `config/api.py` (as `config/urls.py`
mounts pages), so this kit imports no context's handlers."""

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as page_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from barnraise.api import strict
from barnraise.api.auth import bearer
from barnraise.api.idempotency import MAX_KEY, honours
from barnraise.errors import DomainError, InvalidInput, UnsupportedMediaType

logger = logging.getLogger(__name__)

# Every operation may answer with these; declared once here rather than on each endpoint.
STANDARD_ERRORS: dict[str, str] = {
    "400": "Malformed request (code `bad_request`; `unknown_time_zone` for a time zone that is not "
    "an IANA name).",
    "401": "Missing or invalid bearer token (code `not_authenticated`).",
    "403": "Not allowed (codes `permission_denied`, `email_unverified`, `member_suspended`).",
    "404": "Not found, or not visible to the caller, or a malformed id in the path (code `not_found`).",
    "413": "Body too large (code `body_too_large`).",
    "414": f"Query string longer than {settings.API_MAX_QUERY_STRING} characters (code `uri_too_long`).",
    "415": "The body is not JSON (code `unsupported_media_type`).",
    "422": "Invalid input; `details` names each field (codes `invalid`, `unknown_field` for a "
    "field or query parameter the operation does not take, `invalid_cursor`, "
    "`currency_not_supported`, `idempotency_key_reused`).",
    "429": "Rate limited; `details.retry_after` in seconds (code `rate_limited`).",
    "503": "Busy; retry after `details.retry_after` seconds (code `busy`).",
}


class BarnraiseAPI(NinjaAPI):
    """A NinjaAPI that answers every error in the one shape and declares it in OpenAPI. Bearer
    tokens and JSON bodies unless the caller says otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("auth", bearer)
        kwargs.setdefault("parser", JsonParser())
        super().__init__(**kwargs)
        for exception, handler in EXCEPTION_HANDLERS:
            self.add_exception_handler(exception, handler)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})
        if "ErrorOut" not in schema["components"]["schemas"]:
            from barnraise.api.schemas import ErrorOut

            schema["components"]["schemas"].update(
                ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {})
            )
            schema["components"]["schemas"]["ErrorOut"] = ErrorOut.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
        ref = {"$ref": "#/components/schemas/ErrorOut"}
        _declare_idempotency(schema, ref)
        for path in schema["paths"].values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                # ninja keys declared statuses by int; ours are str. One key per status.
                declared = {str(code) for code in responses}
                body = operation.get("requestBody", {}).get("content", {})
                for status, description in STANDARD_ERRORS.items():
                    if status in declared:
                        continue
                    if status == "401" and not operation.get("security"):
                        continue
                    if status in ("413", "415") and not body:
                        continue
                    if status == "414" and not _takes_query(operation):
                        continue
                    if status == "415" and "multipart/form-data" in body:
                        continue
                    responses[status] = {
                        "description": description,
                        "content": {"application/json": {"schema": ref}},
                    }
                if "multipart/form-data" in body:
                    _declare_upload_errors(responses, ref)
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        """ninja's URLs, answering a wrong method and an unknown path in the one error shape."""
        urls = super()._get_urls()
        strict.refuse_unknown_input(
            operation
            for bound in self._get_bound_routers()
            for view in bound.path_operations.values()
            for operation in view.operations
        )
        urls = _merge_shared_paths(urls)
        for pattern in urls:
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                pattern.callback = unknown_path  # ninja's root is an HTML 404 outside DEBUG
            elif isinstance(pattern, URLPattern):
                pattern.callback = _json_not_allowed(pattern.callback)
        urls.append(re_path(r"", unknown_path))
        return urls


def _merge_shared_paths(urls: list[URLResolver | URLPattern]) -> list[URLResolver | URLPattern]:
    """Routers of different contexts may share a path (GET /listings is search's, POST /listings
    catalog's). Django takes the first pattern that matches, so one pattern answers for all: each
    router's view is asked in turn and the first that takes the method answers."""
    merged: list[URLResolver | URLPattern] = []
    first: dict[str, URLPattern] = {}
    for pattern in urls:
        if not isinstance(pattern, URLPattern):
            merged.append(pattern)
            continue
        route = str(pattern.pattern)
        if route not in first:
            first[route] = pattern
            merged.append(pattern)
            continue
        pattern_views = getattr(first[route].callback, "shared_by", [first[route].callback])
        first[route].callback = _first_that_allows([*pattern_views, pattern.callback])
    return merged


def _first_that_allows(views: list[Callable[..., HttpResponse]]) -> Callable[..., HttpResponse]:
    @csrf_exempt  # as ninja's own views: the bearer token is not sent by browsers on their own
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allowed: set[str] = set()
        for candidate in views:
            response = candidate(request, *args, **kwargs)
            if not isinstance(response, HttpResponseNotAllowed):
                return response
            allowed.update(method.strip() for method in response["Allow"].split(","))
        return HttpResponseNotAllowed(sorted(allowed))

    view.shared_by = views  # type: ignore[attr-defined]  # read back when a third router joins
    return view


IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
    "description": "Any unique string (a UUID, say). A retry with the same key and body gets the "
    "first response again (header `Idempotent-Replayed: true`); the same key with another body is "
    "422 `idempotency_key_reused`; while the first is still running, 409 "
    "`idempotency_in_progress`. Keys are kept 24 hours, per caller.",
}


def _declare_idempotency(schema: dict[str, Any], ref: dict[str, str]) -> None:
    """The Idempotency-Key header, and its 409, on every operation that honours it."""
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if not operation.get("security") or not honours(method.upper(), path):
                continue
            operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            responses = operation.setdefault("responses", {})
            if "409" not in {str(code) for code in responses}:  # ninja keys its own by int
                responses["409"] = {
                    "description": "A request with this Idempotency-Key is still being processed "
                    "(code `idempotency_in_progress`).",
                    "content": {"application/json": {"schema": ref}},
                }


def _takes_query(operation: dict[str, Any]) -> bool:
    return any(parameter.get("in") == "query" for parameter in operation.get("parameters", []))


# The refusals every upload may meet, added to each multipart operation's 400 and 422.
UPLOAD_ERRORS = {
    "400": "An unreadable multipart body (code `malformed_multipart`).",
    "422": "An image over 25 megapixels, refused from its header (code `image_too_large`, "
    "`details.max_pixels`); a file that is not a whole JPEG, PNG, WebP or GIF (`invalid_image`).",
}


def _declare_upload_errors(responses: dict[Any, Any], ref: dict[str, str]) -> None:
    for status, description in UPLOAD_ERRORS.items():
        declared = responses.pop(int(status), None) or responses.get(status) or {}
        said = declared.get("description", "")
        responses[status] = {
            **declared,
            "description": f"{said.rstrip('.')}. {description}" if said else description,
            "content": {"application/json": {"schema": ref}},
        }


def _json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)  # keeps csrf_exempt and the other flags ninja set
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            message = _("Use one of: %(methods)s.") % {"methods": allowed}
            response = error_response(request, 405, "method_not_allowed", message, {"allow": allowed})
            response["Allow"] = allowed
        return response

    return wrapper


@csrf_exempt  # it changes nothing; a CSRF failure would answer an HTML 403 instead of this 404
def unknown_path(request: HttpRequest) -> HttpResponse:
    """Any other path under /api/v1/, and under /api/ (mounted in config.urls too)."""
    return error_response(request, 404, "not_found", _("There is no such API endpoint."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: JSON under /api/ (every API view is exempt: the bearer token is
    not sent by browsers on their own), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return error_response(request, 403, "permission_denied", _("The request was refused (CSRF)."))
    return page_csrf_failure(request, reason)


class JsonParser(Parser):
    """Bodies are JSON only. Anything else is refused, not guessed at: a `text/plain` or form
    body is what a cross-site form can send without a CORS preflight."""

    def parse_body(self, request: HttpRequest) -> Any:
        content_type = request.content_type or ""
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType()
        if b"\\u0000" in request.body:
            # PostgreSQL text cannot hold NUL; refuse it here rather than fail on write.
            raise InvalidInput(details={"body": [_("Text may not contain NUL characters.")]})
        return super().parse_body(request)


_renderer = JSONRenderer()


def error_response(
    request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    content = _renderer.render(
        request, {"error": {"code": code, "message": message, "details": details}}, response_status=status
    )
    response = HttpResponse(
        content, status=status, content_type=f"{_renderer.media_type}; charset={_renderer.charset}"
    )
    if isinstance(details, dict) and "retry_after" in details:
        response["Retry-After"] = str(details["retry_after"])
    return response


def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.details)


def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422 with `details` shaped like InvalidInput's: `{field: [messages]}`.

    The field is what the client sent (`email`, `limit`, `items.0.qty`); `body` when the body as a
    whole is wrong (not an object, missing). The code is `unknown_field` when any field is one the
    operation does not take (see api.strict), else `invalid`. A malformed id in the path is 404.
    """
    if any(err.get("loc", ())[:1] == ("path",) for err in exc.errors):
        # A malformed id names nothing that exists: the answer of an unknown id, not a 422.
        return on_not_found(request, Http404())
    details: dict[str, list[str]] = {}
    unknown = False
    for err in exc.errors:
        if err.get("type") == "json_invalid":
            return error_response(request, 400, "malformed_json", _("The body is not valid JSON."))
        loc = [str(part) for part in err.get("loc", ())]
        where = loc[0] if loc else "body"
        if where == "request":  # api.strict's check: ("request", "query" | "form" | "body", name)
            field = loc[2] or "body"
        else:
            # ninja nests a body under its parameter name: drop it so the field is what was sent.
            field = ".".join(loc[2:] if where == "body" else loc[1:]) or where
        message = str(err.get("msg", ""))
        if err.get("type") == strict.UNKNOWN:
            unknown = True
            message = _("Unknown field: this operation does not take it.")
        details.setdefault(field, []).append(message)
    if unknown:
        return error_response(request, 422, "unknown_field", _("Some fields are not known."), details)
    return error_response(request, 422, "invalid", _("Some fields are not valid."), details)


def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "not_authenticated", _("A valid bearer token is required."))


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, DomainError):  # raised by JsonParser while ninja parsed the body
        return on_domain_error(request, exc.__cause__)
    codes = {
        400: "bad_request",
        401: "not_authenticated",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "body_too_large",
        429: "rate_limited",
    }
    code = codes.get(exc.status_code, "error")
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return error_response(request, 400, "malformed_json", _("The body is not valid JSON."))
    return error_response(request, exc.status_code, code, str(exc))


def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    is_upload = request.content_type == "multipart/form-data"
    limit = settings.API_MAX_UPLOAD_BYTES if is_upload else settings.API_MAX_BODY_BYTES
    return error_response(
        request, 413, "body_too_large", _("The request body is too large."), {"limit": limit}
    )


def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """Django's own request guards (too many fields or files, a bad Host): a 400, not a 500."""
    return error_response(request, 400, "bad_request", _("The request could not be read."))


def on_malformed_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    """A multipart body Django cannot split (no boundary, a broken part): the client's fault."""
    message = _("The multipart/form-data body could not be read; send it with its boundary.")
    return error_response(request, 400, "malformed_multipart", message)


def on_operational_error(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    if "locked" in str(exc).lower() or "could not serialize" in str(exc).lower():
        return error_response(
            request, 503, "busy", _("The marketplace is busy; try again."), {"retry_after": 1}
        )
    return on_unexpected(request, exc)


def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(request, 500, "server_error", _("Something went wrong on our side."))


# What each exception becomes: a DomainError its own 4xx, everything else unexpected a 500.
EXCEPTION_HANDLERS: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
    (DomainError, on_domain_error),
    (ValidationError, on_validation_error),
    (AuthenticationError, on_authentication_error),
    (HttpError, on_http_error),
    (Http404, on_not_found),
    (RequestDataTooBig, on_too_big),
    (SuspiciousOperation, on_suspicious),
    (MultiPartParserError, on_malformed_multipart),
    (OperationalError, on_operational_error),
    (Exception, on_unexpected),
]
