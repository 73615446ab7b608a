"""The free dates of a listing, day by day, as its page's calendar shows them."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from barnraise.accounts.models import User
from barnraise.catalog import availability
from barnraise.catalog.availability import Slot, Span, day_seats
from barnraise.catalog.models import Listing
from barnraise.catalog.selectors import listing_free_days
from barnraise.catalog.services import availability_set, category_create, listing_create

ZONE = ZoneInfo("America/New_York")
# A Monday, noon in New York: the days before it are past, whatever the notice.
NOW = datetime(2026, 3, 2, 17, tzinfo=UTC)
MONDAY = date(2026, 3, 2)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def bookings(monkeypatch: pytest.MonkeyPatch) -> list[Span]:
    """Seats held by bookings, read through catalog's hook as commerce's would be (and only
    these, so the test needs no commerce rows)."""
    held: list[Span] = []

    def provider(ids: list[Any], start: datetime, end: datetime) -> dict[Any, list[Span]]:
        return {ids[0]: [s for s in held if s.start < end and s.end > start]} if ids else {}

    monkeypatch.setattr(availability, "_taken_providers", [provider])
    return held


def _listing(make_user: Callable[..., User], **fields: Any) -> Listing:
    spaces = category_create(slug="spaces", name="Spaces", kinds=["rental", "service"])
    return listing_create(
        actor=make_user(),
        category=spaces,
        title="Workshop bench",
        price_amount_minor=1500,
        currency="USD",
        lat=44.47,
        lng=-73.21,
        timezone="America/New_York",
        **fields,
    )


def test_an_hourly_room_is_free_open_days_booked_up_on_a_full_day_and_closed_on_its_exception(
    make_user: Callable[..., User], bookings: list[Span]
) -> None:
    # given a room of two seats, open 9 to 5 on weekdays, closed on Wednesday by an exception,
    # taking bookings 4 hours ahead at most 10 days out
    room = _listing(make_user, kind="rental", unit="hour", seats=2, min_notice_hours=4, max_advance_days=10)
    wednesday, thursday, friday = (MONDAY + timedelta(days=n) for n in (2, 3, 4))
    availability_set(
        actor=room.author,
        public_id=room.public_id,
        weekly=[{"weekday": d, "start": time(9), "end": time(17), "seats": 2} for d in range(5)],
        exceptions=[{"start": at(wednesday, 0), "end": at(wednesday, 23, 59), "seats": 0, "note": "Away"}],
    )
    # and both seats booked all Thursday, one seat Friday morning
    bookings += [Span(at(thursday, 9), at(thursday, 17), 2), Span(at(friday, 9), at(friday, 12), 1)]

    # when its days are read for two weeks from the Sunday before
    days = listing_free_days(
        listing=room, first=MONDAY - timedelta(days=1), last=MONDAY + timedelta(days=13), now=NOW
    )

    # then each day says what a customer could book
    seen = {d.day: (d.state, d.seats) for d in days}
    assert len(days) == 15
    assert seen[MONDAY - timedelta(days=1)] == ("past", 0)
    assert seen[MONDAY] == ("free", 2)  # noon + 4 h notice leaves 16:00–17:00 today
    assert seen[MONDAY + timedelta(days=1)] == ("free", 2)
    assert seen[wednesday] == ("closed", 0)
    assert seen[thursday] == ("full", 0)
    assert seen[friday] == ("free", 2)  # the afternoon still has both seats
    assert seen[MONDAY + timedelta(days=5)] == ("closed", 0)  # Saturday: no hours
    assert seen[MONDAY + timedelta(days=12)] == ("beyond", 0)  # more than 10 days out


def test_a_room_by_the_night_counts_only_whole_free_days(
    make_user: Callable[..., User], bookings: list[Span]
) -> None:
    # given a one-seat room by the night, open all day every day (the default plan)
    room = _listing(make_user, kind="rental", unit="night", seats=1)
    tuesday = MONDAY + timedelta(days=1)
    # and a booking of one hour on Tuesday
    bookings.append(Span(at(tuesday, 10), at(tuesday, 11), 1))

    # when its days are read from Monday, at noon on Monday
    days = listing_free_days(listing=room, first=MONDAY, last=MONDAY + timedelta(days=2), now=NOW)

    # then today has begun (a night starts at midnight), Tuesday is taken, Wednesday is free
    assert [(d.state, d.seats) for d in days] == [("past", 0), ("full", 0), ("free", 1)]


def test_a_day_needs_a_free_stretch_as_long_as_one_slot() -> None:
    # given a plan of three seats from 9 to 11, with 9:00–10:00 fully taken and 10:00–10:30 half
    slots = [Slot(MONDAY.weekday(), time(9), time(11), 3)]
    taken = [Span(at(MONDAY, 9), at(MONDAY, 10), 3), Span(at(MONDAY, 10), at(MONDAY, 10, 30), 2)]

    def seats(minutes: int) -> int:
        return day_seats(
            slots=slots,
            exceptions=[],
            zone=ZONE,
            day=MONDAY,
            taken=taken,
            shortest=timedelta(minutes=minutes),
        )

    # then a 30-minute booking finds three seats (10:30–11:00), an hour only one, two hours none
    assert (seats(30), seats(60), seats(120)) == (3, 1, 0)
