"""What a new listing starts with: its kind's defaults, then its category's."""

import json
from datetime import time

import pytest

from barnraise.catalog.admin import CategoryForm
from barnraise.catalog.defaults import listing_defaults
from barnraise.catalog.services import category_create
from barnraise.errors import InvalidInput

pytestmark = pytest.mark.django_db


def test_each_kind_starts_with_its_own_unit_and_a_category_may_say_more() -> None:
    # given a category of stays, and one that says nothing
    rooms = category_create(slug="rooms", name="Rooms", listing_defaults={"unit": "night"})
    plain = category_create(slug="things", name="Things")
    # then goods are per item with one in stock, services by the hour in business hours
    assert listing_defaults("sale", plain) == {"unit": "item", "stock": 1}
    assert listing_defaults("service", plain) == {"unit": "hour", "hours": "business"}
    assert listing_defaults("request", plain) == {"unit": "job"}
    assert listing_defaults("rental", plain) == {"unit": "day", "hours": "all_week"}
    # and a stay is per night, with check-in at 15:00 and check-out at 11:00
    assert listing_defaults("rental", rooms) == {
        "unit": "night",
        "hours": "all_week",
        "check_in": time(15),
        "check_out": time(11),
    }
    # and a category's unit that does not fit the kind gives way to the kind's
    assert listing_defaults("sale", rooms) == {"unit": "item", "stock": 1}


@pytest.mark.parametrize(
    "defaults",
    [{"colour": "red"}, {"unit": "week"}, {"check_in": "late"}, {"stock": True}, {"hours": "nights"}, []],
)
def test_defaults_that_mean_nothing_are_refused(defaults: object) -> None:
    with pytest.raises(InvalidInput):
        category_create(slug="x", name="X", listing_defaults=defaults)  # type: ignore[arg-type]
    form = CategoryForm(
        data={"slug": "x", "name": "X", "kinds": "[]", "processes": "[]", "attribute_schema": "[]"}
        | {"listing_defaults": json.dumps(defaults), "position": 0}
    )
    assert not form.is_valid() and "listing_defaults" in form.errors
