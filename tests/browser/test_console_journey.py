"""The operator's console in real Chromium (issue #19): with approval turned on, a member's new
listing waits; the operator takes it from the queue and approves it, then suspends another
member with a reason, whose listing leaves search. Once on a desktop, once on a phone, with no
sideways scrolling and nothing the CSP blocks."""

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from barnraise.accounts.services import operator_create
from barnraise.catalog.models import Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.conftest import TEST_CARD, payout_ready
from barnraise.ledger.models import Payment
from barnraise.notifications.models import Notification
from barnraise.timers import services as timers
from barnraise.trust.models import Suspension
from tests.browser.journey import DESKTOP, MARKS, PASSWORD, PHONE, Person, member

pytestmark = MARKS


def room(author: Any, category: Any, title: str) -> Listing:
    return listing_create(
        actor=author,
        category=category,
        kind="rental",
        unit="night",
        title=title,
        price_amount_minor=4000,
        currency="EUR",
        lat=50.85,
        lng=4.35,
        timezone="Europe/Brussels",
    )


def no_sideways_scroll(person: Person) -> None:
    width = person.page.evaluate("document.documentElement.scrollWidth")
    assert width <= person.page.viewport_size["width"], (person.page.url, width)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_operator_approves_a_listing_and_suspends_a_member(
    live_server: Any, chromium: Any, viewport: dict[str, int]
) -> None:
    # given an admin operator, two members and a category
    operator_create(email="olga@example.com", name="Olga Operator", password=PASSWORD, groups=["admin"])
    ann = member("ann@example.com", "Ann Author")
    max_ = member("max@example.com", "Max Member")
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    cabin = room(max_, rooms, "Lakeside cabin")
    olga = Person(chromium, live_server.url, viewport)
    olga.log_in("olga@example.com")
    page = olga.page

    # when she turns listing approval on from the console
    olga.go("/console/")
    page.get_by_role("button", name="Turn approval on").click()
    expect(page.get_by_text("New listings now wait for approval.")).to_be_visible()
    # and a member lists a room
    garden = room(ann, rooms, "Garden room")
    assert garden.status == Listing.Status.PENDING_APPROVAL

    # then the queue shows it; filtering to listings keeps it (htmx swaps the list)
    olga.go("/console/")
    page.get_by_label(re.compile("Listing to approve")).check()
    expect(page.locator("#queue-items")).to_contain_text("Garden room")
    no_sideways_scroll(olga)
    page.get_by_role("link", name="Garden room").click()
    # when she takes it and approves it
    page.get_by_role("button", name="Take it").click()
    expect(page.get_by_text("Olga Operator has taken it.")).to_be_visible()
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("The listing is published.")).to_be_visible()
    # then its history shows who took it and the approval, and it is published
    expect(page.locator(".console-history")).to_contain_text("Taken by an operator")
    no_sideways_scroll(olga)
    garden.refresh_from_db()
    assert garden.status == Listing.Status.PUBLISHED

    # when she opens Max's page and suspends him with a reason
    olga.go(f"/console/members/{max_.pk}/")
    page.fill("#suspend-reason", "Asked a guest to pay in cash.")
    page.get_by_role("button", name="Suspend", exact=True).click()
    expect(page.get_by_text("The member is suspended and told why.")).to_be_visible()
    no_sideways_scroll(olga)
    olga.shot(f"console-member-{'phone' if viewport == PHONE else 'desktop'}")
    # and the header's site name and the operator's menu do not overlap (a long name gives way)
    olga.go("/console/")
    brand = olga.page.locator(".site-header .brand strong").bounding_box()
    first_link = olga.page.locator(".site-header nav > ul:last-child a:visible").first.bounding_box()
    assert brand is not None and first_link is not None
    assert brand["x"] + brand["width"] <= first_link["x"], (brand, first_link)
    no_sideways_scroll(olga)
    olga.shot(f"console-queue-{'phone' if viewport == PHONE else 'desktop'}")
    # then he is suspended, told why, and his listing left search
    assert Suspension.objects.filter(member=max_, ended_at=None).exists()
    assert (
        "Asked a guest to pay in cash."
        in Notification.objects.get(recipient=max_, kind="suspension_started").body
    )
    cabin.refresh_from_db()
    assert cabin.status == Listing.Status.DRAFT
    visitor = Person(chromium, live_server.url, viewport)
    visitor.go("/search/?q=Lakeside")
    expect(visitor.page.locator("main")).not_to_contain_text("Lakeside cabin")
    visitor.assert_no_csp_violations()
    olga.assert_no_csp_violations()


def completed_paid_stay(customer: Any, provider: Any, listing: Listing) -> Transaction:
    """A two-night stay paid by card and accepted through the pages, completed by its timer."""
    cam, pat = Client(), Client()
    cam.force_login(customer)
    pat.force_login(provider)
    first = timezone.localdate() + timedelta(days=5)
    dates = {"start": first.isoformat(), "end": (first + timedelta(days=2)).isoformat(), "seats": "1"}
    cam.post(f"/listings/{listing.public_id}/deal/", {**dates, "key": "k1", "payment_method": TEST_CARD})
    tx = Transaction.objects.get(customer=customer)
    pat.post(f"/transactions/{tx.id}/step/", {"name": "accept", "key": "a1"})
    with time_machine.travel(
        datetime.combine(first + timedelta(days=3), time(12), ZoneInfo("Europe/Brussels"))
    ):
        timers.sweep()
    cam.post(
        f"/transactions/{tx.id}/step/", {"name": "dispute", "key": "d1", "reason": "The heating failed."}
    )
    tx.refresh_from_db()
    assert tx.state == "disputed"
    return tx


def test_a_dispute_is_resolved_in_the_console_with_a_partial_refund(live_server: Any, chromium: Any) -> None:
    # given a paid stay its customer disputed, and an operator in support and finance
    operator_create(  # a refund is money: support and finance
        email="sol@example.com", name="Sol Support", password=PASSWORD, groups=["support", "finance"]
    )
    provider = payout_ready(member("pat@example.com", "Pat Provider"))
    customer = member("cam@example.com", "Cam Customer")
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    tx = completed_paid_stay(customer, provider, room(provider, rooms, "Garden room"))
    sol = Person(chromium, live_server.url, DESKTOP)
    sol.log_in("sol@example.com")
    page = sol.page

    # when she finds it in the queue and opens its deal
    sol.go("/console/?kind=dispute")
    page.get_by_role("link", name="The heating failed.").click()
    expect(page.locator(".console-history")).to_contain_text("The deal completed")
    page.get_by_role("link", name="Open the deal, its timeline and its money").click()
    # and resolves it with €20 back to the customer
    page.fill("#resolve-outcome", "Twenty euros back for the cold night.")
    page.fill("#resolve-refund", "20")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("The dispute is resolved; both parties are told.")).to_be_visible()
    # then the deal is resolved and €20 went back
    tx.refresh_from_db()
    assert tx.state == "resolved"
    assert Payment.objects.get(reference=f"transaction:{tx.pk}").refunded_minor == 2000
    no_sideways_scroll(sol)
    sol.shot("console-dispute-resolved")
    sol.assert_no_csp_violations()
