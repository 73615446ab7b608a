"""The log's sequencer and its consumers: numbered after commit, read in order.

Events are inserted without a number in the transaction that makes them. After commit, the
sequencer numbers every committed, unnumbered event of every source of the log in one
sequence, holding a lock so that only one sequencer runs at a time: numbers are global and
gap-free, and a reader following `?after=N` never misses an event that committed late (on
PostgreSQL a sequence value would be taken at insert, not at commit). Consumers
(notifications, reputation…) then read past their own position; delivery is at least once,
keyed by the event's number.

A source is a model with `id`, a unique nullable `sequence` and `created_at`: `Event`, and the
deals' `commerce.TransactionEvent`, which commerce registers (a deal's transition writes one
row, its own; see docs/architecture.md "One event log").
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from barnraise.eventlog.models import EventConsumer

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)
SEQUENCER_LOCK = 7_345_001  # a PostgreSQL advisory lock key of our own


@dataclass(frozen=True)
class Source:
    model: type[Model]
    related: tuple[str, ...]  # what a consumer of this source reads with each event


@dataclass(frozen=True)
class Consumer:
    source: type[Model]
    read: Callable[[Any], None]


_sources: dict[type[Model], Source] = {}
_consumers: dict[str, Consumer] = {}


def register_source(model: type[Model], *, related: tuple[str, ...] = ()) -> None:
    """`model`'s rows are entries of the log, numbered by this sequencer."""
    _sources[model] = Source(model, related)


def register_consumer(name: str, consumer: Callable[[M], None], *, source: type[M]) -> None:
    """After commit, `consumer` is fed the numbered rows of `source`, in order, once each
    (at least once: it must be idempotent). `name` keeps its position in the log."""
    if source not in _sources:
        raise LookupError(f"{source.__name__} is not a source of the event log")
    _consumers[name] = Consumer(source, consumer)


def _top() -> int:
    tops = [
        source.model._default_manager.aggregate(top=Max("sequence"))["top"] for source in _sources.values()
    ]
    return max((top for top in tops if top is not None), default=0)


def sequence_pending(batch: int = 1000) -> int:
    """Number committed events that have no number yet. Returns how many were numbered."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEQUENCER_LOCK])
        # On SQLite the IMMEDIATE transaction already holds the single write lock.
        last = _top()
        pending: list[tuple[Any, int, int, type[Model]]] = []
        for rank, source in enumerate(_sources.values()):
            rows = (
                source.model._default_manager.filter(sequence=None)
                .order_by("id")
                .values_list("created_at", "id")[:batch]
            )
            pending += [(created_at, rank, pk, source.model) for created_at, pk in rows]
        pending.sort(key=lambda row: row[:3])
        for _created_at, _rank, pk, model in pending[:batch]:
            last += 1
            model._default_manager.filter(id=pk).update(sequence=last)
    return min(len(pending), batch)


def dispatch(name: str, consumer: Consumer, batch: int = 200) -> int:
    """Feed `consumer` the numbered events past its position; advance it after each."""
    state, _created = EventConsumer.objects.get_or_create(name=name)
    source = _sources[consumer.source]
    events = source.model._default_manager.filter(sequence__gt=state.position).order_by("sequence")
    count = 0
    for event in events.select_related(*source.related)[:batch]:
        consumer.read(event)
        EventConsumer.objects.filter(name=name).update(position=event.sequence)  # type: ignore[attr-defined]  # a source has one
        count += 1
    return count


# At most one pump queued per process per window: a burst of commits shares one delayed pump,
# which runs after all of them. The worker's minute sweep catches anything left behind.
PUMP_WINDOW = 0.5
_pump_lock = threading.Lock()
_pump_queued_at = 0.0


def pump_soon() -> None:
    """After a commit: make sure a pump runs shortly. Cheap to call on every change."""
    global _pump_queued_at
    from barnraise.eventlog.tasks import events_pump

    if settings.HUEY.get("immediate"):
        events_pump.enqueue()  # tests: run now, deterministically
        return
    now = time.monotonic()
    with _pump_lock:
        if now - _pump_queued_at < PUMP_WINDOW:
            return
        _pump_queued_at = now
    run_after = timezone.now() + timedelta(seconds=PUMP_WINDOW)
    events_pump.using(run_after=run_after).enqueue()


def pump() -> None:
    """Sequence, then feed every consumer. Safe to run concurrently and repeatedly."""
    while sequence_pending():
        pass
    for name, consumer in _consumers.items():
        try:
            while dispatch(name, consumer):
                pass
        except Exception:  # one consumer failing must not stop the others; it retries later
            logger.exception("event consumer %s failed", name)
