"""The Stripe adapter beyond the shared contract: what it sends, how Stripe's answers and errors
map, and its currencies. Every request goes to the FAKE in fixtures/stripe/fake.py (written from
Stripe's docs, served on 127.0.0.1), never to Stripe."""

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from barnraise.ledger.providers import ProviderRefused, ProviderUnavailable
from barnraise.ledger.providers.stripe import StripeProvider, money_from_stripe, stripe_amount
from barnraise.ledger.tests.fixtures.stripe.fake import FakeStripe, fake_stripe, shape
from barnraise.money import Money

EUR_50 = Money(5000, "EUR")


@pytest.fixture
def fake(settings) -> Iterator[FakeStripe]:
    with fake_stripe(settings) as running:
        yield running


@pytest.fixture
def stripe_provider(fake: FakeStripe) -> StripeProvider:
    return StripeProvider(max_network_retries=0)


def _error(status_type: str, **fields: object) -> dict:
    body = shape("error")
    body["error"].update(type=status_type, **fields)
    return body


# -- currencies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "payout", "sent"),
    [
        (Money(1234, "EUR"), False, 1234),
        (Money(500, "JPY"), False, 500),  # zero-decimal in both
        (Money(5, "ISK"), False, 500),  # ISO: 0 decimals; Stripe: two, in multiples of 100
        (Money(1045, "HUF"), False, 1045),  # HUF 10.45 may be charged
        (Money(1000, "HUF"), True, 1000),  # HUF 10 may be paid out
        (Money(2500, "TWD"), True, 2500),
        (Money(5120, "KWD"), False, 5120),  # three decimals, the last one 0
    ],
)
def test_amounts_are_sent_in_stripes_minor_units(amount, payout, sent):
    assert stripe_amount(amount, payout=payout) == sent
    assert money_from_stripe(sent, amount.currency.lower()) == amount


@pytest.mark.parametrize(
    ("amount", "step"),
    [(Money(1045, "HUF"), 100), (Money(2550, "TWD"), 100), (Money(5124, "KWD"), 10)],
)
def test_amounts_stripe_cannot_take_are_refused_with_the_step(amount, step):
    payout = amount.currency in ("HUF", "TWD")
    with pytest.raises(ProviderRefused) as refused:
        stripe_amount(amount, payout=payout)
    assert refused.value.reason == "invalid_amount" and refused.value.details["multiple_of_minor"] == step


def test_a_fractional_isk_amount_from_stripe_is_not_silently_rounded():
    with pytest.raises(ValueError, match="ISK"):
        money_from_stripe(550, "isk")


@given(
    st.sampled_from(["EUR", "USD", "JPY", "ISK", "HUF", "TWD", "KWD", "UGX", "CLP"]),
    st.integers(min_value=1, max_value=10**9),
)
def test_every_amount_stripe_accepts_comes_back_unchanged(currency, minor):
    amount = Money(minor * (10 if currency == "KWD" else 1), currency)
    assert money_from_stripe(stripe_amount(amount), currency.lower()) == amount


# -- what is sent -------------------------------------------------------------------------


def test_authorize_sends_a_manual_capture_payment_intent_with_the_idempotency_key(fake, stripe_provider):
    # when
    auth = stripe_provider.authorize(amount=EUR_50, payment_method="pm_card_visa", idempotency_key="auth-1")
    # then
    [sent] = fake.seen("POST", "/v1/payment_intents")
    assert sent.params["amount"] == "5000" and sent.params["currency"] == "eur"
    assert sent.params["capture_method"] == "manual" and sent.params["confirm"] == "true"
    assert sent.params["payment_method"] == "pm_card_visa"
    assert sent.headers["Idempotency-Key"] == "auth-1"
    assert sent.headers["Authorization"] == "Bearer sk_test_fake"
    assert auth.status == "authorized" and auth.id.startswith("pi_")


def test_isk_is_sent_in_hundredths_and_read_back_in_kronur(fake, stripe_provider):
    auth = stripe_provider.authorize(
        amount=Money(5, "ISK"), payment_method="pm_card_visa", idempotency_key="k"
    )
    assert fake.seen("POST", "/v1/payment_intents")[0].params["amount"] == "500"
    assert auth.amount == Money(5, "ISK")


def test_a_card_number_is_refused_and_never_sent(fake, stripe_provider):
    with pytest.raises(ProviderRefused) as refused:
        stripe_provider.authorize(amount=EUR_50, payment_method="4242424242424242", idempotency_key="k")
    assert refused.value.reason == "invalid_payment_method"
    assert fake.requests == []


def test_an_unknown_payment_method_is_refused(fake, stripe_provider):
    with pytest.raises(ProviderRefused) as refused:
        stripe_provider.authorize(amount=EUR_50, payment_method="pm_nothing", idempotency_key="k")
    assert refused.value.reason == "no_such_payment_method"


def test_a_payment_intent_answered_requires_payment_method_is_declined_with_its_decline_code(
    fake, stripe_provider
):
    # given Stripe answers 200 with the intent waiting for another payment method
    intent = shape("payment_intent")
    intent.update(id="pi_x", amount=5000, status="requires_payment_method")
    intent["last_payment_error"] = {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "do_not_honor",
    }
    fake.answer_next("POST", "/v1/payment_intents", 200, intent)
    # when
    auth = stripe_provider.authorize(amount=EUR_50, payment_method="pm_card_visa", idempotency_key="k")
    # then
    assert auth.status == "declined" and auth.decline_code == "do_not_honor" and auth.id == "pi_x"


def test_a_card_error_at_capture_is_a_failed_capture(fake, stripe_provider):
    # given an authorization, and Stripe answering its capture with a card error
    auth = stripe_provider.authorize(amount=EUR_50, payment_method="pm_card_visa", idempotency_key="a")
    body = _error("card_error", code="card_declined", decline_code="insufficient_funds", charge="ch_1")
    fake.answer_next("POST", f"/v1/payment_intents/{auth.id}/capture", 402, body)
    # when
    capture = stripe_provider.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key="c")
    # then
    assert capture.status == "failed" and capture.failure_code == "insufficient_funds"
    assert capture.id == "ch_1" and capture.authorization_id == auth.id


def test_capture_sends_the_amount_to_capture_and_its_own_key(fake, stripe_provider):
    auth = stripe_provider.authorize(amount=EUR_50, payment_method="pm_card_visa", idempotency_key="a")
    stripe_provider.capture(authorization_id=auth.id, amount=Money(3000, "EUR"), idempotency_key="c")
    [sent] = fake.seen("POST", f"/v1/payment_intents/{auth.id}/capture")
    assert sent.params["amount_to_capture"] == "3000" and sent.headers["Idempotency-Key"] == "c"


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}),
        (429, {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many"}}),
    ],
)
def test_stripe_server_errors_and_rate_limits_are_transient(fake, stripe_provider, status, body):
    fake.answer_next("POST", "/v1/payment_intents", status, body)
    with pytest.raises(ProviderUnavailable):
        stripe_provider.authorize(amount=EUR_50, payment_method="pm_card_visa", idempotency_key="k")


def test_an_unreachable_stripe_is_transient(settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = "sk_test_fake", "http://127.0.0.1:9"
    with pytest.raises(ProviderUnavailable):
        StripeProvider(max_network_retries=0).authorize(
            amount=EUR_50, payment_method="pm_card_visa", idempotency_key="k"
        )


def test_an_invalid_request_is_refused_with_stripes_code(fake, stripe_provider):
    body = _error("invalid_request_error", code="parameter_invalid_integer", param="amount", message="Bad")
    fake.answer_next("POST", "/v1/payment_intents", 400, body)
    with pytest.raises(ProviderRefused) as refused:
        stripe_provider.authorize(amount=EUR_50, payment_method="pm_card_visa", idempotency_key="k")
    assert refused.value.reason == "parameter_invalid_integer"


def test_the_library_retries_a_server_error_with_the_same_key(fake):
    # given a provider that retries (as configured by default), and one 500 first
    fake.answer_next("POST", "/v1/payment_intents", 500, {"error": {"type": "api_error", "message": "x"}})
    # when
    auth = StripeProvider(max_network_retries=1).authorize(
        amount=EUR_50, payment_method="pm_card_visa", idempotency_key="auth-9"
    )
    # then
    sent = fake.seen("POST", "/v1/payment_intents")
    assert auth.status == "authorized" and len(sent) == 2
    assert {s.headers["Idempotency-Key"] for s in sent} == {"auth-9"}


# -- Connect ------------------------------------------------------------------------------


def test_a_payout_account_is_an_express_account_with_manual_payouts_and_an_onboarding_link(
    fake, stripe_provider
):
    account = stripe_provider.create_payout_account(owner_reference="member:7", idempotency_key="acct-1")
    [created] = fake.seen("POST", "/v1/accounts")
    [link] = fake.seen("POST", "/v1/account_links")
    assert created.params["type"] == "express"
    assert created.params["capabilities[transfers][requested]"] == "true"
    assert created.params["settings[payouts][schedule][interval]"] == "manual"
    assert created.params["metadata[owner_reference]"] == "member:7"
    assert link.params["type"] == "account_onboarding" and link.headers["Idempotency-Key"] == "acct-1:link"
    assert not account.ready and account.onboarding_url.startswith("https://connect.stripe.com/")


def test_a_payout_is_a_transfer_then_a_payout_on_the_connected_account(fake, stripe_provider):
    # given a ready account
    account = stripe_provider.create_payout_account(owner_reference="member:7", idempotency_key="acct")
    fake.complete_onboarding(account.id)
    # when
    paid = stripe_provider.payout(account_id=account.id, amount=Money(2700, "EUR"), idempotency_key="po-1")
    # then
    [transfer] = fake.seen("POST", "/v1/transfers")
    [payout] = fake.seen("POST", "/v1/payouts")
    assert transfer.params["destination"] == account.id and transfer.params["amount"] == "2700"
    assert transfer.headers["Idempotency-Key"] == "po-1" and "Stripe-Account" not in transfer.headers
    assert (
        payout.headers["Stripe-Account"] == account.id and payout.headers["Idempotency-Key"] == "po-1:payout"
    )
    assert paid.status == "paid" and paid.id.startswith("po_") and paid.amount == Money(2700, "EUR")


def test_a_failed_payout_step_is_retried_without_a_second_transfer(fake, stripe_provider):
    # given a ready account, and Stripe failing the payout after the transfer
    account = stripe_provider.create_payout_account(owner_reference="member:7", idempotency_key="acct")
    fake.complete_onboarding(account.id)
    fake.answer_next("POST", "/v1/payouts", 500, {"error": {"type": "api_error", "message": "x"}})
    with pytest.raises(ProviderUnavailable):
        stripe_provider.payout(account_id=account.id, amount=EUR_50, idempotency_key="po-2")
    # when the worker retries with the same key
    paid = stripe_provider.payout(account_id=account.id, amount=EUR_50, idempotency_key="po-2")
    # then the transfer was replayed, not made again, and the payout made once
    transfers = [o for o in fake.objects.values() if o["object"] == "transfer"]
    assert paid.status == "paid" and len(transfers) == 1


def test_a_payout_of_part_of_a_forint_is_refused_before_anything_moves(fake, stripe_provider):
    with pytest.raises(ProviderRefused) as refused:
        stripe_provider.payout(account_id="acct_x", amount=Money(1045, "HUF"), idempotency_key="po")
    assert refused.value.reason == "invalid_amount" and fake.requests == []


# -- settings -----------------------------------------------------------------------------


def _start(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "PAYMENT_", "DATABASE_"))}
    environ.update(env, DJANGO_SETTINGS_MODULE="barnraise.config.settings", BARNRAISE_VAR_DIR=str(tmp_path))
    probe = (
        "import django; django.setup(); from django.conf import settings; print(settings.PAYMENT_PROVIDER)"
    )
    return subprocess.run(  # noqa: S603 - our own probe
        [sys.executable, "-c", probe], env=environ, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PAYMENT_PROVIDER": "stripe"}, "needs STRIPE_SECRET_KEY"),
        ({"PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "sk_test_1"}, "STRIPE_WEBHOOK_SECRET"),
        (
            {
                "PAYMENT_PROVIDER": "stripe",
                "STRIPE_SECRET_KEY": "pk_test_1",
                "STRIPE_WEBHOOK_SECRET": "whsec_1",
            },
            "must be a secret",
        ),
        ({"STRIPE_API_BASE": "localhost:12111"}, "STRIPE_API_BASE"),
        ({"STRIPE_API_BASE": "http://stripe-mock.example:12111"}, "must use https"),
    ],
)
def test_a_misconfigured_stripe_stops_start_up_with_a_clear_message(tmp_path, env, message):
    result = _start(tmp_path, **env)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_stripe_with_both_keys_starts(tmp_path):
    result = _start(
        tmp_path, PAYMENT_PROVIDER="stripe", STRIPE_SECRET_KEY="sk_test_1", STRIPE_WEBHOOK_SECRET="whsec_1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "stripe"


# -- saved cards --------------------------------------------------------------------------


def test_a_saved_card_is_charged_off_session_on_its_customer(fake, stripe_provider):
    customer = stripe_provider.create_customer(owner_reference="member:1", idempotency_key="cus")
    # the customer's card, saved at Stripe (here: Stripe's test card attached over HTTP)
    request = urllib.request.Request(  # noqa: S310 - the fake on 127.0.0.1
        f"{fake.base}/v1/payment_methods/pm_card_visa/attach",
        data=f"customer={customer}".encode(),
        headers={"Authorization": "Bearer sk_test_fake"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        method = json.loads(answer.read())
    auth = stripe_provider.authorize_saved(
        amount=EUR_50, customer_id=customer, method_id=method["id"], off_session=True, idempotency_key="k"
    )
    [sent] = fake.seen("POST", "/v1/payment_intents")
    assert auth.status == "authorized"
    assert sent.params["customer"] == customer and sent.params["payment_method"] == method["id"]
    assert sent.params["off_session"] == "true" and sent.params["confirm"] == "true"
    assert sent.params["capture_method"] == "manual" and sent.headers["Idempotency-Key"] == "k"


def test_a_saved_card_that_is_not_a_payment_method_id_is_refused_before_any_request(fake, stripe_provider):
    with pytest.raises(ProviderRefused) as refused:
        stripe_provider.authorize_saved(
            amount=EUR_50,
            customer_id="cus_1",
            method_id="4242424242424242",
            off_session=True,
            idempotency_key="k",
        )
    assert refused.value.reason == "no_such_payment_method" and fake.requests == []
