"""The editable fields of a listing are listed once (catalog.services.EDITABLE_FIELDS): the
service, the API's create and change bodies, and the web form take exactly those, and the
wizard's steps, editing a listing, start from each of them."""

from typing import Any

import pytest
from django.test import Client

from barnraise.catalog import services
from barnraise.catalog.schemas import ListingIn, ListingPatch
from barnraise.catalog.services import category_create, listing_create
from barnraise.web.listing_forms import ListingForm, listing_initial
from barnraise.web.wizard_forms import StepForm

pytestmark = pytest.mark.django_db

# Where the API or the form gives fields in another shape than the service's flat ones.
API_SHAPES = {"price": {"price_amount_minor", "currency"}, "location": {"lat", "lng"}}
FORM_SHAPES = {"price": {"price_amount_minor"}}


def _flat(names: set[str], shapes: dict[str, set[str]]) -> set[str]:
    flat: set[str] = set()
    for name in names:
        if name.startswith("attr_"):
            flat.add("attributes")
        else:
            flat |= shapes.get(name, {name})
    return flat


def _form_fields() -> set[str]:
    """Every field the form shows for some kind of listing (a category with an attribute)."""
    category = category_create(
        slug="tools", name="Tools", attribute_schema=[{"name": "brand", "type": "string"}]
    )
    shown: set[str] = set()
    for kind in ("sale", "rental", "service", "request"):
        form = ListingForm(kind=kind, category=category, categories=[category])
        shown |= set(form.fields)
    return shown


def _disagreements(editable: set[str]) -> dict[str, set[str]]:
    found = {
        "api create": _flat(set(ListingIn.model_fields) - {"kind", "publish"}, API_SHAPES),
        "api change": _flat(set(ListingPatch.model_fields) - {"status"}, API_SHAPES),
        "web form": _flat(_form_fields(), FORM_SHAPES),
    }
    return {where: names ^ editable for where, names in found.items() if names != editable}


def test_the_api_and_the_web_form_take_exactly_the_editable_fields():
    # given the one list of editable fields
    editable = set(services.EDITABLE_FIELDS)
    # when the API's bodies and the web form are read, in the service's flat names
    # then each takes exactly those
    assert _disagreements(editable) == {}


def test_a_field_added_to_the_list_alone_is_found(monkeypatch):
    # given a field added to the list but to neither the API nor the form
    planted = (*services.EDITABLE_FIELDS, "pickup_notes")
    monkeypatch.setattr(services, "EDITABLE_FIELDS", planted)
    # when they are compared, then all three places are named as missing it
    assert _disagreements(set(services.EDITABLE_FIELDS)) == {
        "api create": {"pickup_notes"},
        "api change": {"pickup_notes"},
        "web form": {"pickup_notes"},
    }


def test_the_wizards_steps_start_from_every_editable_field(make_user):
    # given a rental listing and its author
    author = make_user()
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    room = listing_create(
        actor=author,
        kind="rental",
        category=rooms,
        unit="hour",
        title="A quiet room",
        description="Near the park",
        price_amount_minor=1550,
        currency="EUR",
        seats=3,
        lat=50.85,
        lng=4.35,
        address="Secret St 1",
        timezone="Europe/Brussels",
        max_units=6,
        buffer_minutes=15,
        instant_booking=True,
        cancellation_policy="strict",
    )
    before = {name: getattr(room, name) for name in services.EDITABLE_FIELDS}
    # when each step of the wizard is posted back as it was first shown
    browser = Client()
    browser.force_login(author)
    initial: dict[str, Any] = listing_initial(room)
    for step in ("details", "price"):
        form = StepForm(
            initial=initial, step=step, unit="hour", kind="rental", category=rooms, categories=[rooms]
        )
        posted = {name: "" if v is None else v for name, v in initial.items() if name in form.fields}
        if posted.pop("instant_booking", None):
            posted["instant_booking"] = "on"
        saved = browser.post(f"/listings/{room.public_id}/steps/{step}/", posted)
        # then every editable field is as it was
        assert saved.status_code == 302, saved.content.decode()[:2000]
    room.refresh_from_db()
    assert {name: getattr(room, name) for name in services.EDITABLE_FIELDS} == before
