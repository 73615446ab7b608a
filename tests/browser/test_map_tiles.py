"""Maps with streets: tiles come from the configured server (here served locally through the
browser's request routing), credited; with no network the price pins still draw."""

import io
from typing import Any

import pytest
from PIL import Image

from barnraise.catalog.services import category_create, listing_create
from barnraise.places import gazetteer
from tests.browser.journey import DESKTOP, MARKS, Person, member

pytestmark = MARKS
TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def tile_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (170, 211, 223)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def two_ladders(settings: Any) -> None:
    settings.MAP_TILE_URL = TILES
    settings.MAP_TILE_ATTRIBUTION = settings.OSM_ATTRIBUTION
    seller = member("sam@example.com", "Sam Seller")
    tools = category_create(slug="tools", name="Tools", kinds=["rental"])
    town = gazetteer.resolve("Burlington, VT")
    assert town is not None
    for title, price, offset in (("Long ladder", 1500, 0.0), ("Step ladder", 900, 0.01)):
        listing_create(
            actor=seller, category=tools, kind="rental", unit="day", title=title,
            price_amount_minor=price, currency="USD", lat=town.lat + offset, lng=town.lng,
        )  # fmt: skip


def test_the_search_map_shows_tiles_prices_and_lights_the_hovered_pin(
    live_server: Any, chromium: Any, two_ladders: None
) -> None:
    tab = Person(chromium, live_server.url, DESKTOP)
    served: list[str] = []
    png = tile_png()

    def serve_tile(route: Any) -> None:
        served.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=png)

    tab.page.route("https://tile.openstreetmap.org/**", serve_tile)
    page = tab.go("/search/?where=Burlington, VT")
    page.locator("#search-map .leaflet-tile-loaded").first.wait_for()
    # the tiles came from the configured server, through the page's CSP, and are credited
    assert served and all(url.startswith("https://tile.openstreetmap.org/") for url in served)
    assert "OpenStreetMap" in tab.text("#search-map .leaflet-control-attribution")
    # each result is a pin showing its price
    pins = page.locator("#search-map .price-pin-label")
    assert sorted(pins.all_inner_texts()) == ["$15.00", "$9.00"]
    # hovering a card lights its pin, and only its pin
    page.locator(".listing-card", has_text="Step ladder").hover()
    lit = page.locator("#search-map .price-pin.is-lit")
    assert lit.count() == 1 and lit.inner_text() == "$9.00"
    tab.shot("map-tiles-desktop")
    tab.assert_no_csp_violations()


def test_with_no_network_the_pins_draw_on_a_plain_ground(
    live_server: Any, chromium: Any, two_ladders: None
) -> None:
    tab = Person(chromium, live_server.url, DESKTOP)
    tab.page.route("https://tile.openstreetmap.org/**", lambda route: route.abort("internetdisconnected"))
    page = tab.go("/search/?where=Burlington, VT")
    page.locator("#search-map .price-pin-label").first.wait_for()
    page.wait_for_timeout(300)
    assert page.locator("#search-map .price-pin-label").count() == 2
    assert page.locator("#search-map.map-plain").count() == 1
    # failed tiles are ignored: no script error on the page
    assert not [p for p in tab.problems if "Failed to load resource" not in p], tab.problems
    tab.assert_no_csp_violations()
