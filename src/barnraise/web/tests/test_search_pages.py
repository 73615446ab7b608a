import base64
from collections.abc import Callable
from datetime import time, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.services import availability_set, category_create, listing_create
from barnraise.search.models import SavedSearch
from barnraise.web.tests.page_testing import assert_csp_clean

BURLINGTON = (44.4759, -73.2121)
MONTREAL = (45.5019, -73.5674)


@pytest.fixture
def cats(db: Any) -> dict[str, Category]:
    goods = category_create(slug="goods", name="Goods", kinds=["sale", "request"])
    bikes = category_create(
        slug="bikes",
        name="Bikes",
        parent=goods,
        kinds=["sale", "rental"],
        attribute_schema=[
            {
                "name": "frame_size",
                "label": "Frame size",
                "type": "enum",
                "values": ["S", "M", "L"],
                "filterable": True,
            },
            {"name": "electric", "type": "boolean", "filterable": True},
            {"name": "colour", "type": "string"},
        ],
    )
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    return {"goods": goods, "bikes": bikes, "rooms": rooms}


@pytest.fixture
def seller(make_user: Callable[..., User]) -> User:
    return make_user(email="seller@example.com", name="Sam S.")


@pytest.fixture
def add(seller: User, cats: dict[str, Category]) -> Callable[..., Listing]:
    def add_listing(title: str, **fields: Any) -> Listing:
        kind = fields.pop("kind", "sale")
        at = fields.pop("at", BURLINGTON)
        values: dict[str, Any] = {
            "kind": kind,
            "category": cats[fields.pop("category", "bikes")],
            "title": title,
            "unit": "item" if kind == "sale" else "day",
            "price_amount_minor": 10000,
            "currency": "USD",
            "lat": at[0],
            "lng": at[1],
            "stock": 1 if kind == "sale" else None,
            **fields,
        }
        return listing_create(actor=seller, **values)

    return add_listing


def titles(html: str, *candidates: str) -> set[str]:
    return {title for title in candidates if title in html}


def test_search_page_without_parameters_lists_newest(client: Client, add: Callable[..., Listing]) -> None:
    # given two listings
    add("Red road bike", attributes={"frame_size": "M"})
    add("Blue city bike", attributes={"frame_size": "L"})
    # when a visitor opens the search page
    response = client.get("/search/")
    # then both cards link to their pages, the map is there for script users, the page is CSP-clean
    assert response.status_code == 200
    html = response.content.decode()
    assert titles(html, "Red road bike", "Blue city bike") == {"Red road bike", "Blue city bike"}
    assert "/listings/" in html and 'data-map="search"' in html
    assert_csp_clean(response)


def test_search_by_text_kind_category_and_price(client: Client, add: Callable[..., Listing]) -> None:
    # given listings that differ in words, kind, category and price
    add("Red road bike", price_amount_minor=20000, attributes={"frame_size": "M"})
    add("Cheap red bike", price_amount_minor=3000, attributes={"frame_size": "S"})
    add("Red bike for rent", kind="rental", attributes={"frame_size": "M"})
    add("Red attic room", kind="rental", category="rooms")
    names = ("Red road bike", "Cheap red bike", "Red bike for rent", "Red attic room")
    # when searching by text, kind, category and price (in major units)
    by_text = client.get("/search/?q=red+bike").content.decode()
    by_kind = client.get("/search/?kind=rental").content.decode()
    by_category = client.get("/search/?category=goods").content.decode()
    by_price = client.get("/search/?price_from=50&price_to=250&currency=usd").content.decode()
    # then each shows the right cards
    assert titles(by_text, *names) == {"Red road bike", "Cheap red bike", "Red bike for rent"}
    assert titles(by_kind, *names) == {"Red bike for rent", "Red attic room"}
    assert titles(by_category, *names) == {"Red road bike", "Cheap red bike", "Red bike for rent"}
    assert titles(by_price, *names) == {"Red road bike", "Red bike for rent", "Red attic room"}


def test_search_by_attribute_shows_the_category_filters(client: Client, add: Callable[..., Listing]) -> None:
    # given bikes of two sizes
    add("Medium bike", attributes={"frame_size": "M"})
    add("Large bike", attributes={"frame_size": "L"})
    # when filtering bikes by frame size
    response = client.get("/search/?category=bikes&attr.frame_size=L")
    # then only the large one shows, and the filter panel has the category's attributes
    html = response.content.decode()
    assert titles(html, "Medium bike", "Large bike") == {"Large bike"}
    assert 'name="attr.frame_size"' in html and "Frame size" in html
    assert 'name="attr.colour"' not in html  # not filterable


def test_filter_panel_fragment_follows_the_category(client: Client, cats: dict[str, Category]) -> None:
    # when htmx asks for the filters of a category, and of none
    bikes = client.get("/search/filters/?category=bikes", headers={"HX-Request": "true"})
    rooms = client.get("/search/filters/?category=rooms", headers={"HX-Request": "true"})
    # then the panel holds that category's filterable attributes only
    assert 'name="attr.frame_size"' in bikes.content.decode()
    assert 'name="attr.electric"' in bikes.content.decode()
    assert "attr." not in rooms.content.decode()
    assert 'id="attr-filters"' in rooms.content.decode()


def test_search_by_bbox_and_point(client: Client, add: Callable[..., Listing]) -> None:
    # given a bike in Burlington and one in Montreal
    add("Burlington bike", attributes={"frame_size": "M"})
    add("Montreal bike", attributes={"frame_size": "M"}, at=MONTREAL)
    # when searching the area around Burlington, then near Burlington
    bbox = client.get("/search/?bbox=-73.4,44.3,-73.0,44.6").content.decode()
    near = client.get("/search/?lat=44.4759&lng=-73.2121&radius_km=10").content.decode()
    # then only the Burlington bike shows, with its distance when a point was given
    assert titles(bbox, "Burlington bike", "Montreal bike") == {"Burlington bike"}
    assert titles(near, "Burlington bike", "Montreal bike") == {"Burlington bike"}
    assert "km away" in near and "km away" not in bbox


def test_search_area_htmx_request_gets_the_results_fragment(
    client: Client, add: Callable[..., Listing]
) -> None:
    add("Burlington bike", attributes={"frame_size": "M"})
    response = client.get("/search/?bbox=-73.4,44.3,-73.0,44.6", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="search-results"')
    assert "Burlington bike" in html and "<html" not in html


def test_search_by_window_reads_local_times_in_the_browser_zone(
    client: Client, add: Callable[..., Listing], seller: User
) -> None:
    # given a room open 09:00–17:00 every day in New York, and one open only in the afternoon
    for title, opens in (("Open room", 9), ("Closed room", 13)):
        room = add(title, kind="rental", category="rooms", timezone="America/New_York")
        availability_set(
            actor=seller,
            public_id=room.public_id,
            weekly=[{"weekday": d, "start": time(opens), "end": time(17), "seats": 1} for d in range(7)],
            exceptions=[],
        )
    day = (timezone.now() + timedelta(days=3)).date()
    # when searching 10:00–12:00 that day in the browser's zone (New York), and then in UTC
    local = {"start": f"{day}T10:00", "end": f"{day}T12:00", "tz": "America/New_York"}
    in_ny = client.get("/search/?" + urlencode(local)).content.decode()
    in_utc = client.get("/search/?" + urlencode({**local, "tz": ""})).content.decode()
    # then New York hours match; as UTC (no script) 10:00 is 05/06:00 in New York: closed, and said so
    assert titles(in_ny, "Open room", "Closed room") == {"Open room"}
    assert "Times are in America/New_York" in in_ny
    assert titles(in_utc, "Open room", "Closed room") == set()
    assert "Times are in UTC" in in_utc


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("kind=boat", "kind", "Choose one of"),
        ("price_from=10", "currency", "give currency"),
        ("price_from=ten&currency=USD", "price_from", "Give an amount"),
        ("category=nope", "category", "No category with this slug"),
        ("start=2030-01-01T10:00", "start", "Give start and end together"),
        ("sort=sideways", "sort", "Choose one of"),
    ],
)
def test_bad_parameters_say_which_field_and_why(
    client: Client, cats: dict[str, Category], query: str, field: str, message: str
) -> None:
    # when the search page gets a bad parameter
    response = client.get(f"/search/?{query}")
    # then it answers 4xx with the message, naming or beside the field, not a 500
    assert 400 <= response.status_code < 500
    html = response.content.decode()
    assert message in html
    assert f'name="{field}"' in html or f"{field}:" in html
    assert "This search could not run" in html
    assert_csp_clean(response)


def test_names_the_page_does_not_know_are_ignored(client: Client, add: Callable[..., Listing]) -> None:
    # given a listing, and a shared link carrying tracking tags the search does not know
    add("Red bike")
    # when the search page is opened with them
    response = client.get("/search/?q=bike&utm_source=newsletter&bogus=1")
    # then the search runs as if they were not there, and the form does not carry them on
    assert response.status_code == 200
    html = response.content.decode()
    assert "Red bike" in html
    assert "This search could not run" not in html
    assert 'name="utm_source"' not in html and 'name="bogus"' not in html


def test_next_page_link_uses_the_cursor(client: Client, add: Callable[..., Listing]) -> None:
    # given 22 bikes (a page holds 20)
    for number in range(22):
        add(f"Bike number {number:02d}", attributes={"frame_size": "M"})
    # when the first page is shown and its next link followed
    first = client.get("/search/?category=bikes")
    html = first.content.decode()
    assert 'rel="next"' in html
    next_url = html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get("/search/" + next_url).content.decode()
    # then the second page holds the two oldest, and neither page repeats the other
    assert "category=bikes" in next_url and "cursor=" in next_url
    assert titles(second, "Bike number 00", "Bike number 01") == {"Bike number 00", "Bike number 01"}
    assert "Bike number 21" not in second and 'rel="next"' not in second
    assert "Back to the first page" in second


def test_empty_results_show_a_friendly_state(client: Client, cats: dict[str, Category]) -> None:
    response = client.get("/search/?q=unicorn")
    assert response.status_code == 200
    assert "Nothing matches yet" in response.content.decode()


def test_members_save_list_and_delete_searches(
    client: Client, make_user: Callable[..., User], cats: dict[str, Category]
) -> None:
    # given a member on a search page
    member = make_user(email="ana@example.com")
    client.force_login(member)
    page = client.get("/search/?q=bike&category=bikes&price_from=5&currency=USD").content.decode()
    assert "Save this search" in page
    # when they save it
    query = "q=bike&category=bikes&price_from=5&currency=USD"
    response = client.post("/search/save/", {"name": "Bikes", "query": query})
    # then it is stored with the query's parameters (price in minor units) and listed on their page
    assert response.status_code == 302
    saved = SavedSearch.objects.get(user=member)
    assert saved.params == {"q": "bike", "category": "bikes", "min_price": "500", "currency": "USD"}
    listing_page = client.get("/account/saved-searches/")
    html = listing_page.content.decode()
    assert "Bikes" in html and "min_price: 500" in html
    assert_csp_clean(listing_page)
    # and the saved search opens as a search, the price shown back in major units
    opened = client.get(f"/search/?saved={saved.id}", follow=True).content.decode()
    assert 'value="5"' in opened
    # when they delete it, it is gone
    client.post(f"/account/saved-searches/{saved.id}/delete/")
    assert not SavedSearch.objects.filter(user=member).exists()


def test_saving_a_bad_search_changes_nothing(
    client: Client, make_user: Callable[..., User], cats: dict[str, Category]
) -> None:
    member = make_user()
    client.force_login(member)
    response = client.post("/search/save/", {"name": "Boats", "query": "kind=boat"}, follow=True)
    assert "The search was not saved" in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_others_cannot_delete_a_saved_search(client: Client, make_user: Callable[..., User], db: Any) -> None:
    owner = make_user()
    saved = SavedSearch.objects.create(user=owner, name="Mine", params={"q": "x"})
    client.force_login(make_user())
    response = client.post(f"/account/saved-searches/{saved.id}/delete/")
    assert response.status_code == 404
    assert SavedSearch.objects.filter(id=saved.id).exists()


def test_visitors_are_asked_to_log_in_to_save(client: Client, cats: dict[str, Category]) -> None:
    html = client.get("/search/?q=bike").content.decode()
    assert "Log in to save this search" in html
    response = client.post("/search/save/", {"name": "x", "query": "q=bike"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "raw",
    [
        b"%%%",
        b"[null,null]",
        b'["a","b"]',
        b'[1,"x"]',
        b"[[1],[2]]",
        b'["a",1e999]',
        b'["a",99999999999999999999999]',
    ],
)
@pytest.mark.parametrize("search", ["category=bikes", "q=bike&sort=relevance", "sort=price&currency=USD"])
def test_a_crafted_cursor_shows_a_friendly_message_not_a_500(
    client: Client, add: Callable[..., Listing], raw: bytes, search: str
) -> None:
    # given
    add("Blue bike", attributes={"frame_size": "M"})
    cursor = "%%%" if raw == b"%%%" else base64.urlsafe_b64encode(raw).decode().rstrip("=")
    # when
    response = client.get(f"/search/?{search}&cursor={cursor}")
    # then
    assert response.status_code == 422
    html = response.content.decode()
    assert "This search could not run" in html
    assert "This page of results cannot be shown: start again from the first page." in html
    assert "cursor" not in html.split('role="alert"')[1].split("</div>")[0]  # no parameter names
    assert "Blue bike" not in html


def test_a_price_range_without_a_currency_is_in_the_marketplace_currency(
    client: Client, add: Callable[..., Listing]
) -> None:
    # given listings priced in dollars only
    add("Cheap bike", price_amount_minor=5000, attributes={"frame_size": "S"})
    add("Fair bike", price_amount_minor=20000, attributes={"frame_size": "M"})
    add("Dear bike", price_amount_minor=90000, attributes={"frame_size": "L"})
    # when a visitor asks for 100 to 300 and types no currency
    response = client.get("/search/?price_from=100&price_to=300")
    # then the search runs in dollars, and the form says so with a value, not a placeholder
    assert response.status_code == 200
    html = response.content.decode()
    assert "This search could not run" not in html
    assert titles(html, "Cheap bike", "Fair bike", "Dear bike") == {"Fair bike"}
    assert 'name="currency" value="USD"' in html
    assert 'placeholder="USD"' not in html


def test_the_operator_currency_wins_over_the_listings(
    client: Client, add: Callable[..., Listing], settings: Any
) -> None:
    # given an operator who set euros, and a dollar listing
    settings.MARKETPLACE_CURRENCY = "EUR"
    add("Dollar bike", price_amount_minor=20000, attributes={"frame_size": "M"})
    # when a visitor asks for 100 to 300 without a currency
    html = client.get("/search/?price_from=100&price_to=300").content.decode()
    # then the range is in euros: the dollar bike is not in it
    assert titles(html, "Dollar bike") == set()
    assert 'name="currency" value="EUR"' in html


def test_the_page_shows_the_real_total_not_the_page_size(
    client: Client, add: Callable[..., Listing], monkeypatch: Any
) -> None:
    # given three bikes and a room
    for index in range(3):
        add(f"Bike {index}", attributes={"frame_size": "M"})
    add("Attic room", kind="rental", category="rooms")
    # when searching bikes two to a page, and one room
    bikes = client.get("/search/?category=bikes&limit=2").content.decode()
    room = client.get("/search/?category=rooms").content.decode()
    # then the total counts every match, in words that agree with the number
    assert "3 listings" in bikes and "on this page" not in bikes
    assert "1 listing" in room and "1 listings" not in room
    # and past the cap it says so
    monkeypatch.setattr("barnraise.search.selectors.COUNT_CAP", 2)
    assert "2+ listings" in client.get("/search/").content.decode()


def test_the_csp_allows_the_tile_server_only_when_one_is_set(client: Client, settings: Any, db: Any) -> None:
    # with no tile server set, images come from this site only, and the map has no tiles
    settings.MAP_TILE_URL = ""
    page = client.get("/search/")
    img = next(d for d in page["Content-Security-Policy"].split("; ") if d.startswith("img-src"))
    assert img == "img-src 'self' data: blob:"
    assert 'data-tile-url=""' in page.content.decode()
    # with one set, exactly its origin is allowed, and the map is given it and its credit
    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = settings.OSM_ATTRIBUTION
    page = client.get("/search/")
    img = next(d for d in page["Content-Security-Policy"].split("; ") if d.startswith("img-src"))
    assert img == "img-src 'self' data: blob: https://tile.openstreetmap.org"
    html = page.content.decode()
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    assert "OpenStreetMap</a> contributors" in html.replace("&lt;/a&gt;", "</a>")


def test_the_filter_sheet_counts_what_its_button_would_show(client: Client, seller: User) -> None:
    tools = category_create(slug="tools", name="Tools", kinds=["rental"])
    for price in (500, 1500, 4000):
        listing_create(
            actor=seller, category=tools, kind="rental", unit="day", title=f"Tool at {price}",
            price_amount_minor=price, currency="USD", lat=44.47, lng=-73.21,
        )  # fmt: skip
    assert client.get("/search/count/").content.decode().strip() == "Show 3 listings"
    assert client.get("/search/count/", {"price_from": "10"}).content.decode().strip() == "Show 2 listings"
    assert client.get("/search/count/", {"price_from": "100"}).content.decode().strip() == "No listings match"
    # a field the search would refuse gives the plain label, never an error page
    answer = client.get("/search/count/", {"price_from": "ten"})
    assert (answer.status_code, answer.content.decode().strip()) == (200, "Show results")
