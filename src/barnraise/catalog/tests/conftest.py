from typing import Any

import pytest

from barnraise.catalog.models import Category
from barnraise.catalog.services import category_create


@pytest.fixture
def categories(db: Any) -> dict[str, Category]:
    goods = category_create(slug="goods", name="Goods", kinds=["sale", "request"])
    bikes = category_create(
        slug="bikes",
        name="Bikes",
        parent=goods,
        kinds=["sale", "rental"],
        attribute_schema=[
            {
                "name": "frame_size",
                "type": "enum",
                "values": ["S", "M", "L"],
                "required": True,
                "filterable": True,
            },
            {"name": "gears", "type": "integer", "min": 1, "max": 30, "filterable": True},
            {"name": "electric", "type": "boolean", "filterable": True},
        ],
    )
    spaces = category_create(slug="spaces", name="Spaces", kinds=["rental"])
    services = category_create(slug="services", name="Services", kinds=["service", "request"])
    return {"goods": goods, "bikes": bikes, "spaces": spaces, "services": services}


def listing_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "sale",
        "category": "bikes",
        "title": "Blue commuter bike",
        "description": "Rides **well**. <script>alert(1)</script>",
        "attributes": {"frame_size": "M", "gears": 7},
        "price": {"amount_minor": 12500, "currency": "EUR"},
        "unit": "item",
        "stock": 1,
        "location": {"lat": 50.85, "lng": 4.35},
        "address": "Rue Haute 1",
        "timezone": "Europe/Brussels",
    }
    body.update(overrides)
    return body
