"""Search through GET /api/v1/listings: one suite, run on SQLite and on PostgreSQL."""

import base64
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from barnraise.catalog.models import Listing
from barnraise.search.tests.conftest import GHENT, titles

pytestmark = pytest.mark.django_db

BRUGES = (51.2093, 3.2247)  # ~38 km from Ghent
ANTWERP = (51.2194, 4.4025)  # ~51 km


def test_text_search_finds_stemmed_words_and_prefixes_and_ranks_titles_first(api, add):
    add("Old armchair", description="Comes with a free bike pump")
    add("Blue commuter bike")
    add("Racing bikes for two")
    add("Garden table", category="goods")
    assert titles(api.get("/api/v1/listings?q=bike"))[:2] in (
        ["Racing bikes for two", "Blue commuter bike"],
        ["Blue commuter bike", "Racing bikes for two"],
    )
    assert set(titles(api.get("/api/v1/listings?q=bike"))) == {
        "Old armchair",
        "Blue commuter bike",
        "Racing bikes for two",
    }
    assert titles(api.get("/api/v1/listings?q=commut")) == ["Blue commuter bike"]
    assert titles(api.get("/api/v1/listings?q=blue+bike")) == ["Blue commuter bike"]
    assert titles(api.get('/api/v1/listings?q="); DROP TABLE x; --')) == []


def test_index_follows_edits_and_only_published_listings_show(api, api_as, add):
    listing = add("Blue commuter bike")
    draft = add("Hidden bike", publish=False)
    assert titles(api.get("/api/v1/listings?q=bike")) == ["Blue commuter bike"]
    Listing.objects.filter(pk=listing.pk).update(title="Red tandem")
    assert titles(api.get("/api/v1/listings?q=bike")) == []
    assert titles(api.get("/api/v1/listings?q=tandem")) == ["Red tandem"]
    Listing.objects.filter(pk=listing.pk).delete()
    assert titles(api.get("/api/v1/listings?q=tandem")) == []
    assert draft.status == "draft"


def test_kind_and_category_include_subcategories(api, add):
    add("Blue bike")
    add("Bike for rent", kind="rental", unit="day")
    add("Lamp", category="goods")
    add("Room by the river", category="rooms", kind="rental", unit="night")
    assert set(titles(api.get("/api/v1/listings?category=goods"))) == {"Blue bike", "Bike for rent", "Lamp"}
    assert titles(api.get("/api/v1/listings?category=goods&kind=rental")) == ["Bike for rent"]
    assert titles(api.get("/api/v1/listings?kind=rental&sort=newest")) == [
        "Room by the river",
        "Bike for rent",
    ]


def test_radius_search_reports_distance_and_sorts_by_it(api, add):
    add("Antwerp bike", at=ANTWERP)
    add("Bruges bike", at=BRUGES)
    add("Ghent bike", at=GHENT)
    near = api.get(f"/api/v1/listings?lat={GHENT[0]}&lng={GHENT[1]}&radius_km=45&sort=distance").json()
    assert [r["title"] for r in near["results"]] == ["Ghent bike", "Bruges bike"]
    assert near["results"][0]["distance_km"] == 0.0
    assert 37.0 <= near["results"][1]["distance_km"] <= 40.0
    wide = api.get(f"/api/v1/listings?lat={GHENT[0]}&lng={GHENT[1]}&radius_km=80&sort=distance")
    assert titles(wide) == ["Ghent bike", "Bruges bike", "Antwerp bike"]


def test_bbox_is_the_map_view(api, add):
    add("Bruges bike", at=BRUGES)
    add("Antwerp bike", at=ANTWERP)
    assert titles(api.get("/api/v1/listings?bbox=3.0,51.1,3.5,51.3")) == ["Bruges bike"]


def test_price_range_within_a_currency_and_price_sorts(api, add):
    add("Cheap", price=500)
    add("Mid", price=5000)
    add("Dear", price=50000)
    add("Pounds", price=5000, currency="GBP")
    assert titles(api.get("/api/v1/listings?min_price=1000&max_price=10000&currency=EUR")) == ["Mid"]
    assert titles(api.get("/api/v1/listings?currency=EUR&sort=price")) == ["Cheap", "Mid", "Dear"]
    assert titles(api.get("/api/v1/listings?currency=EUR&sort=-price")) == ["Dear", "Mid", "Cheap"]


def test_attribute_filters_are_typed_by_the_schema(api, add):
    add("Small e-bike", attributes={"frame_size": "S", "electric": True, "gears": 7})
    add("Large bike", attributes={"frame_size": "L", "electric": False, "gears": 21})
    assert titles(api.get("/api/v1/listings?category=bikes&attr.frame_size=S")) == ["Small e-bike"]
    assert titles(api.get("/api/v1/listings?category=goods&attr.electric=false")) == ["Large bike"]
    assert titles(api.get("/api/v1/listings?category=bikes&attr.gears=21")) == ["Large bike"]


def test_a_category_edited_by_the_operator_is_searched_by_at_once(api, add):
    """Searches keep the category tree in memory (catalog.selectors.category_paths); saving or
    deleting a category drops that copy."""
    from barnraise.catalog.models import Category

    add("Small e-bike", attributes={"frame_size": "S", "electric": True, "gears": 7})
    assert api.get("/api/v1/listings?category=bikes&attr.frame_size=S").status_code == 200
    bikes = Category.objects.get(slug="bikes")
    bikes.attribute_schema = [
        {**d, "filterable": False} if d["name"] == "frame_size" else d for d in bikes.attribute_schema
    ]
    bikes.save()
    refused = api.get("/api/v1/listings?category=bikes&attr.frame_size=S")
    assert refused.status_code in (400, 422)
    assert "attr.frame_size" in refused.json()["error"]["details"]
    trikes = Category.objects.create(slug="trikes", name="Trikes", parent=bikes.parent)
    assert api.get("/api/v1/listings?category=trikes").status_code == 200
    trikes.delete()
    assert "category" in api.get("/api/v1/listings?category=trikes").json()["error"]["details"]


def test_rating_sort_puts_unrated_last(api, add):
    a, b, c = add("A"), add("B"), add("C")
    Listing.objects.filter(pk=a.pk).update(rating_score=3.5)
    Listing.objects.filter(pk=c.pk).update(rating_score=4.9)
    assert titles(api.get("/api/v1/listings?sort=rating")) == ["C", "A", "B"]
    assert b.rating_score is None


def test_window_search_respects_weekly_plan_exceptions_and_dst(api, api_as, add):
    # given a room open 09:00-17:00 local time every day, in Brussels
    owner = api_as()
    room = add("Meeting room", category="rooms", kind="rental", unit="hour", actor=owner.user)
    weekly = [{"weekday": d, "start": "09:00", "end": "17:00", "seats": 2} for d in range(7)]
    owner.call("PUT", f"listings/{room.public_id}/availability", json={"weekly": weekly, "exceptions": []})
    brussels, utc = ZoneInfo("Europe/Brussels"), ZoneInfo("UTC")
    # clocks go forward on Sunday 2027-03-28: 09:00 local is 08:00 UTC the day before, 07:00 on it
    day = datetime(2027, 3, 28, 9, 0, tzinfo=brussels)
    saturday_0730_utc = datetime(2027, 3, 27, 7, 30, tzinfo=utc)
    sunday_0730_utc = datetime(2027, 3, 28, 7, 30, tzinfo=utc)

    def free(start: datetime, end: datetime, seats: int = 1) -> list[str]:
        params = {"start": start.isoformat(), "end": end.isoformat(), "seats": str(seats)}
        return titles(api.get("/api/v1/listings", params))

    assert free(day, day + timedelta(hours=1)) == ["Meeting room"]
    assert free(day.astimezone(utc), day.astimezone(utc) + timedelta(hours=8)) == ["Meeting room"]
    assert free(sunday_0730_utc, sunday_0730_utc + timedelta(hours=1)) == ["Meeting room"]
    assert free(saturday_0730_utc, saturday_0730_utc + timedelta(hours=1)) == []  # 08:30 local
    assert free(day - timedelta(hours=1), day + timedelta(hours=1)) == []  # 08:00 local is closed
    assert free(day, day + timedelta(hours=1), seats=3) == []
    # when the owner closes that morning with an exception
    owner.call(
        "PUT",
        f"listings/{room.public_id}/availability",
        json={
            "weekly": weekly,
            "exceptions": [
                {"start": day.isoformat(), "end": (day + timedelta(hours=2)).isoformat(), "seats": 0}
            ],
        },
    )
    assert free(day, day + timedelta(hours=1)) == []
    assert free(day + timedelta(hours=3), day + timedelta(hours=4)) == ["Meeting room"]


def test_window_in_the_past_or_too_far_ahead_finds_nothing(api, api_as, add):
    owner = api_as()
    room = add("Room", category="rooms", kind="rental", unit="night", actor=owner.user)
    weekly = [{"weekday": d, "start": "00:00", "end": "00:00", "seats": 1} for d in range(7)]
    owner.call("PUT", f"listings/{room.public_id}/availability", json={"weekly": weekly, "exceptions": []})
    soon = timezone.now() + timedelta(days=2)
    far = timezone.now() + timedelta(days=400)
    assert titles(
        api.get(
            "/api/v1/listings", {"start": soon.isoformat(), "end": (soon + timedelta(days=1)).isoformat()}
        )
    ) == ["Room"]
    assert (
        titles(
            api.get(
                "/api/v1/listings", {"start": far.isoformat(), "end": (far + timedelta(days=1)).isoformat()}
            )
        )
        == []
    )


def test_cursor_pages_are_stable_under_inserts(api, add):
    for index in range(7):
        add(f"Bike {index}", price=1000 + index)
    first = api.get("/api/v1/listings?sort=price&currency=EUR&limit=3").json()
    add("Cheapest newcomer", price=1)
    second = api.get(f"/api/v1/listings?sort=price&currency=EUR&limit=3&cursor={first['next_cursor']}").json()
    third = api.get(f"/api/v1/listings?sort=price&currency=EUR&limit=3&cursor={second['next_cursor']}").json()
    seen = [r["title"] for page in (first, second, third) for r in page["results"]]
    assert seen == [f"Bike {i}" for i in range(7)]
    assert third["next_cursor"] is None


def test_relevance_and_distance_pages_cover_everything_once(api, add):
    for index in range(5):
        add(f"Bike number {index}", description="bike " * index, at=(GHENT[0] + index * 0.01, GHENT[1]))
    for sort in ("relevance", "distance"):
        seen, cursor = [], None
        while True:
            params = {"q": "bike", "lat": GHENT[0], "lng": GHENT[1], "sort": sort, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = api.get("/api/v1/listings", params).json()
            seen += [r["title"] for r in page["results"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == [f"Bike number {i}" for i in range(5)], sort


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("lat=91&lng=0", "lat"),
        ("lat=50", "lng"),
        ("lat=50&lng=4&radius_km=9999", "radius_km"),
        ("radius_km=5", "radius_km"),
        ("bbox=1,2,3", "bbox"),
        ("min_price=10", "currency"),
        ("min_price=ten&currency=EUR", "min_price"),
        ("currency=EURO", "currency"),
        ("start=2099-01-01T10:00:00%2B00:00", "end"),
        ("start=2099-01-02T10:00:00%2B00:00&end=2099-01-01T10:00:00%2B00:00", "end"),
        ("sort=cheapest", "sort"),
        ("sort=distance", "sort"),
        ("sort=relevance", "sort"),
        ("kind=barter", "kind"),
        ("category=nope", "category"),
        ("attr.frame_size=S", "attr.frame_size"),
        ("category=bikes&attr.colour=red", "attr.colour"),
        ("category=bikes&attr.frame_size=XXL", "attr.frame_size"),
        ("category=bikes&attr.gears=many", "attr.gears"),
        ("limit=101", "limit"),
        ("cursor=!!!", "cursor"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_get_a_4xx_naming_the_parameter(api, cats, query, param):
    response = api.get(f"/api/v1/listings?{query}")
    assert response.status_code in (400, 422), response.content
    assert param in response.json()["error"]["details"]


def test_naive_window_is_refused(api, cats):
    response = api.get("/api/v1/listings?start=2099-01-01T10:00:00&end=2099-01-01T12:00:00")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "naive_datetime"


def test_a_window_search_that_finds_no_candidate_is_an_empty_page(api, add):
    add("Blue bike")
    response = api.get(
        "/api/v1/listings?q=zzzzqx&start=2099-01-01T10:00:00%2B00:00&end=2099-01-01T12:00:00%2B00:00"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"results": [], "next_cursor": None, "matches": {"count": 0, "capped": False}}


def test_window_search_counts_the_seats_bookings_hold(api, api_as, add):
    # given a room with one seat, open all day
    owner = api_as()
    room = add("Single room", category="rooms", kind="rental", unit="hour", actor=owner.user)
    zone = ZoneInfo("Europe/Brussels")
    day = (timezone.now().astimezone(zone) + timedelta(days=5)).date()
    start = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    assert titles(api.get("/api/v1/listings", window)) == ["Single room"]
    # when a customer books 11:00-12:00
    booked = api_as().call(
        "POST",
        "transactions",
        json={
            "listing_id": str(room.public_id),
            "start": (start + timedelta(hours=1)).isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
            "payment_method": "4242424242424242",
        },
    )
    assert booked.status_code == 201, booked.json()
    # then the overlapping window is no longer free, and a later one still is
    assert titles(api.get("/api/v1/listings", window)) == []
    later = {
        "start": (start + timedelta(hours=3)).isoformat(),
        "end": (start + timedelta(hours=4)).isoformat(),
    }
    assert titles(api.get("/api/v1/listings", later)) == ["Single room"]


# The crafted cursors of issue #17: each once answered 500.
CRAFTED_CURSORS = [
    b"[null,null]",
    b'["a","b"]',
    b'[1,"x"]',
    b"[[1],[2]]",
    b'["a",1e999]',
    b'["a",99999999999999999999999]',
]


def crafted(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("sort", ["newest", "price", "-price", "rating", "relevance", "distance"])
@pytest.mark.parametrize("raw", CRAFTED_CURSORS, ids=[r.decode() for r in CRAFTED_CURSORS])
def test_a_crafted_cursor_is_422_invalid_cursor_under_every_sort(api, add, raw, sort):
    # given
    add("Blue bike")
    query = f"q=bike&lat={GHENT[0]}&lng={GHENT[1]}&currency=EUR&sort={sort}"
    # when
    response = api.get(f"/api/v1/listings?{query}&cursor={crafted(raw)}")
    # then
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "invalid_cursor"
    assert "cursor" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    "raw",
    [
        b'["newest",1e999,1]',
        b'["newest",99999999999999999999999,1]',
        b'["newest",true,1]',
        b'["newest",1,-1]',
        b'["newest",1,1.5]',
        b'["newest",1,99999999999999999999999]',
        b'["newest",1,2,3]',
        b'{"sort":"newest"}',
    ],
)
def test_a_cursor_with_the_right_sort_but_wrong_values_is_refused(api, add, raw):
    # given
    add("Blue bike")
    # when
    response = api.get(f"/api/v1/listings?sort=newest&cursor={crafted(raw)}")
    # then
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_cursor_is_tied_to_its_sort(api, add):
    # given: a cursor from a search sorted by price
    for index in range(3):
        add(f"Bike {index}", price=1000 + index)
    by_price = api.get("/api/v1/listings?sort=price&currency=EUR&limit=1").json()["next_cursor"]
    assert by_price
    # when: it is sent with another sort, then with its own
    other = api.get(f"/api/v1/listings?sort=-price&currency=EUR&limit=1&cursor={by_price}")
    own = api.get(f"/api/v1/listings?sort=price&currency=EUR&limit=1&cursor={by_price}")
    # then
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "invalid_cursor"
    assert titles(own) == ["Bike 1"]
