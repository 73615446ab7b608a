"""The sandbox's client side: what Stripe's API answers Stripe.js, for the sandbox's checkouts.

Barnraise serves these under /sandbox/v1/ (`web.sandbox_views`) to its Stripe.js shim
(`web/static/web/payments/stripe-shim.js`), in Stripe's shapes, so that one page code path
drives the sandbox and Stripe:

- `checkout_confirm` is `POST /v1/payment_intents/:id/confirm` with the publishable key and
  the client secret: a test card (docs/money.md) holds the money (`requires_capture`), is
  declined (an error with `decline_code` and the intent, `requires_payment_method`), or asks
  for 3-D Secure (`requires_action`, `next_action.redirect_to_url` to the sandbox's challenge
  page, `challenge_url`);
- `checkout_get` is `GET /v1/payment_intents/:id` with the client secret;
- `checkout_authenticate` is what the challenge page's Complete or Fail does.

A checkout is confirmed once: a page that wants another try asks its server for a new one.
The card number is used to choose the scenario and is never stored (only the card's scenario).
"""

import hmac
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.ledger.models import SandboxRecord
from barnraise.ledger.providers import (
    Authorization,
    AuthorizationStatus,
    CaptureStatus,
    ProviderRefused,
    SavedMethod,
    money_json,
)
from barnraise.ledger.providers.sandbox import (
    CARD_BRANDS,
    HOLD,
    Kind,
    SandboxProvider,
    Scenario,
    _children,
    _fingerprint,
    _Made,
    _record,
    _record_money,
    _saved_method,
    card_digits,
    card_outcome,
    client_secret,
)

PUBLISHABLE_KEY = "pk_test_sandbox"  # what the pages give the shim for the sandbox


class CheckoutRefused(Exception):
    """An error in Stripe's shape: `{"error": {type, code, message, ...}}` with its HTTP status."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error


def _invalid(status: int, code: str, message: str) -> CheckoutRefused:
    return CheckoutRefused(status, {"type": "invalid_request_error", "code": code, "message": message})


def challenge_token(checkout_id: str) -> str:
    tag = hmac.digest(settings.SECRET_KEY.encode(), f"challenge:{checkout_id}".encode(), "sha256")
    return tag.hex()[:32]


def challenge_url(checkout_id: str, site: str = "") -> str:
    """The challenge page, on `site` (the origin the browser called) or SITE_URL."""
    base = (site or settings.SITE_URL).rstrip("/")
    return f"{base}/sandbox/v1/3ds/{checkout_id}?token={challenge_token(checkout_id)}"


def _checkout(checkout_id: str, secret: str) -> SandboxRecord:
    record = SandboxRecord.objects.filter(kind=Kind.CHECKOUT, external_id=checkout_id).first()
    if record is None or not hmac.compare_digest(secret.encode(), client_secret(checkout_id).encode()):
        raise _invalid(404, "resource_missing", _("No such payment: %s.") % checkout_id)
    return record


def _error(code: str, decline_code: str = "") -> dict[str, Any]:
    if code == "payment_intent_authentication_failure":
        message = _("Your bank could not confirm this payment. Try again, or use another card.")
    elif decline_code == "invalid_number":
        message = _("Your card number is incorrect.")
    else:
        message = _("Your card was declined.")
    error = {"type": "card_error", "code": code, "message": message}
    if decline_code:
        error["decline_code"] = decline_code
    return error


def intent_json(checkout: SandboxRecord, *, return_url: str = "", site: str = "") -> dict[str, Any]:
    """The checkout as Stripe answers a PaymentIntent to the publishable key (a subset)."""
    checkout_id = checkout.external_id
    amount = _record_money(checkout)
    intent: dict[str, Any] = {
        "id": checkout_id,
        "object": "payment_intent",
        "amount": amount.amount_minor,
        "currency": amount.currency.lower(),
        "capture_method": "manual",
        "client_secret": client_secret(checkout_id),
        "created": int(checkout.created_at.timestamp()),
        "livemode": False,
        "next_action": None,
        "last_payment_error": None,
        "status": "requires_payment_method",
    }
    if not SandboxRecord.objects.filter(kind=Kind.AUTHORIZATION, external_id=checkout_id).exists():
        return intent
    held = SandboxProvider().authorization_get(authorization_id=checkout_id)
    if held.status == AuthorizationStatus.DECLINED:
        code = (
            "payment_intent_authentication_failure"
            if held.decline_code == "authentication_failed"
            else "card_declined"
        )
        intent["last_payment_error"] = _error(code, "" if code != "card_declined" else held.decline_code)
    elif held.status == AuthorizationStatus.REQUIRES_ACTION:
        intent["status"] = "requires_action"
        intent["next_action"] = {
            "type": "redirect_to_url",
            "redirect_to_url": {"url": challenge_url(checkout_id, site), "return_url": return_url or None},
        }
    elif _children(Kind.VOID, checkout_id):
        intent["status"] = "canceled"
    elif any(c["status"] != CaptureStatus.FAILED for c in _children(Kind.CAPTURE, checkout_id)):
        intent["status"] = "succeeded"
    else:
        intent["status"] = "requires_capture"
    return intent


def checkout_get(*, checkout_id: str, secret: str, site: str = "") -> dict[str, Any]:
    return intent_json(_checkout(checkout_id, secret), site=site)


def _saved_card(checkout: SandboxRecord, method_id: str) -> tuple[Scenario, str, str]:
    """The scenario, brand and last 4 of a card saved for the checkout's customer (a saved card
    of another customer, or of none, is no such card, as at Stripe)."""
    with transaction.atomic():
        found = _saved_method(checkout.parent_id, method_id) if checkout.parent_id else None
    if found is None:
        raise _invalid(400, "resource_missing", _("No such saved card: %s.") % method_id)
    return Scenario(found.scenario), found.response["brand"], found.response["last4"]


def checkout_confirm(
    *,
    checkout_id: str,
    secret: str,
    card_number: str,
    return_url: str = "",
    site: str = "",
    method_id: str = "",
) -> dict[str, Any]:
    """Confirm the checkout with a test card, or with one of the customer's saved cards
    (`method_id`, Stripe's `payment_method`): the intent, or a `CheckoutRefused` (a decline
    answers 402 with the intent inside the error, as Stripe does)."""
    checkout = _checkout(checkout_id, secret)
    digits = card_digits(card_number)
    scenario: Scenario | None
    if method_id:
        try:
            saved, brand, last4 = _saved_card(checkout, method_id)
        except ProviderRefused:
            raise _invalid(400, "resource_missing", _("No such saved card: %s.") % method_id) from None
        scenario, decline_code = saved, "card_declined" if saved == Scenario.DECLINED else ""
    else:
        scenario, decline_code = card_outcome(digits)
        brand, last4 = (CARD_BRANDS.get(digits[0], "card"), digits[-4:]) if digits else ("", "")
    amount = _record_money(checkout)
    if decline_code:
        status, expires_at = AuthorizationStatus.DECLINED, None
    else:
        requires_action = scenario in (Scenario.REQUIRES_ACTION, Scenario.AUTHENTICATES_ALWAYS)
        status = AuthorizationStatus.REQUIRES_ACTION if requires_action else AuthorizationStatus.AUTHORIZED
        expires_at = timezone.now() + HOLD
    url = challenge_url(checkout_id) if status == AuthorizationStatus.REQUIRES_ACTION else ""
    held = Authorization(checkout_id, status, amount, expires_at, decline_code, url, brand, last4)
    made = _Made(held.as_json(), checkout_id, amount=amount, scenario=str(scenario or ""))
    fingerprint = _fingerprint("checkout_confirm", {"checkout": checkout_id, "amount": money_json(amount)})
    try:
        with transaction.atomic():
            _record(Kind.AUTHORIZATION, f"checkout-confirm:{checkout_id}", fingerprint, made)
    except IntegrityError:
        raise _invalid(
            400, "payment_intent_unexpected_state", _("This payment was confirmed already; start again.")
        ) from None
    intent = intent_json(checkout, return_url=return_url, site=site)
    if decline_code:
        raise CheckoutRefused(402, {**_error("card_declined", decline_code), "payment_intent": intent})
    return intent


def setup_confirm(*, setup_id: str, secret: str, card_number: str) -> dict[str, Any]:
    """`POST /v1/setup_intents/:id/confirm` as Stripe.js sends it: the card is saved for the
    setup's customer; the answer is the SetupIntent, `succeeded`, with its `payment_method`
    (a declined or unknown card: a 402 card error, as Stripe answers it)."""
    try:
        saved: SavedMethod = SandboxProvider().setup_confirm(
            setup_id=setup_id, client_secret=secret, card_number=card_number
        )
    except ProviderRefused as refused:
        if refused.reason == "no_such_setup":
            raise _invalid(404, "resource_missing", _("No such setup: %s.") % setup_id) from None
        code = "card_declined" if refused.reason == "card_declined" else "invalid_number"
        raise CheckoutRefused(402, _error("card_declined", code)) from None
    return {
        "id": setup_id,
        "object": "setup_intent",
        "client_secret": secret,
        "livemode": False,
        "next_action": None,
        "last_setup_error": None,
        "payment_method": saved.id,
        "status": "succeeded",
        "usage": "off_session",
    }


def checkout_authenticate(*, checkout_id: str, token: str, succeed: bool) -> dict[str, Any]:
    """The challenge page's answer: Complete holds the money, Fail declines the payment."""
    if not hmac.compare_digest(token.encode(), challenge_token(checkout_id).encode()):
        raise _invalid(404, "resource_missing", _("No such payment: %s.") % checkout_id)
    checkout = SandboxRecord.objects.filter(kind=Kind.CHECKOUT, external_id=checkout_id).first()
    if checkout is None:
        raise _invalid(404, "resource_missing", _("No such payment: %s.") % checkout_id)
    held = SandboxProvider().authorization_get(authorization_id=checkout_id)
    if held.status != AuthorizationStatus.REQUIRES_ACTION:
        return intent_json(checkout)  # answered already (a second click): the same outcome
    if succeed:
        SandboxProvider().authenticate(authorization_id=checkout_id)
    else:
        made = _Made({"authorization_id": checkout_id}, parent_id=checkout_id)
        try:
            with transaction.atomic():
                _record(
                    Kind.AUTHENTICATION_FAILED,
                    f"authentication-failed:{checkout_id}",
                    _fingerprint("fail", {"checkout": checkout_id}),
                    made,
                )
        except IntegrityError:
            pass  # failed once already
    return intent_json(checkout)


def challenge_amount(checkout_id: str, token: str) -> Any:
    """The amount the challenge page asks the customer to confirm, or None if no such page."""
    if not hmac.compare_digest(token.encode(), challenge_token(checkout_id).encode()):
        return None
    checkout = SandboxRecord.objects.filter(kind=Kind.CHECKOUT, external_id=checkout_id).first()
    return _record_money(checkout) if checkout is not None else None
