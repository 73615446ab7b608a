"""The contract every payment provider keeps, run against every registered implementation.

A new adapter registers in `providers.IMPLEMENTATIONS`, adds its way of making a payout
account ready to `READY_ACCOUNT` and its test payment methods to `METHODS`; the rest of this
file must then pass unchanged. `stripe` runs against a FAKE of Stripe's API written from
Stripe's docs (`fixtures/stripe/`), served on 127.0.0.1: no request leaves the machine.
"""

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import count
from urllib.parse import urlencode, urlsplit

import pytest
import time_machine
from django.utils import timezone

from barnraise.ledger.providers import (
    IMPLEMENTATIONS,
    AuthenticationRequired,
    PaymentProvider,
    PayoutAccount,
    ProviderRefused,
    SetupStart,
    implementations,
    provider,
)
from barnraise.ledger.providers.sandbox import SandboxProvider
from barnraise.ledger.providers.stripe import StripeProvider
from barnraise.ledger.tests.fixtures.stripe.fake import PUBLISHABLE_KEY, FakeStripe, fake_stripe
from barnraise.money import Money

pytestmark = pytest.mark.django_db

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
REQUIRES_ACTION = "4000002500003155"
CAPTURE_FAILS = "4000000000000341"
DISPUTES = "4000000000000259"
EUR_50 = Money(5000, "EUR")


def _sandbox_ready(payment: PaymentProvider, account: PayoutAccount) -> PayoutAccount:
    assert isinstance(payment, SandboxProvider)
    return payment.onboarding_complete(account_id=account.id)


_running_fake: list[FakeStripe] = []


def _stripe_ready(payment: PaymentProvider, account: PayoutAccount) -> PayoutAccount:
    assert isinstance(payment, StripeProvider)
    _running_fake[-1].complete_onboarding(account.id)  # the owner finishes onboarding at Stripe
    return payment.payout_account_get(account_id=account.id)


READY_ACCOUNT: dict[str, Callable[[PaymentProvider, PayoutAccount], PayoutAccount]] = {
    "sandbox": _sandbox_ready,
    "stripe": _stripe_ready,
}


def _sandbox_save(payment: PaymentProvider, setup: SetupStart, card: str) -> bool:
    assert isinstance(payment, SandboxProvider)
    try:
        payment.setup_confirm(setup_id=setup.id, client_secret=setup.client_secret, card_number=card)
    except ProviderRefused as refused:
        assert refused.reason == "card_declined"
        return False
    return True


def _stripe_save(payment: PaymentProvider, setup: SetupStart, card: str) -> bool:
    """What the member's page does with Stripe.js: confirm the SetupIntent with the card, in the
    browser (publishable key, client secret), then pass the bank's (fake) 3-D Secure page."""
    base = _running_fake[-1].base
    form = {
        "key": PUBLISHABLE_KEY,
        "client_secret": setup.client_secret,
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": card,
        "return_url": "http://127.0.0.1:8000/wallet/cards",
    }
    request = urllib.request.Request(  # noqa: S310 - the fake on 127.0.0.1
        f"{base}/v1/setup_intents/{setup.id}/confirm", data=urlencode(form).encode()
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            confirmed = json.loads(answer.read())
    except urllib.error.HTTPError as failed:
        assert failed.code == 402
        return False
    if confirmed["status"] == "requires_action":
        page = urlsplit(confirmed["next_action"]["redirect_to_url"]["url"])
        complete = urllib.request.Request(f"{base}{page.path}/complete?{page.query}", data=b"")  # noqa: S310
        try:
            urllib.request.urlopen(complete, timeout=10).close()  # noqa: S310
        except urllib.error.HTTPError as redirect:  # urllib follows the 303 to the site, not running here
            assert redirect.url.startswith("http://127.0.0.1:8000/wallet/cards")
        except urllib.error.URLError:
            pass  # the same: the return page is not served in this test
    return True


# Save `card` (a test card number) with a started setup, as the member's page does; False if declined.
SAVE_CARD: dict[str, Callable[[PaymentProvider, SetupStart, str], bool]] = {
    "sandbox": _sandbox_save,
    "stripe": _stripe_save,
}
SAVED_SUCCEEDS = "4242424242424242"
SAVED_DECLINED = "4000000000000002"
AUTHENTICATES_WHEN_SAVED = "4000002500003155"  # asks once, when saved; not off-session after
AUTHENTICATES_ALWAYS = "4000002760003184"


@dataclass(frozen=True)
class Methods:
    """An implementation's test payment methods for the scenarios of this contract."""

    succeeds: str
    requires_action: str
    disputes: str
    capture_fails: str | None  # None: the provider documents no such test method
    declines: tuple[tuple[str, str], ...]  # (payment method, decline code)
    dispute_in_capture: bool  # False: the capture says captured; the dispute comes by webhook
    spaced: str | None = None  # `succeeds` written with spaces, where that is allowed


METHODS: dict[str, Methods] = {
    "sandbox": Methods(
        succeeds=SUCCEEDS,
        requires_action=REQUIRES_ACTION,
        disputes=DISPUTES,
        capture_fails=CAPTURE_FAILS,
        declines=(
            (DECLINED, "card_declined"),
            ("4111111111111112", "invalid_number"),  # fails the Luhn check
            ("4000056655665556", "invalid_number"),  # a valid number that is not a test card
            ("4242-4242-4242-424x", "invalid_number"),
            ("", "invalid_number"),
        ),
        dispute_in_capture=True,
        spaced="4242 4242 4242 4242",
    ),
    # Stripe's documented test PaymentMethods (docs.stripe.com/testing). None of them
    # authorizes and then fails at capture; test_stripe.py maps a card error at capture.
    "stripe": Methods(
        succeeds="pm_card_visa",
        requires_action="pm_card_authenticationRequired",
        disputes="pm_card_createDispute",
        capture_fails=None,
        declines=(
            ("pm_card_chargeDeclined", "generic_decline"),
            ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
            ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
        ),
        dispute_in_capture=False,
    ),
}


@pytest.fixture(params=implementations())
def payment(request: pytest.FixtureRequest, settings) -> Iterator[PaymentProvider]:
    if request.param == "stripe":
        with fake_stripe(settings) as fake:
            _running_fake.append(fake)
            yield provider("stripe")
            _running_fake.pop()
    else:
        yield provider(request.param)


@pytest.fixture
def methods(payment: PaymentProvider) -> Methods:
    return METHODS[payment.name]


@pytest.fixture
def key() -> Callable[[], str]:
    numbers = count(1)
    return lambda: f"contract-{next(numbers)}"


def test_every_implementation_has_a_ready_account_helper():
    assert set(IMPLEMENTATIONS) == set(READY_ACCOUNT) == set(METHODS) == set(SAVE_CARD)


def test_a_good_card_authorizes_for_seven_days_and_captures(payment, methods, key):
    # when
    auth = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=key())
    capture = payment.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key=key())
    # then
    assert auth.status == "authorized" and auth.decline_code == "" and auth.amount == EUR_50
    assert auth.expires_at is not None
    assert timedelta(days=6, hours=23) < auth.expires_at - timezone.now() <= timedelta(days=7)
    assert capture.status == "captured" and capture.amount == EUR_50 and capture.authorization_id == auth.id


def test_a_partial_capture_is_allowed_but_not_more_than_authorized_nor_twice(payment, methods, key):
    auth = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=key())
    with pytest.raises(ProviderRefused) as too_much:
        payment.capture(authorization_id=auth.id, amount=Money(5001, "EUR"), idempotency_key=key())
    with pytest.raises(ProviderRefused) as other_currency:
        payment.capture(authorization_id=auth.id, amount=Money(100, "USD"), idempotency_key=key())
    capture = payment.capture(authorization_id=auth.id, amount=Money(3000, "EUR"), idempotency_key=key())
    with pytest.raises(ProviderRefused) as again:
        payment.capture(authorization_id=auth.id, amount=Money(1000, "EUR"), idempotency_key=key())
    assert too_much.value.reason == "amount_too_large" and other_currency.value.reason == "currency_mismatch"
    assert capture.status == "captured" and again.value.reason == "already_captured"


@pytest.mark.parametrize(
    ("payment", "card", "decline_code"),
    [(name, card, code) for name in implementations() for card, code in METHODS[name].declines],
    indirect=["payment"],
)
def test_a_declined_or_invalid_card_is_declined_and_cannot_be_captured(payment, key, card, decline_code):
    auth = payment.authorize(amount=EUR_50, payment_method=card, idempotency_key=key())
    assert auth.status == "declined" and auth.decline_code == decline_code and auth.expires_at is None
    with pytest.raises(ProviderRefused) as refused:
        payment.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key=key())
    assert refused.value.reason == "authorization_not_capturable"


def test_card_numbers_may_be_written_with_spaces(payment, methods, key):
    if methods.spaced is None:
        pytest.skip(f"{payment.name} takes payment method ids, not card numbers")
    auth = payment.authorize(amount=EUR_50, payment_method=methods.spaced, idempotency_key=key())
    assert auth.status == "authorized"


def test_a_card_that_needs_authentication_requires_action_and_can_be_voided(payment, methods, key):
    auth = payment.authorize(amount=EUR_50, payment_method=methods.requires_action, idempotency_key=key())
    assert auth.status == "requires_action"
    with pytest.raises(ProviderRefused):
        payment.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key=key())
    assert payment.void(authorization_id=auth.id, idempotency_key=key()).status == "voided"


def test_an_authorization_is_read_back_as_it_stands(payment, methods, key):
    good = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=key())
    assert payment.authorization_get(authorization_id=good.id) == good
    waiting = payment.authorize(amount=EUR_50, payment_method=methods.requires_action, idempotency_key=key())
    read = payment.authorization_get(authorization_id=waiting.id)
    assert (read.id, read.status, read.amount) == (waiting.id, "requires_action", EUR_50)
    with pytest.raises(ProviderRefused):
        payment.authorization_get(authorization_id=f"{good.id}x")


def test_the_sandbox_authorizes_a_card_once_its_payer_confirms_it(key):
    sandbox = SandboxProvider()
    waiting = sandbox.authorize(amount=EUR_50, payment_method=REQUIRES_ACTION, idempotency_key=key())
    assert waiting.action_url.endswith(f"/sandbox/authenticate/{waiting.id}")
    assert sandbox.authenticate(authorization_id=waiting.id).status == "authorized"
    assert sandbox.authenticate(authorization_id=waiting.id).status == "authorized"  # idempotent
    captured = sandbox.capture(authorization_id=waiting.id, amount=EUR_50, idempotency_key=key())
    assert captured.status == "captured"
    plain = sandbox.authorize(amount=EUR_50, payment_method=SUCCEEDS, idempotency_key=key())
    with pytest.raises(ProviderRefused):
        sandbox.authenticate(authorization_id=plain.id)


def test_a_voided_authorization_cannot_be_captured_and_a_captured_one_cannot_be_voided(payment, methods, key):
    voided = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=key())
    payment.void(authorization_id=voided.id, idempotency_key=key())
    with pytest.raises(ProviderRefused) as capture_refused:
        payment.capture(authorization_id=voided.id, amount=EUR_50, idempotency_key=key())
    captured = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=key())
    payment.capture(authorization_id=captured.id, amount=EUR_50, idempotency_key=key())
    with pytest.raises(ProviderRefused) as void_refused:
        payment.void(authorization_id=captured.id, idempotency_key=key())
    assert capture_refused.value.reason == "authorization_voided"
    assert void_refused.value.reason == "already_captured"


def test_a_card_that_fails_at_capture_authorizes_then_fails(payment, methods, key):
    if methods.capture_fails is None:
        pytest.skip(f"{payment.name} documents no test payment method that fails at capture")
    auth = payment.authorize(amount=EUR_50, payment_method=methods.capture_fails, idempotency_key=key())
    capture = payment.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key=key())
    assert auth.status == "authorized"
    assert capture.status == "failed" and capture.failure_code == "card_declined"
    with pytest.raises(ProviderRefused) as refused:
        payment.refund(capture_id=capture.id, amount=EUR_50, idempotency_key=key())
    assert refused.value.reason == "capture_failed"


def test_a_disputed_card_captures_and_reports_a_chargeback(payment, methods, key):
    auth = payment.authorize(amount=EUR_50, payment_method=methods.disputes, idempotency_key=key())
    capture = payment.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key=key())
    # the sandbox says so in the capture's answer; Stripe opens it after (a webhook reports it)
    assert capture.status == ("disputed" if methods.dispute_in_capture else "captured")
    assert capture.amount == EUR_50
    with pytest.raises(ProviderRefused) as refused:
        payment.refund(capture_id=capture.id, amount=EUR_50, idempotency_key=key())
    assert refused.value.reason == "charge_disputed"


def test_an_authorization_expires_after_seven_days(payment, methods, key):
    auth = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=key())
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        capture = payment.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key=key())
    assert capture.status == "failed" and capture.failure_code == "authorization_expired"


def test_the_same_key_replays_the_first_answer(payment, methods, key):
    # given an authorization and a capture
    auth_key, capture_key = key(), key()
    auth = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=auth_key)
    capture = payment.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key=capture_key)
    # when both are sent again with the same keys (a retried worker, another process)
    again = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=auth_key)
    capture_again = provider(payment.name).capture(
        authorization_id=auth.id, amount=EUR_50, idempotency_key=capture_key
    )
    # then they answer the same, and capture once
    assert again == auth and capture_again == capture


def test_the_same_key_replays_an_error_too(payment, methods, key):
    auth = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=key())
    capture = payment.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key=key())
    refund_key = key()
    for _attempt in range(2):
        with pytest.raises(ProviderRefused) as refused:
            payment.refund(capture_id=capture.id, amount=Money(9999, "EUR"), idempotency_key=refund_key)
        assert refused.value.reason == "amount_too_large"


def test_the_same_key_with_a_different_request_is_refused(payment, methods, key):
    auth_key = key()
    payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=auth_key)
    with pytest.raises(ProviderRefused) as other_amount:
        payment.authorize(
            amount=Money(5001, "EUR"), payment_method=methods.succeeds, idempotency_key=auth_key
        )
    with pytest.raises(ProviderRefused) as other_card:
        payment.authorize(amount=EUR_50, payment_method=methods.disputes, idempotency_key=auth_key)
    with pytest.raises(ProviderRefused) as other_operation:
        payment.create_payout_account(owner_reference="member:1", idempotency_key=auth_key)
    reasons = {other_amount.value.reason, other_card.value.reason, other_operation.value.reason}
    assert reasons == {"idempotency_key_reused"}


def test_refunds_never_exceed_the_capture_less_earlier_refunds(payment, methods, key):
    # given a captured 50.00
    auth = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=key())
    capture = payment.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key=key())
    # when 30.00 and then 20.00 are refunded
    first = payment.refund(capture_id=capture.id, amount=Money(3000, "EUR"), idempotency_key=key())
    with pytest.raises(ProviderRefused) as too_much:
        payment.refund(capture_id=capture.id, amount=Money(2001, "EUR"), idempotency_key=key())
    second = payment.refund(capture_id=capture.id, amount=Money(2000, "EUR"), idempotency_key=key())
    # then nothing more can be refunded
    with pytest.raises(ProviderRefused) as nothing_left:
        payment.refund(capture_id=capture.id, amount=Money(1, "EUR"), idempotency_key=key())
    with pytest.raises(ProviderRefused) as not_positive:
        payment.refund(capture_id=capture.id, amount=Money(0, "EUR"), idempotency_key=key())
    with pytest.raises(ProviderRefused) as unknown:
        payment.refund(capture_id="nope", amount=Money(1, "EUR"), idempotency_key=key())
    assert first.status == second.status == "succeeded" and second.amount == Money(2000, "EUR")
    assert too_much.value.reason == nothing_left.value.reason == "amount_too_large"
    assert not_positive.value.reason == "invalid_amount" and unknown.value.reason == "no_such_capture"


def test_a_payout_goes_to_a_ready_account_only(payment, key):
    # given a payout account before and after onboarding
    account = payment.create_payout_account(owner_reference="member:42", idempotency_key=key())
    early = payment.payout(account_id=account.id, amount=EUR_50, idempotency_key=key())
    ready = READY_ACCOUNT[payment.name](payment, account)
    # when paid out
    paid = payment.payout(account_id=account.id, amount=EUR_50, idempotency_key=key())
    # then only the ready account is paid
    assert not account.ready and account.onboarding_url
    assert early.status == "failed" and early.failure_code == "account_not_ready"
    assert ready.ready and ready.id == account.id
    assert paid.status == "paid" and paid.amount == EUR_50 and paid.account_id == account.id
    with pytest.raises(ProviderRefused) as unknown:
        payment.payout(account_id="nope", amount=EUR_50, idempotency_key=key())
    assert unknown.value.reason == "no_such_account"


def test_a_payout_account_says_what_it_still_needs_until_onboarding_is_done(payment, key):
    # given a new payout account
    account = payment.create_payout_account(owner_reference="member:43", idempotency_key=key())
    # when it is read back before onboarding, a fresh link is asked for, and onboarding is done
    before = payment.payout_account_get(account_id=account.id)
    link = payment.onboarding_link(account_id=account.id, idempotency_key=key())
    after = READY_ACCOUNT[payment.name](payment, account)
    # then it needed a bank account (in Stripe's names) and nothing once onboarded
    assert not before.ready and not before.payouts_enabled and "external_account" in before.currently_due
    assert before.disabled_reason and before.onboarding_url == ""
    assert link.startswith("https://") or link.startswith("http://")
    assert after.ready and after.payouts_enabled and after.currently_due == () == after.past_due
    assert payment.payout_account_get(account_id=account.id).ready
    for unknown in (
        lambda: payment.payout_account_get(account_id="nope"),
        lambda: payment.onboarding_link(account_id="nope", idempotency_key=key()),
    ):
        with pytest.raises(ProviderRefused) as refused:
            unknown()
        assert refused.value.reason == "no_such_account"


def test_the_sandbox_can_leave_a_requirement_for_later(key):
    # given a sandbox account
    sandbox = SandboxProvider()
    account = sandbox.create_payout_account(owner_reference="member:44", idempotency_key=key())
    # when onboarding leaves the bank account, then a second visit finishes it
    partly = sandbox.onboarding_complete(account_id=account.id, leave_due=("external_account",))
    unpaid = sandbox.payout(account_id=account.id, amount=EUR_50, idempotency_key=key())
    done = sandbox.onboarding_complete(account_id=account.id)
    paid = sandbox.payout(account_id=account.id, amount=EUR_50, idempotency_key=key())
    # then the account was not ready in between, and the latest visit counts
    assert not partly.ready and partly.currently_due == ("external_account",)
    assert unpaid.failure_code == "account_not_ready" and paid.status == "paid"
    assert done.ready and sandbox.payout_account_get(account_id=account.id).ready
    with pytest.raises(ProviderRefused) as refused:
        sandbox.onboarding_complete(account_id=account.id, leave_due=("a_kidney",))
    assert refused.value.reason == "invalid_request"


def test_ids_name_their_provider_and_kind(payment, methods, key):
    auth = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=key())
    capture = payment.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key=key())
    refund = payment.refund(capture_id=capture.id, amount=EUR_50, idempotency_key=key())
    assert len({auth.id, capture.id, refund.id}) == 3
    if payment.name == "sandbox":
        assert auth.id.startswith("sbx_auth_") and capture.id.startswith("sbx_cap_")
        assert refund.id.startswith("sbx_re_")
    if payment.name == "stripe":  # a PaymentIntent, its Charge, a Refund
        assert auth.id.startswith("pi_") and capture.id.startswith("ch_") and refund.id.startswith("re_")


# -- saved cards -----------------------------------------------------------------------------


def _saved(payment: PaymentProvider, customer_id: str, card: str, key: Callable[[], str]) -> str:
    setup = payment.setup_start(customer_id=customer_id, idempotency_key=key())
    assert setup.id and setup.client_secret and setup.client_secret != setup.id
    assert SAVE_CARD[payment.name](payment, setup, card)
    [method] = [m for m in payment.saved_methods(customer_id=customer_id) if m.last4 == card[-4:]]
    return method.id


def test_a_customer_is_created_once_per_key(payment, key):
    customer_key = key()
    first = payment.create_customer(owner_reference="member:7", idempotency_key=customer_key)
    again = payment.create_customer(owner_reference="member:7", idempotency_key=customer_key)
    other = payment.create_customer(owner_reference="member:8", idempotency_key=key())
    assert first == again != other
    assert payment.saved_methods(customer_id=first) == []


def test_a_saved_card_is_listed_charged_off_session_and_removed(payment, key):
    # given a customer who saved a card
    customer = payment.create_customer(owner_reference="member:1", idempotency_key=key())
    method_id = _saved(payment, customer, SAVED_SUCCEEDS, key)
    [listed] = payment.saved_methods(customer_id=customer)
    # when it is charged without them (off-session), captured, then removed
    auth = payment.authorize_saved(
        amount=EUR_50, customer_id=customer, method_id=method_id, off_session=True, idempotency_key=key()
    )
    capture = payment.capture(authorization_id=auth.id, amount=EUR_50, idempotency_key=key())
    payment.saved_method_remove(customer_id=customer, method_id=method_id, idempotency_key=key())
    # then
    assert (listed.id, listed.last4, listed.brand) == (method_id, "4242", "visa")
    assert listed.exp_year > timezone.now().year and 1 <= listed.exp_month <= 12
    assert auth.status == "authorized" and auth.expires_at is not None and capture.status == "captured"
    assert payment.saved_methods(customer_id=customer) == []
    with pytest.raises(ProviderRefused) as removed_again:
        payment.saved_method_remove(customer_id=customer, method_id=method_id, idempotency_key=key())
    with pytest.raises(ProviderRefused) as charged_again:
        payment.authorize_saved(
            amount=EUR_50, customer_id=customer, method_id=method_id, off_session=True, idempotency_key=key()
        )
    assert removed_again.value.reason == charged_again.value.reason == "no_such_payment_method"


def test_a_declined_card_is_not_saved(payment, key):
    customer = payment.create_customer(owner_reference="member:1", idempotency_key=key())
    setup = payment.setup_start(customer_id=customer, idempotency_key=key())
    assert SAVE_CARD[payment.name](payment, setup, SAVED_DECLINED) is False
    assert payment.saved_methods(customer_id=customer) == []


def test_a_card_authenticated_when_saved_is_charged_off_session_without_a_challenge(payment, key):
    customer = payment.create_customer(owner_reference="member:1", idempotency_key=key())
    method_id = _saved(payment, customer, AUTHENTICATES_WHEN_SAVED, key)
    away = payment.authorize_saved(
        amount=EUR_50, customer_id=customer, method_id=method_id, off_session=True, idempotency_key=key()
    )
    present = payment.authorize_saved(
        amount=EUR_50, customer_id=customer, method_id=method_id, off_session=False, idempotency_key=key()
    )
    assert away.status == "authorized"
    assert present.status == "requires_action" and present.action_url


def test_off_session_a_card_the_bank_always_challenges_raises_authentication_required(payment, key):
    # given a saved card whose bank wants every payment authenticated
    customer = payment.create_customer(owner_reference="member:1", idempotency_key=key())
    method_id = _saved(payment, customer, AUTHENTICATES_ALWAYS, key)
    attempt = key()
    # when it is charged without the customer, twice with the same key
    for _try in range(2):
        with pytest.raises(AuthenticationRequired) as refused:
            payment.authorize_saved(
                amount=EUR_50,
                customer_id=customer,
                method_id=method_id,
                off_session=True,
                idempotency_key=attempt,
            )
        # then the caller can tell: ask the customer to pay on-session
        assert refused.value.reason == "authentication_required"
        assert refused.value.details["reason"] == "authentication_required"
    present = payment.authorize_saved(
        amount=EUR_50, customer_id=customer, method_id=method_id, off_session=False, idempotency_key=key()
    )
    assert present.status == "requires_action" and present.action_url


def test_another_customers_card_can_be_neither_charged_nor_removed(payment, key):
    owner = payment.create_customer(owner_reference="member:1", idempotency_key=key())
    stranger = payment.create_customer(owner_reference="member:2", idempotency_key=key())
    method_id = _saved(payment, owner, SAVED_SUCCEEDS, key)
    with pytest.raises(ProviderRefused) as charged:
        payment.authorize_saved(
            amount=EUR_50, customer_id=stranger, method_id=method_id, off_session=True, idempotency_key=key()
        )
    with pytest.raises(ProviderRefused) as removed:
        payment.saved_method_remove(customer_id=stranger, method_id=method_id, idempotency_key=key())
    with pytest.raises(ProviderRefused) as unknown:
        payment.saved_method_remove(customer_id=owner, method_id="pm_nothing", idempotency_key=key())
    assert charged.value.reason == removed.value.reason == unknown.value.reason == "no_such_payment_method"
    assert [m.id for m in payment.saved_methods(customer_id=owner)] == [method_id]


def test_every_provider_declares_how_long_its_authorizations_hold(payment, methods, key, settings):
    # a window of days, and an authorization that expires at its end
    window = payment.authorization_window()
    assert timedelta(hours=1) <= window <= timedelta(days=31)
    held = payment.authorize(amount=EUR_50, payment_method=methods.succeeds, idempotency_key=key())
    assert held.expires_at is not None
    assert abs(held.expires_at - (timezone.now() + window)) < timedelta(minutes=5)
    if payment.name == "sandbox":  # the sandbox's is configurable, for tests of deals far ahead
        settings.SANDBOX_AUTHORIZATION_WINDOW_HOURS = 48
        assert payment.authorization_window() == timedelta(hours=48)
