"""Generic timers: database rows that a periodic sweeper fires once they are due.

Any context schedules one with a handler it registered:

    timers.register_handler("trust.reveal_reviews", trust.services.reviews_reveal_due)
    timers.schedule(handler="trust.reveal_reviews", target=f"transaction:{tx.id}", due_at=..., payload={})

A lost queue message never loses a timer: the row stays pending until the sweeper fires it.
Firing is idempotent: a timer is claimed with a conditional update before its handler runs,
and the handler runs in the same database transaction as the claim.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from barnraise.commerce.models import Timer

logger = logging.getLogger(__name__)

Handler = Callable[[Timer], None]
_handlers: dict[str, Handler] = {}
MAX_ATTEMPTS = 5


def register_handler(name: str, handler: Handler) -> None:
    _handlers[name] = handler


def schedule(*, handler: str, target: str, due_at: datetime, payload: dict[str, Any] | None = None) -> Timer:
    if handler not in _handlers:
        raise KeyError(f"no timer handler named {handler!r}")
    return Timer.objects.create(handler=handler, target=target, due_at=due_at, payload=payload or {})


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


def sweep(now: datetime | None = None, limit: int = 500) -> int:
    """Fire every pending timer that is due, oldest first. Returns how many fired."""
    now = now or timezone.now()
    due = list(
        Timer.objects.filter(status=Timer.Status.PENDING, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for timer_id in due if fire(timer_id, now))
