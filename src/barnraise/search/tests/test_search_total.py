"""The total of a search: every match counted, not the page, up to a cap that keeps it cheap."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from barnraise.search import selectors


def total(response):
    assert response.status_code == 200, response.json()
    return response.json()["matches"]


def test_the_total_counts_every_match_not_the_page(api, add):
    # given four bikes and a room
    for index in range(4):
        add(f"Bike {index}")
    add("Attic room", category="rooms", kind="rental", unit="night")
    # when searching bikes two to a page, by category and by words
    by_category = api.get("/api/v1/listings?category=bikes&limit=2")
    by_words = api.get("/api/v1/listings?q=bik&limit=2")
    # then the page has two and the total says four
    assert len(by_category.json()["results"]) == 2
    assert total(by_category) == {"count": 4, "capped": False}
    assert total(by_words) == {"count": 4, "capped": False}
    # and the second page keeps the same total
    cursor = by_category.json()["next_cursor"]
    assert total(api.get(f"/api/v1/listings?category=bikes&limit=2&cursor={cursor}"))["count"] == 4


def test_the_total_follows_every_filter(api, add):
    # given bikes at three prices, one in pounds
    add("Cheap bike", price=500)
    add("Mid bike", price=5000)
    add("Pound bike", price=5000, currency="GBP")
    # when filtering by price within euros, and by a word nothing has
    priced = api.get("/api/v1/listings?min_price=1000&max_price=10000&currency=EUR")
    nothing = api.get("/api/v1/listings?q=piano")
    # then each total counts what its filters let through
    assert total(priced) == {"count": 1, "capped": False}
    assert total(nothing) == {"count": 0, "capped": False}


def test_the_total_stops_at_the_cap(api, add, monkeypatch):
    # given five bikes and a cap of three
    for index in range(5):
        add(f"Road bike {index}")
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    # when searching them all, by words whole and as a prefix
    everything = api.get("/api/v1/listings")
    whole = api.get("/api/v1/listings?q=bike&sort=relevance")
    prefix = api.get("/api/v1/listings?q=bi")
    exactly = api.get("/api/v1/listings?q=road+bike+4")
    # then the total is the cap, marked as capped; a search under the cap is exact
    assert total(everything) == {"count": 3, "capped": True}
    assert total(whole) == {"count": 3, "capped": True}
    assert total(prefix) == {"count": 3, "capped": True}
    assert total(exactly) == {"count": 1, "capped": False}


def test_a_window_total_counts_the_free_listings(api, api_as, add):
    # given two rooms, one open from 09:00 every day and one only in the afternoons
    owner = api_as()
    for title, opens in (("Open room", "09:00"), ("Afternoon room", "13:00")):
        room = add(title, category="rooms", kind="rental", unit="hour", actor=owner.user)
        weekly = [{"weekday": d, "start": opens, "end": "17:00", "seats": 1} for d in range(7)]
        owner.call(
            "PUT", f"listings/{room.public_id}/availability", json={"weekly": weekly, "exceptions": []}
        )
    # when searching a morning hour ahead
    day = datetime(2027, 3, 24, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    params = {"start": day.isoformat(), "end": (day + timedelta(hours=1)).isoformat()}
    # then the total counts only the room free then
    assert total(api.get("/api/v1/listings", params)) == {"count": 1, "capped": False}
