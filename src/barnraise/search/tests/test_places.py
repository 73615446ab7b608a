"""Searching by place: the gazetteer's suggestions and the geocoder, through the API and the pages.

The geocoder is tested against a FAKE Nominatim-compatible service (`FakeNominatim` below), a few
lines answering the documented `/search?format=jsonv2` shape on 127.0.0.1: no request leaves the
machine.
"""

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from barnraise.accounts.models import User
from barnraise.catalog.services import category_create, listing_create

BURLINGTON_VT = (44.4759, -73.2121)
BOSTON = (42.3601, -71.0589)
OAKVILLE_ON = (43.45, -79.68)  # a short drive from Burlington, Ontario


@pytest.fixture
def listings(make_user: Callable[..., User]) -> dict[str, Any]:
    seller = make_user(email="seller@example.com", name="Sam Seller")
    tools = category_create(slug="tools", name="Tools", kinds=["rental"])

    def add(title: str, at: tuple[float, float]) -> Any:
        return listing_create(
            actor=seller,
            category=tools,
            kind="rental",
            unit="day",
            title=title,
            price_amount_minor=1500,
            currency="USD",
            lat=at[0],
            lng=at[1],
        )

    return {"here": add("Ladder in Burlington", BURLINGTON_VT), "far": add("Ladder in Boston", BOSTON)}


def test_suggestions_rank_the_marketplace_s_own_burlington_first(api: Any, listings: dict[str, Any]) -> None:
    # given a marketplace whose listings are around Burlington, Vermont
    # when a visitor types "Burl"
    answer = api.call("GET", "places?q=Burl")
    # then Burlington, Vermont comes first, labelled with its state and country, with a point
    assert answer.status_code == 200, answer.content
    first = answer.json()["results"][0]
    assert first["label"] == "Burlington, Vermont, United States"
    assert (round(first["location"]["lat"], 1), round(first["location"]["lng"], 1)) == (44.5, -73.2)
    assert 10 <= first["radius_km"] <= 50
    assert first["time_zone"] == "America/New_York"
    assert "GeoNames" in answer.json()["attribution"]


def test_the_same_name_means_the_nearer_place_in_another_marketplace(api: Any, settings: Any) -> None:
    # given a marketplace set in Ontario (and nothing listed yet)
    settings.MARKETPLACE_AREA = OAKVILLE_ON
    # when someone types "Burlington"
    results = api.call("GET", "places?q=Burlington").json()["results"]
    # then the Canadian Burlington is first
    assert (results[0]["name"], results[0]["country_code"]) == ("Burlington", "CA")


def test_a_region_after_a_comma_narrows_and_other_names_find_a_place(api: Any, db: Any) -> None:
    vermont = api.call("GET", "places?q=Burlington, VT").json()["results"]
    assert {p["region"] for p in vermont} == {"Vermont"}
    canada = api.call("GET", "places?q=Burlington, Canada").json()["results"]
    assert [p["country_code"] for p in canada] == ["CA"]
    # an English name finds the German city, accents and case ignored
    assert api.call("GET", "places?q=cologne").json()["results"][0]["name"] == "Köln"
    assert api.call("GET", "places?q=ZURICH").json()["results"][0]["name"] == "Zürich"


def test_too_short_is_empty_and_bad_input_is_refused(api: Any, db: Any) -> None:
    assert api.call("GET", "places?q=B").json()["results"] == []
    assert api.call("GET", "places").status_code == 422
    refused = api.call("GET", "places?q=Burl&lang=fr")
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "unknown_field")
    assert api.call("GET", "places?q=Burl&limit=0").status_code == 422


class FakeNominatim:
    """A FAKE geocoding service in Nominatim's documented shape; not Nominatim."""

    def __init__(self) -> None:
        self.queries: list[dict[str, list[str]]] = []
        self.status = "200 OK"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        query = parse_qs(environ["QUERY_STRING"])
        self.queries.append(query)
        found = []
        if "church" in query["q"][0].lower():
            found = [
                {
                    "place_id": 1,
                    "lat": "44.4781",
                    "lon": "-73.2135",
                    "display_name": "12, Church Street, Burlington, Chittenden County, Vermont, 05401, United States",
                    "addresstype": "building",
                }
            ]
        start_response(self.status, [("Content-Type", "application/json")])
        return [json.dumps(found).encode()]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def nominatim(settings: Any) -> Iterator[FakeNominatim]:
    fake = FakeNominatim()
    server = make_server("127.0.0.1", 0, fake, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.GEOCODER_URL = f"http://127.0.0.1:{server.server_port}"
    yield fake
    server.shutdown()


def test_an_address_is_geocoded_by_the_configured_service(
    api: Any, db: Any, nominatim: FakeNominatim
) -> None:
    answer = api.call("GET", "places/locate?q=12 Church St, Burlington, VT")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["precision"] == "address"
    assert body["location"] == {"lat": 44.4781, "lng": -73.2135}
    assert nominatim.queries[0]["format"] == ["jsonv2"]


def test_without_a_service_an_address_falls_back_to_its_town(
    api: Any, db: Any, nominatim: FakeNominatim
) -> None:
    # the service fails (as it would offline); the town the address names is used instead
    nominatim.status = "503 Service Unavailable"
    body = api.call("GET", "places/locate?q=12 Church St, Burlington, VT").json()
    assert (body["precision"], body["label"]) == ("town", "Burlington, Vermont, United States")


def test_an_unknown_place_is_a_clear_404(api: Any, db: Any) -> None:
    answer = api.call("GET", "places/locate?q=Qzxqzx Street, Nowhereville")
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "place_not_found")


def test_the_search_page_searches_around_a_typed_town(client: Any, listings: dict[str, Any]) -> None:
    page = client.get("/search/", {"where": "Burlington"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Ladder in Burlington" in html
    assert "Ladder in Boston" not in html
    # the box shows the place it understood
    assert 'value="Burlington, Vermont, United States"' in html


def test_the_search_page_says_when_it_does_not_know_a_place(client: Any, listings: dict[str, Any]) -> None:
    page = client.get("/search/", {"where": "Qzxqzx"})
    assert page.status_code == 422
    assert "We don’t know a place called “Qzxqzx”" in page.content.decode()


def test_the_where_box_suggests_places_on_home_and_search(client: Any, listings: dict[str, Any]) -> None:
    home = client.get("/").content.decode()
    assert 'name="where"' in home
    assert 'name="where"' in client.get("/search/").content.decode()
    options = client.get("/search/places/", {"where": "Burl"}).content.decode()
    assert '<option value="Burlington, Vermont, United States">' in options


def test_places_outside_the_us_are_named_with_their_region(api: Any, settings: Any) -> None:
    # given a marketplace set in Ontario
    settings.MARKETPLACE_AREA = OAKVILLE_ON
    # when someone types "Burlington", the Canadian one is shown with its province
    first = api.call("GET", "places?q=Burlington").json()["results"][0]
    assert (first["label"], first["region"]) == ("Burlington, Ontario, Canada", "Ontario")
    # and the German city, found by its English name, with its Land
    cologne = api.call("GET", "places?q=Köln").json()["results"][0]
    assert cologne["label"] == "Köln, North Rhine-Westphalia, Germany"
    # a province after a comma narrows as a US state does
    ontario = api.call("GET", "places?q=Burlington, Ontario").json()["results"]
    assert ontario and {p["region"] for p in ontario} == {"Ontario"}
    assert api.call("GET", "places?q=Munich, Bavaria").json()["results"][0]["region"] == "Bavaria"
    assert api.call("GET", "places?q=Leeds, England").json()["results"][0]["country_code"] == "GB"


def test_the_where_box_and_the_search_page_name_a_province(client: Any, settings: Any, db: Any) -> None:
    settings.MARKETPLACE_AREA = OAKVILLE_ON
    options = client.get("/search/places/", {"where": "Burlington"}).content.decode()
    assert '<option value="Burlington, Ontario, Canada">' in options
    page = client.get("/search/", {"where": "Burlington, Ontario"})
    assert 'value="Burlington, Ontario, Canada"' in page.content.decode()
