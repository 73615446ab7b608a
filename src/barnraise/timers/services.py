"""Generic timers: database rows that a periodic sweeper fires once they are due.

A context registers its handler once, in its `AppConfig.ready()`, and schedules timers for it:

    timers.register_handler("reputation.reveal_reviews", reputation.services.reviews_reveal_due)
    timers.schedule(handler="reputation.reveal_reviews", target=f"transaction:{tx.id}", due_at=...)

`timer(...)` builds the row without saving it, for a caller that inserts it with rows of its own
(the engine schedules a process's time-triggered steps this way, under `commerce.timed_transition`).
`cancel_pending(target=...)` cancels what is still pending for a target.

The worker runs `sweep()` every minute (`timers.tasks.timers_sweep`). A lost queue message
never loses a timer: the row stays pending until the sweeper fires it. Firing is idempotent: a
timer is claimed with a conditional update before its handler runs, and the handler runs in the
same database transaction as the claim. A handler that fails rolls back with its claim; the
timer stays pending and is tried again by the next sweeps, and after `MAX_ATTEMPTS` it is left
`failed` (with its last error) for an operator.

A handler may also take its due timers together (`register_handler(..., batch=...)`): the
sweeper then claims up to `BATCH` of them in one transaction and hands them over at once, as
the ledger does to post many settlements in one batch (`ledger.settle_payment`). If that batch
fails, the sweeper rolls it back and fires its timers one by one, so one bad timer holds up no
other.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from barnraise.db import insert
from barnraise.timers.models import Timer

logger = logging.getLogger(__name__)

Handler = Callable[[Timer], None]
BatchHandler = Callable[[list[Timer]], None]
_handlers: dict[str, Handler] = {}
_batch_handlers: dict[str, BatchHandler] = {}
MAX_ATTEMPTS = 5
BATCH = 100  # timers per batch handler call and transaction


def register_handler(name: str, handler: Handler, *, batch: BatchHandler | None = None) -> None:
    """`handler` fires one timer; `batch`, if given, fires many at once (and must do for each
    exactly what `handler` does)."""
    _handlers[name] = handler
    if batch is not None:
        _batch_handlers[name] = batch
    else:
        _batch_handlers.pop(name, None)


def known_handlers() -> set[str]:
    return set(_handlers)


def schedule(*, handler: str, target: str, due_at: datetime, payload: dict[str, Any] | None = None) -> Timer:
    return insert(timer(handler=handler, target=target, due_at=due_at, payload=payload))


def timer(*, handler: str, target: str, due_at: datetime, payload: dict[str, Any] | None = None) -> Timer:
    """A timer to schedule, not yet saved (for a caller that inserts it with rows of its own)."""
    if handler not in _handlers:
        raise KeyError(f"no timer handler named {handler!r}")
    return Timer(handler=handler, target=target, due_at=due_at, payload=payload or {})


def cancel_pending(*, target: str, handler: str | None = None) -> int:
    pending = Timer.objects.filter(target=target, status=Timer.Status.PENDING)
    if handler:
        pending = pending.filter(handler=handler)
    return pending.update(status=Timer.Status.CANCELLED)


def fire(timer_id: Any, now: datetime | None = None) -> bool:
    """Fire one due timer. False if it was not pending (already fired, cancelled) or not due."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            claimed = Timer.objects.filter(pk=timer_id, status=Timer.Status.PENDING, due_at__lte=now).update(
                status=Timer.Status.FIRED, fired_at=now
            )
            if not claimed:
                return False
            timer = Timer.objects.get(pk=timer_id)
            _handlers[timer.handler](timer)
        return True
    except Exception as exc:  # a failing handler must not stop the sweep; it is retried
        logger.exception("timer %s failed", timer_id)
        timer = Timer.objects.get(pk=timer_id)
        attempts = timer.attempts + 1
        Timer.objects.filter(pk=timer_id).update(
            attempts=attempts,
            last_error=repr(exc)[:2000],
            status=Timer.Status.FAILED if attempts >= MAX_ATTEMPTS else Timer.Status.PENDING,
        )
        return False


def fire_batch(name: str, timer_ids: list[Any], now: datetime | None = None) -> int:
    """Fire these due timers of the batch handler `name` in one transaction; how many fired.
    A failing batch is rolled back and its timers fired one by one instead."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            # Locked (PostgreSQL) or under the write lock (SQLite): a concurrent sweep waits,
            # then finds them fired.
            timers = list(
                Timer.objects.select_for_update()
                .filter(pk__in=timer_ids, handler=name, status=Timer.Status.PENDING, due_at__lte=now)
                .order_by("pk")
            )
            if not timers:
                return 0
            Timer.objects.filter(pk__in=[t.pk for t in timers]).update(
                status=Timer.Status.FIRED, fired_at=now
            )
            _batch_handlers[name](timers)
        return len(timers)
    except Exception:
        logger.exception("a batch of %d %s timers failed; firing them one by one", len(timer_ids), name)
        return sum(1 for timer_id in timer_ids if fire(timer_id, now))


def sweep(now: datetime | None = None, limit: int = 500) -> int:
    """Fire every pending timer that is due, oldest first (those of a batch handler in
    batches). Returns how many fired."""
    now = now or timezone.now()
    due = list(
        Timer.objects.filter(status=Timer.Status.PENDING, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", "handler")[:limit]
    )
    fired = 0
    batched: dict[str, list[Any]] = {}
    for timer_id, handler in due:
        if handler in _batch_handlers:
            batched.setdefault(handler, []).append(timer_id)
        elif fire(timer_id, now):
            fired += 1
    for handler, ids in batched.items():
        for start in range(0, len(ids), BATCH):
            fired += fire_batch(handler, ids[start : start + BATCH], now)
    return fired
