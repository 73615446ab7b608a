"""A closed listing is kept as it was: editing it is a declared conflict."""

from barnraise.catalog.models import Listing
from barnraise.catalog.tests.conftest import listing_body


def test_editing_a_closed_listing_is_a_declared_409_and_changes_nothing(api_as, categories):
    # given a listing its author closed
    author = api_as()
    listing_id = author.call("POST", "listings", json=listing_body()).json()["id"]
    assert author.call("DELETE", f"listings/{listing_id}").status_code == 200
    # when the author edits it
    refused = author.call("PATCH", f"listings/{listing_id}", json={"title": "Red bike"})
    # then a conflict the OpenAPI document declares, and the listing is as it was
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"
    document = author.call("GET", "openapi.json").json()
    assert "409" in document["paths"]["/api/v1/listings/{listing_id}"]["patch"]["responses"]
    assert Listing.objects.get().title == "Blue commuter bike"
