"""Reputation as members see it: on profiles and in search."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from barnraise.catalog.models import Listing
from barnraise.commerce import engine
from barnraise.reputation.tests.conftest import purchase, review

pytestmark = pytest.mark.django_db


def reviewed(completed_deal, customer, provider, listing, stars):
    tx = completed_deal(customer.user, provider.user, listing)
    review(customer, tx, rating=stars)
    review(provider, tx, rating=5)


def test_one_friend_five_times_does_not_outrank_five_different_members(
    api, api_as, completed_deal, make_listing
):
    # given a marketplace where some providers are middling
    middling = api_as(name="Middling")
    for _ in range(3):
        reviewed(completed_deal, api_as(), middling, make_listing(middling.user, title="Old bike"), 2)
    # and provider A reviewed five times (5 stars) by the same friend
    a, friend = api_as(name="A"), api_as(name="Friend")
    a_bike = make_listing(a.user, title="Blue bike")
    for _ in range(5):
        reviewed(completed_deal, friend, a, a_bike, 5)
    # and provider B reviewed once each (5 stars) by five different members
    b = api_as(name="B")
    b_bike = make_listing(b.user, title="Red bike")
    for _ in range(5):
        reviewed(completed_deal, api_as(), b, b_bike, 5)
    # when anyone reads their profiles and searches by rating
    a_rep = api.call("GET", f"users/{a.user.pk}").json()["reputation"]["provider"]
    b_rep = api.call("GET", f"users/{b.user.pk}").json()["reputation"]["provider"]
    found = api.call("GET", "listings?sort=rating&limit=10").json()["results"]
    # then A, with the same stars, does not outrank B
    assert (a_rep["reviews"], a_rep["counterparties"], a_rep["mean"]) == (5, 1, 5.0)
    assert (b_rep["reviews"], b_rep["counterparties"], b_rep["mean"]) == (5, 5, 5.0)
    assert b_rep["score"] > a_rep["score"]
    titles = [hit["title"] for hit in found]
    assert titles.index("Red bike") < titles.index("Blue bike") < titles.index("Old bike")
    assert Listing.objects.get(pk=b_bike.pk).rating_score == pytest.approx(b_rep["score"], abs=0.01)


def test_job_success_counts_what_the_member_cancelled_and_shows_after_two_deals(
    api, api_as, completed_deal, make_listing, django_capture_on_commit_callbacks
):
    # given a provider with one completed deal
    pat = api_as(name="Pat")
    bike = make_listing(pat.user)
    completed_deal(api_as().user, pat.user, bike)
    # then job success is not shown yet
    assert api.call("GET", f"users/{pat.user.pk}").json()["reputation"]["provider"]["job_success"] is None
    # when a second customer's deal completes and the provider cancels a third's, while a
    # fourth customer cancels their own
    completed_deal(api_as().user, pat.user, bike)
    with django_capture_on_commit_callbacks(execute=True):
        purchase(bike, api_as().user, ("provider", "accept"), ("provider", "cancel_by_provider"))
        purchase(bike, api_as().user, ("customer", "cancel_by_customer"))
    # then two of three deals that count succeeded (same price each)
    shown = api.call("GET", f"users/{pat.user.pk}").json()["reputation"]["provider"]
    assert shown["job_success"] == pytest.approx(0.667, abs=0.001)


def test_the_profile_shows_history_response_and_reviews_with_replies(
    api, api_as, completed_deal, make_listing, django_capture_on_commit_callbacks
):
    # given a provider who answered one request after two hours and left another unanswered
    pat, cam = api_as(name="Pat"), api_as(name="Cam")
    bike = make_listing(pat.user)
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(start, tick=False):
            answered = purchase(bike, cam.user)
            purchase(bike, api_as().user)
        with time_machine.travel(start + timedelta(hours=2), tick=False):
            tx = engine.transition(answered, "accept", actor=pat.user).tx
            tx = engine.transition(tx, "mark_shipped", actor=pat.user).tx
            tx = engine.transition(tx, "confirm_receipt", actor=cam.user).tx
    made = review(cam, tx, rating=4, text="Good bike").json()
    review(pat, tx, rating=5)
    pat.call("POST", f"reviews/{made['id']}/reply", json={"text": "Thanks!"})
    # when a visitor reads the profile
    body = api.call("GET", f"users/{pat.user.pk}").json()
    # then it shows the work history, responsiveness, badges and reviews with the reply
    assert body["name"] == "Pat" and body["member_since"]
    assert body["completed_by_category"] == [
        {"category": "bikes", "name": "Bikes", "as_provider": 1, "as_customer": 0}
    ]
    assert body["response"] == {"requests": 2, "rate": 0.5, "median_minutes": 120}
    assert {"kind": "email", "label": "Email verified"} in body["badges"]
    assert [(r["rating"], r["reply"]) for r in body["reviews"]["provider"]] == [(4, "Thanks!")]
    assert body["reviews"]["customer"] == []
    assert "email" not in body


def test_an_unknown_or_deleted_member_has_no_profile(api, api_as):
    gone = api_as(name="Gone")
    gone.user.deleted_at = timezone.now()
    gone.user.save()
    assert api.call("GET", f"users/{gone.user.pk}").status_code == 404
    assert api.call("GET", "users/not-a-uuid").status_code == 404


def test_reviews_and_profile_cost_the_same_queries_for_two_or_six_reviews(api, api_as, completed_deal):
    # given a provider with two published reviews
    pat = api_as(name="Pat")

    def add_reviews(n):
        for _ in range(n):
            customer = api_as()
            tx = completed_deal(customer.user, pat.user)
            review(customer, tx)
            review(pat, tx)

    def cost(path):
        with CaptureQueriesContext(connection) as queries:
            assert api.call("GET", path).status_code == 200
        return len(queries)

    add_reviews(2)
    before = {path: cost(path) for path in (f"users/{pat.user.pk}/reviews", f"users/{pat.user.pk}")}
    # when four more arrive
    add_reviews(4)
    # then reading them costs no more queries (no query per review)
    assert {path: cost(path) for path in before} == before
    assert before[f"users/{pat.user.pk}/reviews"] <= 4
