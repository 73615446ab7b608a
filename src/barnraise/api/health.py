"""Liveness (`/health`: the process answers and reaches its database) and readiness
(`/health/ready`: everything a request may need answers: the database, Redis when REDIS_URL is
set, and the storages, on the local disk or an object store). A load balancer takes an app host
out of rotation on a failed readiness check; an orchestrator restarts a process only on a failed
liveness check."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Router, Schema, Status

from barnraise import object_storage
from barnraise.api.schemas import ErrorOut
from barnraise.ids import uuid7

logger = logging.getLogger(__name__)

router = Router(tags=["health"])

OK = "ok"
FAILED = "failed"
PROBE = b"barnraise readiness probe\n"


class HealthOut(Schema):
    status: str
    database: str
    version: str


class ReadyOut(Schema):
    status: str
    checks: dict[str, str]


@router.get("/health", auth=None, response=HealthOut, summary="Liveness and database check")
def health(request: object) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "database": connection.vendor, "version": settings.VERSION}


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def _storage(alias: str) -> Callable[[], None]:
    """On an object store, one HEAD of the bucket (it answers, and these credentials may use
    it); on the local disk, write, read back and delete a small probe file."""

    def check() -> None:
        storage = storages[alias]
        if object_storage.is_object_store(storage):
            object_storage.check_bucket(storage)
            return
        name = storage.save(f"readiness/{uuid7()}.txt", ContentFile(PROBE))
        try:
            with storage.open(name, "rb") as handle:
                if handle.read() != PROBE:
                    raise OSError("the probe read back differs from what was written")
        finally:
            storage.delete(name)

    return check


def _checks() -> dict[str, Callable[[], None]]:
    checks = {"database": _database}
    if settings.REDIS_URL:
        checks["redis"] = _redis
    checks["storage"] = _storage("default")
    checks["private_storage"] = _storage("private")
    return checks


# The names the answer may carry, for the message: never an address or an error's text.
NAMES = {
    "database": gettext_lazy("the database"),
    "redis": gettext_lazy("Redis"),
    "storage": gettext_lazy("the storage"),
    "private_storage": gettext_lazy("the private storage"),
}


@router.get(
    "/health/ready",
    auth=None,
    response={200: ReadyOut, 503: ErrorOut},
    summary="Readiness: the database, Redis (when configured) and the storages",
    openapi_extra={
        "responses": {
            503: {
                "description": "Not ready (code `not_ready`): `details.checks` says `ok` or `failed` "
                "for each check; or busy (code `busy`)."
            }
        }
    },
)
def ready(request: HttpRequest) -> Status[dict[str, object]]:
    results: dict[str, str] = {}
    for name, check in _checks().items():
        try:
            check()
        except Exception:  # any failure of a dependency means "not ready"; the log keeps it
            logger.warning("readiness check %s failed", name, exc_info=True)
            results[name] = FAILED
        else:
            results[name] = OK
    failed = [name for name, status in results.items() if status == FAILED]
    if failed:
        message = _("Not ready: %(failed)s failed.") % {"failed": ", ".join(str(NAMES[n]) for n in failed)}
        return Status(
            503, {"error": {"code": "not_ready", "message": message, "details": {"checks": results}}}
        )
    return Status(200, {"status": "ready", "checks": results})
