"""The saved-cards page (/wallet/cards/) with the sandbox, as the shim drives it: a setup the
page asks for, confirmed at the sandbox's client side (/sandbox/v1/setup_intents/…/confirm,
with the publishable key, as Stripe.js confirms a SetupIntent), the cards listed in words,
one removed after a confirmation page; and a saved card offered by the payment element and
paying a checkout (/sandbox/v1/payment_intents/…/confirm with `payment_method`)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.commerce.tests.conftest import cats, customer, listing, provider, slot  # noqa: F401 - the deal fixtures
from barnraise.conftest import after_commit
from barnraise.eventlog.models import Event
from barnraise.ledger.models import Payment
from barnraise.ledger.providers.sandbox_checkout import PUBLISHABLE_KEY
from barnraise.web.tests.page_testing import assert_csp_clean

pytestmark = pytest.mark.django_db


@pytest.fixture
def cam(make_user: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_user(email="cam@example.com", name="Cam Customer"))
    return client


def save(client: Client, card: str = "4242424242424242") -> Any:
    started = client.post("/wallet/cards/setup")
    assert started.status_code == 201, started.content
    setup = started.json()
    return Client().post(
        f"/sandbox/v1/setup_intents/{setup['setup_id']}/confirm",
        {
            "key": PUBLISHABLE_KEY,
            "client_secret": setup["client_secret"],
            "payment_method_data[card][number]": card,
        },
    )


def test_a_member_saves_a_card_sees_it_in_words_and_removes_it_after_confirming(cam: Client) -> None:
    # given a member with no saved card
    page = cam.get("/wallet/cards/")
    assert page.status_code == 200 and "No saved cards yet." in page.content.decode()
    assert_csp_clean(page)
    assert "data-setup-url" in page.content.decode() and "data-checkout-url" not in page.content.decode()
    # when the page's element saves a card at the sandbox
    saved = save(cam)
    assert saved.status_code == 200, saved.content
    intent = saved.json()
    assert intent["object"] == "setup_intent" and intent["status"] == "succeeded"
    done = cam.post("/wallet/cards/", {"setup_intent": intent["id"]}, follow=True)
    # then the page says so and lists it in words, never its number
    year = timezone.now().year + 3
    html = done.content.decode()
    assert "Your card is saved." in html
    assert f"Visa ending 4242, expires December {year}" in html
    assert "4242424242424242" not in html and intent["payment_method"] not in html.split("/remove")[-1]
    # when they ask to remove it, they are asked first, and nothing is removed yet
    ask = cam.get(f"/wallet/cards/{intent['payment_method']}/remove")
    assert ask.status_code == 200 and "Remove this card?" in ask.content.decode()
    assert not Event.objects.filter(type="ledger:saved_card:removed").exists()
    # then confirming removes it
    gone = cam.post(f"/wallet/cards/{intent['payment_method']}/remove", follow=True)
    assert f"Visa ending 4242, expires December {year} is removed." in gone.content.decode()
    assert "No saved cards yet." in gone.content.decode()
    assert cam.get(f"/wallet/cards/{intent['payment_method']}/remove").status_code == 404


def test_a_declined_card_is_not_saved_and_another_s_card_is_not_found(
    cam: Client, make_user: Callable[..., User]
) -> None:
    declined = save(cam, "4000000000000002")
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "card_declined"
    assert "No saved cards yet." in cam.get("/wallet/cards/").content.decode()
    card = save(cam).json()["payment_method"]
    stranger = Client()
    stranger.force_login(make_user(email="sly@example.com", name="Sly"))
    assert stranger.get(f"/wallet/cards/{card}/remove").status_code == 404
    assert stranger.post(f"/wallet/cards/{card}/remove").status_code == 404
    assert "Visa ending 4242" in cam.get("/wallet/cards/").content.decode()
    assert Client().get("/wallet/cards/").status_code == 302  # members only


def test_the_payment_element_offers_saved_cards_and_a_saved_card_pays(customer, listing) -> None:  # noqa: F811
    # given a customer (API token) whose browser session saved a card
    room = listing()
    browser = Client()
    browser.force_login(customer.user)
    card = save(browser).json()["payment_method"]
    # then the listing's payment element offers it first, and a new card
    page = browser.get(f"/listings/{room.public_id}/").content.decode()
    assert 'name="saved_card"' in page and f'value="{card}" checked' in page and "A new card" in page
    # when a checkout is confirmed with the saved card, as the shim sends it
    start, end = slot()
    made = customer.call(
        "POST", "transactions/checkout", json={"listing_id": str(room.public_id), "start": start, "end": end}
    ).json()
    confirmed = Client().post(
        f"/sandbox/v1/payment_intents/{made['id']}/confirm",
        {"key": PUBLISHABLE_KEY, "client_secret": made["client_secret"], "payment_method": card},
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "requires_capture"
    body = {"listing_id": str(room.public_id), "start": start, "end": end, "payment_method": made["id"]}
    opened = after_commit(lambda: customer.call("POST", "transactions", json=body))
    # then the deal opens, paid with that card
    assert opened.status_code == 201, opened.content
    assert Payment.objects.get(authorization_id=made["id"]).payment_method == "visa:…4242"


def test_a_saved_card_of_another_customer_does_not_pay(customer, listing, make_user) -> None:  # noqa: F811
    room = listing()
    other = Client()
    other.force_login(make_user(email="ola@example.com", name="Ola"))
    theirs = save(other).json()["payment_method"]
    start, end = slot()
    made = customer.call(
        "POST", "transactions/checkout", json={"listing_id": str(room.public_id), "start": start, "end": end}
    ).json()
    refused = Client().post(
        f"/sandbox/v1/payment_intents/{made['id']}/confirm",
        {"key": PUBLISHABLE_KEY, "client_secret": made["client_secret"], "payment_method": theirs},
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "resource_missing"
