"""The listing wizard, step by step through its pages: kind, category, details (the draft is
made), photos (several at once, reordered, a cover chosen, one removed), price and rules,
availability, preview, publish; and each step's refusals."""

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
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.services import category_create, listing_approval_switch
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
        listing_defaults={"unit": "night"},
    )
    tutoring = category_create(slug="tutoring", name="Tutoring", kinds=["service", "request"])
    bikes = category_create(slug="bikes", name="Bikes", kinds=["sale", "rental"])
    return {"rooms": rooms, "tutoring": tutoring, "bikes": bikes}


def png(colour: tuple[int, int, int], name: str) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def start(client: Client, kind: str, category: str, **details: str) -> Listing:
    """Kind, category and details posted: the draft the wizard makes."""
    chosen = client.post("/list/", {"kind": kind})
    assert chosen.status_code == 302 and chosen["Location"] == f"/list/category/?kind={kind}"
    placed = client.post("/list/category/", {"kind": kind, "category": category})
    assert placed["Location"] == f"/list/details/?kind={kind}&category={category}"
    data = {"kind": kind, "category": category, "title": "A fine thing", **PLACE, **details}
    made = client.post("/list/details/", data)
    assert made.status_code == 302, made.content.decode()[:3000]
    listing = Listing.objects.get(title=data["title"])
    assert made["Location"] == f"/listings/{listing.public_id}/steps/photos/"
    return listing


def steps(listing: Listing, step: str) -> str:
    return f"/listings/{listing.public_id}/steps/{step}/"


def test_a_stay_goes_through_every_step_and_is_published(author_client: Client, categories: Any) -> None:
    # given the first steps: what kind, then the categories that take it
    kinds = author_client.get("/list/")
    assert kinds.status_code == 200 and b'name="kind" value="rental"' in kinds.content
    assert_csp_clean(kinds)
    shown = author_client.get("/list/category/?kind=rental").content.decode()
    assert 'value="rooms"' in shown and 'value="bikes"' in shown and 'value="tutoring"' not in shown
    details = author_client.get("/list/details/?kind=rental&category=rooms").content.decode()
    assert 'name="attr_bedrooms"' in details and 'data-map="picker"' in details
    # when the member describes a room: the draft is made with a stay's defaults
    room = start(author_client, "rental", "rooms", title="Garden room", attr_bedrooms="2")
    assert room.status == Listing.Status.DRAFT and room.unit == "night"
    assert (room.check_in, room.check_out) == (time(15), time(11))
    assert room.attributes == {"bedrooms": 2} and room.wizard_steps == 3
    # and adds three photos at once, puts the last first, makes the second the cover, removes one
    photos = author_client.get(steps(room, "photos"))
    assert b'multiple accept="image/jpeg' in photos.content and b"photo-order.js" in photos.content
    assert_csp_clean(photos)
    sent = [png((200, 30, 30), "red.png"), png((30, 200, 30), "green.png"), png((30, 30, 200), "blue.png")]
    added = author_client.post(steps(room, "photos") + "add/", {"images": sent}, follow=True)
    assert b"3 photos are added." in added.content
    red, green, blue = (str(p.id) for p in room.photos.all())
    author_client.post(steps(room, "photos") + "order/", {"order": f"{blue},{red},{green}"})
    page = author_client.get(steps(room, "photos")).content.decode()
    assert f'value="{red},{blue},{green}"' in page  # the "Make cover" button of the second
    author_client.post(steps(room, "photos") + "order/", {"order": f"{red},{blue},{green}"})
    author_client.post(steps(room, "photos") + f"{green}/remove/")
    assert [str(p.id) for p in room.photos.all()] == [red, blue]
    went = author_client.post(steps(room, "photos") + "order/", {"action": "continue"})
    assert went["Location"] == steps(room, "price")
    # and sets the price and its rules, worded for nights
    price = author_client.get(steps(room, "price")).content.decode()
    assert "Each booking is at least" in price and "nights" in price and "Guests arrive from" in price
    assert 'name="slot_minutes"' not in price  # slots are for bookings by the hour
    rules = {"price": "80", "currency": "USD", "unit": "night", "seats": "1", "check_in": "16:00"}
    rules |= {"check_out": "10:00", "min_units": "2", "max_units": "14", "min_notice_hours": "24"}
    rules |= {"max_advance_days": "180", "instant_booking": "on", "cancellation_policy": "strict"}
    went = author_client.post(steps(room, "price"), rules)
    assert went["Location"] == steps(room, "availability"), went.content.decode()[:2000]
    # and keeps the week open (the plan a rental starts with), then sees the preview
    plan = author_client.get(steps(room, "availability")).content.decode()
    assert plan.count('name="w_weekday"') == 7
    week = {"w_weekday": [str(d) for d in range(7)], "w_start": ["00:00"] * 7, "w_end": ["00:00"] * 7}
    went = author_client.post(steps(room, "availability"), {**week, "w_seats": ["1"] * 7, "action": "save"})
    assert went["Location"] == steps(room, "preview")
    preview = author_client.get(steps(room, "preview"))
    assert b"Garden room" in preview.content and b">Publish</button>" in preview.content
    assert_csp_clean(preview)
    # and the draft is seen by nobody else until then
    assert Client().get(f"/listings/{room.public_id}/").status_code == 404
    # then "Publish" puts it live with all it was given
    published = author_client.post(steps(room, "publish"), follow=True)
    assert b"Your listing is live." in published.content
    room.refresh_from_db()
    assert room.status == Listing.Status.PUBLISHED and room.price_amount_minor == 8000
    assert (room.min_units, room.max_units, room.min_notice_hours, room.instant_booking) == (2, 14, 24, True)
    assert (room.check_in, room.check_out, room.cancellation_policy) == (time(16), time(10), "strict")
    assert Client().get(f"/listings/{room.public_id}/").status_code == 200


def test_a_service_starts_in_business_hours_and_goods_per_item_without_a_calendar(
    author_client: Client, categories: Any
) -> None:
    # when a service is started: by the hour, open weekdays nine to five
    lesson = start(author_client, "service", "tutoring", title="Maths lessons")
    assert lesson.unit == "hour"
    assert sorted((s.weekday, s.start, s.end) for s in lesson.weekly_slots.all()) == [
        (day, time(9), time(17)) for day in range(5)
    ]
    price = author_client.get(steps(lesson, "price")).content.decode()
    assert 'name="slot_minutes"' in price and "Guests arrive" not in price
    # and goods: per item, one in stock, and no availability step
    bike = start(author_client, "sale", "bikes", title="Blue bike")
    assert (bike.unit, bike.stock, bike.calendar_id) == ("item", 1, None)
    price = author_client.get(steps(bike, "price")).content.decode()
    assert "You have" in price and "Each booking" not in price
    went = author_client.post(
        steps(bike, "price"), {"price": "120", "currency": "USD", "unit": "item", "stock": "2"}
    )
    assert went["Location"] == steps(bike, "preview")
    assert author_client.get(steps(bike, "availability"))["Location"] == steps(bike, "preview")
    assert b"Availability" not in author_client.get(steps(bike, "preview")).content.split(b"<main")[1][:3000]


def test_with_approval_on_publishing_sends_it_for_review(author_client: Client, categories: Any) -> None:
    # given a marketplace that reviews listings, and a sale whose price is set
    admin = operator_create(email="op@example.com", name="Op", password="", groups=["admin"])
    listing_approval_switch(actor=admin, on=True)
    bike = start(author_client, "sale", "bikes", title="Red bike")
    author_client.post(steps(bike, "price"), {"price": "90", "currency": "USD", "unit": "item", "stock": "1"})
    assert b"Send for review" in author_client.get(steps(bike, "preview")).content
    # when the author sends it
    sent = author_client.post(steps(bike, "publish"), follow=True)
    # then it waits for an operator
    bike.refresh_from_db()
    assert bike.status == Listing.Status.PENDING_APPROVAL and b"Sent for review" in sent.content


def test_each_step_refuses_bad_input_with_a_clear_message(
    author_client: Client, categories: Any, make_user: Callable[..., User]
) -> None:
    # a kind not chosen, a category of another kind, a details form without a title
    no_kind = author_client.post("/list/", {})
    assert no_kind.status_code == 422 and b"Choose what kind of listing it is." in no_kind.content
    wrong = author_client.post("/list/category/", {"kind": "sale", "category": "rooms"})
    assert wrong.status_code == 422 and b"Choose a category from the list." in wrong.content
    untitled = author_client.post("/list/details/", {"kind": "rental", "category": "rooms", **PLACE})
    assert untitled.status_code == 422 and b"This field is required." in untitled.content
    nowhere = author_client.post(
        "/list/details/", {"kind": "sale", "category": "bikes", "title": "Bike", "timezone": "UTC"}
    )
    assert nowhere.status_code == 422 and b"Type the address or the town" in nowhere.content
    assert not Listing.objects.exists()
    # a draft: no file chosen, a file that is no image beside one that is
    bike = start(author_client, "sale", "bikes", title="Old bike")
    empty = author_client.post(steps(bike, "photos") + "add/", {})
    assert empty.status_code == 422 and b"Choose one or more photos to upload." in empty.content
    fake = SimpleUploadedFile("notes.png", b"not an image", content_type="image/png")
    mixed = author_client.post(steps(bike, "photos") + "add/", {"images": [fake, png((1, 2, 3), "ok.png")]})
    assert (
        mixed.status_code == 422 and b"notes.png:" in mixed.content and b"1 photo is added." in mixed.content
    )
    assert bike.photos.count() == 1
    bad_order = author_client.post(steps(bike, "photos") + "order/", {"order": "nonsense"})
    assert bad_order.status_code == 422 and b"exactly once" in bad_order.content
    # publishing before the price is set sends the author to the price
    early = author_client.post(steps(bike, "publish"))
    assert early["Location"] == steps(bike, "price")
    bike.refresh_from_db()
    assert bike.status == Listing.Status.DRAFT
    # a negative price and a missing stock change nothing
    bad = author_client.post(steps(bike, "price"), {"price": "-5", "currency": "USD", "unit": "item"})
    assert bad.status_code == 422 and b"Ensure this value is greater than or equal to 0." in bad.content
    bike.refresh_from_db()
    assert (bike.price_amount_minor, bike.wizard_steps) == (0, 3)
    # (and a member who comes back is taken to the step after the last one saved)
    assert author_client.get(f"/listings/{bike.public_id}/steps/")["Location"] == steps(bike, "photos")
    assert (
        f'href="/listings/{bike.public_id}/steps/"'
        in author_client.get("/account/listings/").content.decode()
    )
    # and someone else's draft is not found
    other = Client()
    other.force_login(make_user(email="bo@example.com"))
    for step in ("details", "photos", "price", "preview"):
        assert other.get(steps(bike, step)).status_code == 404
    assert other.post(steps(bike, "publish")).status_code == 404


def test_the_list_something_links_go_to_the_wizard(author_client: Client) -> None:
    html = author_client.get("/account/listings/").content.decode()
    assert 'href="/list/"' in html and 'href="/listings/new/"' not in html


def test_a_member_whose_email_is_unconfirmed_is_told_why_and_no_draft_is_made(
    client: Client, categories: Any, make_user: Callable[..., User]
) -> None:
    # given a member who has not confirmed their email address
    client.force_login(make_user(email="new@example.com", verified=False))
    # when they save the details step
    data = {"kind": "sale", "category": "bikes", "title": "Bike", **PLACE}
    response = client.post("/list/details/", data)
    # then the page says why, with the button that sends the link again, and nothing is made
    assert response.status_code == 403 and b"Send the link again" in response.content
    assert not Listing.objects.exists()
