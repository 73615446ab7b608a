from collections.abc import Callable
from datetime import time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.catalog.models import AvailabilityException, Category, Listing, WeeklySlot
from barnraise.catalog.services import availability_set, category_create, listing_create
from barnraise.web.tests.page_testing import assert_csp_clean


@pytest.fixture
def cats(db: Any) -> dict[str, Category]:
    goods = category_create(slug="goods", name="Goods", kinds=["sale", "request"])
    bikes = category_create(
        slug="bikes",
        name="Bikes",
        parent=goods,
        kinds=["sale", "rental"],
        attribute_schema=[
            {
                "name": "frame_size",
                "label": "Frame size",
                "type": "enum",
                "values": ["S", "M", "L"],
                "required": True,
            },
            {"name": "gears", "label": "Gears", "type": "integer", "min": 1, "max": 30},
            {"name": "electric", "label": "Electric", "type": "boolean"},
            {"name": "colour", "type": "string"},
        ],
    )
    spaces = category_create(slug="spaces", name="Spaces", kinds=["rental"])
    help_ = category_create(slug="help", name="Help", kinds=["service", "request"])
    return {"goods": goods, "bikes": bikes, "spaces": spaces, "help": help_}


@pytest.fixture
def author(make_user: Callable[..., User]) -> User:
    return make_user(email="ana@example.com", name="Ana P.")


@pytest.fixture
def author_client(client: Client, author: User) -> Client:
    client.force_login(author)
    return client


def bike(author: User, cats: dict[str, Category], **fields: Any) -> Listing:
    values: dict[str, Any] = {
        "kind": "sale",
        "category": cats["bikes"],
        "title": "Blue commuter bike",
        "description": "Rides **well**. <script>alert(1)</script>",
        "attributes": {"frame_size": "M", "gears": 7, "electric": False},
        "price_amount_minor": 12500,
        "currency": "USD",
        "unit": "item",
        "stock": 1,
        "lat": 44.47,
        "lng": -73.21,
        "address": "12 Pine St",
        **fields,
    }
    return listing_create(actor=author, **values)


DETAILS = ("title", "description", "lat", "lng", "address", "timezone", "deadline")


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "sale",
        "category": "bikes",
        "title": "Green gravel bike",
        "description": "Fast.",
        "price": "250.50",
        "currency": "usd",
        "unit": "item",
        "stock": "2",
        "lat": "44.48",
        "lng": "-73.22",
        "address": "1 Main St",
        "timezone": "America/New_York",
        "attr_frame_size": "L",
        "attr_gears": "11",
        "attr_electric": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def listed(client: Client, data: dict[str, Any]) -> tuple[Any, Listing | None]:
    """The wizard with the form's values: details (the draft is made), then the price and its
    rules, then "Publish". The first answer that is not a redirect, or the last; and the listing."""
    details = {k: v for k, v in data.items() if k in (*DETAILS, "kind", "category") or k.startswith("attr_")}
    made = client.post("/list/details/", details)
    if made.status_code != 302:
        return made, None
    listing = Listing.objects.get(title=data["title"])
    price = {k: v for k, v in data.items() if k not in details}
    priced = client.post(f"/listings/{listing.public_id}/steps/price/", price)
    if priced.status_code != 302:
        return priced, listing
    return client.post(f"/listings/{listing.public_id}/steps/publish/"), listing


def test_listing_page_shows_its_fields(client: Client, author: User, cats: dict[str, Category]) -> None:
    # given a published bike
    listing = bike(author, cats)
    # when a visitor opens its page
    response = client.get(f"/listings/{listing.public_id}/")
    # then they see the title, price, breadcrumb, sanitized description, labelled attributes,
    # the author and the approximate-area map, but not the address or the author's tools
    assert response.status_code == 200
    html = response.content.decode()
    assert "Blue commuter bike" in html and "$125.00" in html
    assert "?category=goods" in html and "?category=bikes" in html
    assert "<strong>well</strong>" in html and "<script>alert" not in html
    assert "<dt>Frame size</dt><dd>M</dd>" in html and "<dt>Electric</dt><dd>No</dd>" in html
    assert "Ana P." in html and 'data-map="listing"' in html
    assert "12 Pine St" not in html and "/edit/" not in html
    assert_csp_clean(response)


def test_drafts_are_hidden_from_everyone_but_the_author(
    client: Client, author: User, cats: dict[str, Category], make_user: Callable[..., User]
) -> None:
    draft = bike(author, cats, publish=False)
    assert client.get(f"/listings/{draft.public_id}/").status_code == 404
    client.force_login(make_user())
    assert client.get(f"/listings/{draft.public_id}/").status_code == 404
    client.force_login(author)
    response = client.get(f"/listings/{draft.public_id}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Draft" in html and f"/listings/{draft.public_id}/edit/" in html


def test_author_sees_the_rejection_reason(
    author_client: Client, author: User, cats: dict[str, Category]
) -> None:
    listing = bike(author, cats, publish=False)
    Listing.objects.filter(pk=listing.pk).update(rejection_reason="Blurry photos")
    html = author_client.get(f"/listings/{listing.public_id}/").content.decode()
    assert "Blurry photos" in html


def test_rental_page_summarises_the_week(client: Client, author: User, cats: dict[str, Category]) -> None:
    room = listing_create(
        actor=author, kind="rental", category=cats["spaces"], title="Studio", price_amount_minor=5000,
        currency="USD", unit="day", lat=44.4, lng=-73.2, timezone="America/New_York",
    )  # fmt: skip
    weekly = [{"weekday": 0, "start": time(9), "end": time(0), "seats": 2}]
    availability_set(actor=author, public_id=room.public_id, weekly=weekly, exceptions=[])
    html = client.get(f"/listings/{room.public_id}/").content.decode()
    assert "Monday" in html and "09:00–24:00 · 2 seats" in html


def test_old_new_listing_links_go_to_the_wizard_which_draws_the_categorys_fields(
    author_client: Client, cats: dict[str, Category]
) -> None:
    # when the author opens the old new-listing page, then with a kind and a category
    first = author_client.get("/listings/new/")
    chosen = author_client.get("/listings/new/?kind=sale&category=bikes")
    # then the wizard asks; its details step has the category's attributes
    assert first.status_code == 302 and first["Location"] == "/list/"
    assert chosen["Location"] == "/list/details/?kind=sale&category=bikes"
    details = author_client.get(chosen["Location"])
    html = details.content.decode()
    assert 'name="attr_frame_size"' in html and '<select name="attr_frame_size"' in html
    assert 'type="number" name="attr_gears"' in html and 'min="1"' in html and 'max="30"' in html
    assert 'type="checkbox" name="attr_electric"' in html
    assert_csp_clean(details)


def test_create_a_sale_with_attributes(
    author_client: Client, author: User, cats: dict[str, Category]
) -> None:
    response, listing = listed(author_client, form_data())
    assert listing is not None
    listing.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == f"/listings/{listing.public_id}/"
    assert listing.author == author and listing.status == "published"
    assert listing.price_amount_minor == 25050 and listing.currency == "USD" and listing.stock == 2
    assert listing.attributes == {"frame_size": "L", "gears": 11, "electric": True}
    assert listing.timezone == "America/New_York"


@pytest.mark.parametrize(
    ("kind", "category", "extra"),
    [
        ("rental", "spaces", {"unit": "night", "seats": "3", "min_units": "1", "min_notice_hours": "2",
                              "max_advance_days": "90", "instant_booking": "on"}),
        ("service", "help", {"unit": "hour", "slot_minutes": "30", "min_units": "2", "buffer_minutes": "15",
                             "min_notice_hours": "0", "max_advance_days": "365"}),
        ("request", "help", {"unit": "job", "deadline": "2099-06-01T17:00"}),
    ],
)  # fmt: skip
def test_create_each_kind(
    author_client: Client, cats: dict[str, Category], kind: str, category: str, extra: dict[str, str]
) -> None:
    data = form_data(kind=kind, category=category, stock=None, **extra)
    response, listing = listed(author_client, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    listing = Listing.objects.get()
    assert listing.kind == kind and listing.unit == extra["unit"] and listing.status == "published"
    if kind == "rental":
        assert listing.seats == 3 and listing.instant_booking and listing.min_notice_hours == 2
    if kind == "service":
        assert listing.slot_minutes == 30 and listing.min_units == 2
    if kind == "request":
        assert listing.deadline is not None
        assert listing.deadline.isoformat() == "2099-06-01T21:00:00+00:00"  # 17:00 in New York


def test_an_address_without_a_pin_places_the_listing_in_its_town(
    author_client: Client, cats: dict[str, Category]
) -> None:
    # given no pin from the map (no JavaScript) and an address with its town
    data = form_data(lat="", lng="", address="12 Church St, Burlington, VT")
    # when the author publishes
    response, _listing = listed(author_client, data)
    # then the listing stands in Burlington, Vermont (the town's middle, from the gazetteer)
    assert response.status_code == 302, response.content.decode()[:2000]
    listing = Listing.objects.get()
    assert (round(listing.lat, 1), round(listing.lng, 1)) == (44.5, -73.2)
    assert listing.address == "12 Church St, Burlington, VT"


def test_a_pin_from_the_map_wins_and_an_unknown_place_is_said_beside_the_address(
    author_client: Client, cats: dict[str, Category]
) -> None:
    unknown, _listing = listed(author_client, form_data(lat="", lng="", address="Qzxqzx"))
    html = unknown.content.decode()
    assert unknown.status_code == 422 and 'id="id_address_error"' in html
    assert "We couldn’t find this place" in html and not Listing.objects.exists()
    nothing, _listing = listed(author_client, form_data(lat="", lng="", address=""))
    assert "Type the address or the town" in nothing.content.decode()
    # a pin set on the map is kept, whatever the address says
    listed(author_client, form_data(lat="50.85", lng="4.35", address="Burlington, VT"))
    assert (Listing.objects.get().lat, Listing.objects.get().lng) == (50.85, 4.35)


def test_validation_errors_sit_beside_their_fields(author_client: Client, cats: dict[str, Category]) -> None:
    # when the author gives a bike with a missing size, too many gears and no title
    response, _listing = listed(author_client, form_data(attr_frame_size="", attr_gears="99", title=""))
    # then the page answers 422 with the messages by their fields, and nothing is saved
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_title_error"' in html and 'id="id_attr_frame_size_error"' in html
    assert not Listing.objects.exists()
    # and once the form's own checks pass, the service's errors land beside the attributes
    html = listed(author_client, form_data(attr_gears="99"))[0].content.decode()
    assert 'id="id_attr_gears_error"' in html and "Must be at most 30." in html
    assert not Listing.objects.exists()
    # and a bad unit and currency are said beside them on the price step, the price unchanged
    response, listing = listed(author_client, form_data(unit="night", currency="XXQ"))
    html = response.content.decode()
    assert response.status_code == 422 and 'id="id_currency_error"' in html and 'id="id_unit_error"' in html
    assert listing is not None and Listing.objects.get().price_amount_minor == 0


def test_unverified_members_see_why_with_the_resend_button(
    client: Client, make_user: Callable[..., User], cats: dict[str, Category]
) -> None:
    client.force_login(make_user(verified=False))
    response, _listing = listed(client, form_data())
    html = response.content.decode()
    assert response.status_code == 403
    assert "Verify your email address first" in html and "/email/verify/" in html
    assert not Listing.objects.exists()


def test_only_the_author_may_edit(
    client: Client, author: User, cats: dict[str, Category], make_user: Callable[..., User]
) -> None:
    listing = bike(author, cats)
    draft = bike(author, cats, publish=False, title="Hidden")
    client.force_login(make_user())
    assert client.get(f"/listings/{listing.public_id}/edit/").status_code == 403
    for step in ("details", "price"):
        assert client.post(f"/listings/{listing.public_id}/steps/{step}/", form_data()).status_code == 403
    assert client.get(f"/listings/{draft.public_id}/edit/").status_code == 404
    assert client.post(f"/listings/{listing.public_id}/close/").status_code == 403
    listing.refresh_from_db()
    assert listing.title == "Blue commuter bike" and listing.status == "published"


def test_visitors_are_sent_to_log_in(client: Client, author: User, cats: dict[str, Category]) -> None:
    listing = bike(author, cats)
    for path in ("/listings/new/", f"/listings/{listing.public_id}/edit/", "/account/listings/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_close_asks_then_closes(author_client: Client, author: User, cats: dict[str, Category]) -> None:
    listing = bike(author, cats)
    confirm = author_client.get(f"/listings/{listing.public_id}/close/")
    assert "Close this listing?" in confirm.content.decode()
    assert_csp_clean(confirm)
    response = author_client.post(f"/listings/{listing.public_id}/close/")
    listing.refresh_from_db()
    assert response.status_code == 302 and listing.status == "closed"


def test_availability_editor_saves_a_plan(
    author_client: Client, author: User, cats: dict[str, Category]
) -> None:
    room = listing_create(
        actor=author, kind="rental", category=cats["spaces"], title="Studio", price_amount_minor=5000,
        currency="USD", unit="day", lat=44.4, lng=-73.2, timezone="America/New_York",
    )  # fmt: skip
    # the listing page links to the wizard's availability step, which the old page now is
    url = f"/listings/{room.public_id}/steps/availability/"
    old = f"/listings/{room.public_id}/availability/"
    assert f'href="{url}"' in author_client.get(f"/listings/{room.public_id}/").content.decode()
    moved = author_client.get(old)
    assert moved.status_code == 302 and moved["Location"] == url
    page = author_client.get(url)
    assert "Every week" in page.content.decode() and "Back to the overview" in page.content.decode()
    assert_csp_clean(page)
    # when the author adds a row (plain submit), it appears
    added = author_client.post(url, {"action": "add_weekly"}).content.decode()
    assert added.count('name="w_start"') == 1
    # when they save two rows and a holiday
    day = (timezone.now() + timedelta(days=10)).date()
    data = {
        "w_weekday": ["0", "5"], "w_start": ["09:00", "10:00"], "w_end": ["17:00", "00:00"], "w_seats": ["1", "2"],
        "e_start": [f"{day}T00:00"], "e_end": [f"{day}T23:59"], "e_seats": ["0"], "e_note": ["Holiday"],
        "action": "save",
    }  # fmt: skip
    response = author_client.post(url, data)
    # then the plan is stored, the exception read in the listing's zone, and the overview shown
    assert response.status_code == 302 and response["Location"] == f"/listings/{room.public_id}/edit/"
    slots = list(WeeklySlot.objects.filter(listing=room).values_list("weekday", "start", "end", "seats"))
    assert slots == [(0, time(9), time(17), 1), (5, time(10), time(0), 2)]
    exception = AvailabilityException.objects.get(listing=room)
    assert exception.note == "Holiday" and exception.start.utcoffset() == timedelta(0)
    assert exception.start.hour in (4, 5)  # midnight in New York
    # and removing a row, then a bad row, behave
    removed = author_client.post(url, {**data, "action": "", "remove_weekly": "0"}).content.decode()
    assert removed.count('name="w_start"') == 1
    bad = author_client.post(url, {**data, "w_end": ["08:00", "00:00"]})
    assert bad.status_code == 422 and "start before end" in bad.content.decode()
    assert WeeklySlot.objects.filter(listing=room).count() == 2
    # and a form posted to the old page (drawn before it moved) is sent on to the step and saved
    resent = author_client.post(old, {**data, "w_seats": ["3", "2"]}, follow=True)
    assert resent.redirect_chain[0] == (url, 307) and resent.status_code == 200
    assert list(WeeklySlot.objects.filter(listing=room).values_list("seats", flat=True)) == [3, 2]


def test_my_listings_shows_every_status(
    author_client: Client, author: User, cats: dict[str, Category]
) -> None:
    bike(author, cats, title="Live bike")
    bike(author, cats, title="Draft bike", publish=False)
    response = author_client.get("/account/listings/")
    html = response.content.decode()
    assert "Live bike" in html and "Draft bike" in html
    assert "status-published" in html and "status-draft" in html
    assert_csp_clean(response)


def test_home_links_to_listings_and_category_searches(
    client: Client, author: User, cats: dict[str, Category]
) -> None:
    listing = bike(author, cats)
    html = client.get("/").content.decode()
    assert f"/listings/{listing.public_id}/" in html
    assert "/search/?category=goods" in html and "/search/?category=bikes" in html


def test_a_rental_takes_its_cancellation_policy_from_the_form_and_shows_it_in_plain_words(
    author_client: Client, client: Client, cats: dict[str, Category]
) -> None:
    # given a room's draft, whose price step offers the marketplace's policies
    data = form_data(
        kind="rental", category="spaces", stock=None, unit="night", seats="1", min_units="1",
        min_notice_hours="0", max_advance_days="90", cancellation_policy="strict",
    )  # fmt: skip
    author_client.post(
        "/list/details/", {k: v for k, v in data.items() if k in (*DETAILS, "kind", "category")}
    )
    draft = Listing.objects.get()
    form = author_client.get(f"/listings/{draft.public_id}/steps/price/").content.decode()
    assert 'name="cancellation_policy"' in form and "Strict: Half refunded until 7 days" in form
    # when the author chooses the strict one and publishes
    price = {k: v for k, v in data.items() if k not in (*DETAILS, "kind", "category")}
    response = author_client.post(f"/listings/{draft.public_id}/steps/price/", price)
    assert response.status_code == 302, response.content.decode()[:3000]
    author_client.post(f"/listings/{draft.public_id}/steps/publish/")
    # then the listing keeps it and its page says what it means
    listing = Listing.objects.get()
    assert listing.cancellation_policy == "strict"
    page = client.get(f"/listings/{listing.public_id}/").content.decode()
    assert "Half refunded until 7 days before the start, nothing after." in page
    # and editing its price starts from it
    edit = author_client.get(f"/listings/{listing.public_id}/steps/price/").content.decode()
    assert '<option value="strict" selected>' in edit
