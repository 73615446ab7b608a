from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from barnraise.catalog.models import Listing
from barnraise.catalog.tests.factories import CategoryFactory, ListingFactory
from barnraise.commerce.models import FeeRule
from barnraise.conftest import TEST_CARD, after_commit, payout_ready

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def cats(db: Any) -> dict[str, Any]:
    return {
        "rooms": CategoryFactory(slug="rooms", name="Rooms", kinds=["rental"]),
        "bikes": CategoryFactory(slug="bikes", name="Bikes", kinds=["sale"]),
        "help": CategoryFactory(slug="help", name="Help", kinds=["request", "service"]),
        "ads": CategoryFactory(slug="ads", name="Classifieds", kinds=["sale"], processes=["inquiry"]),
    }


@pytest.fixture
def provider(api_as: Callable[..., Any]) -> Any:
    """A provider who can take paid deals (a ready sandbox payout account)."""
    client = api_as(name="Pat Provider")
    payout_ready(client.user)
    return client


@pytest.fixture
def customer(api_as: Callable[..., Any]) -> Any:
    return api_as(name="Cam Customer")


@pytest.fixture
def listing(provider: Any, cats: dict[str, Any]) -> Callable[..., Listing]:
    def make(kind: str = "rental", **fields: Any) -> Listing:
        defaults: dict[str, Any] = {
            "rental": {"category": cats["rooms"], "unit": "hour", "seats": 2, "price_amount_minor": 1500},
            "sale": {"category": cats["bikes"], "unit": "item", "stock": 3, "price_amount_minor": 20000},
            "request": {"category": cats["help"], "unit": "job", "price_amount_minor": 8000},
        }[kind]
        return ListingFactory(author=fields.pop("actor", provider.user), kind=kind, **{**defaults, **fields})

    return make


def slot(days: int = 3, hour: int = 10, hours: int = 2) -> tuple[str, str]:
    """A window `days` from now at `hour` local time, `hours` long, as ISO strings."""
    day = (datetime.now(BRUSSELS) + timedelta(days=days)).date()
    start = datetime(day.year, day.month, day.day, hour, tzinfo=BRUSSELS)
    return start.isoformat(), (start + timedelta(hours=hours)).isoformat()


@pytest.fixture
def no_fees(db: Any) -> None:
    """No fee rules, as on a fresh install: for tests about something other than fees, whose
    totals are then the listing's price alone. test_fees.py covers the fees."""
    FeeRule.objects.all().delete()


def book(client, listing, **fields):
    start, end = slot()
    body = {
        "listing_id": str(listing.public_id),
        "start": start,
        "end": end,
        "payment_method": TEST_CARD,
        **fields,
    }
    return after_commit(lambda: client.call("POST", "transactions", json=body))


def step(client, tx_id, name, **params):
    body = {"name": name, "params": params}
    return after_commit(lambda: client.call("POST", f"transactions/{tx_id}/transitions", json=body))


def start(client, listing, **fields):
    body = {"listing_id": str(listing.public_id), "payment_method": TEST_CARD, **fields}
    return after_commit(lambda: client.call("POST", "transactions", json=body))
