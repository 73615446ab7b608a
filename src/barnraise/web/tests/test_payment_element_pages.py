"""The payment element's pages: which Stripe.js each provider loads, the CSP that allows it
(Stripe's documented origins only with PAYMENT_PROVIDER=stripe, never `unsafe-inline`), and
the checkout the page asks for, priced from the form on the server."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.conftest import payout_ready
from barnraise.web.tests.page_testing import assert_csp_clean

pytestmark = pytest.mark.django_db

STRIPE = {
    "script-src": {"'self'", "https://js.stripe.com"},
    "frame-src": {"'self'", "https://js.stripe.com", "https://hooks.stripe.com"},
    "connect-src": {"'self'", "https://api.stripe.com"},
}


@pytest.fixture
def room(make_user: Callable[..., User]) -> Listing:
    provider = payout_ready(make_user(email="pat@example.com", name="Pat Provider"))
    rooms: Category = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    return listing_create(
        actor=provider,
        category=rooms,
        kind="rental",
        unit="night",
        title="Garden room",
        price_amount_minor=4000,
        currency="EUR",
        lat=50.85,
        lng=4.35,
        timezone="Europe/Brussels",
        address="Secret St 1",
    )


@pytest.fixture
def customer(make_user: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_user(email="cam@example.com", name="Cam Customer"))
    return client


def directives(response: Any) -> dict[str, set[str]]:
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    return {name: set(values) for name, *values in (d.split() for d in policy.split(";") if d.strip())}


def stripe_in_production(settings: Any) -> None:
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = "sk_test_x", ""
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_page"


def test_with_stripe_the_page_loads_stripe_js_and_the_csp_allows_stripe_s_documented_origins_only(
    settings: Any, room: Listing, customer: Client
) -> None:
    stripe_in_production(settings)
    page = customer.get(f"/listings/{room.public_id}/")
    assert_csp_clean(page)
    found = directives(page)
    for name, origins in STRIPE.items():
        assert found[name] == origins, (name, found[name])
    # no other origin anywhere but the map tiles' images
    others = {o for name, values in found.items() if name != "img-src" for o in values if "://" in o}
    assert others == {
        "https://js.stripe.com",
        "https://hooks.stripe.com",
        "https://api.stripe.com",
        "https://connect.stripe.com",  # form-action only: the redirect to Connect's onboarding
    }
    assert found["form-action"] == {"'self'", "https://connect.stripe.com"}
    html = page.content.decode()
    assert '<script src="https://js.stripe.com/v3/" defer>' in html and "stripe-shim.js" not in html
    assert 'data-publishable-key="pk_test_page"' in html and "data-api-base" not in html
    # every other page carries the same policy, with no unsafe-inline either
    assert directives(customer.get("/"))["script-src"] == STRIPE["script-src"]


def test_with_the_sandbox_the_page_loads_the_shim_and_no_stripe_origin_is_allowed(
    room: Listing, customer: Client
) -> None:
    page = customer.get(f"/listings/{room.public_id}/")
    assert_csp_clean(page)
    policy = page["Content-Security-Policy"]
    assert "stripe.com" not in policy
    assert directives(page)["script-src"] == {"'self'"}
    html = page.content.decode()
    assert "stripe-shim.js" in html and "js.stripe.com" not in html
    assert 'data-api-base="/sandbox"' in html
    # the card fields are the element's: no text field named payment_method is in the form
    assert not re.search(r'<input type="text"[^>]*name="payment_method"', html)


def test_with_stripe_s_api_faked_the_shim_talks_to_the_fake_and_only_it_is_allowed(
    settings: Any, room: Listing, customer: Client
) -> None:
    stripe_in_production(settings)
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"
    page = customer.get(f"/listings/{room.public_id}/")
    found = directives(page)
    assert found["script-src"] == {"'self'"}
    assert found["connect-src"] == found["frame-src"] == {"'self'", "http://127.0.0.1:12111"}
    assert 'data-api-base="http://127.0.0.1:12111"' in page.content.decode()


def nights() -> dict[str, str]:
    day = timezone.localdate() + timedelta(days=5)
    return {"start": day.isoformat(), "end": (day + timedelta(days=2)).isoformat()}


def test_the_page_s_checkout_is_priced_from_the_form_on_the_server(room: Listing, customer: Client) -> None:
    url = f"/listings/{room.public_id}/checkout/"
    # given the form as the page sends it, with a made-up amount the server ignores
    answer = customer.post(url, {**nights(), "seats": "1", "amount_minor": "1"})
    assert answer.status_code == 201
    body = answer.json()
    assert body["amount"]["amount_minor"] == 8450 and body["amount"]["currency"] == "EUR"
    assert body["client_secret"].startswith(body["id"])
    # a form the server cannot price answers its field errors, and nothing is made
    missing = customer.post(url, {"start": "soon"})
    assert missing.status_code == 422 and "start" in missing.json()["error"]["details"]
    # visitors are sent to log in; the provider cannot check out their own room
    assert Client().post(url, nights()).status_code == 302
    owner = Client()
    owner.force_login(room.author)
    assert owner.post(url, nights()).json()["error"]["code"] == "conflict"
    assert Transaction.objects.count() == 0


def test_an_unconfirmed_checkout_sent_as_the_card_shows_no_id_on_the_page(
    room: Listing, customer: Client
) -> None:
    checkout = customer.post(f"/listings/{room.public_id}/checkout/", nights()).json()
    page = customer.post(
        f"/listings/{room.public_id}/deal/", {**nights(), "payment_method": checkout["id"], "key": "k"}
    )
    assert page.status_code == 422
    html = page.content.decode()
    assert "This payment was not confirmed with a card yet." in html
    assert checkout["id"] not in html
    assert Transaction.objects.count() == 0
