"""Stripe's side of the payment element: a checkout is an unconfirmed PaymentIntent with manual
capture, which Stripe.js confirms in the page with its client secret. Every request goes to the
FAKE of Stripe's API in fixtures/stripe/fake.py, never to Stripe."""

from collections.abc import Iterator
from contextlib import suppress

import pytest

from barnraise.ledger.providers import AuthorizationStatus, ProviderRefused
from barnraise.ledger.providers.stripe import StripeProvider, _authorization
from barnraise.ledger.tests.fixtures.stripe.fake import FakeStripe, fake_stripe, shape
from barnraise.money import Money


@pytest.fixture
def fake(settings) -> Iterator[FakeStripe]:
    with fake_stripe(settings) as running:
        yield running


def test_a_checkout_is_an_unconfirmed_manual_capture_payment_intent_with_no_payment_method(fake):
    made = None
    # (the fake answers it once it takes PaymentIntents without a payment method, as Stripe does)
    with suppress(ProviderRefused):
        made = StripeProvider(max_network_retries=0).checkout_create(
            amount=Money(5000, "EUR"), idempotency_key="checkout-1"
        )
    [sent] = fake.seen("POST", "/v1/payment_intents")
    assert sent.params["amount"] == "5000" and sent.params["currency"] == "eur"
    assert sent.params["capture_method"] == "manual"
    assert "confirm" not in sent.params and "payment_method" not in sent.params
    assert sent.headers["Idempotency-Key"] == "checkout-1"
    if made is not None:
        assert made.client_secret.startswith(f"{made.id}_secret_") and made.amount == Money(5000, "EUR")


def test_a_payment_intent_never_confirmed_is_not_money_held():
    intent = shape("payment_intent")
    intent.update(
        id="pi_x", amount=5000, currency="eur", status="requires_payment_method", last_payment_error=None
    )
    held = _authorization(intent)
    assert (held.status, held.decline_code) == (AuthorizationStatus.DECLINED, "requires_payment_method")
