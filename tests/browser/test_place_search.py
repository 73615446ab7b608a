"""Finding by place on a phone: the "Where" box suggests towns, and a listing's pin comes from
its address, with no latitude or longitude typed."""

from typing import Any

import pytest
from playwright.sync_api import expect

from barnraise.catalog.models import Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.places import gazetteer
from tests.browser.journey import DESKTOP, MARKS, PHONE, Person, member

pytestmark = MARKS


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_newcomer_searches_by_town(live_server: Any, chromium: Any, viewport: dict[str, int]) -> None:
    # given a ladder for rent in Burlington, Vermont, and one in Boston
    seller = member("sam@example.com", "Sam Seller")
    tools = category_create(slug="tools", name="Tools", kinds=["rental"])
    for title, lat, lng in (("Ladder in Burlington", 44.476, -73.212), ("Ladder in Boston", 42.36, -71.06)):
        listing_create(
            actor=seller, category=tools, kind="rental", unit="day", title=title,
            price_amount_minor=1500, currency="USD", lat=lat, lng=lng,
        )  # fmt: skip
    tab = Person(chromium, live_server.url, viewport)
    page = tab.go("/")
    # when a visitor types the start of a town in the home page's "Where" box
    page.fill("#home-where", "Burl")
    option = page.locator("#place-options option").first
    option.wait_for(state="attached")
    # then the marketplace's own Burlington is suggested first, with its state and country
    assert option.get_attribute("value") == "Burlington, Vermont, United States"
    # and searching with it finds the ladder there, not the one in Boston
    page.fill("#home-where", "Burlington, Vermont, United States")
    page.locator(".home-search button[type=submit]").click()
    page.wait_for_url("**/search/?*")
    results = tab.text("#search-results")
    assert "Ladder in Burlington" in results and "Ladder in Boston" not in results
    assert page.input_value("#search-form [name=where]") == "Burlington, Vermont, United States"
    width = page.evaluate("document.documentElement.scrollWidth")
    tab.shot(f"place-search-{'phone' if viewport is PHONE else 'desktop'}")
    assert width <= viewport["width"], f"the search page is {width} px wide"
    tab.assert_no_csp_violations()


def test_a_listing_s_pin_comes_from_its_address(live_server: Any, chromium: Any) -> None:
    # given a member listing a drill for rent on a phone
    member("pat@example.com", "Pat Provider")
    category_create(slug="tools", name="Tools", kinds=["rental"])
    tab = Person(chromium, live_server.url, PHONE)
    tab.log_in("pat@example.com")
    page = tab.go("/list/details/?kind=rental&category=tools")
    page.fill("[name=title]", "Cordless drill")
    page.fill("[name=description]", "18 V, two batteries.")
    # when they type the address and ask to find it on the map
    page.fill("[name=address]", "12 Church St, Burlington, VT")
    page.locator("#find-place").click()
    # then the pin is dropped in the town, the page says to drag it, and the zone is filled in
    expect(page.locator("[name=lat]")).not_to_have_value("")
    assert "drag it to your address" in tab.text("#place-note")
    assert page.input_value("[name=timezone]") == "America/New_York"
    assert page.locator(".map-picker .leaflet-marker-icon").count() == 1
    tab.shot("listing-pin-phone")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/steps/photos/")
    listing = Listing.objects.get()
    town = gazetteer.resolve("Burlington, Vermont")
    assert town is not None and (listing.lat, listing.lng) == (town.lat, town.lng)
    tab.assert_no_csp_violations()
