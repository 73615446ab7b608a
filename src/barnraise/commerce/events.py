"""The transaction event log as an outbox: numbered after commit, read by consumers.

Events are inserted without a number in the transaction that makes them. After commit, the
sequencer numbers every committed, unnumbered event in id order, holding a lock so that only
one sequencer runs at a time: numbers are global and gap-free, and a reader following
`?after=N` never misses an event that committed late. Consumers (notifications, webhooks…)
then read past their own position; delivery is at least once, keyed by the event's number.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from barnraise.commerce.models import EventConsumer, TransactionEvent

logger = logging.getLogger(__name__)

Consumer = Callable[[TransactionEvent], None]
_consumers: dict[str, Consumer] = {}
SEQUENCER_LOCK = 7_345_001  # a PostgreSQL advisory lock key of our own


def register_consumer(name: str, consumer: Consumer) -> None:
    _consumers[name] = consumer


def sequence_pending(batch: int = 1000) -> int:
    """Number committed events that have no number yet. Returns how many were numbered."""
    numbered = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEQUENCER_LOCK])
        # On SQLite the IMMEDIATE transaction already holds the single write lock.
        last = TransactionEvent.objects.aggregate(top=Max("sequence"))["top"] or 0
        pending = list(
            TransactionEvent.objects.filter(sequence=None).order_by("id").values_list("id", flat=True)[:batch]
        )
        for event_id in pending:
            last += 1
            TransactionEvent.objects.filter(id=event_id).update(sequence=last)
            numbered += 1
    return numbered


def dispatch(name: str, consumer: Consumer, batch: int = 200) -> int:
    """Feed `consumer` the numbered events past its position; advance it after each."""
    state, _created = EventConsumer.objects.get_or_create(name=name)
    events = TransactionEvent.objects.filter(sequence__gt=state.position).order_by("sequence")[:batch]
    count = 0
    related = ("transaction__listing", "transaction__customer", "transaction__provider")
    for event in events.select_related(*related):
        consumer(event)
        EventConsumer.objects.filter(name=name).update(position=event.sequence)
        count += 1
    return count


# At most one pump queued per process per window: a burst of commits shares one delayed pump,
# which runs after all of them. The worker's minute sweep catches anything left behind.
PUMP_WINDOW = 0.5
_pump_lock = threading.Lock()
_pump_queued_at = 0.0


def pump_soon() -> None:
    """After a commit: make sure a pump runs shortly. Cheap to call on every transition."""
    global _pump_queued_at
    from barnraise.commerce.tasks import events_pump

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
