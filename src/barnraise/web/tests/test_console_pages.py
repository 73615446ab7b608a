"""The operator's console through its pages (issue #19, "The operator's console"): the queue with
counts, filters and assignment, listing approval, a member's suspension, ban and reinstatement,
a refund outside a dispute, a hidden review, and who may open what."""

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

from barnraise.accounts.models import Document, User
from barnraise.accounts.services import operator_create
from barnraise.catalog.models import Listing
from barnraise.catalog.services import category_create, listing_approval_switch, listing_create
from barnraise.commerce.models import Dispute, Transaction
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from barnraise.eventlog.models import Event, EventType
from barnraise.ledger.models import JournalEntry, Payment
from barnraise.notifications.models import Notification, OutgoingEmail
from barnraise.reputation.models import Reputation, Review
from barnraise.reputation.services import review_create
from barnraise.timers import services as timers
from barnraise.trust.models import Suspension
from barnraise.web.tests.page_testing import assert_csp_clean


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def operator(group: str, name: str = "") -> User:
    return operator_create(
        email=f"{group}-{name or 'op'}@example.com", name=(name or group).title(), password="", groups=[group]
    )


@pytest.fixture
def rooms(db: None) -> Any:
    return category_create(slug="rooms", name="Rooms", kinds=["rental"])


def room(author: User, rooms: Any, title: str = "Garden room", **fields: Any) -> Listing:
    values: dict[str, Any] = {
        "kind": "rental",
        "unit": "night",
        "title": title,
        "price_amount_minor": 4000,
        "currency": "EUR",
        "lat": 50.85,
        "lng": 4.35,
        "timezone": "Europe/Brussels",
        **fields,
    }
    return listing_create(actor=author, category=rooms, **values)


# Who may open what -------------------------------------------------------------------------


def _console_routes() -> list[str]:
    def walk(patterns: list[Any], prefix: str = "") -> list[str]:
        found: list[str] = []
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                found += walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith("console/"):
                found.append(route)
        return found

    return walk(get_resolver().url_patterns)


PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _filled(route: str, values: dict[str, str]) -> str:
    return "/" + PARAMETER.sub(lambda m: values.get(m["name"], "x"), route)


def test_every_console_url_is_a_404_to_anyone_but_an_operator(
    make_user: Callable[..., User], rooms: Any
) -> None:
    # given a real member, listing and report behind every parameter, approval on, and a pending listing
    admin = operator("admin")
    listing_approval_switch(actor=admin, on=True)
    author = make_user(name="Ann Author")
    waiting = room(author, rooms)
    values = {
        "kind": "listing",
        "item_id": str(waiting.public_id),
        "decision": "approve",
        "member_id": str(author.pk),
        "action": "suspend",
        "deal_id": "01890000-0000-7000-8000-000000000000",
        "review_id": "01890000-0000-7000-8000-000000000001",
    }
    routes = _console_routes()
    assert len(routes) >= 10  # the URLconf was read (a failing discovery would pass vacuously)
    strangers = {
        "anonymous": Client(),
        "member": as_user(make_user(name="Mo Member")),
        "staff in no group": as_user(make_user(name="Stu Staff", is_staff=True)),
    }
    # when each of them opens or posts to every console URL
    for who, client in strangers.items():
        for route in routes:
            url = _filled(route, values)
            for method in (client.get, client.post):
                answer = method(url, {"reason": "x", "on": "1"})
                # then the console does not exist for them
                assert answer.status_code == 404, (who, method.__name__, url, answer.status_code)
    # and nothing changed
    waiting.refresh_from_db()
    assert waiting.status == Listing.Status.PENDING_APPROVAL
    assert not Suspension.objects.exists()


def test_support_and_finance_see_their_own_kinds(make_user: Callable[..., User]) -> None:
    # given a support and a finance operator
    support, finance = as_user(operator("support")), as_user(operator("finance"))
    # when each opens the queue
    support_page = support.get("/console/").content.decode()
    finance_page = finance.get("/console/").content.decode()
    # then support sees listings, reports, disputes and documents, and finance disputes and holds
    for kind in ("listing", "report", "dispute", "document"):
        assert f'data-count="{kind}"' in support_page
    assert 'data-count="payout_hold"' not in support_page
    assert 'data-count="payout_hold"' in finance_page and 'data-count="dispute"' in finance_page
    assert 'data-count="report"' not in finance_page
    # and only the admin group may turn approval on
    assert support.post("/console/approval/", {"on": "1"}).status_code == 404


# The queue and listing approval -----------------------------------------------------------


def test_with_approval_on_a_new_listing_waits_and_is_approved_from_the_queue(
    make_user: Callable[..., User], rooms: Any
) -> None:
    # given an admin turned approval on from the console
    admin = as_user(operator("admin"))
    assert admin.post("/console/approval/", {"on": "1"}).status_code == 302
    assert Event.objects.filter(type=EventType.LISTING_APPROVAL_SWITCHED).count() == 1
    author = make_user(name="Ann Author")
    # when a member lists a room
    listing = room(author, rooms)
    # then it waits, and the queue counts it
    assert listing.status == Listing.Status.PENDING_APPROVAL
    support_user = operator("support", "sue")
    support = as_user(support_user)
    page = support.get("/console/")
    assert_csp_clean(page)
    html = page.content.decode()
    assert re.search(r'data-count="listing">1<', html)
    assert "Garden room" in html and "1 item waits." in html
    item = f"/console/items/listing/{listing.public_id}/"

    # when support takes it
    assert support.post(f"{item}take/").status_code == 302
    # then it is theirs (an event on the listing), under "assigned to me" and not under "unassigned"
    assert Event.objects.filter(type=EventType.CASE_TAKEN, subject_id=str(listing.public_id)).count() == 1
    assert "Garden room" in support.get("/console/?scope=mine").content.decode()
    assert "Garden room" not in support.get("/console/?scope=unassigned").content.decode()
    # and another support operator cannot take it from them
    other = as_user(operator("support", "sam"))
    other.post(f"{item}take/")
    assert "Another operator is working on this." in other.get(item).content.decode()

    # when support approves it
    after_commit(lambda: support.post(f"{item}approve/"))
    # then it is published, the author is told, and the history shows both decisions
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED
    assert Notification.objects.filter(recipient=author, kind="listing_approved").exists()
    history = support.get(item).content.decode()
    assert "Taken by an operator" in history and "Sue" in history
    assert "Nothing waits here." in support.get("/console/?kind=listing").content.decode()


def test_a_rejection_needs_a_reason_and_the_author_reads_it(
    make_user: Callable[..., User], rooms: Any
) -> None:
    # given approval on and a waiting listing
    listing_approval_switch(actor=operator("admin"), on=True)
    author = make_user(name="Ann Author")
    listing = room(author, rooms)
    support = as_user(operator("support"))
    item = f"/console/items/listing/{listing.public_id}/"
    # when support rejects it without a reason
    support.post(f"{item}reject/", {"reason": "  "})
    # then nothing changed
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING_APPROVAL
    # when with one
    after_commit(lambda: support.post(f"{item}reject/", {"reason": "Photos of another place."}))
    # then the listing goes back to draft and the author is told why
    listing.refresh_from_db()
    assert listing.status == Listing.Status.DRAFT
    told = Notification.objects.get(recipient=author, kind="listing_rejected")
    assert "Photos of another place." in told.body


def test_a_document_s_review_is_in_the_event_log_and_the_item_s_history(
    make_user: Callable[..., User],
) -> None:
    # given a member who sent a photo of their identity document from their account page
    member = make_user(name="Ida Ident")
    picture = BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(picture, "JPEG")
    as_user(member).post(
        "/account/documents/",
        {
            "kind": "identity",
            "title": "",
            "issuer": "",
            "file": SimpleUploadedFile("id.jpg", picture.getvalue()),
        },
    )
    document = Document.objects.get(user=member)
    support_op = operator("support")
    support = as_user(support_op)
    item = f"/console/items/document/{document.pk}/"
    # when support rejects it from the console, with a reason
    after_commit(lambda: support.post(f"{item}reject/", {"reason": "The photo is blurred."}))
    # then the decision is an event of the document, in the member's feed, by the operator
    document.refresh_from_db()
    assert document.status == Document.Status.REJECTED
    event = Event.objects.get(subject_type="document", subject_id=str(document.pk))
    assert event.type == EventType.DOCUMENT_REJECTED and event.actor == support_op
    assert event.member_id == member.pk and event.payload == {
        "kind": "identity",
        "reason": "The photo is blurred.",
    }
    # and the item's page tells its history in words, with the reason
    history = support.get(item).content.decode()
    assert "Document rejected · Support" in history and "<q>The photo is blurred.</q>" in history


def test_the_htmx_filter_answers_the_list_alone(make_user: Callable[..., User]) -> None:
    support = as_user(operator("support"))
    fragment = support.get("/console/?kind=report", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "Nothing waits here." in fragment


# Members ------------------------------------------------------------------------------------


def test_suspend_then_reinstate_a_member_with_reasons_they_are_told(
    make_user: Callable[..., User], rooms: Any
) -> None:
    # given a member with a published listing
    member = make_user(name="Max Member")
    listing = room(member, rooms)
    assert listing.status == Listing.Status.PUBLISHED
    support = as_user(operator("support"))
    page = f"/console/members/{member.pk}/"
    assert "In good standing." in support.get(page).content.decode()
    # when support suspends without a reason
    support.post(f"{page}suspend/", {"reason": ""})
    # then nothing happens
    assert not Suspension.objects.exists()
    # when with a reason
    after_commit(lambda: support.post(f"{page}suspend/", {"reason": "Asked guests to pay in cash."}))
    # then the member is suspended, their listing left search, and they got a notification and an email
    listing.refresh_from_db()
    assert listing.status == Listing.Status.DRAFT
    told = Notification.objects.get(recipient=member, kind="suspension_started")
    assert "Asked guests to pay in cash." in told.body
    assert OutgoingEmail.objects.filter(to=member.email).exists()
    html = support.get(page).content.decode()
    assert "Suspended" in html and "Asked guests to pay in cash." in html
    # when support reinstates them with a reason
    after_commit(lambda: support.post(f"{page}reinstate/", {"reason": "Cleared after a call."}))
    # then the listing is back and they are told why
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED
    assert (
        "Cleared after a call." in Notification.objects.get(recipient=member, kind="suspension_lifted").body
    )


def test_a_banned_member_leaves_search_at_once_and_cannot_appeal(
    make_user: Callable[..., User], rooms: Any, api_as: Callable[..., Any]
) -> None:
    # given a member with a published listing that search finds
    member = make_user(name="Bea Banned")
    listing = room(member, rooms, title="Lakeside cabin")
    support = as_user(operator("support"))
    # when support bans them
    after_commit(lambda: support.post(f"/console/members/{member.pk}/ban/", {"reason": "Fake listings."}))
    # then their listing is out of search at once
    listing.refresh_from_db()
    assert listing.status == Listing.Status.DRAFT
    found = api_as().call("get", "/api/v1/listings?q=Lakeside").json()
    assert found["results"] == []
    assert Suspension.objects.get(member=member).banned
    assert "Fake listings." in Notification.objects.get(recipient=member, kind="member_banned").body
    # and an appeal is refused
    refused = api_as(member).call("post", "/api/v1/appeals", json={"text": "Please."})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "banned"


def test_finance_sees_balances_and_support_does_not(make_user: Callable[..., User]) -> None:
    member = make_user(name="Max Member")
    page = f"/console/members/{member.pk}/"
    assert "Balances" in as_user(operator("finance")).get(page).content.decode()
    support_page = as_user(operator("support")).get(page).content.decode()
    assert "Balances" not in support_page
    # and finance may read the member but not suspend them
    finance = as_user(operator("finance", "fay"))
    assert finance.post(f"{page}suspend/", {"reason": "No."}).status_code == 404
    assert not Suspension.objects.exists()


# Deals: the timeline, the money, a refund, a review hidden -----------------------------------


@pytest.fixture
def completed(make_user: Callable[..., User], rooms: Any) -> Transaction:
    """A two-night booking paid by card through the pages, accepted, and completed by its timer."""
    provider = payout_ready(make_user(email="pat@example.com", name="Pat Provider"))
    customer = make_user(email="cam@example.com", name="Cam Customer")
    listing = room(provider, rooms)
    cam, pat = as_user(customer), as_user(provider)
    first = timezone.localdate() + timedelta(days=5)
    dates = {"start": first.isoformat(), "end": (first + timedelta(days=2)).isoformat(), "seats": "1"}
    after_commit(
        lambda: cam.post(
            f"/listings/{listing.public_id}/deal/", {**dates, "key": "k1", "payment_method": TEST_CARD}
        )
    )
    tx = Transaction.objects.get(customer=customer)
    after_commit(lambda: pat.post(f"/transactions/{tx.id}/step/", {"name": "accept", "key": "a1"}))
    after_stay = datetime.combine(first + timedelta(days=3), time(12), ZoneInfo("Europe/Brussels"))
    with time_machine.travel(after_stay, tick=False):
        after_commit(timers.sweep)
    tx.refresh_from_db()
    assert tx.state == "completed"
    return tx


def test_finance_refunds_part_of_a_completed_deal_with_a_reason(completed: Transaction) -> None:
    # given a completed deal of €84.50 (two nights and the service fee) and a finance operator on its page
    finance = as_user(operator("finance"))
    url = f"/console/deals/{completed.pk}/"
    page = finance.get(url)
    assert_csp_clean(page)
    html = page.content.decode()
    # then the timeline and the ledger rows show, money formatted, never in cents
    assert "Refund the customer" in html and "Up to €84.50" in html
    assert "The deal completed" in html and "The payment is held safely until the deal is done" in html
    assert "€72.00" in html and "8450" not in html
    # when finance refunds €25 with a reason
    after_commit(lambda: finance.post(f"{url}refund/", {"amount": "25", "reason": "The heating failed."}))
    # then the payment records it, a refund entry is posted, and both parties are told
    payment = Payment.objects.get(reference=f"transaction:{completed.pk}")
    assert payment.refunded_minor == 2500
    assert JournalEntry.objects.filter(reference=payment.reference, kind="refund").count() == 1
    for member in (completed.customer, completed.provider):
        told = Notification.objects.get(recipient=member, kind="operator_refund")
        assert "The heating failed." in told.body and "€25.00" in told.title + told.body
    assert Event.objects.filter(type=EventType.PAYMENT_REFUNDED).count() == 1
    html = finance.get(url).content.decode()
    assert "Refund given by an operator" in html and "€25.00" in html
    # and more than what is left is refused, changing nothing
    finance.post(f"{url}refund/", {"amount": "60", "reason": "Again."})
    payment.refresh_from_db()
    assert payment.refunded_minor == 2500


def test_support_cannot_refund(completed: Transaction) -> None:
    support = as_user(operator("support"))
    url = f"/console/deals/{completed.pk}/"
    assert "Refund the customer" not in support.get(url).content.decode()
    answer = support.post(f"{url}refund/", {"amount": "10", "reason": "Because."})
    assert answer.status_code == 404
    assert Payment.objects.get(reference=f"transaction:{completed.pk}").refunded_minor == 0
    assert not Notification.objects.filter(kind="operator_refund").exists()


def test_a_hidden_review_leaves_the_profile_and_the_reputation(completed: Transaction) -> None:
    # given both parties reviewed the deal (so both are published)
    after_commit(
        lambda: review_create(actor=completed.customer, transaction_id=completed.pk, rating=1, text="Bad!")
    )
    after_commit(lambda: review_create(actor=completed.provider, transaction_id=completed.pk, rating=5))
    review = Review.objects.get(author=completed.customer)
    assert review.published_at is not None
    profile = f"/members/{completed.provider.pk}/"
    assert "Bad!" in Client().get(profile).content.decode()
    support = as_user(operator("support"))
    url = f"/console/deals/{completed.pk}/"
    # when support hides it with a reason
    after_commit(lambda: support.post(f"{url}reviews/{review.pk}/hide/", {"reason": "Insults the host."}))
    # then it leaves the profile and the provider's reputation, and its author is told why
    review.refresh_from_db()
    assert review.hidden_at is not None
    assert "Bad!" not in Client().get(profile).content.decode()
    score = Reputation.objects.get(user=completed.provider, role="provider")
    assert score.reviews == 0
    told = Notification.objects.get(recipient=completed.customer, kind="review_hidden")
    assert "Insults the host." in told.body
    assert Event.objects.filter(type=EventType.REVIEW_HIDDEN, subject_id=str(review.pk)).count() == 1
    assert "Hidden on" in support.get(url).content.decode()


def test_a_dispute_waits_in_the_queue_and_is_resolved_on_the_deals_page(completed: Transaction) -> None:
    # given the customer disputed the completed deal from its page
    cam = as_user(completed.customer)
    after_commit(
        lambda: cam.post(
            f"/transactions/{completed.pk}/step/", {"name": "dispute", "key": "d1", "reason": "No heating."}
        )
    )
    completed.refresh_from_db()
    assert completed.state == "disputed"
    # then support and finance both see it in the queue
    support = as_user(operator("support"))
    assert re.search(r'data-count="dispute">1<', support.get("/console/").content.decode())
    assert "No heating." in as_user(operator("finance")).get("/console/?kind=dispute").content.decode()
    # and the dispute's page tells its history in the deal's words
    dispute = Dispute.objects.get(transaction=completed)
    history = support.get(f"/console/items/dispute/{dispute.pk}/").content.decode()
    assert "The deal completed" in history and "No heating." in history
    url = f"/console/deals/{completed.pk}/"
    assert "Resolve the dispute" in support.get(url).content.decode()
    # when support resolves it with a €20 refund
    after_commit(
        lambda: support.post(f"{url}resolve/", {"outcome": "Half a night back.", "refund": "20", "key": "r1"})
    )
    # then the deal is resolved, €20 went back to the customer, and the queue is empty
    completed.refresh_from_db()
    assert completed.state == "resolved"
    assert Payment.objects.get(reference=f"transaction:{completed.pk}").refunded_minor == 2000
    assert "Nothing waits here." in support.get("/console/?kind=dispute").content.decode()
