"""A checkout's payment, with the sandbox and with the Stripe adapter against the FAKE Stripe
API (fixtures/stripe/fake.py, never Stripe itself), confirmed as a page does it (Stripe.js, or
the shim of it, with the publishable key and the client secret):

- the deal's payment names the card the provider says was charged (its brand and last four
  digits), not "payment element";
- a checkout the customer confirmed for a deal that then cannot open (the room was taken in
  the meantime) is voided through the ledger's provider calls: the PaymentIntent is cancelled.
"""

import json
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from barnraise.commerce.models import Transaction
from barnraise.commerce.tests.conftest import slot
from barnraise.conftest import TEST_CARD, after_commit
from barnraise.ledger.models import Payment, ProviderCall
from barnraise.ledger.providers.sandbox_checkout import PUBLISHABLE_KEY as SANDBOX_KEY
from barnraise.ledger.tests.fixtures.stripe.fake import PUBLISHABLE_KEY, FakeStripe, fake_stripe

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["sandbox", "stripe"])
def payments(request: Any, settings: Any, provider: Any) -> Iterator[FakeStripe | None]:
    if request.param == "sandbox":
        yield None
        return
    with fake_stripe(settings) as fake:
        settings.PAYMENT_PROVIDER = "stripe"
        yield fake


def checkout(client: Any, room: Any) -> dict[str, Any]:
    start, end = slot()
    made = client.call(
        "POST", "transactions/checkout", json={"listing_id": str(room.public_id), "start": start, "end": end}
    )
    assert made.status_code == 201, made.content
    return dict(made.json())


def confirm(fake: FakeStripe | None, made: dict[str, Any], card: str = TEST_CARD) -> dict[str, Any]:
    """What the browser posts: the card to the provider's client side, with the publishable key."""
    if fake is None:
        answer = Client().post(
            f"/sandbox/v1/payment_intents/{made['id']}/confirm",
            {
                "key": SANDBOX_KEY,
                "client_secret": made["client_secret"],
                "payment_method_data[card][number]": card,
            },
        )
        assert answer.status_code == 200, answer.content
        return dict(answer.json())
    data = {
        "key": PUBLISHABLE_KEY,
        "client_secret": made["client_secret"],
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": card,
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "2034",
        "payment_method_data[card][cvc]": "123",
    }
    request = urllib.request.Request(  # noqa: S310 - the fake on 127.0.0.1
        f"{fake.base}/v1/payment_intents/{made['id']}/confirm", data=urlencode(data).encode(), method="POST"
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return dict(json.loads(response.read()))


def open_deal(client: Any, room: Any, payment_method: str) -> Any:
    start, end = slot()
    body = {"listing_id": str(room.public_id), "start": start, "end": end, "payment_method": payment_method}
    return after_commit(lambda: client.call("POST", "transactions", json=body))


def test_the_payment_names_the_card_the_provider_charged(customer, listing, payments):
    room = listing()
    made = checkout(customer, room)
    assert confirm(payments, made)["status"] == "requires_capture"
    opened = open_deal(customer, room, made["id"])
    assert opened.status_code == 201, opened.content
    payment = Payment.objects.get(authorization_id=made["id"])
    assert payment.payment_method == "visa:…4242"
    shown = customer.call("GET", f"transactions/{opened.json()['id']}/payment").json()
    assert shown["payment_method"] == "visa:…4242"
    assert "payment element" not in json.dumps(shown)


def test_a_confirmed_checkout_whose_deal_cannot_open_is_voided(customer, api_as, listing, payments):
    # given a room with one seat, and a customer who confirmed a checkout for two hours of it
    room = listing(seats=1)
    made = checkout(customer, room)
    assert confirm(payments, made)["status"] == "requires_capture"
    # when someone else books those two hours first
    other = api_as(name="Quick Quentin")
    first = checkout(other, room)
    confirm(payments, first)
    assert open_deal(other, room, first["id"]).status_code == 201
    # then the customer's deal cannot open, and the money held on their card is let go
    refused = open_deal(customer, room, made["id"])
    assert refused.status_code in (409, 422), refused.content
    assert Transaction.objects.count() == 1
    [void] = ProviderCall.objects.filter(operation="void")
    assert void.payload["authorization_id"] == made["id"] and void.status == "succeeded"
    if payments is None:
        intent = Client().get(
            f"/sandbox/v1/payment_intents/{made['id']}",
            {"key": SANDBOX_KEY, "client_secret": made["client_secret"]},
        )
        assert intent.json()["status"] == "canceled"
    else:
        assert payments.objects[made["id"]]["status"] == "canceled"
        assert len(payments.seen("POST", f"/v1/payment_intents/{made['id']}/cancel")) == 1
        assert payments.objects[first["id"]]["status"] == "requires_capture"  # the other's is untouched
    # and sending it again voids nothing twice
    assert open_deal(customer, room, made["id"]).status_code in (409, 422)
    assert ProviderCall.objects.filter(operation="void").count() == 1


def test_a_checkout_never_confirmed_or_used_already_is_not_voided(customer, listing, payments):
    room = listing(seats=1)
    unconfirmed = checkout(customer, room)
    assert open_deal(customer, room, unconfirmed["id"]).status_code == 422
    used = checkout(customer, room)
    confirm(payments, used)
    assert open_deal(customer, room, used["id"]).status_code == 201
    # the same checkout sent again (a second click): refused, and the deal's hold is kept
    assert open_deal(customer, room, used["id"]).status_code in (409, 422)
    assert not ProviderCall.objects.filter(operation="void").exists()
    assert Payment.objects.get(authorization_id=used["id"]).status == "authorized"
