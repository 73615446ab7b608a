"""Double-blind reviews through the API, as the two parties of a deal see them."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from barnraise.catalog.services import category_create
from barnraise.commerce.models import CommercePolicy, TransactionEvent
from barnraise.notifications.models import Notification
from barnraise.reputation import services
from barnraise.reputation.models import CategoryAspects, Review
from barnraise.reputation.tests.conftest import purchase, review
from barnraise.timers import services as timers
from barnraise.timers.models import Timer

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties(api_as):
    return api_as(name="Cam Customer"), api_as(name="Pat Provider")


def test_the_first_review_stays_hidden_until_the_second_arrives(parties, completed_deal, api):
    # given a completed purchase
    cam, pat = parties
    tx = completed_deal(cam.user, pat.user)
    # when the customer reviews
    first = review(cam, tx, rating=4)
    # then it is stored but hidden, from the public and from the provider
    assert first.status_code == 201, first.json()
    assert first.json()["published"] is False and first.json()["subject"]["id"] == str(pat.user.pk)
    assert api.call("GET", f"users/{pat.user.pk}/reviews").json()["results"] == []
    assert pat.call("GET", f"transactions/{tx.pk}/reviews").json() == []
    # when the provider reviews too
    second = review(pat, tx, rating=5, text="Paid on time.")
    # then both are public
    assert second.json()["published"] is True
    of_pat = api.call("GET", f"users/{pat.user.pk}/reviews").json()["results"]
    of_cam = api.call("GET", f"users/{cam.user.pk}/reviews").json()["results"]
    assert [(r["rating"], r["subject_role"]) for r in of_pat] == [(4, "provider")]
    assert [(r["rating"], r["subject_role"]) for r in of_cam] == [(5, "customer")]
    assert len(pat.call("GET", f"transactions/{tx.pk}/reviews").json()) == 2


def test_a_lone_review_is_published_when_the_window_closes(
    parties, completed_deal, api, django_capture_on_commit_callbacks
):
    # given a completed purchase that only the customer reviewed
    cam, pat = parties
    tx = completed_deal(cam.user, pat.user)
    review(cam, tx, rating=3)
    # when a day before the window closes the timers run
    with time_machine.travel(tx.reviews_open_until - timedelta(days=1), tick=False):
        timers.sweep()
    # then it is still hidden
    assert api.call("GET", f"users/{pat.user.pk}/reviews").json()["results"] == []
    # when the 14-day window has passed
    with time_machine.travel(tx.reviews_open_until + timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert timers.sweep() >= 1
        late = review(pat, tx)
    # then the review is public, the provider was told, and the window refuses a late review
    shown = api.call("GET", f"users/{pat.user.pk}/reviews").json()["results"]
    assert [r["rating"] for r in shown] == [3]
    assert Notification.objects.filter(recipient=pat.user, kind="review_published").count() == 1
    assert late.status_code == 409 and late.json()["error"]["code"] == "review_window_closed"
    assert Review.objects.filter(author=pat.user).count() == 0


def test_the_window_follows_the_commerce_policy(parties, completed_deal):
    # given the default review window
    cam, pat = parties
    tx = completed_deal(cam.user, pat.user)
    # then it closes 14 days after completion
    assert timedelta(days=13, hours=23) < tx.reviews_open_until - timezone.now() <= timedelta(days=14)


def test_a_second_review_by_the_same_party_is_refused(parties, completed_deal):
    # given a customer who has reviewed
    cam, pat = parties
    tx = completed_deal(cam.user, pat.user)
    review(cam, tx, rating=5, text="Great")
    # when they review again
    again = review(cam, tx, rating=1, text="Changed my mind")
    # then 409 with a stable code, and the first review is unchanged
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_reviewed"
    assert [(r.rating, r.text) for r in Review.objects.all()] == [(5, "Great")]


def test_cancelled_declined_and_running_deals_cannot_be_reviewed(
    parties, make_listing, django_capture_on_commit_callbacks
):
    # given a declined, a cancelled and a running purchase
    cam, pat = parties
    listing = make_listing(pat.user)
    with django_capture_on_commit_callbacks(execute=True):
        declined = purchase(listing, cam.user, ("provider", "decline"))
        cancelled = purchase(listing, cam.user, ("customer", "cancel_by_customer"))
        running = purchase(listing, cam.user, ("provider", "accept"))
    for tx, state in ((declined, "declined"), (cancelled, "cancelled"), (running, "accepted")):
        # when a party reviews it
        refused = review(cam, tx)
        # then it is refused with a clear error naming the state
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "not_reviewable"
        assert refused.json()["error"]["details"] == {"state": state}
    assert Review.objects.count() == 0


def test_only_the_parties_may_review(parties, completed_deal, api_as):
    # given a completed purchase and an outsider
    cam, pat = parties
    tx = completed_deal(cam.user, pat.user)
    outsider = api_as(name="Nosy")
    # when the outsider reviews, or reads the deal's reviews
    refused = review(outsider, tx)
    # then they are told it does not exist
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert outsider.call("GET", f"transactions/{tx.pk}/reviews").status_code == 404
    assert Review.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"private_score": 11}, "private_score"),
        ({"private_score": -1}, "private_score"),
        ({"sub_ratings": {"punctuality": 5}}, "sub_ratings.punctuality"),
        ({"text": "x" * 5001}, "text"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(parties, completed_deal, fields, field):
    # given a completed purchase in a category without sub-ratings
    cam, pat = parties
    tx = completed_deal(cam.user, pat.user)
    # when the review is malformed
    refused = review(cam, tx, **fields)
    # then 422 names the field and nothing is stored
    assert refused.status_code == 422, refused.json()
    assert field in refused.json()["error"]["details"]
    assert Review.objects.count() == 0


def test_sub_ratings_are_the_categorys_aspects_and_subcategories_inherit_them(parties, completed_deal, bikes):
    # given aspects on a category, and a deal in its subcategory
    cam, pat = parties
    CategoryAspects.objects.create(
        category=bikes,
        aspects=[{"key": "condition", "label": "Condition"}, {"key": "punctuality", "label": "On time"}],
    )
    road = category_create(slug="road-bikes", name="Road bikes", kinds=["sale"], parent=bikes)
    tx = completed_deal(cam.user, pat.user, category=road)
    # when the customer rates the aspects
    made = review(cam, tx, sub_ratings={"condition": 4, "punctuality": 5})
    wrong = review(pat, tx, sub_ratings={"condition": 9})
    # then they are kept, and out-of-range stars are refused
    assert made.status_code == 201 and made.json()["sub_ratings"] == {"condition": 4, "punctuality": 5}
    assert wrong.status_code == 422 and "sub_ratings.condition" in wrong.json()["error"]["details"]


def test_the_private_score_is_never_shown(parties, completed_deal, api):
    # given two reviews with private scores
    cam, pat = parties
    tx = completed_deal(cam.user, pat.user)
    made = review(cam, tx, private_score=2)
    review(pat, tx, private_score=9)
    # then no response carries it
    profile = api.call("GET", f"users/{pat.user.pk}").json()
    listed = api.call("GET", f"users/{pat.user.pk}/reviews").json()
    for body in (made.json(), profile, listed):
        assert "private_score" not in str(body)
    assert Review.objects.get(author=cam.user).private_score == 2


def test_the_reviewee_replies_once_in_public(parties, completed_deal, api):
    # given a published review of the provider
    cam, pat = parties
    tx = completed_deal(cam.user, pat.user)
    made = review(cam, tx, rating=2, text="Late.").json()
    hidden_reply = pat.call("POST", f"reviews/{made['id']}/reply", json={"text": "Sorry"})
    review(pat, tx)
    # when someone else replies, then the provider, then the provider again
    by_author = cam.call("POST", f"reviews/{made['id']}/reply", json={"text": "Me too"})
    first = pat.call("POST", f"reviews/{made['id']}/reply", json={"text": "The courier was late; sorry."})
    second = pat.call("POST", f"reviews/{made['id']}/reply", json={"text": "Edited"})
    # then only the first reply by the reviewee stands, in public
    assert hidden_reply.status_code == 404
    assert by_author.status_code == 403
    assert first.status_code == 200 and first.json()["reply"] == "The courier was late; sorry."
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_replied"
    shown = api.call("GET", f"users/{pat.user.pk}/reviews").json()["results"]
    assert shown[0]["reply"] == "The courier was late; sorry."


def test_completion_asks_both_parties_for_a_review(parties, completed_deal):
    # when a deal completes
    cam, pat = parties
    tx = completed_deal(cam.user, pat.user)
    # then each party is asked once, with a link to the deal
    asked = Notification.objects.filter(kind="review_to_write").order_by("recipient__name")
    assert [(n.recipient, n.url) for n in asked] == [
        (cam.user, f"/transactions/{tx.pk}/"),
        (pat.user, f"/transactions/{tx.pk}/"),
    ]
    assert "Pat Provider" in asked[0].title


def test_reviews_list_pages_with_a_cursor_and_refuses_unknown_members(parties, completed_deal, api, api_as):
    # given three published reviews of one provider
    cam, pat = parties
    for _ in range(3):
        tx = completed_deal(cam.user, pat.user)
        review(cam, tx)
        review(pat, tx)
    # when a visitor reads them two at a time
    first = api.call("GET", f"users/{pat.user.pk}/reviews?limit=2&role=provider").json()
    rest = api.call("GET", f"users/{pat.user.pk}/reviews?limit=2&role=provider&cursor={first['next_cursor']}")
    # then every review shows once
    assert len(first["results"]) == 2 and len(rest.json()["results"]) == 1
    assert rest.json()["next_cursor"] is None
    unknown = api.call("GET", "users/0190a000-0000-7000-8000-000000000000/reviews")
    assert unknown.status_code == 404


def test_a_replayed_completion_asks_no_one_who_has_reviewed_and_keeps_no_timer(parties, completed_deal):
    # given a deal both parties reviewed
    cam, pat = parties
    tx = completed_deal(cam.user, pat.user)
    review(cam, tx)
    review(pat, tx)
    asked = Notification.objects.filter(kind="review_to_write").count()
    # when its completion event is delivered again (at least once; a new consumer reads from the start)
    event = TransactionEvent.objects.filter(transaction_id=tx.pk, to_state="completed").get()
    services.on_event(event)
    # then nobody is asked again, and no reveal timer waits
    assert Notification.objects.filter(kind="review_to_write").count() == asked
    assert not Timer.objects.filter(handler=services.REVEAL_HANDLER, status="pending").exists()


def test_the_window_is_the_operators_review_window_days(parties, completed_deal):
    # given an operator who shortened the review window to three days
    cam, pat = parties
    CommercePolicy.objects.update_or_create(pk=1, defaults={"review_window_days": 3})
    tx = completed_deal(cam.user, pat.user)
    # when the customer reviews on the fourth day
    with time_machine.travel(timezone.now() + timedelta(days=3, hours=1)):
        late = review(cam, tx)
    # then it is too late
    assert late.status_code == 409 and late.json()["error"]["code"] == "review_window_closed"
