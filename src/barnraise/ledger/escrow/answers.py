"""Provider answers that move deals on: a capture's result and a card dispute's webhook each
become a `system` transition of the deal (`payment_captured`, `payment_failed`, `chargeback`)."""

import logging
from typing import Protocol

from barnraise.errors import DomainError
from barnraise.ledger import deals, payments, webhooks
from barnraise.ledger.models import (
    Payment,
    ProviderCall,
    ProviderCallStatus,
    ProviderOperation,
    ProviderWebhookEvent,
)
from barnraise.ledger.providers import CaptureStatus

logger = logging.getLogger(__name__)


class FailedCapture(Protocol):
    def __call__(self, call: ProviderCall, failure: object, *, key: str) -> None: ...


_failed_capture: list[FailedCapture] = []


def report(reference: str, name: str, notes: dict[str, object], *, key: str) -> None:
    """Move the deal by a system transition; a deal that moved on already is left alone."""
    try:
        deals.deal_move(reference=reference, transition=name, idempotency_key=key, notes=notes)
    except DomainError as refused:
        logger.warning("%s: %s not taken on %s: %s", key, name, reference, refused.code)


def on_capture(call: ProviderCall) -> None:
    result = call.result
    key = f"provider_call:{call.pk}"
    captured = call.status == ProviderCallStatus.SUCCEEDED and result.get("status") in (
        CaptureStatus.CAPTURED,
        CaptureStatus.DISPUTED,
    )
    if not captured:
        failure = result.get("failure_code") or result.get("error", {})
        if _failed_capture:  # escrow.lapse: a hold that lapsed is asked for again
            _failed_capture[0](call, failure, key=key)
        else:
            report(call.reference, "payment_failed", {"failure": failure}, key=key)
        return
    report(call.reference, "payment_captured", {"capture_id": result["id"]}, key=key)
    if result.get("status") == CaptureStatus.DISPUTED:
        report(call.reference, "chargeback", {}, key=f"{key}:chargeback")


def on_dispute_webhook(event: ProviderWebhookEvent) -> None:
    """A card dispute reported by the provider's webhook (Stripe's `charge.dispute.created`):
    the deal whose capture it names goes to `disputed`, once per event."""
    charge = (event.payload.get("data") or {}).get("object", {}).get("charge")
    payment = Payment.objects.filter(capture_id=charge).first() if charge else None
    if payment is None:
        logger.warning("dispute webhook %s names no known capture", event.event_id)
        return
    # The key the deal's chargeback has always been taken with (no provider call behind it).
    report(payment.reference, "chargeback", {}, key="provider_call:None")


def register(*, on_failed_capture: FailedCapture | None = None) -> None:
    """Called by LedgerConfig.ready(): the handlers of the provider's answers; a failed capture
    goes to `on_failed_capture` (escrow.lapse's), which fails the payment or not."""
    _failed_capture[:] = [on_failed_capture] if on_failed_capture else []
    payments.register_result_handler(ProviderOperation.CAPTURE, on_capture)
    webhooks.register_webhook_handler("charge.dispute.created", on_dispute_webhook)
