"""GET /api/v1/listings answers with summaries read by one statement (search.selectors)."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from barnraise.catalog.models import Listing, Photo
from barnraise.search.api import SearchPageOut
from barnraise.search.query import parse
from barnraise.search.selectors import listing_summaries_search, listings_search
from barnraise.search.tests.conftest import GHENT

pytestmark = pytest.mark.django_db


def _photo(listing: Any, name: str, position: int) -> Photo:
    return Photo.objects.create(
        listing=listing,
        image=f"listings/{name}.jpg",
        thumbnail=f"listings/thumbs/{name}.jpg",
        width=800,
        height=600,
        alt_text=f"{name} photo",
        position=position,
    )


def test_a_result_is_a_summary_with_the_first_photo(api, add):
    listing = add("Blue commuter bike", description="**Fast**", price=12345, currency="EUR")
    _photo(listing, "second", 1)
    first = _photo(listing, "first", 0)
    add("Red bike")
    response = api.get(f"/api/v1/listings?q=bike&lat={GHENT[0]}&lng={GHENT[1]}&radius_km=5")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    SearchPageOut.model_validate(body)  # encoded directly, so held to the schema here
    hit = next(r for r in body["results"] if r["title"] == "Blue commuter bike")
    assert set(hit) == {
        "id",
        "kind",
        "category",
        "title",
        "price",
        "unit",
        "location",
        "rating_score",
        "author",
        "photo",
        "distance_km",
        "author_badges",
    }
    assert hit["id"] == str(listing.public_id)
    assert hit["category"] == {"slug": "bikes", "name": "Bikes"}
    assert hit["price"]["amount_minor"] == 12345
    assert hit["price"]["currency"] == "EUR"
    assert "123.45" in hit["price"]["formatted"]
    assert hit["location"] == {"lat": listing.public_lat, "lng": listing.public_lng}
    assert hit["author"] == {"id": str(listing.author.id), "name": listing.author.name}
    assert hit["author_badges"] == []
    assert hit["photo"] == {
        "id": str(first.id),
        "thumbnail_url": "/media/listings/thumbs/first.jpg",
        "alt_text": "first photo",
    }
    assert hit["distance_km"] is not None
    other = next(r for r in body["results"] if r["title"] == "Red bike")
    assert other["photo"] is None


def test_summaries_match_the_full_search_in_two_statements(add):
    for i in range(5):
        add(f"Bike number {i}")
    query = {"q": "bike", "limit": "3"}
    full = listings_search(parse(query))
    with CaptureQueriesContext(connection) as queries:
        lean = listing_summaries_search(parse(query))
    assert [h.public_id for h in lean.hits] == [str(h.listing.public_id) for h in full.hits]
    assert lean.next_cursor == full.next_cursor
    # The search statement (twice on SQLite: "bike" whole, then as a prefix), then the summaries.
    if connection.vendor == "sqlite":
        assert len(queries) <= 3
        assert [("catalog_photo" in q["sql"]) for q in queries][-1]
        assert sum("catalog_photo" in q["sql"] for q in queries) == 1
        return
    # PostgreSQL prepares the summaries statement on the connection (not in Django's log).
    assert len(queries) == 1
    assert "catalog_photo" not in queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert [s for s in prepared if "catalog_photo" in s and "ANY" in s], prepared


def test_sqlite_takes_a_common_last_word_whole_and_a_rare_one_as_a_prefix(api, add, monkeypatch):
    from barnraise.api.pagination import encode_cursor
    from barnraise.search.backends import base, dialect

    monkeypatch.setattr(base, "CANDIDATES", 2)
    monkeypatch.setattr("barnraise.search.selectors.CANDIDATES", 2)
    add("Oak desk")
    add("Desktop computer")
    assert set(_titles(api, "q=desk")) == {"Oak desk", "Desktop computer"}  # 1 whole-word match
    add("Pine desk")
    add("Standing desktop")
    common = set(_titles(api, "q=desk"))
    if dialect().exact_first:  # SQLite: "desk" whole fills the candidates; completions left out
        assert common == {"Oak desk", "Pine desk"}
    else:  # PostgreSQL: a prefix costs little in its candidate walk, so it is always one
        assert common == {"Standing desktop", "Pine desk"}
    assert set(_titles(api, "q=deskt")) == {"Desktop computer", "Standing desktop"}
    past_the_end = encode_cursor(["relevance", -1e9, 0])
    assert _titles(api, f"q=desk&cursor={past_the_end}") == []


def _titles(api: Any, query: str) -> list[str]:
    response = api.get(f"/api/v1/listings?{query}")
    assert response.status_code == 200, response.content
    return [r["title"] for r in response.json()["results"]]


def test_a_stale_newest_id_still_finds_the_newest_listings(api, add, monkeypatch):
    from barnraise.search.backends import base

    monkeypatch.setattr(base, "NEWEST_WINDOW", 2)  # walk the newest two ids above the floor
    monkeypatch.setattr("barnraise.search.selectors.TOP_ID_SECONDS", 3600.0)
    for n in range(5):
        add(f"Lamp {n}")
    assert _titles(api, "sort=newest&limit=2") == ["Lamp 4", "Lamp 3"]
    add("Lamp 5")  # the cached newest id is now one behind
    add("Lamp 6")
    assert _titles(api, "sort=newest&limit=2") == ["Lamp 6", "Lamp 5"]
    assert _titles(api, "sort=newest&limit=3&kind=rental") == []  # a walk short of a page


@pytest.mark.django_db(transaction=True)
def test_postgresql_prepares_the_summaries_again_after_a_migration_changes_a_column(add):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    add("Blue bike")
    query = {"q": "bike"}
    assert [h.title for h in listing_summaries_search(parse(query)).hits] == ["Blue bike"]
    # a migration in another process changes a column the prepared statement returns
    unit = Listing._meta.get_field("unit").max_length
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE catalog_listing ALTER COLUMN unit TYPE varchar({unit + 1})")
    try:
        assert [h.title for h in listing_summaries_search(parse(query)).hits] == ["Blue bike"]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE catalog_listing ALTER COLUMN unit TYPE varchar({unit})")
