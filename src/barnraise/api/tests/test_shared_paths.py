"""A path two contexts serve: GET /api/v1/listings is search's router, POST catalog's (both
mounted in config/api.py). Each method reaches the router that declares it; any other is one
405 naming both."""

import pytest

from barnraise.catalog.models import Listing
from barnraise.catalog.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_get_searches_and_post_creates_on_the_one_path(api_as, api):
    # given a member with a category to list in
    CategoryFactory(slug="rooms", kinds=["rental"])
    member = api_as()
    body = {
        "kind": "rental",
        "category": "rooms",
        "title": "Attic room",
        "price": {"amount_minor": 1500, "currency": "EUR"},
        "unit": "hour",
        "location": {"lat": 50.85, "lng": 4.35},
        "timezone": "Europe/Brussels",
    }
    # when the member posts a listing and anyone searches
    created = member.call("POST", "listings", json=body)
    found = api.get("/api/v1/listings?q=attic")
    # then catalog's router created it and search's found it
    assert created.status_code == 201, created.json()
    assert [hit["title"] for hit in found.json()["results"]] == ["Attic room"]


def test_another_method_on_the_shared_path_is_one_405_naming_both(api_as):
    # given a member
    member = api_as()
    # when they send a method neither router declares
    response = member.call("PUT", "listings", json={})
    # then the answer is the one JSON 405, allowing what either router takes, and nothing is made
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert {method.strip() for method in response["Allow"].split(",")} == {"GET", "POST"}
    assert not Listing.objects.exists()
