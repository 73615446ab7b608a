"""Portfolios: pieces of work with images; a piece linked to a completed deal is verified work."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from barnraise.accounts.models import PortfolioItem
from barnraise.reputation.tests.conftest import purchase

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (800, 600), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def test_a_piece_linked_to_a_completed_deal_shows_as_verified_work_first(api_as, api, completed_deal):
    # given a provider with a completed deal
    pat, cam = api_as(name="Pat"), api_as(name="Cam")
    tx = completed_deal(cam.user, pat.user)
    # when they add a plain piece, then one linked to the deal, with an image
    plain = pat.call("POST", "me/portfolio", json={"title": "Garden shed", "url": "https://example.com/shed"})
    linked = pat.call("POST", "me/portfolio", json={"title": "Restored bike", "transaction_id": str(tx.pk)})
    image = pat.post(
        f"/api/v1/me/portfolio/{linked.json()['id']}/images",
        {"file": SimpleUploadedFile("bike.jpg", jpeg())},
        headers=pat._headers(None),
    )
    # then the linked piece is verified and listed first, on the profile too
    assert plain.status_code == 201 and plain.json()["verified"] is False
    assert linked.status_code == 201 and linked.json()["verified"] is True
    assert image.status_code == 201 and len(image.json()["images"]) == 1
    listed = api.call("GET", f"users/{pat.user.pk}/portfolio").json()
    assert [(p["title"], p["verified"]) for p in listed] == [("Restored bike", True), ("Garden shed", False)]
    profile = api.call("GET", f"users/{pat.user.pk}").json()
    assert profile["portfolio"][0]["images"][0]["thumbnail_url"]


def test_only_a_completed_deal_one_provided_can_be_linked(api_as, completed_deal, make_listing):
    # given a deal the member bought (not provided) and one still running
    pat, cam = api_as(name="Pat"), api_as(name="Cam")
    bought = completed_deal(pat.user, cam.user)
    running = purchase(make_listing(pat.user), cam.user, ("provider", "accept"))
    for tx in (bought, running):
        # when they link it
        refused = pat.call("POST", "me/portfolio", json={"title": "Mine?", "transaction_id": str(tx.pk)})
        # then it is refused and nothing is stored
        assert refused.status_code == 422 and "transaction_id" in refused.json()["error"]["details"]
    assert not PortfolioItem.objects.exists()


def test_bad_pieces_and_others_pieces_are_refused(api_as):
    pat, other = api_as(), api_as()
    assert pat.call("POST", "me/portfolio", json={"title": " "}).status_code == 422
    assert (
        pat.call("POST", "me/portfolio", json={"title": "X", "url": "javascript:alert(1)"}).status_code == 422
    )
    item = pat.call("POST", "me/portfolio", json={"title": "Mine"}).json()
    assert other.call("DELETE", f"me/portfolio/{item['id']}").status_code == 404
    not_image = other.post(
        f"/api/v1/me/portfolio/{item['id']}/images",
        {"file": SimpleUploadedFile("x.jpg", b"not an image")},
        headers=other._headers(None),
    )
    assert not_image.status_code == 404
    assert pat.call("DELETE", f"me/portfolio/{item['id']}").status_code == 204
    assert not PortfolioItem.objects.exists()
