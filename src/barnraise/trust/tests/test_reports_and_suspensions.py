"""Reports → operator decision → strikes → automatic suspension → appeal, through the API and the admin."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from barnraise.catalog.models import Listing
from barnraise.notifications.models import Notification
from barnraise.trust.models import Appeal, Report, Strike, Suspension, TrustEvent, TrustPolicy, Violation
from barnraise.trust.services import report_confirm


def report(client, subject, subject_id, reason="fraud", details=""):
    body = {"subject": subject, "subject_id": str(subject_id), "reason": reason, "details": details}
    return client.call("POST", "reports", json=body)


def test_a_member_reports_a_listing_and_it_waits_in_the_operator_queue(api_as, make_listing):
    # given
    seller = api_as(name="Sam Seller")
    listing = make_listing(seller.user, title="Too good to be true")
    reporter = api_as()
    # when
    response = report(reporter, "listing", listing.public_id, "misleading", "Photos are from a catalogue")
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "open" and body["subject"] == "listing"
    stored = Report.objects.get(pk=body["id"])
    assert stored.member == seller.user
    assert "Too good to be true" in stored.evidence
    assert TrustEvent.objects.filter(member=seller.user, type="trust:report:filed").count() == 1


def test_reporting_the_same_thing_twice_is_409_and_yourself_is_422(api_as, make_listing):
    # given
    seller = api_as()
    listing = make_listing(seller.user)
    reporter = api_as()
    report(reporter, "listing", listing.public_id)
    # when
    again = report(reporter, "listing", listing.public_id)
    own = report(seller, "listing", listing.public_id)
    # then
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reported"
    assert own.status_code == 422 and "subject_id" in own.json()["error"]["details"]
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "planet", "subject_id": "0190a6c2-7e58-7cc3-8c2a-1f0e4d7e8c11", "reason": "spam"},
        {"subject": "member", "subject_id": "not-a-uuid", "reason": "spam"},
        {"subject": "member", "subject_id": "0190a6c2-7e58-7cc3-8c2a-1f0e4d7e8c11", "reason": "boring"},
        {"subject": "member", "reason": "spam"},
    ],
)
def test_bad_reports_are_422(api_as, body):
    # when
    response = api_as().call("POST", "reports", json=body)
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert not Report.objects.exists()


def test_other_needs_details_and_unknown_or_hidden_subjects_are_404(api_as, deal):
    # given
    stranger = api_as()
    message = deal.customer.call("POST", f"transactions/{deal.tx_id}/messages", json={"body": "hi"}).json()
    # when
    vague = report(stranger, "member", deal.customer.user.pk, "other")
    unknown = report(stranger, "member", "0190a6c2-7e58-7cc3-8c2a-1f0e4d7e8c11")
    hidden = report(stranger, "message", message["id"])
    # then
    assert vague.status_code == 422 and "details" in vague.json()["error"]["details"]
    assert unknown.status_code == 404
    assert hidden.status_code == 404
    assert not Report.objects.exists()


def test_a_party_reports_a_message_with_its_text_as_evidence(deal):
    # given
    sent = deal.provider.call(
        "POST", f"transactions/{deal.tx_id}/messages", json={"body": "Pay me by gift card"}
    ).json()
    # when
    response = report(deal.customer, "message", sent["id"], "fraud")
    # then
    assert response.status_code == 201
    stored = Report.objects.get()
    assert stored.member == deal.provider.user
    assert stored.evidence == "Pay me by gift card"
    assert stored.evidence_url == f"/transactions/{deal.tx_id}/"


def test_three_confirmed_reports_suspend_a_member_and_hide_their_listings(
    api_as, make_listing, admin_action, django_capture_on_commit_callbacks
):
    # given: a seller with a published listing, reported by three members
    seller = api_as(name="Sam Seller", email="sam@example.com")
    listing = make_listing(seller.user, title="Vintage bike")
    ids = [report(api_as(), "member", seller.user.pk).json()["id"] for _ in range(3)]
    assert api_as().call("GET", "listings", data={"q": "bike"}).json()["results"]
    # when: an operator confirms them in the admin
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_action("report", "confirm", ids)
    # then
    assert response.status_code == 200
    assert Report.objects.filter(status="confirmed").count() == 3
    assert Strike.objects.filter(member=seller.user).count() == 3
    suspension = Suspension.objects.get(member=seller.user, ended_at=None)
    assert suspension.withdrawn_listings == [listing.pk]
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.DRAFT
    assert api_as().call("GET", "listings", data={"q": "bike"}).json()["results"] == []
    # and the member is told, in the app and by email
    kinds = set(Notification.objects.filter(recipient=seller.user).values_list("kind", flat=True))
    assert {"strike_issued", "suspension_started"} <= kinds
    assert any(m.to == ["sam@example.com"] and "suspended" in m.subject for m in mail.outbox)
    # and the reporters hear the outcome
    assert Notification.objects.filter(kind="report_decided").count() == 3
    # and every step is logged
    types = list(TrustEvent.objects.filter(member=seller.user).values_list("type", flat=True))
    assert types.count("trust:strike:issued") == 3 and "trust:suspension:started" in types


def test_a_suspended_member_can_neither_publish_nor_deal_nor_message(api_as, make_listing, deal, operator):
    # given
    from barnraise.trust.suspensions import suspension_start

    suspension_start(member=deal.customer.user, reason="test", actor=operator)
    listing = make_listing(api_as().user)
    # when
    publish = deal.customer.call(
        "POST",
        "listings",
        json={
            "kind": "sale",
            "category": "things",
            "title": "x",
            "price": {"amount_minor": 100, "currency": "EUR"},
            "unit": "item",
            "stock": 1,
            "location": {"lat": 1, "lng": 1},
        },
    )
    deal_start = deal.customer.call("POST", "transactions", json={"listing_id": str(listing.public_id)})
    message = deal.customer.call("POST", f"transactions/{deal.tx_id}/messages", json={"body": "hi"})
    # then
    for response in (deal_start, message):
        assert response.status_code == 403, response.json()
        assert response.json()["error"]["code"] == "member_suspended"
    assert publish.status_code in (403, 422)
    if publish.status_code == 403:
        assert publish.json()["error"]["code"] == "member_suspended"
    standing = deal.customer.call("GET", "me/standing").json()
    assert standing["suspended"] is True and standing["suspension"]["reason"] == "test"


def test_appeal_granted_lifts_the_suspension_and_brings_the_listings_back(
    api_as, make_listing, admin_action, django_capture_on_commit_callbacks
):
    # given: a suspended seller
    seller = api_as(name="Sam")
    listing = make_listing(seller.user, title="Vintage bike")
    ids = [report(api_as(), "member", seller.user.pk).json()["id"] for _ in range(3)]
    admin_action("report", "confirm", ids)
    # when: they appeal, and an operator grants it
    appeal = seller.call("POST", "appeals", json={"text": "My sister used my account; it is secured now."})
    again = seller.call("POST", "appeals", json={"text": "Please?"})
    with django_capture_on_commit_callbacks(execute=True):
        admin_action("appeal", "grant", [appeal.json()["id"]])
    # then
    assert appeal.status_code == 201 and appeal.json()["status"] == "open"
    assert again.status_code == 409 and again.json()["error"]["code"] == "appeal_pending"
    assert Appeal.objects.get().status == Appeal.Status.GRANTED
    assert not Suspension.objects.filter(member=seller.user, ended_at=None).exists()
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.PUBLISHED
    assert not Strike.objects.filter(member=seller.user, revoked_at=None).exists()
    standing = seller.call("GET", "me/standing").json()
    assert standing == {**standing, "suspended": False, "active_strikes": []}
    assert Notification.objects.filter(recipient=seller.user, kind="appeal_decided").exists()
    assert Notification.objects.filter(recipient=seller.user, kind="suspension_lifted").exists()


def test_an_appeal_denied_keeps_the_suspension(api_as, make_listing, admin_action):
    # given
    seller = api_as()
    ids = [report(api_as(), "member", seller.user.pk).json()["id"] for _ in range(3)]
    admin_action("report", "confirm", ids)
    appeal = seller.call("POST", "appeals", json={"text": "Not me"}).json()
    # when
    admin_action("appeal", "deny", [appeal["id"]])
    # then
    assert Appeal.objects.get().status == Appeal.Status.DENIED
    assert Suspension.objects.filter(member=seller.user, ended_at=None).exists()
    assert seller.call("GET", "me/standing").json()["appeal"]["status"] == "denied"


def test_only_a_suspended_member_appeals(api_as):
    # when
    response = api_as().call("POST", "appeals", json={"text": "why not"})
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_suspended"
    assert not Appeal.objects.exists()


def test_dismissed_reports_give_no_strike(api_as, admin_action):
    # given
    member = api_as()
    ids = [report(api_as(), "member", member.user.pk).json()["id"]]
    # when
    admin_action("report", "dismiss", ids)
    # then
    assert Report.objects.get().status == Report.Status.DISMISSED
    assert not Strike.objects.exists()
    # and deciding again is refused, changing nothing
    admin_action("report", "confirm", ids)
    assert Report.objects.get().status == Report.Status.DISMISSED
    assert not Strike.objects.exists()


def test_strikes_decay_after_the_policy_lifetime(api_as, admin_action, operator):
    # given: two strikes, with three needed for a suspension
    policy = TrustPolicy.objects.create(strike_lifetime_days=30, strikes_to_suspend=3)
    member = api_as()
    first = [report(api_as(), "member", member.user.pk).json()["id"] for _ in range(2)]
    admin_action("report", "confirm", first)
    # when: a third comes after the first two have decayed
    later = timezone.now() + timedelta(days=policy.strike_lifetime_days + 1)
    with time_machine.travel(later, tick=False):
        third = report(api_as(), "member", member.user.pk).json()["id"]
        report_confirm(actor=operator, report_id=third)  # the admin session would have expired
        standing = member.call("GET", "me/standing").json()
    # then
    assert Strike.objects.filter(member=member.user).count() == 3
    assert len(standing["active_strikes"]) == 1
    assert standing["suspended"] is False


def test_repeated_screening_hits_give_a_strike(deal):
    # given
    TrustPolicy.objects.create(screening_hits_per_strike=3)
    url = f"transactions/{deal.tx_id}/messages"
    # when
    for text in ("mail jo at example dot com", "ok 0123 456 789", "insta: jo.smith"):
        deal.customer.call("POST", url, json={"body": text})
    # then
    [strike] = Strike.objects.filter(member=deal.customer.user)
    assert strike.reason == Strike.Reason.SCREENING
    assert strike.violations.count() == 3
    assert Notification.objects.filter(recipient=deal.customer.user, kind="strike_issued").exists()


def test_a_member_not_an_operator_cannot_use_the_queues(api_as, make_user):
    # given
    from django.test import Client
    from django.urls import reverse

    member = make_user(is_staff=True)  # staff, but in no operator group
    client = Client()
    client.force_login(member)
    # when
    response = client.get(reverse("admin:trust_report_changelist"))
    # then
    assert response.status_code == 403


def test_an_operator_confirms_screening_hits_for_a_strike(deal, admin_action):
    # given: two hits, below the automatic threshold
    url = f"transactions/{deal.tx_id}/messages"
    for text in ("mail jo at example dot com", "ok 0123 456 789"):
        deal.customer.call("POST", url, json={"body": text})
    ids = list(Violation.objects.values_list("pk", flat=True))
    assert not Strike.objects.exists()
    # when
    admin_action("violation", "confirm", ids)
    # then
    [strike] = Strike.objects.filter(member=deal.customer.user)
    assert strike.reason == Strike.Reason.SCREENING
    assert set(strike.violations.values_list("pk", flat=True)) == set(ids)
    # and confirming them again gives nothing more
    admin_action("violation", "confirm", ids)
    assert Strike.objects.count() == 1


def test_a_suspension_and_its_lifting_move_the_listings_through_the_listing_door(
    api_as, make_listing, admin_action, operator, django_capture_on_commit_callbacks
):
    # given a seller with a published listing
    from barnraise.eventlog.models import Event

    seller = api_as(name="Sam")
    listing = make_listing(seller.user, title="Vintage bike")
    ids = [report(api_as(), "member", seller.user.pk).json()["id"] for _ in range(3)]
    # when the reports are confirmed (the seller is suspended) and the appeal granted
    with django_capture_on_commit_callbacks(execute=True):
        admin_action("report", "confirm", ids)
    appeal = seller.call("POST", "appeals", json={"text": "My sister used my account; it is secured now."})
    with django_capture_on_commit_callbacks(execute=True):
        admin_action("appeal", "grant", [appeal.json()["id"]])
    # then the listing's log says what happened, who did it and why
    log = Event.objects.filter(subject_type="listing", subject_id=str(listing.public_id)).order_by("sequence")
    assert [(e.type, e.payload["reason"], e.actor_id) for e in log] == [
        ("catalog:listing:created", "created", seller.user.pk),
        ("catalog:listing:unpublished", "member_suspended", operator.pk),
        ("catalog:listing:published", "suspension_lifted", operator.pk),
    ]
    assert [e.sequence for e in log] == sorted(e.sequence for e in log) and None not in [
        e.sequence for e in log
    ]
