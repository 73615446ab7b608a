"""What `/metrics` reads at scrape time, from the database and the queue: each a few indexed
counts, so a scrape costs the same on a young site and an old one (but the deal counts, below).

Reads tolerate lag: a replica would do for all of them.
"""

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from barnraise.commerce.models import Transaction
from barnraise.ledger.models import ProviderCall, ProviderCallStatus, ProviderWebhookEvent
from barnraise.observability.queue import ENVELOPE, task_name
from barnraise.timers.models import Timer

# The sweeper fires due timers every minute: one due for longer than this is late.
TIMER_LATE_AFTER = timedelta(minutes=2)
# How many of the next tasks in the queue are read for their names and ages.
QUEUE_WINDOW = 500


class StateCollector(Collector):
    """Gauges and counters computed from the state of the site, at each scrape."""

    def collect(self) -> Iterator[Any]:
        yield from _timers()
        yield from _provider_calls()
        yield from _webhooks()
        yield from _deals()
        yield from _queue()
        yield from _redis()


def _age(moment: Any) -> float:
    return max(0.0, (timezone.now() - moment).total_seconds()) if moment is not None else 0.0


def _timers() -> Iterator[Any]:
    now = timezone.now()
    due = Timer.objects.filter(status=Timer.Status.PENDING, due_at__lte=now).aggregate(
        due=Count("pk"), late=Count("pk", filter=Q(due_at__lte=now - TIMER_LATE_AFTER)), oldest=Min("due_at")
    )
    yield GaugeMetricFamily("barnraise_timers_due", "Timers due and not fired yet.", value=due["due"])
    yield GaugeMetricFamily(
        "barnraise_timers_late",
        f"Timers due for more than {int(TIMER_LATE_AFTER.total_seconds())} s and not fired.",
        value=due["late"],
    )
    yield GaugeMetricFamily(
        "barnraise_timers_oldest_due_age_seconds",
        "How long the longest-due timer has waited (0 if none).",
        value=_age(due["oldest"]),
    )


def _provider_calls() -> Iterator[Any]:
    pending = ProviderCall.objects.filter(status=ProviderCallStatus.PENDING).aggregate(
        n=Count("pk"), oldest=Min("updated_at")
    )
    failed = ProviderCall.objects.filter(status=ProviderCallStatus.FAILED).count()
    yield GaugeMetricFamily(
        "barnraise_provider_calls_pending", "Payment-provider calls not answered yet.", value=pending["n"]
    )
    yield GaugeMetricFamily(
        "barnraise_provider_calls_pending_oldest_age_seconds",
        "Since the oldest pending provider call was last tried (0 if none).",
        value=_age(pending["oldest"]),
    )
    yield CounterMetricFamily(
        "barnraise_provider_calls_failed",
        "Payment-provider calls that failed (declines, refusals), ever.",
        value=failed,
    )


def _webhooks() -> Iterator[Any]:
    pending = ProviderWebhookEvent.objects.filter(processed_at__isnull=True).aggregate(
        n=Count("pk"), oldest=Min("received_at")
    )
    yield GaugeMetricFamily(
        "barnraise_webhooks_pending", "Provider webhooks received and not processed yet.", value=pending["n"]
    )
    yield GaugeMetricFamily(
        "barnraise_webhooks_pending_oldest_age_seconds",
        "How long the oldest unprocessed webhook has waited (0 if none).",
        value=_age(pending["oldest"]),
    )


def _deals() -> Iterator[Any]:
    """Deals started and completed, per process (booking, purchase, request…)."""
    started = CounterMetricFamily(
        "barnraise_deals_started", "Deals started, per process.", labels=["process"]
    )
    completed = CounterMetricFamily(
        "barnraise_deals_completed", "Deals that reached `completed`, per process.", labels=["process"]
    )
    rows = (
        Transaction.objects.order_by()
        .values("process")
        .annotate(started=Count("pk"), completed=Count("pk", filter=Q(state="completed")))
    )
    for row in rows:
        started.add_metric([row["process"]], row["started"])
        completed.add_metric([row["process"]], row["completed"])
    yield started
    yield completed


def _queue() -> Iterator[Any]:
    """The task queue: how many wait, and for the next QUEUE_WINDOW, which and since when."""
    from huey.contrib.djhuey import HUEY

    storage = HUEY.storage
    yield GaugeMetricFamily(
        "barnraise_queue_depth", "Tasks waiting in the queue.", value=storage.queue_size()
    )
    yield GaugeMetricFamily(
        "barnraise_queue_scheduled",
        "Tasks scheduled to run later (retries, delays).",
        value=storage.schedule_size(),
    )
    waiting = GaugeMetricFamily(
        "barnraise_queue_tasks",
        f"Tasks waiting, per task, among the next {QUEUE_WINDOW} in the queue.",
        labels=["task"],
    )
    oldest = GaugeMetricFamily(
        "barnraise_queue_oldest_age_seconds",
        f"How long the oldest waiting task has waited, per task, among the next {QUEUE_WINDOW}.",
        labels=["task"],
    )
    counts: dict[str, int] = {}
    ages: dict[str, float] = {}
    now = time.time()
    for data in storage.enqueued_items(QUEUE_WINDOW):
        name, enqueued_at = _peek(HUEY, data)
        counts[name] = counts.get(name, 0) + 1
        ages[name] = max(ages.get(name, 0.0), now - enqueued_at if enqueued_at else 0.0)
    for name in sorted(counts):
        waiting.add_metric([name], counts[name])
        oldest.add_metric([name], max(0.0, ages[name]))
    yield waiting
    yield oldest


def _peek(queue: Any, data: bytes) -> tuple[str, float | None]:
    """A waiting message's task name and enqueue time (none for one from before the envelope)."""
    try:
        envelope = queue.serializer.deserialize(data)
    except Exception:  # a message this code cannot read: counted, not named
        return "unreadable", None
    if isinstance(envelope, dict) and envelope.get("envelope") == ENVELOPE:
        message, enqueued_at = envelope["message"], envelope.get("enqueued_at")
    else:
        message, enqueued_at = envelope, None
    return task_name(getattr(message, "name", "") or "", getattr(message, "args", None)), enqueued_at


def _redis() -> Iterator[Any]:
    """One round trip to Redis, timed, where Redis is configured."""
    if not settings.REDIS_URL:
        return
    import redis

    start = time.perf_counter()
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
        up, seconds = 1, time.perf_counter() - start
    except Exception:  # any connection error: Redis is down for this scrape
        up, seconds = 0, 0.0
    yield GaugeMetricFamily("barnraise_redis_up", "Whether Redis answered a ping at this scrape.", value=up)
    yield GaugeMetricFamily("barnraise_redis_ping_seconds", "Round trip of that ping.", value=seconds)
