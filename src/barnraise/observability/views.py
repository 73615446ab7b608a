"""`/metrics`: Prometheus's text format, for a scraper holding METRICS_TOKEN."""

import hmac
import os
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from barnraise.observability import multiprocess
from barnraise.observability.collector import StateCollector


def _authorized(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404  # no token configured: the endpoint does not exist
    if not _authorized(request, token):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(multiprocess.ENV):
        # Every process group's files on this host (serve's gunicorn workers, the worker).
        registry.register(_Files(Path(settings.METRICS_DIR)))
    else:
        registry.register(_InProcess())
    registry.register(StateCollector())
    return registry


class _Files:
    """The files of every process group on this host, merged into one family per metric
    (prometheus-client's MultiProcessCollector reads one directory)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def collect(self):  # type: ignore[no-untyped-def]  # prometheus-client's collector protocol
        files = [str(f) for directory in multiprocess.directories(self.root) for f in directory.glob("*.db")]
        return MultiProcessCollector.merge(files, accumulate=True)  # type: ignore[no-untyped-call]  # untyped


class _InProcess:
    """This process's own metrics (a single process: tests, `manage runserver`)."""

    def collect(self):  # type: ignore[no-untyped-def]  # prometheus-client's collector protocol
        return REGISTRY.collect()
