"""The listing page's calendar of free dates: server-rendered, a month at a time, htmx or not."""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.catalog.services import availability_set, category_create, listing_create
from barnraise.web.tests.page_testing import assert_csp_clean

ZONE = ZoneInfo("America/New_York")


@pytest.fixture
def cabin(make_user: Callable[..., User]) -> Listing:
    spaces = category_create(slug="spaces", name="Spaces", kinds=["rental", "sale"])
    return listing_create(
        actor=make_user(name="Ana P."),
        kind="rental",
        category=spaces,
        title="Cabin by the creek",
        price_amount_minor=9000,
        currency="USD",
        unit="night",
        lat=44.47,
        lng=-73.21,
        timezone="America/New_York",
        max_advance_days=90,  # next month's next month is always within it
    )


def _month(offset: int) -> str:
    first = timezone.now().astimezone(ZONE).date().replace(day=1)
    for _ in range(offset):
        first = (first + timedelta(days=32)).replace(day=1)
    return f"{first:%Y-%m}"


def test_the_listing_page_shows_this_month_of_free_dates_with_a_closed_day(
    client: Client, cabin: Listing
) -> None:
    # given a cabin closed on the 15th of next month
    closed = date.fromisoformat(f"{_month(1)}-15")
    start = datetime.combine(closed, time(0), tzinfo=ZONE)
    availability_set(
        actor=cabin.author,
        public_id=cabin.public_id,
        weekly=[{"weekday": d, "start": time(0), "end": time(0), "seats": 1} for d in range(7)],
        exceptions=[{"start": start, "end": start + timedelta(days=1), "seats": 0, "note": "Repairs"}],
    )

    # when a visitor opens the month of that day
    response = client.get(f"/listings/{cabin.public_id}/?month={closed:%Y-%m}")

    # then the grid shows it closed, the day after free, with a link to the next month
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-date="{closed:%Y-%m-%d}" data-state="closed"' in html
    assert f'data-date="{closed + timedelta(days=1):%Y-%m-%d}" data-state="free"' in html
    assert 'id="free-dates"' in html and 'rel="next"' in html
    assert_csp_clean(response)


@pytest.mark.parametrize("month", ["2019-01", "banana", "9999-99", "3000-01"])
def test_a_month_out_of_range_or_garbled_falls_back_to_one_that_can_be_shown(
    client: Client, cabin: Listing, month: str
) -> None:
    # when someone edits the address by hand
    response = client.get(f"/listings/{cabin.public_id}/", {"month": month})

    # then the page still answers, with this month or the last one a year ahead
    assert response.status_code == 200
    assert "Free dates" in response.content.decode()


def test_htmx_gets_the_next_month_alone_and_a_plain_link_gets_the_page(
    client: Client, cabin: Listing
) -> None:
    # when htmx asks for next month
    url = f"/listings/{cabin.public_id}/calendar/?month={_month(1)}"
    partial = client.get(url, headers={"HX-Request": "true"})

    # then it gets only the calendar, for that month, with a way back
    html = partial.content.decode()
    assert partial.status_code == 200 and html.lstrip().startswith('<section id="free-dates"')
    assert 'rel="prev"' in html and "<html" not in html
    # and without htmx the same address leads to the listing page at that month
    plain = client.get(url)
    assert plain.status_code == 302
    assert plain["Location"] == f"/listings/{cabin.public_id}/?month={_month(1)}#free-dates"


def test_in_the_month_of_the_booking_horizon_there_is_no_next_link(client: Client, cabin: Listing) -> None:
    # when the visitor reaches the month of the cabin's horizon
    far = timezone.now().astimezone(ZONE).date() + timedelta(days=cabin.max_advance_days)
    html = client.get(f"/listings/{cabin.public_id}/", {"month": f"{far:%Y-%m}"}).content.decode()

    # then there is no next month to go to
    assert 'id="free-dates"' in html and 'rel="next"' not in html


def test_a_sale_has_no_calendar(client: Client, cabin: Listing) -> None:
    # given a listing for sale
    mug = listing_create(
        actor=cabin.author,
        kind="sale",
        category=cabin.category,
        title="Mug",
        price_amount_minor=900,
        currency="USD",
        unit="item",
        stock=2,
        lat=44.47,
        lng=-73.21,
    )

    # then its page has no free dates, and its calendar address is not found
    assert 'id="free-dates"' not in client.get(f"/listings/{mug.public_id}/").content.decode()
    assert client.get(f"/listings/{mug.public_id}/calendar/").status_code == 404
