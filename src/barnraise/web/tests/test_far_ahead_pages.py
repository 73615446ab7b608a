"""A booking beyond the payment provider's authorization window, through the pages (booking v3 and later):
the preview says when the card will be charged, the payment element is told where to save a new
card, the booking opens with a saved card and holds nothing, and the deal page says when it is
charged (to each party in their words) and shows that moment, planned, in the timeline.

The sandbox's window is 7 days; a deferred payment is charged 6 days before the start.
"""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.conftest import after_commit, payout_ready
from barnraise.ledger.models import Payment, ProviderCall
from barnraise.ledger.providers.sandbox_checkout import PUBLISHABLE_KEY
from barnraise.web.templatetags.moments import place_date
from barnraise.web.tests.page_testing import assert_csp_clean

pytestmark = pytest.mark.django_db

AHEAD = 20  # days: beyond the sandbox's 7-day window


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
def cam(make_user: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_user(email="cam@example.com", name="Cam Customer"))
    return client


def nights(first: int, count: int = 2) -> dict[str, str]:
    day = timezone.localdate() + timedelta(days=first)
    return {"start": day.isoformat(), "end": (day + timedelta(days=count)).isoformat(), "seats": "1"}


def saved_card(client: Client) -> str:
    """What the payment element does for a new card far ahead: a setup, confirmed at the sandbox."""
    started = client.post("/wallet/cards/setup")
    assert started.status_code == 201, started.content
    setup = started.json()
    confirmed = Client().post(
        f"/sandbox/v1/setup_intents/{setup['setup_id']}/confirm",
        {
            "key": PUBLISHABLE_KEY,
            "client_secret": setup["client_secret"],
            "payment_method_data[card][number]": "4242424242424242",
        },
    )
    assert confirmed.status_code == 200, confirmed.content
    return str(confirmed.json()["payment_method"])


def test_the_preview_says_when_a_far_ahead_booking_is_charged_and_a_near_one_says_nothing(
    room: Listing, cam: Client
) -> None:
    # given the listing's page: its payment element knows where to save a card for later
    page = cam.get(f"/listings/{room.public_id}/").content.decode()
    assert 'data-ahead-setup-url="/wallet/cards/setup"' in page
    # when the customer picks dates 20 days ahead
    url = f"/listings/{room.public_id}/deal/"
    far = cam.post(url, nights(AHEAD), headers={"HX-Request": "true"}).content.decode().replace("&#x27;", "'")
    # then the preview says in words when the card is charged, and that it is saved for that
    start = timezone.localdate() + timedelta(days=AHEAD)
    assert "data-pay-ahead" in far and f"charged on {place_date(start - timedelta(days=6), room)}," in far
    assert "Your card will be charged on " in far and "6 days before check-in; we'll save it for that." in far
    # and dates within the window are held at once: no such sentence
    near = cam.post(url, nights(3), headers={"HX-Request": "true"}).content.decode()
    assert "will be charged on" not in near and "data-pay-ahead" not in near and "€" in near


def test_a_far_ahead_booking_with_a_card_saved_on_the_page_waits_to_be_charged(
    room: Listing, cam: Client
) -> None:
    # given a card the page saved (a SetupIntent), never its number on this server
    card = saved_card(cam)
    # when the booking is sent with it
    url = f"/listings/{room.public_id}/deal/"
    made = after_commit(lambda: cam.post(url, {**nights(AHEAD), "payment_method": card, "key": "far-1"}))
    assert made.status_code == 302, made.content.decode()[:2000]
    # then it opens on the current booking version (v4), nothing held: the saved card is kept to be charged
    tx = Transaction.objects.get()
    assert (tx.process_version, tx.state) == (4, "requested")
    assert (
        Payment.objects.get().status == "scheduled"
        and not ProviderCall.objects.filter(operation__startswith="authorize").exists()
    )
    # and the deal page says when, in words, and shows the moment, planned, in the timeline
    page = cam.get(made["Location"])
    assert_csp_clean(page)
    html = page.content.decode().replace("&#x27;", "'")
    assert tx.start is not None
    due = place_date(tx.start - timedelta(days=6), room)
    assert f"Your card will be charged on {due}, 6 days before check-in; we've saved it for that." in html
    assert "Planned:" in html and "the saved card is charged for the booking" in html
    # and the provider reads it in theirs
    pat = Client()
    pat.force_login(room.author)
    theirs = pat.get(made["Location"]).content.decode().replace("&#x27;", "'")
    assert f"The customer's saved card will be charged on {due}, 6 days before the start." in theirs
    assert "Your card will be charged" not in theirs


def test_an_instant_booking_far_ahead_is_booked_and_says_the_card_is_charged_later(
    room: Listing, cam: Client
) -> None:
    # given a room that books instantly, and a card the page saved
    room.instant_booking = True
    room.save(update_fields=["instant_booking"])
    card = saved_card(cam)
    # when it is booked 20 days ahead with it
    url = f"/listings/{room.public_id}/deal/"
    made = after_commit(lambda: cam.post(url, {**nights(AHEAD), "payment_method": card, "key": "far-2"}))
    assert made.status_code == 302, made.content.decode()[:2000]
    # then it is booked on v4, waiting to charge, and the page says so in words
    tx = Transaction.objects.get()
    assert (tx.process_version, tx.state) == (4, "scheduled")
    html = cam.get(made["Location"]).content.decode().replace("&#x27;", "'")
    assert "It is booked. Your saved card is charged nearer the date." in html
    assert "Booked: paid nearer the date" in html and "we've saved it for that." in html
    assert "scheduled" not in html.split("<main", 1)[1].replace("state-scheduled", "")
    # and the wallet's "What I paid" says nothing is taken yet, and when it will be
    wallet = cam.get("/wallet/").content.decode().replace("&#x27;", "'")
    assert "Your saved card will be charged nearer the date: the deal says when." in wallet
    assert "Nothing was charged." not in wallet
