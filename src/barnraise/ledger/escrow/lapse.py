"""A hold that lapses at the card's bank before it is captured (booking v4).

Most cards hold an authorization for 7 days (`authorization_window()`). When a hold lapses
uncaptured, the provider lets the money go: Stripe cancels the PaymentIntent
(`cancellation_reason: "automatic"`, reported by the `payment_intent.canceled` webhook), the
sandbox when its clock passes the hold's end or when `SandboxProvider.authorization_expire`
is called; a capture tried after it fails with `authorization_expired`. Nothing was posted for
the hold (an authorization is a promise, not money), so nothing is posted when it lapses: the
payment goes back to `scheduled`, as a booking paid nearer the date, and the deal asks for the
money again (`hold_lapsed`):

- on a request (`requested`): with a saved card of the customer's that is the lapsed hold's
  card, the card is kept and held again once the provider accepts (`accept_ahead`, then the
  v3 timer); without one, the customer is asked to pay again (`payment_renewal`, 2 days);
- after the provider accepted (`payment_pending`, a capture asked or failed): the saved card
  is held again off-session (`request_saved_authorization`), once; otherwise, or when that
  hold lapses too, the customer confirms a new payment (`payment_action_needed`, 2 days).

A deal of an older version has none of these steps: a capture that failed on a lapsed hold
fails its payment as before (`payment_failed`).
"""

import logging
from typing import Any

from django.utils.translation import gettext as _

from barnraise.errors import Conflict, DomainError
from barnraise.ledger import deals, webhooks
from barnraise.ledger.escrow.answers import report
from barnraise.ledger.escrow.scheduled import SAVED_CARD_PREFIXES, customer_of
from barnraise.ledger.escrow.settlement import payment_of, payment_save
from barnraise.ledger.models import (
    Payment,
    PaymentStatus,
    ProviderCall,
    ProviderWebhookEvent,
)
from barnraise.ledger.providers import ProviderRefused, ProviderUnavailable, provider

logger = logging.getLogger(__name__)

# A payment whose money is held, or was until it lapsed, and not taken.
HELD = (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURE_PENDING, PaymentStatus.CAPTURE_FAILED)
# The steps a lapse takes, by whether a saved card can be held again: on a request, then after
# the provider accepted. The first the deal's state allows is taken.
STEPS = {
    True: ("request_hold_lapsed", "hold_lapsed"),
    False: ("request_hold_lapsed_pay_again", "hold_lapsed_pay_again"),
}


def release_lapsed_hold(ctx: deals.Step) -> None:
    """The hold lapsed uncaptured: the bank let the money go, and nothing was posted for it.
    The payment waits for money again (`scheduled`), on the saved card the notes name
    (`saved_card`) or on none (the customer pays again)."""
    payment = payment_of(ctx.tx)
    if ctx.dry_run or payment is None:
        return
    if payment.status not in HELD:
        raise Conflict(_("The payment for this deal is not held."))
    saved = ctx.notes.get("saved_card") or {}
    payment_save(
        payment,
        ctx.now,
        status=PaymentStatus.SCHEDULED,
        authorization_id="",
        payment_method=str(saved.get("method_id", ""))[:64],
        lapses=payment.lapses + 1,
    )


def _saved_card(payment: Payment) -> dict[str, str] | None:
    """The customer's saved card that held the lapsed payment: the deal's own saved card, or
    one saved with the same brand and last four digits (`visa:…4242`, `card:…4242`). None when
    there is none, or when one was held again after a lapse already (asked once only)."""
    customer = customer_of(payment.payer_id)
    if payment.lapses or customer is None:
        return None
    try:
        cards = provider().saved_methods(customer_id=customer.external_id)
    except (ProviderRefused, ProviderUnavailable):
        return None
    method = payment.payment_method
    brand, _sep, last4 = method.partition(":…")
    for card in cards:
        same = (
            card.id == method
            if method.startswith(SAVED_CARD_PREFIXES)
            else (card.last4 == last4 and brand in (card.brand, "card"))
        )
        if same:
            return {"method_id": card.id, "label": f"{card.brand} …{card.last4}"}
    return None


def hold_lapsed(*, authorization_id: str, key: str) -> bool:
    """The provider says the hold `authorization_id` lapsed: the deal asks for the money again
    (module docstring). Outside any transaction (it may ask the provider for the customer's
    cards). False when no deal took it: an unknown or finished hold, or an older version."""
    payment = Payment.objects.filter(authorization_id=authorization_id).first() if authorization_id else None
    if payment is None or payment.status not in HELD:
        return False
    saved = _saved_card(payment)
    notes: dict[str, Any] = {"lapsed_authorization": authorization_id}
    if saved:
        notes["saved_card"] = saved
    for name in STEPS[saved is not None]:
        try:
            deals.deal_move(reference=payment.reference, transition=name, idempotency_key=key, notes=notes)
        except DomainError:
            continue
        return True
    logger.info("%s: the lapsed hold of %s moves no deal", key, payment.reference)
    return False


def on_canceled_webhook(event: ProviderWebhookEvent) -> None:
    """Stripe's `payment_intent.canceled`: one it cancelled because the authorization expired
    (`cancellation_reason: "automatic"`) is a lapsed hold; our own voids are not."""
    intent = (event.payload.get("data") or {}).get("object") or {}
    if intent.get("cancellation_reason") != "automatic":
        return
    hold_lapsed(authorization_id=str(intent.get("id") or ""), key=f"webhook:{event.event_id}")


def on_failed_capture(call: ProviderCall, failure: object, *, key: str) -> None:
    """A capture's failure: a hold that lapsed asks for the money again where the deal's
    version can; anything else fails the payment. The failure of a capture of a hold the
    payment no longer has (it lapsed, and the money is held again) changes nothing."""
    held = call.payload.get("authorization_id", "")
    payment = Payment.objects.filter(reference=call.reference).first()
    if payment is not None and payment.authorization_id != held:
        logger.info("%s: the capture of a hold %s no longer has failed", key, call.reference)
        return
    if failure == "authorization_expired" and hold_lapsed(authorization_id=held, key=key):
        return
    report(call.reference, "payment_failed", {"failure": failure}, key=key)


def register() -> dict[str, Any]:
    """The action and the webhook of lapsed holds (escrow.actions registers them)."""
    webhooks.register_webhook_handler("payment_intent.canceled", on_canceled_webhook)
    return {"release_lapsed_hold": release_lapsed_hold}
