"""Purchases, inquiries and requests with offers, through the API."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from barnraise.catalog.models import Listing
from barnraise.commerce.models import Transaction
from barnraise.commerce.tests.conftest import start, step
from barnraise.conftest import TEST_CARD, payout_ready
from barnraise.timers import services as timers

# Fees have their own tests (test_fees.py); here totals are the listing price alone.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fees")]


def test_purchase_reserves_stock_and_completes_itself_14_days_after_shipping(
    customer, provider, listing, django_capture_on_commit_callbacks
):
    bike = listing("sale", stock=3)
    tx = start(customer, bike, quantity=2).json()
    assert tx["state"] == "requested" and tx["total"]["amount_minor"] == 40000
    assert Listing.objects.get(pk=bike.pk).stock == 1
    step(provider, tx["id"], "accept")
    shipped = step(provider, tx["id"], "mark_shipped", tracking="BE123")
    assert shipped.json()["state"] == "shipped"
    later = timezone.now() + timedelta(days=14, minutes=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        timers.sweep()
    assert Transaction.objects.get(pk=tx["id"]).state == "completed"


def test_purchase_decline_and_expiry_return_the_stock(
    customer, provider, listing, django_capture_on_commit_callbacks
):
    bike = listing("sale", stock=1)
    first = start(customer, bike).json()
    assert start(customer, bike).json()["error"]["code"] == "not_available"
    step(provider, first["id"], "decline")
    assert Listing.objects.get(pk=bike.pk).stock == 1
    second = start(customer, bike).json()
    later = timezone.now() + timedelta(days=3, minutes=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        timers.sweep()
    assert Transaction.objects.get(pk=second["id"]).state == "expired"
    assert Listing.objects.get(pk=bike.pk).stock == 1


def test_an_inquiry_becomes_a_purchase_in_the_same_transaction(customer, provider, listing):
    bike = listing("sale")
    asked = start(customer, bike, transition="inquire", message="Is it still available?").json()
    assert asked["state"] == "inquiry"
    bought = step(customer, asked["id"], "request", quantity=1, payment_method=TEST_CARD)
    assert bought.json()["state"] == "requested"
    assert [e["name"] for e in bought.json()["events"]] == ["inquire", "request"]


def test_classifieds_category_allows_only_inquiries(customer, listing, cats):
    ad = listing("sale", category=cats["ads"])
    refused = start(customer, ad, process="purchase")
    assert refused.status_code == 422 and "process" in refused.json()["error"]["details"]
    chat = start(customer, ad, message="Hi")
    assert chat.json()["process"] == "inquiry" and chat.json()["state"] == "open"


def test_offers_counter_and_accept_close_the_others_and_the_request(
    customer, api_as, listing, django_capture_on_commit_callbacks
):
    # given a request posted by the customer
    need = listing("request", actor=customer.user, title="Paint my fence")
    alice, bob = api_as(name="Alice"), api_as(name="Bob")
    payout_ready(alice.user)
    # when two providers offer
    a = alice.call(
        "POST",
        f"listings/{need.public_id}/offers",
        json={"price": {"amount_minor": 9000, "currency": "EUR"}, "message": "Tomorrow"},
    ).json()
    b = bob.call(
        "POST", f"listings/{need.public_id}/offers", json={"price": {"amount_minor": 7000, "currency": "EUR"}}
    ).json()
    assert a["state"] == "offered" and a["customer"]["id"] == str(customer.user.id)
    # and the customer counters Alice, who meets it; the customer accepts and pays
    countered = step(customer, a["id"], "counter", price={"amount_minor": 8000, "currency": "EUR"})
    assert countered.json()["total"]["amount_minor"] == 8000
    assert countered.json()["events"][-1]["params"]["price"] == {
        "amount_minor": 8000,
        "currency": "EUR",
        "formatted": "€80.00",
    }
    assert step(alice, a["id"], "accept_counter").status_code == 422  # only the payer accepts now
    step(alice, a["id"], "update_offer", price={"amount_minor": 8000, "currency": "EUR"})
    unpaid = step(customer, a["id"], "accept_offer")
    assert unpaid.status_code == 422 and "payment_method" in unpaid.json()["error"]["details"]
    step(customer, a["id"], "accept_offer", payment_method=TEST_CARD)
    # then Alice's deal is on, Bob's offer is closed, and the request left search
    assert Transaction.objects.get(pk=a["id"]).state == "accepted"
    assert Transaction.objects.get(pk=b["id"]).state == "declined"
    assert Listing.objects.get(pk=need.pk).status == "closed"
    # and delivery is approved by itself after 14 days
    step(alice, a["id"], "deliver", message="Done")
    later = timezone.now() + timedelta(days=14, minutes=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        timers.sweep()
    assert Transaction.objects.get(pk=a["id"]).state == "completed"


def test_offer_in_another_currency_or_on_a_non_request_is_refused(customer, api_as, listing):
    need = listing("request", actor=customer.user)
    offer = api_as().call(
        "POST", f"listings/{need.public_id}/offers", json={"price": {"amount_minor": 1, "currency": "USD"}}
    )
    assert offer.status_code == 422 and "price.currency" in offer.json()["error"]["details"]
    bike = listing("sale")
    assert (
        api_as()
        .call(
            "POST",
            f"listings/{bike.public_id}/offers",
            json={"price": {"amount_minor": 1, "currency": "EUR"}},
        )
        .status_code
        == 422
    )
    assert Transaction.objects.exclude(state="initial").count() == 0


def test_an_offer_with_a_time_without_an_offset_is_refused(customer, api_as, listing):
    # given a posted request and a provider
    need = listing("request", actor=customer.user, title="Fix my tap")
    plumber = api_as(name="Plumber")
    # when the offer's time has no UTC offset
    body = {
        "price": {"amount_minor": 5000, "currency": "EUR"},
        "start": "2099-05-01T09:00:00",
        "end": "2099-05-01T11:00:00",
    }
    refused = plumber.call("POST", f"listings/{need.public_id}/offers", json=body)
    # then 400 naive_datetime, and no offer is made
    assert refused.status_code == 400
    assert (refused.json()["error"]["code"], list(refused.json()["error"]["details"])) == (
        "naive_datetime",
        ["start"],
    )
    assert not Transaction.objects.exists()
