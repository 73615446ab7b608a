"""Reputation as a ranking signal in search: a boost within relevance."""

import pytest

from barnraise.reputation.tests.conftest import review

pytestmark = pytest.mark.django_db


def test_a_well_reviewed_listing_ranks_above_an_equal_text_match(api, api_as, make_listing, completed_deal):
    # given two listings that match the words equally, the older one well reviewed
    old, new = api_as(name="Old hand"), api_as(name="Newcomer")
    reviewed = make_listing(old.user, title="Oak table", description="Solid oak.")
    make_listing(new.user, title="Oak table", description="Solid oak.")
    tx = completed_deal(api_as().user, old.user, reviewed)
    before = [h["id"] for h in api.call("GET", "listings?q=oak+table").json()["results"]]
    review(api_as(user=tx.customer), tx, rating=5)
    review(old, tx, rating=5)
    # when a visitor searches by relevance
    after = [h["id"] for h in api.call("GET", "listings?q=oak+table").json()["results"]]
    # then the reviewed listing, second while unrated (newest first on a tie), comes first
    assert before.index(str(reviewed.public_id)) == 1
    assert after.index(str(reviewed.public_id)) == 0
