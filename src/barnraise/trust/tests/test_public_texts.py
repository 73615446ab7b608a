"""Listings and bios are screened before other members read them; the admin only reads."""

import pytest
from django.contrib import admin

from barnraise.notifications.models import Notification
from barnraise.trust.models import TrustPolicy, Violation


def test_contact_details_in_a_listing_are_masked_for_everyone_and_recorded(api_as, make_listing):
    # given
    seller = api_as(name="Sam")
    # when
    listing = make_listing(
        seller.user,
        title="Bike, call 0612345678",
        description="Mail sam at example dot com. 2 gears, 40 EUR.",
    )
    shown = api_as().call("GET", f"listings/{listing.public_id}").json()
    # then
    assert shown["title"] == "Bike, call [hidden]"
    assert shown["description"] == "Mail [hidden]. 2 gears, 40 EUR."
    assert Violation.objects.filter(member=seller.user, where="listing").count() == 2
    # and the author is told why
    [note] = Notification.objects.filter(recipient=seller.user, kind="contact_masked")
    assert "Phone numbers" in note.body


def test_editing_a_listing_is_screened_too(api_as, make_listing):
    # given
    seller = api_as()
    listing = make_listing(seller.user, description="Solid oak.")
    # when
    response = seller.call(
        "PATCH", f"listings/{listing.public_id}", json={"description": "Solid oak. www.oak-deals.com"}
    )
    # then
    assert response.status_code == 200
    assert response.json()["description"] == "Solid oak. [hidden]"
    assert Violation.objects.get().subject_id == str(listing.public_id)


def test_an_ordinary_listing_is_untouched(api_as, make_listing):
    # when
    listing = make_listing(api_as().user, title="2 chairs", description="2 chairs for 40 euros on 12/5")
    # then
    assert listing.description == "2 chairs for 40 euros on 12/5"
    assert not Violation.objects.exists()


def test_a_bio_is_screened(api_as):
    # given
    member = api_as()
    # when
    response = member.call("PATCH", "me", json={"bio": "Handy with wood. Insta: jo.makes.things"})
    # then
    assert response.status_code == 200
    assert response.json()["bio"] == "Handy with wood. [hidden]"
    assert Violation.objects.get().where == "bio"


def test_phone_regions_come_from_the_policy(api_as, make_listing):
    # given: a German number, not recognised by default
    text = "Ruf an: 0221 1234567"
    assert make_listing(api_as().user, description=text).description == text
    # when the marketplace serves Germany too
    TrustPolicy.objects.update_or_create(pk=1, defaults={"phone_regions": "DE, FR"})
    listing = make_listing(api_as().user, description=text)
    # then
    assert listing.description == "Ruf an: [hidden]"


@pytest.mark.parametrize("label", ["report", "appeal", "strike", "suspension", "violation", "trustevent"])
def test_safety_admin_screens_are_read_only(label, rf, operator):
    # given
    from django.apps import apps

    model = apps.get_model("trust", label)
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = operator
    # then: every field is read-only and nothing can be added; actions call the services
    readonly = set(model_admin.get_readonly_fields(request))
    assert {f.name for f in model._meta.fields} <= readonly
    assert not model_admin.has_add_permission(request)


def test_the_standing_hook_screens_any_text_shown_before_acceptance(api_as):
    # given: a text another context shows the other side, such as a deal step's note
    from barnraise.accounts import standing

    member = api_as()
    # when
    shown = standing.public_text(
        author=member.user, text="ring 0123 456 789", where="message", subject_id="x"
    )
    # then
    assert shown == "ring [hidden]"
    assert Violation.objects.get().subject_id == "x"
    note = Notification.objects.get(recipient=member.user, kind="contact_masked")
    assert note.body.startswith("Your message contained contact details.")
