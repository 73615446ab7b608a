"""A hold that lapses at the card's bank before it is captured (booking v4, escrow.lapse),
through the API, the clock, the sandbox's explicit expiry and Stripe's signed webhook (against
the FAKE Stripe API, fixtures/stripe/fake.py, never Stripe itself).

Nothing was posted for a hold, so nothing is posted when it lapses; the deal asks for the money
again: the customer's saved card (the same card, saved) is held again, or the customer is asked
to pay again within 2 days, else the booking is cancelled and both are told.
"""

import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from barnraise.commerce.models import Booking, Transaction
from barnraise.conftest import TEST_CARD, ApiClient, after_commit
from barnraise.ledger import selectors
from barnraise.ledger.models import Account, AccountKind, Payment, ProviderCall, ProviderOperation
from barnraise.ledger.providers.sandbox import SandboxProvider
from barnraise.ledger.tests.conftest import book, deliver, save_in_sandbox, signed, step, sweep_at
from barnraise.ledger.tests.fixtures.stripe.fake import fake_stripe
from barnraise.ledger.verify import ledger_verify
from barnraise.notifications.models import Notification, OutgoingEmail

pytestmark = pytest.mark.django_db

LAPSED = "The hold on your card expired"


def saved_card(client, card=TEST_CARD) -> str:
    setup = client.call("POST", "me/payment-methods/setup").json()
    save_in_sandbox(setup, card)
    return client.call("GET", "me/payment-methods").json()["results"][0]["id"]


def escrow(tx_id: str) -> int:
    account = Account.objects.filter(kind=AccountKind.ESCROW, reference=f"transaction:{tx_id}").first()
    return selectors.balance_of(account).amount_minor if account else 0


def assert_books_balance():
    assert all(total == 0 for total in selectors.trial_balance().values())
    assert ledger_verify().problems == []


def expire(tx_id: str, *, report: bool = True) -> None:
    """The sandbox's bank lets the deal's hold go now (and tells the ledger, as a webhook would)."""
    held = Payment.objects.get(reference=f"transaction:{tx_id}").authorization_id
    after_commit(lambda: SandboxProvider().authorization_expire(authorization_id=held, report=report))


def deal_page(member, url: str) -> str:
    browser = ApiClient()
    browser.force_login(member.user)
    return browser.get(url).content.decode()


def names(client, tx_id: str) -> list[str]:
    return [e["name"] for e in client.call("GET", f"transactions/{tx_id}").json()["events"]]


def test_a_lapsed_hold_on_a_request_keeps_the_saved_card_and_holds_it_again_once_accepted(
    customer, provider, listing
):
    room = listing(title="Garden room")
    card = saved_card(customer)  # the customer saved the card they then typed in
    tx = book(customer, room, card=TEST_CARD).json()
    assert (tx["state"], tx["process_version"]) == ("requested", 4)
    # when the bank lets the hold go before the provider answers
    expire(tx["id"])
    # then the request still waits for the provider, the saved card kept; nothing was posted
    assert Transaction.objects.get().state == "requested" and escrow(tx["id"]) == 0
    payment = Payment.objects.get()
    assert (payment.status, payment.authorization_id, payment.payment_method) == ("scheduled", "", card)
    told = Notification.objects.get(recipient=customer.user, title__startswith=LAPSED)
    assert "Garden room" in told.title and "saved card" in told.title
    page = deal_page(customer, told.url)  # where the notification leads: the timeline says it
    assert (
        "the hold on the card expired; the saved card is charged again when the request is accepted" in page
    )
    # and the provider's acceptance takes effect once the card is held again
    assert step(provider, tx["id"], "accept").status_code == 409
    assert step(provider, tx["id"], "accept_ahead").json()["state"] == "scheduled"
    assert customer.call("GET", f"transactions/{tx['id']}").json()["contact"] is None
    sweep_at(timezone.now() + timedelta(minutes=1))
    done = Transaction.objects.get()
    assert done.state == "accepted" and escrow(tx["id"]) == done.total_amount_minor
    assert names(customer, tx["id"])[-4:] == [
        "accept_ahead",
        "take_payment",
        "payment_authorized",
        "payment_captured",
    ]
    assert_books_balance()


def test_a_lapsed_request_without_a_saved_card_asks_to_pay_again_and_a_new_payment_keeps_it(
    customer, provider, listing
):
    room = listing(title="Garden room")
    tx = book(customer, room).json()
    expire(tx["id"])
    # then the customer is asked, by a notification and an email linking to the deal
    assert Transaction.objects.get().state == "payment_renewal"
    told = Notification.objects.get(recipient=customer.user, title__startswith=LAPSED)
    assert "pay again" in told.title and "within 2 days" in told.title and told.url.endswith(f"/{tx['id']}/")
    email = OutgoingEmail.objects.get(to=customer.user.email, subject__startswith=LAPSED)
    assert tx["id"] in email.text_body and "_" not in email.subject
    shown = customer.call("GET", f"transactions/{tx['id']}").json()
    assert shown["available_transitions"] == ["pay_again", "cancel_by_customer"]
    page = deal_page(customer, told.url)  # the paying step, with the payment element
    assert "Waiting for the customer to pay again" in page and "Pay again" in page
    # a declined card changes nothing; a good one holds the money and the request goes on
    assert step(customer, tx["id"], "pay_again", payment_method="4000000000000002").status_code == 402
    again = step(customer, tx["id"], "pay_again", payment_method=TEST_CARD)
    assert again.status_code == 200, again.content
    assert again.json()["state"] == "requested" and Payment.objects.get().status == "authorized"
    step(provider, tx["id"], "accept")
    assert Transaction.objects.get().state == "accepted" and escrow(tx["id"]) == 3200
    assert_books_balance()


def test_a_customer_who_does_not_pay_again_in_time_loses_the_booking_and_both_are_told(
    customer, provider, listing
):
    room = listing(title="Garden room")
    tx = book(customer, room, days=5).json()
    expire(tx["id"])
    sweep_at(timezone.now() + timedelta(days=2, minutes=1))
    assert Transaction.objects.get().state == "cancelled"
    assert Booking.objects.get().status == "cancelled" and Payment.objects.get().status == "voided"
    for member in (customer, provider):
        told = Notification.objects.filter(recipient=member.user, title__startswith="Cancelled: the payment")
        assert told.count() == 1 and "expired" in told.get().title
    assert escrow(tx["id"]) == 0 and not ProviderCall.objects.filter(operation="void").exists()
    assert_books_balance()


def test_a_capture_that_fails_on_a_lapsed_hold_holds_the_saved_card_again_instead_of_failing(
    customer, provider, listing
):
    room = listing()
    card = saved_card(customer)
    tx = book(customer, room).json()
    expire(tx["id"], report=False)  # nobody hears of it until the capture
    # when the provider accepts, the capture fails on the lapsed hold
    step(provider, tx["id"], "accept")
    # then the saved card is held again off-session and captured: the acceptance takes effect
    done = Transaction.objects.get()
    assert done.state == "accepted" and escrow(tx["id"]) == done.total_amount_minor
    captures = ProviderCall.objects.filter(operation=ProviderOperation.CAPTURE).order_by("created_at")
    assert [c.result.get("status") for c in captures] == ["failed", "captured"]
    assert ProviderCall.objects.get(operation=ProviderOperation.AUTHORIZE_SAVED).payload["method_id"] == card
    assert names(customer, tx["id"])[-4:] == [
        "accept",
        "hold_lapsed",
        "payment_authorized",
        "payment_captured",
    ]
    assert_books_balance()


def test_the_sandbox_clock_lapses_a_hold_and_without_a_saved_card_the_customer_confirms_again(
    customer, provider, listing, settings
):
    # given holds that last 2 days, and a request the provider answers after 2½
    settings.SANDBOX_AUTHORIZATION_WINDOW_HOURS = 48
    room = listing(title="Garden room")
    tx = book(customer, room, days=6).json()
    later = timezone.now() + timedelta(hours=60)
    with time_machine.travel(later, tick=False):
        step(provider, tx["id"], "accept")
        # then the capture fails on the lapsed hold and the customer is asked to pay again
        assert Transaction.objects.get().state == "payment_action_needed"
        told = Notification.objects.get(recipient=customer.user, title__startswith=LAPSED)
        assert "Garden room" in told.title
        confirmed = step(customer, tx["id"], "confirm_payment", payment_method=TEST_CARD)
        assert confirmed.status_code == 200, confirmed.content
    assert Transaction.objects.get().state == "accepted" and escrow(tx["id"]) == 3200
    assert_books_balance()


def test_a_second_lapse_asks_the_customer_instead_of_holding_the_saved_card_again(
    customer, provider, listing, settings
):
    room = listing()
    saved_card(customer)
    tx = book(customer, room).json()
    expire(tx["id"], report=False)
    # when the saved card's new hold lapses at once too (a hold of no time at all)
    settings.SANDBOX_AUTHORIZATION_WINDOW_HOURS = 0
    step(provider, tx["id"], "accept")
    # then it is held again once only, and the customer is asked
    assert Transaction.objects.get().state == "payment_action_needed"
    assert ProviderCall.objects.filter(operation=ProviderOperation.AUTHORIZE_SAVED).count() == 1
    assert names(customer, tx["id"])[-3:] == ["hold_lapsed", "payment_authorized", "hold_lapsed_pay_again"]
    assert escrow(tx["id"]) == 0
    assert_books_balance()


def test_stripes_webhook_of_a_lapsed_hold_moves_the_deal_and_its_own_cancel_does_not(
    customer, provider, listing, settings
):
    room = listing(title="Garden room")
    with fake_stripe(settings) as fake:
        settings.PAYMENT_PROVIDER = "stripe"
        book(customer, room, card="pm_card_visa")
        held = Payment.objects.get().authorization_id
        assert held.startswith("pi_")
        # when Stripe cancels the uncaptured PaymentIntent because its authorization expired
        canceled = fake.expire_authorization(held)
        assert (canceled["status"], canceled["cancellation_reason"]) == ("canceled", "automatic")
        [event] = [e for e in fake.events if e["type"] == "payment_intent.canceled"]
        # then the signed webhook moves the deal: the customer is asked to pay again
        body = json.dumps(event).encode()
        answered = after_commit(lambda: deliver(Client(), body, signed(body, secret="whsec_fake")))
        assert answered.status_code == 200, answered.content
        assert Transaction.objects.get().state == "payment_renewal"
        assert Notification.objects.filter(recipient=customer.user, title__startswith=LAPSED).exists()
        # and a redelivery changes nothing
        again = after_commit(lambda: deliver(Client(), body, signed(body, secret="whsec_fake")))
        assert again.json()["duplicate"] is True
        # a cancellation we asked for ourselves (a declined request's void) is not a lapse
        other = book(customer, room, card="pm_card_visa", days=9).json()
        step(provider, other["id"], "decline", reason="Busy")
        mine = dict(event, id="evt_own_void")
        mine["data"] = {"object": dict(event["data"]["object"], cancellation_reason="requested_by_customer")}
        mine["data"]["object"]["id"] = Payment.objects.get(
            reference=f"transaction:{other['id']}"
        ).authorization_id
        body = json.dumps(mine).encode()
        assert (
            after_commit(lambda: deliver(Client(), body, signed(body, secret="whsec_fake"))).status_code
            == 200
        )
        assert Transaction.objects.get(pk=other["id"]).state == "declined"
    assert_books_balance()


def test_with_stripe_a_capture_on_an_expired_authorization_asks_the_customer_again(
    customer, provider, listing, settings
):
    room = listing()
    with fake_stripe(settings) as fake:
        settings.PAYMENT_PROVIDER = "stripe"
        tx = book(customer, room, card="pm_card_visa").json()
        fake.expire_authorization(Payment.objects.get().authorization_id)  # its webhook is lost
        step(provider, tx["id"], "accept")
        capture = ProviderCall.objects.get(operation=ProviderOperation.CAPTURE)
        assert capture.result["failure_code"] == "authorization_expired"
        assert Transaction.objects.get().state == "payment_action_needed"
    assert escrow(tx["id"]) == 0
    assert_books_balance()


def test_an_older_version_still_fails_the_payment(customer, provider, listing):
    room = listing()
    tx = book(customer, room).json()
    Transaction.objects.filter(pk=tx["id"]).update(process_version=3)  # a deal opened before v4
    expire(tx["id"])
    assert Transaction.objects.get().state == "requested"  # v3 has no step for it
    step(provider, tx["id"], "accept")
    assert Transaction.objects.get().state == "payment_failed"
    assert datetime.fromisoformat(tx["start"]) > timezone.now()
