"""The payment element's checkouts through the API, with the sandbox's client side as the
browser (Stripe.js, or the shim of it) would call it: the server prices the checkout, the
browser confirms it with a test card, and the deal's paying step opens the deal only once the
provider holds the money. Two hours of a €15.00 room cost the customer €32.00 (fees included).
"""

from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from barnraise.commerce.models import Transaction
from barnraise.commerce.tests.conftest import slot
from barnraise.conftest import after_commit
from barnraise.ledger.models import Payment, ProviderCall
from barnraise.ledger.providers.sandbox_checkout import PUBLISHABLE_KEY

pytestmark = pytest.mark.django_db

GOOD, DECLINED, THREE_DS = "4242 4242 4242 4242", "4000 0000 0000 0002", "4000 0027 6000 3184"


def checkout(client, room, key=None, **fields):
    start, end = slot()
    body = {"listing_id": str(room.public_id), "start": start, "end": end, **fields}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.call("POST", "transactions/checkout", json=body, **headers)


def confirm(checkout_json, card, key=PUBLISHABLE_KEY):
    """What the shim posts from the browser: the publishable key, never a token or a cookie."""
    browser = Client()
    data = {
        "key": key,
        "client_secret": checkout_json["client_secret"],
        "payment_method_data[card][number]": card,
    }
    return browser.post(f"/sandbox/v1/payment_intents/{checkout_json['id']}/confirm", data)


def open_deal(client, room, payment_method):
    start, end = slot()
    body = {"listing_id": str(room.public_id), "start": start, "end": end, "payment_method": payment_method}
    return after_commit(lambda: client.call("POST", "transactions", json=body))


def test_a_booking_paid_through_a_checkout_the_browser_confirmed(customer, listing):
    room = listing()
    # given a checkout the server priced (never the page)
    made = checkout(customer, room)
    assert made.status_code == 201
    body = made.json()
    assert body["amount"] == {"amount_minor": 3200, "currency": "EUR", "formatted": "€32.00"}
    assert body["client_secret"].startswith(f"{body['id']}_secret_")
    # when the deal is sent before the card is confirmed, nothing opens
    early = open_deal(customer, room, body["id"])
    assert early.status_code == 422 and "payment_method" in early.json()["error"]["details"]
    # when the browser confirms it with a good card, the money is held
    confirmed = confirm(body, GOOD)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "requires_capture"
    # then the deal opens with the checkout's id, for that amount
    opened = open_deal(customer, room, body["id"])
    assert opened.status_code == 201 and opened.json()["state"] == "requested"
    payment = Payment.objects.get(authorization_id=body["id"])
    assert (payment.amount_minor, payment.currency) == (3200, "EUR")
    # and the same checkout cannot pay a second deal
    again = open_deal(customer, room, body["id"])
    assert again.status_code == 422 and "payment_method" in again.json()["error"]["details"]
    assert Transaction.objects.count() == 1


def test_a_declined_card_answers_a_stripe_shaped_error_and_opens_nothing(customer, listing):
    room = listing()
    body = checkout(customer, room).json()
    declined = confirm(body, DECLINED)
    assert declined.status_code == 402
    error = declined.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "card_declined",
    )
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert open_deal(customer, room, body["id"]).status_code == 402
    assert Transaction.objects.count() == 0


def test_three_d_secure_completes_in_the_challenge_page_or_fails(customer, listing):
    room = listing()
    for outcome, status, opens in (
        ("complete", "requires_capture", 201),
        ("fail", "requires_payment_method", 402),
    ):
        body = checkout(customer, room).json()
        asked = confirm(body, THREE_DS).json()
        assert asked["status"] == "requires_action"
        url = urlparse(asked["next_action"]["redirect_to_url"]["url"])
        page = Client()
        assert "€32.00" in page.get(f"{url.path}?{url.query}").content.decode()
        assert page.get(url.path + "?token=wrong").status_code == 404
        page.post(f"{url.path}?{url.query}", {"outcome": outcome})
        intent = Client().get(
            f"/sandbox/v1/payment_intents/{body['id']}",
            {"key": PUBLISHABLE_KEY, "client_secret": body["client_secret"]},
        )
        assert intent.json()["status"] == status
        assert open_deal(customer, room, body["id"]).status_code == opens
    assert Transaction.objects.count() == 1


def test_the_client_side_wants_the_publishable_key_and_the_secret(customer, listing):
    body = checkout(customer, listing()).json()
    assert confirm(body, GOOD, key="pk_wrong").json()["error"]["code"] == "api_key_invalid"
    assert confirm({**body, "client_secret": body["id"] + "_secret_x"}, GOOD).status_code == 404
    assert confirm(body, GOOD).status_code == 200
    # a checkout is confirmed once
    assert confirm(body, GOOD).json()["error"]["code"] == "payment_intent_unexpected_state"


def test_bad_input_wrong_party_and_repeats(customer, provider, listing, api_as):
    room = listing()
    # bad input is a 4xx with a code, never a 500
    assert checkout(customer, room, seats="two").status_code == 422
    assert checkout(customer, room, amount_minor=1).status_code == 422  # the client names no amount
    assert customer.call("POST", "transactions/checkout", json={"listing_id": "nope"}).status_code == 422
    # the provider cannot pay for their own listing
    assert checkout(provider, room).status_code == 409
    # the same key answers the same checkout; another key, another
    first = checkout(customer, room, key="k1").json()
    assert checkout(customer, room, key="k1").json()["id"] == first["id"]
    assert checkout(customer, room, key="k2").json()["id"] != first["id"]
    # someone else's checkout id is no payment of theirs
    stranger = api_as()
    confirm(first, GOOD)
    assert open_deal(stranger, room, first["id"]).status_code in (402, 422)
    assert Transaction.objects.count() == 0


def test_a_deal_s_step_checkout_is_for_its_parties_only(customer, provider, listing, api_as):
    room = listing()
    tx = open_deal(customer, room, checkout_confirmed(customer, room)).json()
    path = f"transactions/{tx['id']}/checkout"
    calls = ProviderCall.objects.count()
    assert api_as().call("POST", path, json={"name": "accept"}).status_code == 404
    # only the customer pays: the provider sees the deal but gets no checkout
    assert provider.call("POST", path, json={"name": "accept"}).status_code == 403
    # a step that takes no payment has no checkout
    assert customer.call("POST", path, json={"name": "accept"}).status_code == 422
    assert customer.call("POST", path, json={"name": 5}).status_code == 422
    assert ProviderCall.objects.count() == calls


def checkout_confirmed(client, room):
    body = checkout(client, room).json()
    assert confirm(body, GOOD).status_code == 200
    return body["id"]


def test_the_3ds_page_returns_to_the_return_url_on_this_site_only(customer, listing):
    body = checkout(customer, listing()).json()
    url = urlparse(confirm(body, THREE_DS).json()["next_action"]["redirect_to_url"]["url"])
    token = parse_qs(url.query)["token"][0]
    outside = Client().post(
        f"{url.path}?token={token}&return_url=https://evil.example/x", {"outcome": "complete"}
    )
    assert outside.status_code == 200  # no redirect away from the site
    assert Client().get(f"{url.path}?token={token}")["X-Frame-Options"] == "SAMEORIGIN"
