"""The price of chosen dates on the listing page, for anyone: GET /listings/<id>/quote/."""

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
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from barnraise.web.tests.page_testing import assert_csp_clean

HTMX = {"HX-Request": "true"}


@pytest.fixture
def rooms(db: Any) -> Category:
    return category_create(slug="rooms", name="Rooms", kinds=["rental", "sale"])


@pytest.fixture
def room(rooms: Category, make_user: Callable[..., User]) -> Listing:
    provider = payout_ready(make_user(email="pat@example.com", name="Pat Provider"))
    return listing_create(
        actor=provider,
        category=rooms,
        kind="rental",
        unit="night",
        title="Garden room",
        price_amount_minor=4375,
        currency="EUR",
        lat=50.85,
        lng=4.35,
        timezone="Europe/Brussels",
        cancellation_policy="moderate",
    )


def dates(first: int = 6, count: int = 3) -> dict[str, str]:
    day = timezone.localdate() + timedelta(days=first)
    return {"start": day.isoformat(), "end": (day + timedelta(days=count)).isoformat()}


def quote_url(listing: Listing) -> str:
    return f"/listings/{listing.public_id}/quote/"


def test_a_visitor_sees_the_price_of_three_nights_that_a_booking_is_then_charged(
    client: Client, room: Listing, api_as: Callable[..., Any]
) -> None:
    # when a logged-out visitor picks three nights
    window = dates()
    response = client.get(quote_url(room), window, headers=HTMX)

    # then the fragment shows nights × price, the service fee, the total and the policy in words
    html = response.content.decode()
    assert response.status_code == 200
    quote = response.context["quote"]
    assert quote["ready"] and [line.label for line in quote["lines"]] == ["Garden room", "Service fee"]
    assert "3 × €43.75" in html and "€131.25" in html
    assert "Cancellation:" in html and "refund" in html.lower()
    assert "Log in to book" in html and "Commission" not in html
    assert f"start%3D{window['start']}" in html  # back from logging in, the form has the dates
    assert not Transaction.objects.exists()

    # and a booking of the same nights through the API is charged exactly that total
    booked = after_commit(
        lambda: api_as(name="Cam").call(
            "POST",
            "transactions",
            json={"listing_id": str(room.public_id), **window, "payment_method": TEST_CARD},
        )
    )
    assert booked.status_code == 201, booked.content
    charged = booked.json()["total"]
    assert charged["amount_minor"] == quote["total_minor"]
    assert charged["formatted"] in html


def test_without_javascript_the_quote_form_shows_the_price_on_the_listing_page(
    client: Client, room: Listing
) -> None:
    window = dates()
    redirected = client.get(quote_url(room), window)
    assert redirected.status_code == 302
    assert redirected["Location"].startswith(f"/listings/{room.public_id}/?start=")

    page = client.get(redirected["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "€131.25" in html
    assert f'id="quote-start" name="start" value="{window["start"]}"' in html
    assert 'class="free-day-pick" disabled' in html  # the calendar is a picker, with JavaScript
    assert_csp_clean(page)


def test_logged_in_the_booking_form_has_the_dates_from_the_address(
    room: Listing, make_user: Callable[..., User]
) -> None:
    member = Client()
    member.force_login(make_user(name="Cam"))
    window = dates()
    html = member.get(f"/listings/{room.public_id}/", window).content.decode()
    assert f'id="deal-start" name="start" value="{window["start"]}"' in html
    assert f'id="deal-end" name="end" value="{window["end"]}"' in html
    assert 'id="quote-form"' not in html
    assert "€131.25" in html and "Cancellation:" in html  # the booking form's preview, at once


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ({"start": "soon", "end": "2030-01-02"}, "Choose a date."),
        ({"start": "2030-01-05", "end": "2030-01-02"}, "Must be after start."),
        ({"start": "2019-01-01", "end": "2019-01-03"}, "Book at least"),
        ({"start": "2035-01-01", "end": "2035-01-03"}, "Book at most"),
    ],
)
def test_a_bad_range_gets_a_sentence(client: Client, room: Listing, asked: dict[str, str], said: str) -> None:
    response = client.get(quote_url(room), asked, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps 2xx answers only
    assert said in html and not response.context["quote"]["ready"]
    assert "Total" not in html


def test_half_a_range_asks_for_the_other_date(client: Client, room: Listing) -> None:
    response = client.get(quote_url(room), {"start": dates()["start"], "end": ""}, headers=HTMX)
    assert "Now choose the last date" in response.content.decode()


def test_dates_already_booked_are_not_free(client: Client, room: Listing, api_as: Callable[..., Any]) -> None:
    window = dates()
    taken = after_commit(
        lambda: api_as(name="Early Bird").call(
            "POST",
            "transactions",
            json={"listing_id": str(room.public_id), **window, "payment_method": TEST_CARD},
        )
    )
    assert taken.status_code == 201
    overlapping = dates(first=7, count=2)
    response = client.get(quote_url(room), overlapping, headers=HTMX)
    assert "Those dates are not free" in response.content.decode()
    assert not response.context["quote"]["ready"]


def test_listings_that_take_no_bookings_have_no_quote(client: Client, rooms: Category, room: Listing) -> None:
    chair = listing_create(
        actor=room.author,
        category=rooms,
        kind="sale",
        unit="item",
        stock=2,
        title="Chair",
        price_amount_minor=2000,
        currency="EUR",
        lat=50.85,
        lng=4.35,
    )
    assert client.get(quote_url(chair), dates(), headers=HTMX).status_code == 404
