"""Inbound payment-provider webhooks: verified, stored first, then processed in the worker.

1. `POST /api/v1/webhooks/payments/<provider>` calls `webhook_receive`. The provider's
   `webhook_event(body=…, headers=…)` verifies the signature (a bad one is 400
   `webhook_signature_invalid` and nothing is stored). The event is then inserted as a
   `ProviderWebhookEvent`, unique by (provider, event id). A redelivery loses that insert and is
   answered 200 as a duplicate, so it is never processed twice.
2. After commit, the task `ledger.tasks.webhook_event_run` calls `webhook_event_process`. It
   runs every handler registered for the event's type, outside any transaction, and then sets
   `processed_at`. If a handler raises, `attempts` and `last_error` record it and the event
   stays unprocessed.
3. `ledger.tasks.webhook_events_sweep` runs every minute and processes again the events left
   unprocessed for a minute, fewest attempts first.

Handlers are registered with `register_webhook_handler("charge.dispute.created", fn)`; `fn`
gets the stored `ProviderWebhookEvent`. A handler may run again after a crash or a failure of
another handler of the same event, so it must be idempotent: key its writes on
`(event.provider, event.event_id)`. Providers without webhooks (the sandbox, which reports a
dispute in the capture's answer) have no `webhook_event` method; their URL answers 404.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from barnraise.errors import DomainError, NotFound
from barnraise.ledger.models import ProviderWebhookEvent

logger = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 100

WebhookHandler = Callable[[ProviderWebhookEvent], None]
_handlers: dict[str, list[WebhookHandler]] = defaultdict(list)


class WebhookSignatureInvalid(DomainError):
    code = "webhook_signature_invalid"
    status = 400
    default_message = _("The webhook's signature is missing, wrong or too old.")


class WebhookPayloadInvalid(DomainError):
    code = "webhook_payload_invalid"
    status = 400
    default_message = _("The webhook's body is not an event.")


class WebhooksNotConfigured(NotFound):
    """The provider's events cannot be verified here (no signing secret is set): to the caller,
    as if the provider did not exist; the operator is told in the log which setting is missing."""

    default_message = _("There is no such payment provider.")


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """A verified event, as the provider sent it."""

    event_id: str
    type: str
    payload: dict[str, Any]


class WebhookVerifier(Protocol):
    def webhook_event(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent: ...


def register_webhook_handler(event_type: str, handler: WebhookHandler) -> None:
    """Call `handler(event)` for each stored event of `event_type` (e.g. "charge.dispute.created")."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def unregister_webhook_handler(event_type: str, handler: WebhookHandler) -> None:
    if handler in _handlers.get(event_type, []):
        _handlers[event_type].remove(handler)


def _verifier(provider_name: str) -> WebhookVerifier:
    from barnraise.ledger.providers import IMPLEMENTATIONS, provider

    if provider_name not in IMPLEMENTATIONS:
        raise NotFound(gettext("There is no such payment provider."))
    try:
        implementation = provider(provider_name)
    except ImproperlyConfigured as exc:
        raise NotFound(gettext("There is no such payment provider.")) from exc
    if not hasattr(implementation, "webhook_event"):
        raise NotFound(gettext("This payment provider sends no webhooks."))
    verifier: WebhookVerifier = implementation  # type: ignore[assignment]  # checked just above
    return verifier


def webhook_receive(
    *, provider_name: str, body: bytes, headers: Mapping[str, str]
) -> tuple[ProviderWebhookEvent, bool]:
    """Verify and store one delivery; return the event and whether it is new (not a redelivery)."""
    event = _verifier(provider_name).webhook_event(body=body, headers=headers)
    try:
        with transaction.atomic(durable=True):
            stored = ProviderWebhookEvent.objects.create(
                provider=provider_name, event_id=event.event_id, type=event.type, payload=event.payload
            )
            _enqueue(stored.pk)  # queued when this transaction commits
    except IntegrityError:  # a redelivery: the first one is stored (and processed) already
        return ProviderWebhookEvent.objects.get(provider=provider_name, event_id=event.event_id), False
    return stored, True


def _enqueue(event_pk: int) -> None:
    from barnraise.ledger.tasks import webhook_event_run  # the task module imports this one

    webhook_event_run.enqueue(event_pk)


def webhook_event_process(*, event_pk: int) -> ProviderWebhookEvent:
    """Run the handlers of one stored event, outside any transaction; safe to run again."""
    event = ProviderWebhookEvent.objects.get(pk=event_pk)
    if event.processed_at is not None:
        return event
    unprocessed = ProviderWebhookEvent.objects.filter(pk=event.pk, processed_at__isnull=True)
    try:
        for handler in list(_handlers.get(event.type, [])):
            handler(event)
    except Exception as exc:  # recorded; the sweeper runs the event again
        logger.exception("webhook handler failed for %s event %s", event.provider, event.event_id)
        unprocessed.update(attempts=F("attempts") + 1, last_error=repr(exc)[:2000])
    else:
        unprocessed.update(attempts=F("attempts") + 1, last_error="", processed_at=timezone.now())
    event.refresh_from_db()
    return event


def webhook_events_sweep() -> int:
    """Process again the events left unprocessed for a minute; returns how many were tried."""
    cutoff = timezone.now() - RETRY_AFTER
    waiting = list(
        ProviderWebhookEvent.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
        .order_by("attempts", "received_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for event_pk in waiting:
        webhook_event_process(event_pk=event_pk)
    return len(waiting)
