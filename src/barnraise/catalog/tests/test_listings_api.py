"""Listings through the API: every kind, validation, who may edit, approval."""

import pytest

from barnraise.catalog.models import Listing
from barnraise.catalog.services import policy
from barnraise.catalog.tests.conftest import listing_body

pytestmark = pytest.mark.django_db

KINDS = [
    {"kind": "sale", "category": "bikes", "unit": "item", "stock": 3},
    {"kind": "rental", "category": "spaces", "unit": "night", "seats": 2, "attributes": {}},
    {"kind": "service", "category": "services", "unit": "hour", "attributes": {}, "stock": None},
    {
        "kind": "request",
        "category": "services",
        "unit": "job",
        "attributes": {},
        "deadline": "2099-01-01T12:00:00+01:00",
    },
]


@pytest.mark.parametrize("fields", KINDS, ids=[k["kind"] for k in KINDS])
def test_member_creates_each_kind_and_anyone_reads_it(api_as, api, categories, fields):
    # given
    author = api_as()
    # when
    created = author.call("POST", "listings", json=listing_body(**fields))
    # then
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["kind"] == fields["kind"] and body["status"] == "published"
    assert body["price"] == {"amount_minor": 12500, "currency": "EUR", "formatted": "€125.00"}
    assert body["exact_location"] == {"lat": 50.85, "lng": 4.35}
    assert body["address"] == "Rue Haute 1"
    public = api.call("GET", f"listings/{body['id']}").json()
    assert public["address"] is None and public["exact_location"] is None
    assert "<script>" not in public["description_html"]
    assert "<strong>well</strong>" in public["description_html"]


def test_public_point_is_fuzzed_within_300_metres(api_as, categories):
    # when
    body = api_as().call("POST", "listings", json=listing_body()).json()
    # then
    listing = Listing.objects.get(public_id=body["id"])
    dlat_m = abs(listing.public_lat - 50.85) * 111_320
    dlng_m = abs(listing.public_lng - 4.35) * 111_320 * 0.63
    assert (dlat_m**2 + dlng_m**2) ** 0.5 <= 301
    assert body["location"] == {"lat": listing.public_lat, "lng": listing.public_lng}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"attributes": {"frame_size": "XXL"}}, "attributes.frame_size"),
        ({"attributes": {}}, "attributes.frame_size"),
        ({"attributes": {"frame_size": "M", "gears": 99}}, "attributes.gears"),
        ({"attributes": {"frame_size": "M", "gears": True}}, "attributes.gears"),
        ({"attributes": {"frame_size": "M", "colour": "red"}}, "attributes.colour"),
        ({"unit": "night"}, "unit"),
        ({"kind": "service", "unit": "hour"}, "category"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"price": {"amount_minor": 100, "currency": "XYZ"}}, "currency"),
        ({"stock": None}, "stock"),
        ({"category": "nope"}, "category"),
    ],
)
def test_bad_listing_gets_field_errors_and_nothing_is_written(api_as, categories, overrides, field):
    # when
    response = api_as().call("POST", "listings", json=listing_body(**overrides))
    # then
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["details"]
    assert Listing.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        listing_body(price={"amount_minor": "12"}),
        listing_body(location={"lat": 91, "lng": 0}),
        listing_body(kind="barter"),
        listing_body(title=""),
        listing_body(stock=True),
        {"title": "only a title"},
    ],
)
def test_malformed_listing_is_a_4xx(api_as, categories, body):
    response = api_as().call("POST", "listings", json=body)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] in ("invalid", "bad_request")
    assert Listing.objects.count() == 0


def test_naive_deadline_is_refused(api_as, categories):
    body = listing_body(
        kind="request", category="services", unit="job", attributes={}, deadline="2099-01-01T12:00:00"
    )
    response = api_as().call("POST", "listings", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "naive_datetime"


def test_unverified_member_cannot_publish(api_as, categories):
    response = api_as(verified=False).call("POST", "listings", json=listing_body())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "email_unverified"
    assert Listing.objects.count() == 0


def test_only_the_author_edits_and_delete_closes(api_as, api, categories):
    # given
    author, other = api_as(), api_as()
    listing_id = author.call("POST", "listings", json=listing_body()).json()["id"]
    # when another member tries
    refused = other.call("PATCH", f"listings/{listing_id}", json={"title": "Mine now"})
    closed_by_other = other.call("DELETE", f"listings/{listing_id}")
    # then
    assert refused.status_code == 403 and closed_by_other.status_code == 403
    assert Listing.objects.get().title == "Blue commuter bike"
    # when the author edits and closes
    edited = author.call(
        "PATCH",
        f"listings/{listing_id}",
        json={"title": "Red bike", "price": {"amount_minor": 9900, "currency": "EUR"}},
    )
    closed = author.call("DELETE", f"listings/{listing_id}")
    # then
    assert edited.json()["title"] == "Red bike" and edited.json()["price"]["amount_minor"] == 9900
    assert closed.json()["status"] == "closed"
    assert api.call("GET", f"listings/{listing_id}").status_code == 404


def test_drafts_are_private(api_as, api, categories):
    author = api_as()
    listing_id = author.call("POST", "listings", json=listing_body(publish=False)).json()["id"]
    assert api.call("GET", f"listings/{listing_id}").status_code == 404
    assert author.call("GET", f"listings/{listing_id}").json()["status"] == "draft"
    published = author.call("PATCH", f"listings/{listing_id}", json={"status": "published"})
    assert published.json()["status"] == "published"


def test_approval_queue_and_reedit_goes_back_to_pending(
    api_as, categories, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    from barnraise.accounts.services import operator_create
    from barnraise.catalog.services import listing_approve

    # given the marketplace reviews listings
    current = policy()
    current.approval_required = True
    current.save()
    author = api_as()
    operator = operator_create(
        email="ops@example.com", name="Ops", password="pw-123456789", groups=["support"]
    )
    # when a member publishes
    listing_id = author.call("POST", "listings", json=listing_body()).json()["id"]
    # then it waits
    assert Listing.objects.get().status == "pending_approval"
    # when the operator approves
    with django_capture_on_commit_callbacks(execute=True):
        listing_approve(actor=operator, listing_id=Listing.objects.get().pk)
    assert Listing.objects.get().status == "published"
    assert any("is live" in m.subject for m in mailoutbox)
    # when the author changes the price
    author.call("PATCH", f"listings/{listing_id}", json={"price": {"amount_minor": 1, "currency": "EUR"}})
    # then it goes back to the queue; an attribute change alone would not
    assert Listing.objects.get().status == "pending_approval"


def test_categories_list_with_schema(api, categories):
    body = api.call("GET", "categories").json()
    slugs = [c["slug"] for c in body["results"]]
    assert slugs == ["goods", "bikes", "services", "spaces"]
    bikes = body["results"][1]
    assert bikes["parent"] == "goods" and bikes["path"] == "/goods/bikes/"
    assert bikes["attribute_schema"][0]["name"] == "frame_size"
    page = api.call("GET", "categories?limit=2").json()
    rest = api.call("GET", f"categories?limit=2&cursor={page['next_cursor']}").json()
    assert [c["slug"] for c in page["results"] + rest["results"]] == slugs


def test_the_author_chooses_the_cancellation_policy_and_it_is_shown_in_plain_words(api_as, api, categories):
    # given a member
    author = api_as()
    # when they create a room with the strict policy
    body = listing_body(
        kind="rental", category="spaces", unit="night", attributes={}, cancellation_policy="strict"
    )
    created = author.call("POST", "listings", json=body)
    # then it is kept and shown to anyone, in plain words
    assert created.status_code == 201, created.json()
    public = api.call("GET", f"listings/{created.json()['id']}").json()
    assert public["cancellation_policy"] == {
        "slug": "strict",
        "name": "Strict",
        "summary": "Half refunded until 7 days before the start, nothing after.",
    }
    # and a change of mind is kept too
    changed = author.call(
        "PATCH", f"listings/{created.json()['id']}", json={"cancellation_policy": "flexible"}
    )
    assert changed.status_code == 200
    assert (
        changed.json()["cancellation_policy"]["summary"]
        == "Full refund until 1 day before the start, nothing after."
    )
    assert Listing.objects.get(public_id=created.json()["id"]).cancellation_policy == "flexible"


def test_a_cancellation_policy_the_marketplace_does_not_have_is_refused(api_as, categories):
    # given a room with the default policy
    author = api_as()
    room = author.call(
        "POST", "listings", json=listing_body(kind="rental", category="spaces", unit="night", attributes={})
    ).json()
    assert room["cancellation_policy"]["slug"] == "moderate"
    # when the author names a policy that does not exist, on a change or a new listing
    patched = author.call("PATCH", f"listings/{room['id']}", json={"cancellation_policy": "lenient"})
    created = author.call(
        "POST",
        "listings",
        json=listing_body(
            kind="rental", category="spaces", unit="night", attributes={}, cancellation_policy="x"
        ),
    )
    # then both are refused with a stable code naming the field, and nothing changed
    for refused in (patched, created):
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "unknown_cancellation_policy"
        assert "flexible" in refused.json()["error"]["details"]["cancellation_policy"][0]
    assert list(Listing.objects.values_list("cancellation_policy", flat=True)) == ["moderate"]
