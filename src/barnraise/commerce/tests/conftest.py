from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from barnraise.catalog.models import Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import FeeRule
from barnraise.conftest import payout_ready

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def cats(db: Any) -> dict[str, Any]:
    return {
        "rooms": category_create(slug="rooms", name="Rooms", kinds=["rental"]),
        "bikes": category_create(slug="bikes", name="Bikes", kinds=["sale"]),
        "help": category_create(slug="help", name="Help", kinds=["request", "service"]),
        "ads": category_create(slug="ads", name="Classifieds", kinds=["sale"], processes=["inquiry"]),
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
        return listing_create(
            actor=fields.pop("actor", provider.user),
            kind=kind,
            title=fields.pop("title", f"A {kind}"),
            currency=fields.pop("currency", "EUR"),
            lat=50.85,
            lng=4.35,
            timezone="Europe/Brussels",
            address="Secret St 1",
            **{**defaults, **fields},
        )

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
