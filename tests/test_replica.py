"""Database roles (barnraise.replica): lag-tolerant reads on the replica, everything else on the
primary, the primary again when the replica is down, and no replica on SQLite.

On PostgreSQL the test settings add the alias `replica` as Django's test mirror of `default`: a
second connection to the same test database, so each alias's queries can be captured apart.
"""

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from barnraise.accounts.models import User
from barnraise.accounts.services import token_create
from barnraise.catalog.models import Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Booking
from barnraise.replica import REPLICA, forget_outage, replica_reads
from tests.conftest import run

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a read replica exists only on PostgreSQL"
)
both = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(autouse=True)
def _replica_fresh() -> Iterator[None]:
    forget_outage()  # a replica refused by an earlier test is tried again
    yield
    forget_outage()


@contextmanager
def captured() -> Iterator[tuple[CaptureQueriesContext, CaptureQueriesContext]]:
    """The queries of the primary and of the replica, each apart."""
    with ExitStack() as stack:
        primary = stack.enter_context(CaptureQueriesContext(connections["default"]))
        replica = stack.enter_context(CaptureQueriesContext(connections[REPLICA]))
        yield primary, replica


def sql_of(capture: CaptureQueriesContext) -> str:
    return "\n".join(query["sql"] for query in capture.captured_queries)


def reads_of_listings(capture: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in capture.captured_queries if 'FROM "catalog_listing"' in q["sql"]]


def member(email: str) -> User:
    user = User.objects.create_user(email=email, password="pw-123456789", name=email.split("@")[0])
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def studio() -> Listing:
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    return listing_create(
        actor=member("owner@example.com"),
        kind="rental",
        category=rooms,
        title="Sunny studio",
        unit="hour",
        price_amount_minor=1000,
        currency="EUR",
        seats=1,
        lat=50.0,
        lng=4.0,
        timezone="Europe/Brussels",
    )


@on_postgresql
@both
def test_the_search_endpoint_reads_the_replica():
    listing = studio()
    with captured() as (primary, replica):
        response = Client().get("/api/v1/listings", {"q": "sunny"})
    assert response.status_code == 200, response.content
    assert [hit["id"] for hit in response.json()["results"]] == [str(listing.public_id)]
    assert "catalog_listing" in sql_of(replica)
    assert "catalog_listing" not in sql_of(primary)


@on_postgresql
@both
def test_the_search_page_reads_the_replica_after_the_session_on_the_primary():
    studio()
    browser = Client()
    browser.force_login(member("visitor@example.com"))
    with captured() as (primary, replica):
        response = browser.get("/search/", {"q": "sunny"})
    assert response.status_code == 200
    assert "Sunny studio" in response.content.decode()
    assert "catalog_listing" in sql_of(replica)
    assert "django_session" in sql_of(primary)  # who is asking: never behind
    assert "django_session" not in sql_of(replica)


@on_postgresql
@both
def test_a_listing_page_reads_the_replica_for_visitors_and_the_primary_for_members():
    listing = studio()
    with captured() as (primary, replica):
        assert Client().get(f"/listings/{listing.public_id}/").status_code == 200
    assert "catalog_listing" in sql_of(replica)
    browser = Client()
    browser.force_login(listing.author)
    with captured() as (primary, replica):
        assert browser.get(f"/listings/{listing.public_id}/").status_code == 200
    assert "catalog_listing" in sql_of(primary)
    assert replica.captured_queries == []


@on_postgresql
@both
def test_the_listing_and_profile_endpoints_read_the_replica_for_anonymous_callers_only():
    listing = studio()
    paths = [f"/api/v1/listings/{listing.public_id}", f"/api/v1/users/{listing.author.pk}"]
    for path in paths:
        with captured() as (primary, replica):
            assert Client().get(path).status_code == 200, path
        assert "catalog_listing" in sql_of(replica) or "accounts_user" in sql_of(replica), path
        assert reads_of_listings(primary) == [], path
    token = token_create(user=listing.author, name="t")[1]
    for path in paths:
        with captured() as (primary, replica):
            answer = Client().get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, path
        assert replica.captured_queries == [], path


@on_postgresql
@both
def test_a_booking_step_reads_and_writes_the_primary():
    listing = studio()
    token = token_create(user=member("guest@example.com"), name="t")[1]
    zone = ZoneInfo("Europe/Brussels")
    day = (datetime.now(zone) + timedelta(days=5)).date()
    start = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
    body = {
        "listing_id": str(listing.public_id),
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "seats": 1,
        "payment_method": "4242424242424242",
    }
    with captured() as (primary, replica):
        response = Client().post(
            "/api/v1/transactions",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 201, response.content
    assert Booking.objects.count() == 1
    assert "commerce_booking" in sql_of(primary)
    assert replica.captured_queries == []


@on_postgresql
@both
def test_a_transaction_reads_the_primary_even_where_the_replica_is_allowed():
    listing = studio()
    with captured() as (primary, replica), replica_reads():
        assert Listing.objects.get(pk=listing.pk).title == "Sunny studio"
        with transaction.atomic():
            Listing.objects.select_for_update().get(pk=listing.pk)
            assert Listing.objects.get(pk=listing.pk).title == "Sunny studio"
    assert len(reads_of_listings(replica)) == 1
    assert len(reads_of_listings(primary)) == 2


@on_postgresql
@both
def test_an_unreachable_replica_falls_back_to_the_primary(caplog):
    listing = studio()
    replica = connections[REPLICA]
    replica.close()
    saved = dict(replica.settings_dict)
    replica.settings_dict["HOST"] = "127.0.0.1"
    replica.settings_dict["PORT"] = "9"  # discard: nothing listens there
    try:
        with (
            caplog.at_level(logging.WARNING, logger="barnraise.replica"),
            CaptureQueriesContext(connections["default"]) as primary,
        ):
            first = Client().get("/api/v1/listings", {"q": "sunny"})
            second = Client().get("/api/v1/listings", {"q": "sunny"})
    finally:
        replica.close()
        replica.settings_dict.clear()
        replica.settings_dict.update(saved)
    for response in (first, second):
        assert response.status_code == 200, response.content
        assert [hit["id"] for hit in response.json()["results"]] == [str(listing.public_id)]
    assert "catalog_listing" in sql_of(primary)
    # Logged once per outage, not once per request.
    warnings = [r.getMessage() for r in caplog.records if r.name == "barnraise.replica"]
    assert len(warnings) == 1 and "read replica unreachable" in warnings[0]


def test_sqlite_refuses_a_replica(tmp_path: Path):
    result = run(
        ["manage", "check"],
        cwd=tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:5432/replica",
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL needs PostgreSQL" in result.stderr + result.stdout


def test_a_replica_must_be_postgresql(tmp_path: Path):
    result = run(
        ["manage", "check"],
        cwd=tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/barnraise_unused",
        DATABASE_REPLICA_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL must be a postgres:// URL" in result.stderr + result.stdout
