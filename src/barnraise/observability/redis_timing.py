"""Every Redis command of the cache and of the task queue, timed (docs/deployment.md, "Seeing it run").

redis-py has no hook around a command, but it lets a connection pool take the class of its
connections: the settings give both the cache (Django's RedisCache passes its OPTIONS to the
pool) and huey's RedisHuey (its connection parameters) a connection class from
`connection_class`, which times from sending a command to reading its answer into
`barnraise_redis_command_duration_seconds`, by client (cache or queue) and command name. Only
where METRICS_TOKEN is set: otherwise the settings keep redis-py's own classes.

The hot path is a `perf_counter()` at each end and one observation on a child histogram looked
up once per (client, command). Commands sent in a pipeline (several at once, `set_many`) are
not timed one by one: they never pass `send_command`. Blocking commands (huey's BRPOP when its
queue is empty) count the time they waited.
"""

import time
from typing import Any

from prometheus_client import Histogram
from redis.connection import Connection, SSLConnection, UnixDomainSocketConnection

from barnraise.observability.metrics import QUERY_BUCKETS

REDIS_COMMAND_DURATION = Histogram(
    "barnraise_redis_command_duration_seconds",
    "Time of one Redis command, from sending it to reading its answer, by client (cache or "
    "queue) and command.",
    ["client", "command"],
    buckets=(*QUERY_BUCKETS[:-1], 1.0, 2.5),
)
CLIENTS = ("cache", "queue")
_children: dict[tuple[str, str], Any] = {}


def _observer(client: str, command: Any) -> Any:
    """The histogram child of one command, made once (labels() takes a lock each time)."""
    name = command.decode() if isinstance(command, bytes) else str(command)
    key = (client, name.upper())
    child = _children.get(key)
    if child is None:
        child = _children[key] = REDIS_COMMAND_DURATION.labels(*key)
    return child


class _Timed:
    """Times the answer to the command sent last. Mixed in before one of redis-py's classes."""

    metrics_client = "cache"
    _pending: tuple[Any, float] | None = None

    def send_command(self, *args: Any, **kwargs: Any) -> None:
        # The clock starts before sending, the pending answer is set after: a health check's
        # PING sent (and answered) inside send_command is timed on its own.
        started = time.perf_counter()
        super().send_command(*args, **kwargs)  # type: ignore[misc]
        if args:
            self._pending = (_observer(self.metrics_client, args[0]), started)

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().read_response(*args, **kwargs)  # type: ignore[misc]
        finally:
            pending, self._pending = self._pending, None
            if pending is not None:
                pending[0].observe(time.perf_counter() - pending[1])


_CLASSES: dict[tuple[str, type], type] = {}


def connection_class(url: str, client: str) -> type[Connection | UnixDomainSocketConnection]:
    """The timed connection class for a pool of `url` (redis://, rediss:// or unix://), its
    commands counted under `client`."""
    if client not in CLIENTS:
        raise ValueError(f"client must be one of {CLIENTS}")
    base: type[Connection | UnixDomainSocketConnection] = Connection
    if url.startswith("rediss://"):
        base = SSLConnection
    elif url.startswith("unix://"):
        base = UnixDomainSocketConnection
    key = (client, base)
    if key not in _CLASSES:
        name = f"Timed{base.__name__}{client.title()}"
        _CLASSES[key] = type(name, (_Timed, base), {"metrics_client": client, "__module__": __name__})
    return _CLASSES[key]


def cache_options(url: str) -> dict[str, Any]:
    """OPTIONS for Django's RedisCache at `url` (passed on to its connection pool)."""
    return {"connection_class": connection_class(url, "cache")}


def queue_connection(url: str) -> dict[str, Any]:
    """The connection parameters of huey's RedisHuey for `url`: the URL's parts (huey takes a
    URL or parameters, not both) and the timed class."""
    from redis.connection import parse_url

    return {**parse_url(url), "connection_class": connection_class(url, "queue")}  # type: ignore[no-untyped-call]
