"""No double booking, no overselling: 32 real clients at once, each on its own connection.

Runs on whichever database the suite runs on: SQLite (a file in WAL mode, write transactions
BEGIN IMMEDIATE) and PostgreSQL (the calendar row locked FOR UPDATE; stock by a conditional
update). The only acceptable answers are 201, 409 `not_available` and 503 `busy`. Each
client pays with the sandbox card, so its authorization (made before the deal opens) races too;
every authorization of a client that lost is voided.
"""

import http.client
import json
import threading
from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress

from barnraise.accounts.models import User
from barnraise.accounts.services import token_create
from barnraise.catalog.models import Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Booking, StockReservation
from barnraise.ledger.models import Payment, SandboxRecord

CLIENTS = 32
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def member(email: str) -> User:
    user = User.objects.create_user(email=email, password="pw-123456789", name=email.split("@")[0])
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def fire_at_once(url: str, bodies: list[dict], tokens: list[str]) -> list[tuple[int, dict]]:
    """POST every body from its own thread and connection, released together by a barrier."""
    parts = urlsplit(url)
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, dict]] = [(0, {})] * len(bodies)

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        payload = json.dumps(bodies[index])
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[index]}"}
        barrier.wait()
        conn.request("POST", "/api/v1/transactions", body=payload, headers=headers)
        response = conn.getresponse()
        results[index] = (response.status, json.loads(response.read() or b"{}"))
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def check_answers(results: list[tuple[int, dict]]) -> Counter[int]:
    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {201, 409, 503}, results
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "not_available", body
        if status == 503:
            assert body["error"]["code"] == "busy", body
    return statuses


def assert_losers_were_not_charged(won: int) -> None:
    """One payment per deal opened; every other authorization was voided or never made."""
    assert Payment.objects.count() == won
    authorized = SandboxRecord.objects.filter(kind="authorization").count()
    assert SandboxRecord.objects.filter(kind="void").count() == authorized - won


def test_bookings_never_exceed_the_seats(live_server):
    # given a room with 3 seats, and 32 members wanting overlapping windows
    owner = member("owner@example.com")
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    room = listing_create(
        actor=owner,
        kind="rental",
        category=rooms,
        title="Studio",
        unit="hour",
        price_amount_minor=1000,
        currency="EUR",
        seats=3,
        lat=50.0,
        lng=4.0,
        timezone="Europe/Brussels",
    )
    zone = ZoneInfo("Europe/Brussels")
    day = (datetime.now(zone) + timedelta(days=5)).date()
    base = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
    tokens, bodies = [], []
    for index in range(CLIENTS):
        tokens.append(token_create(user=member(f"c{index}@example.com"), name="t")[1])
        start = base + timedelta(hours=index % 3)  # three overlapping windows
        bodies.append(
            {
                "listing_id": str(room.public_id),
                "start": start.isoformat(),
                "end": (start + timedelta(hours=2)).isoformat(),
                "seats": 1,
                "payment_method": "4242424242424242",
            }
        )
    # when they all book at once
    statuses = check_answers(fire_at_once(live_server.url, bodies, tokens))
    # then at no instant are more than 3 seats held
    held = list(
        Booking.objects.filter(status__in=["pending", "accepted"]).values_list("start", "end", "seats")
    )
    assert statuses[201] == len(held) and statuses[201] >= 3
    assert_losers_were_not_charged(statuses[201])
    moments = sorted({start for start, _, _ in held})
    for moment in moments:
        assert sum(seats for start, end, seats in held if start <= moment < end) <= 3


def test_stock_never_goes_below_zero(live_server):
    owner = member("owner@example.com")
    goods = category_create(slug="goods", name="Goods", kinds=["sale"])
    jam = listing_create(
        actor=owner,
        kind="sale",
        category=goods,
        title="Jam",
        unit="item",
        price_amount_minor=500,
        currency="EUR",
        stock=5,
        lat=50.0,
        lng=4.0,
    )
    tokens = [token_create(user=member(f"c{i}@example.com"), name="t")[1] for i in range(CLIENTS)]
    bodies = [
        {"listing_id": str(jam.public_id), "quantity": 1, "payment_method": "4242424242424242"}
    ] * CLIENTS
    statuses = check_answers(fire_at_once(live_server.url, bodies, tokens))
    jam.refresh_from_db()
    held = StockReservation.objects.filter(status="held").count()
    assert jam.stock is not None and jam.stock >= 0
    assert statuses[201] == held == 5 - jam.stock
    assert_losers_were_not_charged(statuses[201])
    assert Listing.objects.get(pk=jam.pk).stock == 0 or statuses[503] > 0
