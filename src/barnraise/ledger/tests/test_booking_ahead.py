"""Bookings that start beyond the authorization window (booking v3), through the API and the
clock: the saved card is kept, authorized off-session nearer the date, and the customer is asked
when the bank wants them.

The sandbox's window is 7 days (`SANDBOX_AUTHORIZATION_WINDOW_HOURS`); a deferred payment is
authorized 6 days before the start (the window less a day). Its test cards off-session:
4242 4242 4242 4242 is held; 4000 0027 6000 3184 always asks for authentication, so off-session
it is refused `authentication_required`.
"""

from datetime import datetime, timedelta

import pytest

from barnraise.commerce.models import Booking, Transaction
from barnraise.conftest import TEST_CARD, ApiClient
from barnraise.ledger import selectors
from barnraise.ledger.models import Account, AccountKind, Payment, ProviderCall, ProviderOperation
from barnraise.ledger.tests.conftest import book, save_in_sandbox, step, sweep_at
from barnraise.ledger.verify import ledger_verify
from barnraise.notifications.models import Notification, OutgoingEmail

pytestmark = pytest.mark.django_db

ALWAYS_AUTHENTICATES = "4000002760003184"
AHEAD = 20  # days: beyond the sandbox's 7-day window


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


def due(tx) -> datetime:
    return datetime.fromisoformat(tx["start"]) - timedelta(days=6)


def test_a_request_far_ahead_keeps_the_saved_card_and_is_paid_nearer_the_date(customer, provider, listing):
    room = listing()
    card = saved_card(customer)
    # when the customer asks for a room 20 days ahead, paying with a saved card
    tx = book(customer, room, card=card, days=AHEAD).json()
    # then the deal opens on version 3 with the card kept: nothing is held or charged yet
    assert (tx["state"], tx["process_version"]) == ("requested", 4)
    assert [e["name"] for e in tx["events"]] == ["request_ahead"]
    payment = Payment.objects.get()
    assert (payment.status, payment.authorization_id, payment.payment_method) == ("scheduled", "", card)
    assert not ProviderCall.objects.filter(operation__startswith="authorize").exists()
    # the provider's plain accept is refused; the one on offer takes effect once the money is held
    refused = step(provider, tx["id"], "accept")
    assert refused.status_code == 409 and Transaction.objects.get().state == "requested"
    shown = provider.call("GET", f"transactions/{tx['id']}").json()
    assert "accept_ahead" in shown["available_transitions"] and "accept" not in shown["available_transitions"]
    assert step(provider, tx["id"], "accept_ahead").json()["state"] == "scheduled"
    assert customer.call("GET", f"transactions/{tx['id']}").json()["contact"] is None
    # when the clock is short of the due moment, nothing happens
    sweep_at(due(tx) - timedelta(hours=1))
    assert Transaction.objects.get().state == "scheduled" and escrow(tx["id"]) == 0
    # when it is due, the card is authorized off-session and captured into escrow
    sweep_at(due(tx) + timedelta(minutes=1))
    done = Transaction.objects.get()
    assert done.state == "accepted" and escrow(tx["id"]) == done.total_amount_minor == 3200
    call = ProviderCall.objects.get(operation=ProviderOperation.AUTHORIZE_SAVED)
    assert call.payload["method_id"] == card and call.status == "succeeded"
    names = [e["name"] for e in customer.call("GET", f"transactions/{tx['id']}").json()["events"]]
    assert names == [
        "request_ahead",
        "accept_ahead",
        "take_payment",
        "payment_authorized",
        "payment_captured",
    ]
    assert Payment.objects.get().status == "captured"
    assert_books_balance()


def test_an_instant_booking_far_ahead_waits_booked_and_a_one_off_card_is_held_at_once(
    customer, provider, listing
):
    room = listing(instant_booking=True)
    card = saved_card(customer)
    # when the customer books instantly far ahead with a saved card: booked, paid later
    tx = book(customer, room, card=card, days=AHEAD).json()
    assert (tx["state"], tx["events"][0]["name"]) == ("scheduled", "book_ahead")
    assert Booking.objects.get().status == "accepted"
    # and with a card typed in (nothing saved to charge later), it is held and captured now
    other = book(customer, room, card=TEST_CARD, days=AHEAD + 1).json()
    assert (other["events"][0]["name"], Transaction.objects.get(pk=other["id"]).state) == ("book", "accepted")
    sweep_at(due(tx) + timedelta(minutes=1))
    assert Transaction.objects.get(pk=tx["id"]).state == "accepted" and escrow(tx["id"]) == 3200
    assert_books_balance()


def test_a_booking_within_the_window_is_held_at_once_even_with_a_saved_card_asked_for_later(
    customer, provider, listing, settings
):
    # given a provider whose holds last 2 days (a deferred payment is authorized a day ahead)
    settings.SANDBOX_AUTHORIZATION_WINDOW_HOURS = 48
    room = listing(instant_booking=True)
    card = saved_card(customer)
    # then 3 days ahead is beyond it: kept for later, and authorized a day before the start
    tx = book(customer, room, card=card, days=3).json()
    assert tx["state"] == "scheduled"
    timer_at = datetime.fromisoformat(tx["start"]) - timedelta(days=1)
    sweep_at(timer_at - timedelta(minutes=5))
    assert Transaction.objects.get().state == "scheduled"
    sweep_at(timer_at + timedelta(minutes=1))
    assert Transaction.objects.get().state == "accepted"


def test_when_the_bank_asks_off_session_the_customer_is_told_and_confirms_on_the_deal_page(
    customer, provider, listing
):
    room = listing(title="Garden room")
    card = saved_card(customer, ALWAYS_AUTHENTICATES)
    tx = book(customer, room, card=card, days=AHEAD).json()
    step(provider, tx["id"], "accept_ahead")
    # when the payment is due and the bank wants the customer
    sweep_at(due(tx) + timedelta(minutes=1))
    # then the deal waits for them, and they are told by a notification and an email
    assert Transaction.objects.get().state == "payment_action_needed"
    assert Payment.objects.get().status == "scheduled"
    told = Notification.objects.get(recipient=customer.user, title__startswith="Confirm your payment")
    assert "Garden room" in told.title and told.url.endswith(f"/{tx['id']}/")
    assert OutgoingEmail.objects.filter(
        to=customer.user.email, subject__contains="Confirm your payment"
    ).exists()
    shown = customer.call("GET", f"transactions/{tx['id']}").json()
    assert shown["available_transitions"] == ["confirm_payment", "cancel_by_customer"]
    # and the deal page offers the step with a payment method, in words
    browser = ApiClient()
    browser.force_login(customer.user)
    page = browser.get(told.url).content.decode()  # the deal's page, where the link leads
    assert "Confirm the payment" in page and "Waiting for the customer to confirm the payment" in page
    # when they confirm it with a card, on-session, the money is held and captured
    confirmed = step(customer, tx["id"], "confirm_payment", payment_method=TEST_CARD)
    assert confirmed.status_code == 200, confirmed.json()
    assert Transaction.objects.get().state == "accepted" and escrow(tx["id"]) == 3200
    assert Payment.objects.get().payment_method == "card:…4242"
    assert_books_balance()


def test_a_payment_not_confirmed_in_time_cancels_the_booking_and_tells_both(customer, provider, listing):
    room = listing(title="Garden room", instant_booking=True)
    card = saved_card(customer, ALWAYS_AUTHENTICATES)
    tx = book(customer, room, card=card, days=AHEAD).json()
    sweep_at(due(tx) + timedelta(minutes=1))
    assert Transaction.objects.get().state == "payment_action_needed"
    # when two days pass without the customer
    sweep_at(due(tx) + timedelta(days=2, minutes=2))
    # then the booking is cancelled, its seats freed, nothing held, and both are told why
    assert Transaction.objects.get().state == "cancelled"
    assert Booking.objects.get().status == "cancelled" and Payment.objects.get().status == "voided"
    for member in (customer, provider):
        told = Notification.objects.filter(recipient=member.user, title__startswith="Cancelled: the payment")
        assert told.count() == 1 and "Garden room" in told.get().title
    assert escrow(tx["id"]) == 0
    assert_books_balance()


def test_a_customer_cancels_a_booking_paid_later_and_owes_nothing(customer, provider, listing):
    room = listing(instant_booking=True)
    tx = book(customer, room, card=saved_card(customer), days=AHEAD).json()
    cancelled = step(customer, tx["id"], "cancel_by_customer", reason="Plans changed")
    assert cancelled.json()["state"] == "cancelled"
    assert Payment.objects.get().status == "voided" and not ProviderCall.objects.exists()
    # and its timer does nothing when it comes
    sweep_at(due(tx) + timedelta(minutes=1))
    assert Transaction.objects.get().state == "cancelled"
    assert not ProviderCall.objects.exists()


def test_another_members_saved_card_is_not_kept_for_later(customer, provider, listing, api_as):
    room = listing(instant_booking=True)
    someone = api_as(name="Sam Someone")
    theirs = saved_card(someone)
    # a saved card of someone else is not the customer's: it is tried as a card now, and declined
    refused = book(customer, room, card=theirs, days=AHEAD)
    assert refused.status_code == 402 and refused.json()["error"]["code"] == "card_declined"
    assert (Transaction.objects.count(), Payment.objects.count()) == (0, 0)


def test_new_bookings_use_version_4_and_its_diagram_shows_the_timer_and_the_lapsed_holds(api):
    shown = api.call("GET", "processes/booking").json()
    assert shown["version"] == 4
    assert "scheduled --> payment_pending: take_payment (system, at payment_due)" in shown["diagram"]
    assert "payment_pending --> payment_action_needed: hold_lapsed_pay_again (system)" in shown["diagram"]
