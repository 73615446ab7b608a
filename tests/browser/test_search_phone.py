"""Search on a phone: List and Map are switched, not stacked; the filters are a sheet whose
button counts the matches as the filters change."""

from typing import Any

from playwright.sync_api import expect

from barnraise.catalog.services import category_create, listing_create
from barnraise.places import gazetteer
from tests.browser.journey import MARKS, PHONE, Person, member

pytestmark = MARKS


def test_list_map_toggle_and_a_filter_sheet_with_a_live_count(live_server: Any, chromium: Any) -> None:
    # given three tools for rent in Burlington, at $5, $15 and $40 a day
    seller = member("sam@example.com", "Sam Seller")
    tools = category_create(slug="tools", name="Tools", kinds=["rental"])
    town = gazetteer.resolve("Burlington, VT")
    assert town is not None
    for i, (title, price) in enumerate((("Rake", 500), ("Ladder", 1500), ("Tile saw", 4000))):
        listing_create(
            actor=seller, category=tools, kind="rental", unit="day", title=title,
            price_amount_minor=price, currency="USD", lat=town.lat + i / 200, lng=town.lng,
        )  # fmt: skip
    tab = Person(chromium, live_server.url, PHONE)
    page = tab.go("/search/?where=Burlington, VT")
    # the list shows, the map waits behind a "Map" button that floats in reach
    assert page.locator("#search-results").is_visible()
    assert not page.locator("#search-map").is_visible()
    toggle = page.locator(".view-toggle-map")
    box = toggle.bounding_box()
    assert box is not None and box["height"] >= 24 and box["y"] + box["height"] <= PHONE["height"]
    # when the visitor taps "Map", the map fills the screen with a pin per result
    toggle.click()
    assert page.locator("#search-map").is_visible()
    assert not page.locator("#search-results").is_visible()
    page.locator("#search-map .price-pin-label").nth(2).wait_for()
    map_box = page.locator("#search-map").bounding_box()
    assert map_box is not None and map_box["width"] <= PHONE["width"] and map_box["height"] > 300
    tab.shot("search-phone-map")
    # and "List" brings the results back
    page.locator(".view-toggle-list").click()
    assert page.locator("#search-results").is_visible()
    # the filters open as a sheet over the page; its button counts as the price changes
    page.locator("#more-filters > summary").click()
    sheet = page.locator("#more-filters").bounding_box()
    assert sheet is not None and sheet["y"] <= 1 and sheet["height"] >= PHONE["height"] - 1
    count = page.locator("#filters-count")
    assert count.inner_text() == "Show 3 listings"
    page.fill("[name=price_from]", "10")
    page.locator("[name=price_from]").dispatch_event("change")
    expect(count).to_have_text("Show 2 listings")
    tab.shot("search-phone-sheet")
    page.locator(".filter-sheet-actions button[type=submit]").click()
    page.wait_for_url("**price_from=10**")
    results = tab.text("#search-results")
    assert "Ladder" in results and "Tile saw" in results and "Rake" not in results
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    tab.assert_no_csp_violations()
