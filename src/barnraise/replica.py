"""Database roles: the primary for everything, a PostgreSQL read replica for reads that opt in.

With `DATABASE_REPLICA_URL` set (PostgreSQL only), settings add the database alias `replica` and
`ReplicaRouter` decides per query. The default is the primary: a read goes to the replica only

- inside `replica_reads()` (a context manager and decorator that lag-tolerant code opts in with:
  search, public pages for visitors, metrics), and
- outside any transaction on the primary (`transaction.atomic`: a deal's step, a service that
  reads then writes), where a stale read could decide a write, and
- while the replica answers: if it cannot be reached, reads fall back to the primary (logged
  once per outage) and the replica is tried again after RETRY_SECONDS.

Writes always go to the primary; migrations run only there (the replica follows by streaming
replication). Hand-written SQL that should follow the same choice takes `read_connection()`
instead of `django.db.connection`.
"""

import logging
from collections.abc import Iterator
from contextlib import ContextDecorator, contextmanager
from contextvars import ContextVar
from threading import Lock
from time import monotonic
from types import TracebackType
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import Error as DatabaseError

REPLICA = "replica"
# How long reads stay on the primary after the replica could not be reached.
RETRY_SECONDS = 30.0

log = logging.getLogger(__name__)

_wanted: ContextVar[bool] = ContextVar("barnraise_replica_reads", default=False)
_down_until = 0.0
_down_lock = Lock()


def configured() -> bool:
    """Whether this deployment has a read replica (`DATABASE_REPLICA_URL`)."""
    return REPLICA in settings.DATABASES


class replica_reads(ContextDecorator):
    """Reads in this block (or decorated function) may go to the replica: for code that shows
    data and tolerates a little replication lag. Nests; `transaction.atomic` inside it still
    reads the primary."""

    def __init__(self) -> None:
        self._tokens: list[Any] = []

    def __enter__(self) -> "replica_reads":
        self._tokens.append(_wanted.set(True))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _wanted.reset(self._tokens.pop())


@contextmanager
def primary_reads() -> Iterator[None]:
    """Reads in this block go to the primary even inside `replica_reads()`."""
    token = _wanted.set(False)
    try:
        yield
    finally:
        _wanted.reset(token)


def _replica_answers() -> bool:
    """Connect to the replica (once per request, with Django's health check) or say it is down."""
    global _down_until
    if monotonic() < _down_until:
        return False
    replica = connections[REPLICA]
    try:
        replica.close_if_health_check_failed()
        replica.ensure_connection()
    except (DatabaseError, AssertionError) as exc:
        # AssertionError: a test that has not allowed the replica (Django refuses its queries).
        with _down_lock:
            first = monotonic() >= _down_until
            _down_until = monotonic() + RETRY_SECONDS
        if first:
            log.warning(
                "read replica unreachable, reading from the primary for %ss: %s",
                int(RETRY_SECONDS),
                type(exc).__name__,
            )
        return False
    return True


def read_alias() -> str:
    """The database alias a read here should use."""
    if not _wanted.get() or not configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA if _replica_answers() else DEFAULT_DB_ALIAS


def read_connection() -> BaseDatabaseWrapper:
    """The connection for a hand-written read, chosen as the router chooses for the ORM."""
    return connections[read_alias()]


def forget_outage() -> None:
    """Try the replica again at the next read (after an operator fixed it, or between tests)."""
    global _down_until
    with _down_lock:
        _down_until = 0.0


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads as `read_alias()` says, writes and migrations on the primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Both aliases hold the same rows: an object read from the replica may be related to
        # one read from the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
