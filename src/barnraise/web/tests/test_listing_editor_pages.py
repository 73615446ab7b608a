"""The one listing editor: "Edit" opens the wizard's overview of a listing that exists, each step
with what it holds and a "Change" link; a step saved there comes back to the overview, through
the catalog's services (a reviewed change sends a published listing back for review, with its
event). And each photo's short description, typed beside it in the photos step and used as its
alt text on the listing page and the search cards."""

from collections.abc import Callable
from datetime import time
from io import BytesIO
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from barnraise.accounts.models import User
from barnraise.accounts.services import operator_create
from barnraise.catalog.models import Category, Listing, Photo
from barnraise.catalog.photos import photo_add
from barnraise.catalog.services import (
    availability_set,
    category_create,
    listing_approval_switch,
    listing_create,
)
from barnraise.eventlog.models import Event
from barnraise.web.tests.page_testing import assert_csp_clean

pytestmark = pytest.mark.django_db

PLACE = {"address": "Burlington, VT", "lat": "44.47", "lng": "-73.21", "timezone": "America/New_York"}


@pytest.fixture(autouse=True)
def media(settings: Any) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


@pytest.fixture
def author(make_user: Callable[..., User]) -> User:
    return make_user(email="ana@example.com", name="Ana P.")


@pytest.fixture
def author_client(client: Client, author: User) -> Client:
    client.force_login(author)
    return client


@pytest.fixture
def categories() -> dict[str, Category]:
    rooms = category_create(
        slug="rooms",
        name="Rooms",
        kinds=["rental"],
        attribute_schema=[{"name": "bedrooms", "type": "integer", "min": 0, "max": 20, "required": True}],
    )
    sheds = category_create(
        slug="sheds",
        name="Sheds",
        kinds=["rental"],
        attribute_schema=[{"name": "floor", "label": "Floor", "type": "enum", "values": ["wood", "earth"]}],
    )
    bikes = category_create(slug="bikes", name="Bikes", kinds=["sale"])
    moving = category_create(slug="moving", name="Moving", kinds=["request"])
    return {"rooms": rooms, "sheds": sheds, "bikes": bikes, "moving": moving}


def png(colour: tuple[int, int, int], name: str = "photo.png") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def room(author: User, categories: dict[str, Category], **fields: Any) -> Listing:
    values: dict[str, Any] = {
        "kind": "rental",
        "category": categories["rooms"],
        "title": "Garden room",
        "description": "Quiet, with a view.",
        "attributes": {"bedrooms": 2},
        "price_amount_minor": 8000,
        "currency": "USD",
        "unit": "night",
        "lat": 44.47,
        "lng": -73.21,
        "address": "12 Pine St, Burlington",
        "timezone": "America/New_York",
        **fields,
    }
    return listing_create(actor=author, **values)


def edit(listing: Listing) -> str:
    return f"/listings/{listing.public_id}/edit/"


def steps(listing: Listing, step: str) -> str:
    return f"/listings/{listing.public_id}/steps/{step}/"


def events(listing: Listing) -> list[tuple[str, str]]:
    rows = Event.objects.filter(subject_type="listing", subject_id=str(listing.public_id)).order_by("id")
    return [(e.type, e.payload.get("reason", "")) for e in rows]


def approval_on() -> None:
    admin = operator_create(email="op@example.com", name="Op", password="", groups=["admin"])
    listing_approval_switch(actor=admin, on=True)


PRICE = {
    "price": "95",
    "currency": "USD",
    "unit": "night",
    "seats": "2",
    "check_in": "14:00",
    "check_out": "10:00",
    "min_units": "2",
    "max_units": "10",
    "min_notice_hours": "12",
    "max_advance_days": "120",
    "instant_booking": "on",
    "cancellation_policy": "strict",
}


def test_edit_opens_the_overview_with_every_step_and_its_values(
    author_client: Client, author: User, categories: Any
) -> None:
    # given a published room, with the week set and a described photo
    garden = room(author, categories)
    weekly = [{"weekday": 0, "start": time(9), "end": time(17), "seats": 1}]
    availability_set(actor=author, public_id=garden.public_id, weekly=weekly, exceptions=[])
    photo_add(actor=author, public_id=garden.public_id, upload=png((9, 9, 9)), alt_text="The bed")
    # when its author opens "Edit" (from the listing's page)
    assert f'href="{edit(garden)}"' in author_client.get(f"/listings/{garden.public_id}/").content.decode()
    page = author_client.get(edit(garden))
    # then each step is there with what it holds now, and a link to change it
    html = page.content.decode()
    assert page.status_code == 200
    for step in ("details", "photos", "price", "availability"):
        assert f'href="{steps(garden, step)}"' in html
    assert "Garden room" in html and "Quiet, with a view." in html and "Rooms" in html
    assert "Bedrooms" in html and "12 Pine St, Burlington" in html and "America/New_York" in html
    assert 'alt="The bed"' in html
    assert "$80.00" in html and "Cancellation policy" in html and "Moderate" in html
    assert "Monday" in html and "09:00–17:00" in html
    assert "Take it down (back to draft)" in html and f"/listings/{garden.public_id}/close/" in html
    assert_csp_clean(page)
    # and the steps' own links lead back to it
    details = author_client.get(steps(garden, "details")).content.decode()
    assert f'href="{edit(garden)}"' in details and ">Save</button>" in details
    assert 'value="Garden room"' in details and 'name="category"' in details


def test_each_step_of_a_published_listing_saves_and_comes_back_to_the_overview(
    author_client: Client, author: User, categories: Any
) -> None:
    garden = room(author, categories)
    # details: a new title and description, a new category (its own fields drawn first), a place
    refreshed = author_client.post(
        steps(garden, "details"), {"category": "sheds", "title": "Typed", "action": "refresh", **PLACE}
    )
    html = refreshed.content.decode()
    assert refreshed.status_code == 200 and 'name="attr_floor"' in html and 'name="attr_bedrooms"' not in html
    assert 'value="Typed"' in html
    data = {"category": "sheds", "title": "Garden shed", "description": "Dry.", "attr_floor": "wood", **PLACE}
    data["timezone"] = "Europe/Paris"
    saved = author_client.post(steps(garden, "details"), data)
    assert saved.status_code == 302 and saved["Location"] == edit(garden), saved.content.decode()[:2000]
    garden.refresh_from_db()
    assert (garden.title, garden.description, garden.category.slug) == ("Garden shed", "Dry.", "sheds")
    assert garden.attributes == {"floor": "wood"} and garden.timezone == "Europe/Paris"
    assert garden.status == Listing.Status.PUBLISHED
    assert b"Your changes are saved." in author_client.get(edit(garden)).content
    # price and rules: every booking rule, instant booking and the cancellation policy
    price = author_client.get(steps(garden, "price")).content.decode()
    assert 'value="80.00"' in price and ">Save</button>" in price
    saved = author_client.post(steps(garden, "price"), PRICE)
    assert saved["Location"] == edit(garden), saved.content.decode()[:2000]
    garden.refresh_from_db()
    assert (garden.price_amount_minor, garden.seats, garden.check_in, garden.check_out) == (
        9500,
        2,
        time(14),
        time(10),
    )
    assert (garden.min_units, garden.max_units, garden.min_notice_hours, garden.max_advance_days) == (
        2,
        10,
        12,
        120,
    )
    assert garden.instant_booking and garden.cancellation_policy == "strict"
    # availability: the week, then back to the overview
    week = {"w_weekday": ["1"], "w_start": ["10:00"], "w_end": ["18:00"], "w_seats": ["2"], "action": "save"}
    saved = author_client.post(steps(garden, "availability"), week)
    assert saved["Location"] == edit(garden)
    assert [(s.weekday, s.start, s.end, s.seats) for s in garden.weekly_slots.all()] == [
        (1, time(10), time(18), 2)
    ]
    # photos: "Done" comes back too
    done = author_client.post(steps(garden, "photos") + "order/", {"action": "continue"})
    assert done["Location"] == edit(garden)
    # and it stayed live all along (this marketplace does not review listings): no status event
    garden.refresh_from_db()
    assert garden.status == Listing.Status.PUBLISHED
    assert events(garden) == [("catalog:listing:created", "created")]


def test_with_approval_on_a_reviewed_change_sends_it_back_for_review_with_its_event(
    author_client: Client, author: User, categories: Any
) -> None:
    # given a marketplace that reviews listings, and an approved room
    approval_on()
    garden = room(author, categories)
    garden.status = Listing.Status.PUBLISHED
    garden.save(update_fields=["status"])
    # when its author changes only a booking rule, it stays live
    unreviewed = {**PRICE, "price": "80"}
    author_client.post(steps(garden, "price"), unreviewed)
    garden.refresh_from_db()
    assert garden.status == Listing.Status.PUBLISHED and garden.min_units == 2
    # when they change the price, it goes back for review, says so, and the event is written
    changed = author_client.post(steps(garden, "price"), PRICE, follow=True)
    garden.refresh_from_db()
    assert garden.status == Listing.Status.PENDING_APPROVAL and garden.price_amount_minor == 9500
    assert b"The listing waits for a new review." in changed.content
    assert events(garden)[-1] == ("catalog:listing:submitted", "edited")
    assert Client().get(f"/listings/{garden.public_id}/").status_code == 404


def test_a_sale_and_a_request_edit_their_own_fields(
    author_client: Client, author: User, categories: Any
) -> None:
    bike = room(
        author, categories, kind="sale", category=categories["bikes"], unit="item", stock=1, attributes={}
    )
    price = author_client.get(steps(bike, "price")).content.decode()
    assert 'name="stock"' in price and 'name="cancellation_policy"' not in price
    saved = author_client.post(
        steps(bike, "price"), {"price": "120", "currency": "EUR", "unit": "item", "stock": "4"}
    )
    assert saved["Location"] == edit(bike)
    bike.refresh_from_db()
    assert (bike.stock, bike.currency, bike.price_amount_minor) == (4, "EUR", 12000)
    assert f'href="{steps(bike, "availability")}"' not in author_client.get(edit(bike)).content.decode()
    help_ = room(author, categories, kind="request", category=categories["moving"], unit="job", attributes={})
    data = {"category": "moving", "title": "Move a sofa", "deadline": "2099-06-01T17:00", **PLACE}
    saved = author_client.post(steps(help_, "details"), data)
    assert saved["Location"] == edit(help_), saved.content.decode()[:2000]
    help_.refresh_from_db()
    assert help_.deadline is not None and help_.deadline.isoformat() == "2099-06-01T21:00:00+00:00"


def test_take_it_down_then_publish_again_from_the_overview(
    author_client: Client, author: User, categories: Any
) -> None:
    garden = room(author, categories)
    down = author_client.post(steps(garden, "unpublish"), follow=True)
    garden.refresh_from_db()
    assert garden.status == Listing.Status.DRAFT and b"Only you can see it." in down.content
    assert events(garden)[-1] == ("catalog:listing:unpublished", "author")
    assert Client().get(f"/listings/{garden.public_id}/").status_code == 404
    # the draft (made outside the wizard) still opens on its overview, which offers "Publish"
    overview = author_client.get(edit(garden)).content.decode()
    assert f'action="{steps(garden, "publish")}"' in overview
    author_client.post(steps(garden, "publish"))
    garden.refresh_from_db()
    assert garden.status == Listing.Status.PUBLISHED
    assert events(garden)[-1] == ("catalog:listing:published", "author")


def test_a_draft_part_way_through_the_wizard_goes_on_step_by_step(
    author_client: Client, author: User, categories: Any
) -> None:
    data = {"kind": "rental", "category": "rooms", "title": "New room", "attr_bedrooms": "1", **PLACE}
    author_client.post("/list/details/", data)
    draft = Listing.objects.get(title="New room")
    # "Edit" on it continues where the member left off, and a saved step goes on to the next
    assert author_client.get(edit(draft))["Location"] == steps(draft, "")[:-1]
    assert author_client.get(steps(draft, "")[:-1])["Location"] == steps(draft, "photos")
    went = author_client.post(steps(draft, "details"), {**data, "category": "rooms", "title": "New room!"})
    assert went["Location"] == steps(draft, "photos")


def test_old_links_lead_into_the_wizard_and_only_the_author_edits(
    client: Client, author: User, categories: Any, make_user: Callable[..., User]
) -> None:
    garden = room(author, categories)
    hidden = room(author, categories, publish=False, title="Hidden")
    assert client.get(edit(garden))["Location"].startswith("/accounts/login/")
    client.force_login(make_user(email="bo@example.com"))
    assert client.get("/listings/new/?kind=rental&category=rooms")["Location"] == (
        "/list/details/?kind=rental&category=rooms"
    )
    assert client.get("/listings/new/?kind=rental")["Location"] == "/list/category/?kind=rental"
    assert client.get("/listings/new/")["Location"] == "/list/"
    assert client.get(edit(garden)).status_code == 403
    assert client.post(steps(garden, "details"), {"title": "Mine", **PLACE}).status_code == 403
    assert client.post(steps(garden, "unpublish")).status_code == 403
    assert client.get(edit(hidden)).status_code == 404
    garden.refresh_from_db()
    assert garden.title == "Garden room" and garden.status == Listing.Status.PUBLISHED


def test_each_photo_gets_a_short_description_used_as_its_alt_text(
    author_client: Client, author: User, categories: Any, client: Client
) -> None:
    # given a published room with two photos added at once (no description)
    garden = room(author, categories)
    sent = [png((200, 30, 30), "red.png"), png((30, 200, 30), "green.png")]
    author_client.post(steps(garden, "photos") + "add/", {"images": sent})
    red, green = garden.photos.all()
    page = author_client.get(steps(garden, "photos")).content.decode()
    assert f'name="alt_{red.id}"' in page and f'name="alt_{green.id}"' in page
    # when the author describes the first, leaves the second empty, and saves
    saved = author_client.post(
        steps(garden, "photos") + "order/",
        {"alt_" + str(red.id): "  The bed,  by the window ", "action": "save"},
    )
    assert saved["Location"] == steps(garden, "photos")
    # then the first is described; the listing page and the search card use it, the title stands in
    assert [p.alt_text for p in Photo.objects.filter(listing=garden)] == ["The bed, by the window", ""]
    visitor = Client()
    listing_page = visitor.get(f"/listings/{garden.public_id}/").content.decode()
    assert 'alt="The bed, by the window"' in listing_page and 'alt="Garden room"' in listing_page
    assert 'alt="The bed, by the window"' in visitor.get("/search/?q=garden").content.decode()
    # a move keeps what was typed beside the photos as it saves the new order
    author_client.post(
        steps(garden, "photos") + "order/",
        {"alt_" + str(green.id): "The garden", "order": f"{green.id},{red.id}"},
    )
    assert [p.alt_text for p in Photo.objects.filter(listing=garden)] == [
        "The garden",
        "The bed, by the window",
    ]
    assert 'alt="The garden"' in visitor.get("/search/?q=garden").content.decode()
    # a description too long is refused beside nothing saved
    long = author_client.post(
        steps(garden, "photos") + "order/", {"alt_" + str(red.id): "x" * 201, "action": "save"}
    )
    assert long.status_code == 422 and b"Use at most 200 characters." in long.content
    assert Photo.objects.get(id=red.id).alt_text == "The bed, by the window"


def test_with_approval_on_a_new_photo_description_sends_it_back_for_review(
    author_client: Client, author: User, categories: Any
) -> None:
    approval_on()
    garden = room(author, categories)
    garden.status = Listing.Status.PUBLISHED
    garden.save(update_fields=["status"])
    photo = photo_add(actor=author, public_id=garden.public_id, upload=png((1, 2, 3)))
    garden.refresh_from_db()
    garden.status = Listing.Status.PUBLISHED  # approved again after the photo came
    garden.save(update_fields=["status"])
    # the same text again changes nothing
    author_client.post(steps(garden, "photos") + "order/", {f"alt_{photo.id}": "", "action": "save"})
    garden.refresh_from_db()
    assert garden.status == Listing.Status.PUBLISHED
    done = author_client.post(
        steps(garden, "photos") + "order/", {f"alt_{photo.id}": "The door", "action": "continue"}, follow=True
    )
    garden.refresh_from_db()
    assert garden.status == Listing.Status.PENDING_APPROVAL and b"waits for a new review" in done.content
    assert events(garden)[-1] == ("catalog:listing:submitted", "photos_changed")
