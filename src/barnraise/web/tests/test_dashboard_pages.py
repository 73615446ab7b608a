"""The provider dashboard: bookings on a month calendar, open requests nearby, earnings per month."""

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.commerce.services import transaction_create, transaction_transition
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from barnraise.timers import services as timers
from barnraise.web.tests.page_testing import assert_csp_clean

ZONE = ZoneInfo("America/New_York")


@pytest.fixture
def cats(db: Any) -> dict[str, Category]:
    spaces = category_create(slug="spaces", name="Spaces", kinds=["rental"])
    services = category_create(slug="services", name="Services", kinds=["service", "request"])
    return {
        "spaces": spaces,
        "rooms": category_create(slug="rooms", name="Rooms", parent=spaces, kinds=["rental"]),
        "services": services,
        "cleaning": category_create(
            slug="cleaning", name="Cleaning", parent=services, kinds=["service", "request"]
        ),
        "errands": category_create(slug="errands", name="Errands", parent=services, kinds=["request"]),
        "goods": category_create(slug="goods", name="Goods", kinds=["request", "sale"]),
    }


@pytest.fixture
def provider(make_user: Callable[..., User]) -> User:
    return payout_ready(make_user(email="pat@example.com", name="Pat Provider"))


@pytest.fixture
def customer(make_user: Callable[..., User]) -> User:
    return make_user(email="cam@example.com", name="Cam Customer")


def offer(author: User, cat: Category, **fields: Any) -> Listing:
    values: dict[str, Any] = {
        "kind": "rental",
        "unit": "hour",
        "title": "Quiet studio",
        "price_amount_minor": 2000,
        "currency": "USD",
        "lat": 44.47,
        "lng": -73.21,
        "timezone": "America/New_York",
        **fields,
    }
    return listing_create(actor=author, category=cat, **values)


def ask(author: User, cat: Category, title: str, **fields: Any) -> Listing:
    values: dict[str, Any] = {"kind": "request", "unit": "job", "price_amount_minor": 5000, "title": title}
    return offer(author, cat, **{**values, **fields})


def as_member(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def book(customer: User, room: Listing, days: int = 4) -> Transaction:
    day = (timezone.now().astimezone(ZONE) + timedelta(days=days)).date()
    start = datetime(day.year, day.month, day.day, 10, tzinfo=ZONE)
    params = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    outcome = after_commit(
        lambda: transaction_create(
            actor=customer, listing_id=room.public_id, params=params, payment_method=TEST_CARD
        )
    )
    return Transaction.objects.get(pk=outcome.tx.pk)


def chart_of(html: str) -> dict[str, Any]:
    match = re.search(r'data-chart="([^"]*)"', html)
    assert match, "no chart on the page"
    return dict(json.loads(match.group(1).replace("&quot;", '"')))


def test_the_dashboard_needs_a_login(db: Any) -> None:
    # when someone logged out opens it, then they are sent to log in
    response = Client().get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_new_member_sees_friendly_empty_states(make_user: Callable[..., User]) -> None:
    # given a member who offers nothing yet
    member = make_user(name="New Member")

    # when they open their dashboard
    response = as_member(member).get("/dashboard/")

    # then each part says what will show there and how to start, within the strict CSP
    assert response.status_code == 200
    assert_csp_clean(response)
    html = response.content.decode()
    assert "No bookings coming up." in html
    assert "List a room, a tool or a service" in html
    assert "Once you list something, requests from people near you" in html
    assert "No earnings yet." in html
    assert "data-chart" not in html
    # and the account menu and the side navigation lead here
    assert html.count('href="/dashboard/"') >= 2


# Mid-June: the booking four days on and the month before share no week of the month grid.
@time_machine.travel(datetime(2026, 6, 10, 14, 0, tzinfo=ZONE), tick=True)
def test_bookings_show_on_the_calendar_and_in_the_upcoming_list(
    cats: dict[str, Category], provider: User, customer: User
) -> None:
    # given a provider's room, requested for two hours four days from now
    room = offer(provider, cats["rooms"], title="Lakeside studio")
    tx = book(customer, room)
    start = tx.start.astimezone(ZONE)

    # when the provider opens the month of the booking
    response = as_member(provider).get(f"/dashboard/?month={start:%Y-%m}")

    # then the booking is on its day, at its local time, waiting for an answer
    assert response.status_code == 200
    assert_csp_clean(response)
    html = response.content.decode()
    day_cell = re.search(
        rf'<span class="visually-hidden">{start:%A} {start.day} {start:%B}</span>.*?</td>', html, re.S
    )
    assert day_cell and "Lakeside studio" in day_cell.group(0) and "10:00" in day_cell.group(0)
    assert "calendar-pending" in day_cell.group(0)
    assert f"/transactions/{tx.id}/" in day_cell.group(0)
    upcoming = html.split("Coming up", 1)[1]
    assert "Lakeside studio" in upcoming and "Waiting for your answer" in upcoming
    assert "Cam Customer" in upcoming

    # when the provider accepts, the calendar marks it accepted
    after_commit(
        lambda: transaction_transition(actor=provider, transaction_id=tx.id, name="accept", params={})
    )
    html = as_member(provider).get(f"/dashboard/?month={start:%Y-%m}").content.decode()
    assert "calendar-accepted" in html and "calendar-pending" not in html

    # and the month before shows none of it, with links back and forth
    before = (start.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    html = as_member(provider).get(f"/dashboard/?month={before}").content.decode()
    assert "Lakeside studio" not in html.split("Coming up", 1)[0]
    assert f'href="?month={start:%Y-%m}"' in html


def test_a_cancelled_booking_leaves_the_calendar_and_a_wrong_month_shows_this_one(
    cats: dict[str, Category], provider: User, customer: User
) -> None:
    # given a booking the customer cancelled
    room = offer(provider, cats["rooms"], title="Lakeside studio")
    tx = book(customer, room)
    after_commit(
        lambda: transaction_transition(
            actor=customer, transaction_id=tx.id, name="cancel_by_customer", params={}
        )
    )

    # when the provider opens the dashboard with a month that makes no sense
    response = as_member(provider).get("/dashboard/?month=banana")

    # then this month shows, and the cancelled booking is nowhere
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Bookings in {timezone.localdate():%B %Y}" in html
    assert "Lakeside studio" not in html
    assert "No bookings coming up." in html


def test_open_requests_near_the_provider_in_their_categories(
    cats: dict[str, Category], provider: User, customer: User, make_user: Callable[..., User]
) -> None:
    # given a provider who offers cleaning in town
    offer(provider, cats["cleaning"], kind="service", title="Deep cleaning", unit="hour")
    # and requests: one nearby in a sibling category, one far away, one in another tree,
    # one past its deadline, and the provider's own
    ask(customer, cats["errands"], "Help hanging shelves", lat=44.48, lng=-73.22)
    ask(customer, cats["errands"], "Snow clearing in Boston", lat=42.36, lng=-71.06)
    ask(customer, cats["goods"], "Looking for a sofa", lat=44.47, lng=-73.21)
    late = ask(customer, cats["errands"], "Lawn mowing last week", lat=44.47, lng=-73.21)
    Listing.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(days=1))
    ask(provider, cats["errands"], "My own errand", lat=44.47, lng=-73.21)

    # when the provider opens the dashboard
    response = as_member(provider).get("/dashboard/")

    # then only the open, nearby request in their category tree shows, with its price and distance
    html = response.content.decode().split('id="requests"', 1)[1].split('id="earnings"', 1)[0]
    assert "Help hanging shelves" in html and "$50.00" in html and "km away" in html
    for absent in ("Snow clearing in Boston", "Looking for a sofa", "Lawn mowing last week", "My own errand"):
        assert absent not in html, absent


def test_earnings_per_month_after_a_booking_completes(
    cats: dict[str, Category], provider: User, customer: User
) -> None:
    # given a booking of two hours at $20.00, accepted
    room = offer(provider, cats["rooms"], title="Lakeside studio")
    tx = book(customer, room, days=2)
    after_commit(
        lambda: transaction_transition(actor=provider, transaction_id=tx.id, name="accept", params={})
    )

    # when it completes after its end (the timer sweep), the money is released to the provider
    with time_machine.travel(tx.end + timedelta(days=1, minutes=1), tick=False):
        after_commit(timers.sweep)
        assert Transaction.objects.get(pk=tx.pk).state == "completed"
        # then the dashboard's chart and table show $36.00 (the $40.00 less 10% commission)
        response = as_member(provider).get("/dashboard/")
        month = timezone.localdate().strftime("%b %Y")
    assert response.status_code == 200
    assert_csp_clean(response)
    html = response.content.decode()
    chart = chart_of(html)
    assert chart["labels"][-1] == month and len(chart["labels"]) == 12
    assert chart["datasets"] == [{"currency": "USD", "data": [0.0] * 11 + [36.0]}]
    assert "$36.00" in html
    assert 'src="/static/web/dashboard-chart.js"' in html
    # and the customer, who earned nothing, still sees the empty state
    assert "No earnings yet." in as_member(customer).get("/dashboard/").content.decode()
