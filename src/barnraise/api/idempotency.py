"""`Idempotency-Key` on every state-changing API call (POST), except /auth/* and /webhooks/*.

The first response is stored and replayed for the same key and body; the same key with a
different body gets 422 `idempotency_key_reused`; a retry while the first is still running
gets 409 `idempotency_in_progress`; 5xx responses are not stored; keys expire after 24 hours.
The commerce engine also records keys on transactions and events, so a retry after a crash
between commit and storing the response still cannot take a transition twice.
"""

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts.selectors import user_by_token
from barnraise.api.models import IdempotencyRecord

TTL = timedelta(hours=24)
# An in-progress record this old lost its process (killed mid-request, or its database went
# away): no request runs this long, since gunicorn ends a worker silent for 30 s. A retry then
# runs afresh; the engine's own keys on deals and steps still stop a second transition.
ABANDONED = timedelta(seconds=60)
MAX_KEY = 255


def honours(method: str, path: str) -> bool:
    """Whether a request to this path honours `Idempotency-Key` (a bearer token is needed too).
    Not sign-up and tokens, nor a provider's webhooks (its event id is the key)."""
    return (
        method == "POST"
        and path.startswith("/api/v1/")
        and not path.startswith(("/api/v1/auth/", "/api/v1/webhooks/"))
    )


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": None}}, status=status)


def _caller(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    user = user_by_token(raw=header[7:].strip())
    return str(user.pk) if user is not None else None


def _claim(scope: dict[str, str], body_hash: str) -> IdempotencyRecord | HttpResponse | None:
    """Insert the in-progress record; or return what answers a retry instead."""
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(**scope, body_hash=body_hash, created_at=now)
            return None
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(**scope).first()
            if record is None:
                continue
            stale = record.created_at < now - TTL or (
                record.status == IdempotencyRecord.Status.IN_PROGRESS and record.created_at < now - ABANDONED
            )
            if stale:
                record.delete()
                continue
            return record
    return _error(409, "idempotency_in_progress", _("A request with this key is being processed."))


def _replay(record: IdempotencyRecord, body_hash: str) -> HttpResponse:
    if record.body_hash != body_hash:
        return _error(422, "idempotency_key_reused", _("This key was used with a different request body."))
    if record.status != IdempotencyRecord.Status.DONE:
        return _error(409, "idempotency_in_progress", _("A request with this key is being processed."))
    response = HttpResponse(
        bytes(record.response_body or b""),
        status=record.response_status or 200,
        content_type=record.response_content_type or "application/json",
    )
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if key is None or not honours(str(request.method), request.path):
            return self.get_response(request)
        if not key or len(key) > MAX_KEY:
            return _error(400, "bad_request", _("Idempotency-Key must be 1 to 255 characters."))
        caller = _caller(request)
        if caller is None:
            return self.get_response(request)  # the endpoint answers 401 itself
        scope = {"caller": caller, "method": "POST", "path": request.get_full_path()[:500], "key": key}
        body_hash = hashlib.sha256(request.body).hexdigest()
        claimed = _claim(scope, body_hash)
        if isinstance(claimed, IdempotencyRecord):
            return _replay(claimed, body_hash)
        if isinstance(claimed, HttpResponse):
            return claimed
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyRecord.objects.filter(**scope).delete()
            raise
        if response.status_code >= 500 or response.streaming:
            IdempotencyRecord.objects.filter(**scope).delete()
            return response
        IdempotencyRecord.objects.filter(**scope).update(
            status=IdempotencyRecord.Status.DONE,
            response_status=response.status_code,
            response_body=response.content,
            response_content_type=response.get("Content-Type", ""),
        )
        return response


def records_expire() -> int:
    deleted, _detail = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - TTL).delete()
    return deleted
