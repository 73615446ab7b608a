from collections.abc import Callable
from typing import Any

import pytest

from barnraise.accounts.models import User
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.services import category_create, listing_create

# Ghent, Belgium, and places at known distances from it.
GHENT = (51.0543, 3.7174)


@pytest.fixture
def cats(db: Any) -> dict[str, Category]:
    goods = category_create(slug="goods", name="Goods", kinds=["sale", "request"])
    bikes = category_create(
        slug="bikes",
        name="Bikes",
        parent=goods,
        kinds=["sale", "rental"],
        attribute_schema=[
            {"name": "frame_size", "type": "enum", "values": ["S", "M", "L"], "filterable": True},
            {"name": "electric", "type": "boolean", "filterable": True},
            {"name": "gears", "type": "integer", "filterable": True},
            {"name": "colour", "type": "string"},
        ],
    )
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    help_ = category_create(slug="help", name="Help", kinds=["service", "request"])
    return {"goods": goods, "bikes": bikes, "rooms": rooms, "help": help_}


@pytest.fixture
def add(make_user: Callable[..., User], cats: dict[str, Category]) -> Callable[..., Listing]:
    author = make_user(email="seller@example.com")

    def add_listing(
        title: str,
        *,
        category: str = "bikes",
        kind: str = "sale",
        unit: str = "item",
        price: int = 10000,
        currency: str = "EUR",
        at: tuple[float, float] = GHENT,
        **fields: Any,
    ) -> Listing:
        listing = listing_create(
            actor=fields.pop("actor", author),
            kind=kind,
            category=cats[category],
            title=title,
            description=fields.pop("description", ""),
            unit=unit,
            price_amount_minor=price,
            currency=currency,
            lat=at[0],
            lng=at[1],
            stock=1 if kind == "sale" else None,
            attributes=fields.pop("attributes", {}),
            timezone=fields.pop("timezone", "Europe/Brussels"),
            **fields,
        )
        # Tests place listings exactly; the fuzzing has its own test.
        Listing.objects.filter(pk=listing.pk).update(public_lat=at[0], public_lng=at[1])
        listing.refresh_from_db()
        return listing

    return add_listing


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [r["title"] for r in response.json()["results"]]
