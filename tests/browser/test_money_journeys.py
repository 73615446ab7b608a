"""Money and after-the-deal journeys in real Chromium (issue #19), each on a phone and on a
desktop: a newcomer cancels a paid stay after reading what would come back; both parties review
a finished stay; a customer opens a dispute from the deal page and an operator resolves it in the
console. The deals are made through the pages' own forms with a Django test client (the booking
with its card is test_payment_element.py's and test_calendar_pick_journey.py's journey); what
each person then does, they do in the browser.
"""

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
from barnraise.money import Money
from barnraise.reputation.models import Review
from barnraise.timers import services as timers
from tests.browser.journey import DESKTOP, MARKS, PASSWORD, PHONE, Person, member

pytestmark = MARKS
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
BRUSSELS = ZoneInfo("Europe/Brussels")


def garden_room(provider: Any) -> Listing:
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    return listing_create(
        actor=provider, category=rooms, kind="rental", unit="night", title="Garden room",
        price_amount_minor=4000, currency="EUR", lat=50.85, lng=4.35, timezone="Europe/Brussels",
    )  # fmt: skip


def accepted_stay(customer: Any, provider: Any, listing: Listing, *, in_days: int) -> Transaction:
    """Two nights `in_days` from today, paid by card and accepted, through the pages' forms."""
    cam, pat = Client(), Client()
    cam.force_login(customer)
    pat.force_login(provider)
    first = timezone.localdate() + timedelta(days=in_days)
    dates = {"start": first.isoformat(), "end": (first + timedelta(days=2)).isoformat(), "seats": "1"}
    cam.post(f"/listings/{listing.public_id}/deal/", {**dates, "key": "k1", "payment_method": TEST_CARD})
    tx = Transaction.objects.get(customer=customer, listing=listing)
    pat.post(f"/transactions/{tx.id}/step/", {"name": "accept", "key": "a1"})
    tx.refresh_from_db()
    assert tx.state == "accepted", tx.state
    return tx


def completed_stay(customer: Any, provider: Any, listing: Listing) -> Transaction:
    tx = accepted_stay(customer, provider, listing, in_days=5)
    after = datetime.combine(tx.start.astimezone(BRUSSELS).date() + timedelta(days=3), time(12), BRUSSELS)
    with time_machine.travel(after):
        timers.sweep()
    tx.refresh_from_db()
    assert tx.state == "completed", tx.state
    return tx


def no_sideways_scroll(person: Person) -> None:
    width = person.page.evaluate("document.documentElement.scrollWidth")
    assert width <= person.page.viewport_size["width"], (person.page.url, width)


def euros(amount_minor: int) -> str:
    return Money(amount_minor, "EUR").format()


@VIEWPORTS
def test_a_newcomer_reads_what_comes_back_then_cancels(
    live_server: Any, chromium: Any, viewport: Any
) -> None:
    # given a stay three days away (under the moderate policy's five days: half comes back)
    pat = payout_ready(member("pat@example.com", "Pat Provider"))
    cam = member("cam@example.com", "Cam Customer")
    tx = accepted_stay(cam, pat, garden_room(pat), in_days=3)
    paid, back = euros(tx.total_amount_minor), euros(tx.total_amount_minor // 2)
    newcomer = Person(chromium, live_server.url, viewport)
    newcomer.log_in("cam@example.com")

    # when she opens the cancel step on her deal
    page = newcomer.go(f"/transactions/{tx.id}/")
    page.locator("details.step-more summary", has_text="Cancel").click()
    # then, before confirming, it says what she would get back and the host's terms
    preview = page.locator("[data-refund-preview]")
    expect(preview).to_have_text(
        f"You'll get back {back} of {paid}. The host's policy: full refund until 5 days before "
        "the start, half after."
    )
    no_sideways_scroll(newcomer)
    newcomer.shot(f"refund-preview-{viewport['width']}")

    # when she confirms
    page.get_by_role("button", name="Confirm: Cancel").click()
    expect(page.locator(".page-head")).to_contain_text("Cancelled")
    # then exactly that came back, and the timeline says so in words
    assert Payment.objects.get(reference=f"transaction:{tx.id}").refunded_minor == tx.total_amount_minor // 2
    expect(page.locator(".timeline")).to_contain_text(f"took the payment of {paid} from the customer's card")
    expect(page.locator(".timeline")).to_contain_text(f"refunded {back} to the customer")
    # and she is told, and her wallet sums it up
    page = newcomer.go("/notifications/")
    expect(page.locator("main")).to_contain_text(f"You were refunded {back} for Garden room")
    page = newcomer.go("/wallet/")
    row = page.locator(f"[data-paid-deal='{tx.id}']")
    expect(row.locator("[data-paid=paid]")).to_have_text(paid)
    expect(row.locator("[data-paid=back]")).to_have_text(back)
    expect(row.locator("[data-paid=net]")).to_have_text(
        euros(tx.total_amount_minor - tx.total_amount_minor // 2)
    )
    no_sideways_scroll(newcomer)
    row.get_by_role("link", name="Garden room").click()
    page.wait_for_url(re.compile(f"/transactions/{tx.id}/"))
    newcomer.shot(f"refund-wallet-{viewport['width']}")
    newcomer.assert_no_csp_violations()


def write_review(person: Person, tx: Transaction, stars: int, words: str) -> None:
    page = person.go(f"/transactions/{tx.id}/")
    review = page.locator("#review")
    review.locator(f"input[name=rating][value='{stars}']").check()
    review.locator("textarea[name=text]").fill(words)
    review.get_by_role("button", name="Publish my review").click()
    page.wait_for_load_state()


@VIEWPORTS
def test_both_parties_review_a_finished_stay(live_server: Any, chromium: Any, viewport: Any) -> None:
    # given a finished, paid stay
    pat = payout_ready(member("pat@example.com", "Pat Provider"))
    cam = member("cam@example.com", "Cam Customer")
    tx = completed_stay(cam, pat, garden_room(pat))
    customer, provider = (
        Person(chromium, live_server.url, viewport),
        Person(chromium, live_server.url, viewport),
    )
    customer.log_in("cam@example.com")
    provider.log_in("pat@example.com")

    # when the customer reviews first, hers stays hidden
    write_review(customer, tx, 5, "Quiet garden, warm welcome.")
    expect(customer.page.locator("#review")).to_contain_text(
        "It will be published when the other side has reviewed too"
    )
    no_sideways_scroll(customer)
    # when the provider reviews back, both are published and each reads the other's
    write_review(provider, tx, 4, "A considerate guest.")
    expect(provider.page.locator("#review")).to_contain_text("Quiet garden, warm welcome.")
    customer.page.reload()
    expect(customer.page.locator("#review")).to_contain_text("A considerate guest.")
    assert Review.objects.filter(transaction=tx, published_at__isnull=False).count() == 2
    # and the provider's public profile shows the customer's words
    page = customer.go(f"/members/{pat.pk}/")
    expect(page.locator("main")).to_contain_text("Quiet garden, warm welcome.")
    no_sideways_scroll(customer)
    provider.shot(f"reviews-both-{viewport['width']}")
    customer.assert_no_csp_violations()
    provider.assert_no_csp_violations()


@VIEWPORTS
def test_a_member_opens_a_dispute_and_an_operator_resolves_it(
    live_server: Any, chromium: Any, viewport: Any
) -> None:
    # given a finished, paid stay and an operator in support and finance
    operator_create(  # a refund is money: support and finance
        email="sol@example.com", name="Sol Support", password=PASSWORD, groups=["support", "finance"]
    )
    pat = payout_ready(member("pat@example.com", "Pat Provider"))
    cam = member("cam@example.com", "Cam Customer")
    tx = completed_stay(cam, pat, garden_room(pat))
    customer = Person(chromium, live_server.url, viewport)
    customer.log_in("cam@example.com")

    # when the customer opens a dispute from the deal page, with what went wrong
    page = customer.go(f"/transactions/{tx.id}/")
    page.locator("details.step-more summary", has_text="Open a dispute").click()
    page.fill("#dispute-reason", "The heating failed both nights.")
    page.get_by_role("button", name="Confirm: Open a dispute").click()
    expect(page.locator(".page-head")).to_contain_text("In dispute")
    no_sideways_scroll(customer)

    # when the operator finds it in the console's queue and resolves it with €20 back
    sol = Person(chromium, live_server.url, viewport)
    sol.log_in("sol@example.com")
    page = sol.go("/console/?kind=dispute")
    page.get_by_role("link", name="The heating failed both nights.").click()
    page.get_by_role("link", name="Open the deal, its timeline and its money").click()
    page.fill("#resolve-outcome", "Twenty euros back for the cold nights.")
    page.fill("#resolve-refund", "20")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("The dispute is resolved; both parties are told.")).to_be_visible()
    no_sideways_scroll(sol)

    # then the customer sees the decision and the €20 on the deal, is told, and her wallet counts it
    page = customer.go(f"/transactions/{tx.id}/")
    expect(page.locator(".page-head")).to_contain_text("Dispute settled")
    expect(page.locator(".timeline")).to_contain_text("Twenty euros back for the cold nights.")
    expect(page.locator(".timeline")).to_contain_text("refunded €20.00 to the customer")
    page = customer.go("/notifications/")
    expect(page.locator("main")).to_contain_text("You were refunded €20.00 for Garden room")
    page = customer.go("/wallet/")
    expect(page.locator(f"[data-paid-deal='{tx.id}'] [data-paid=back]")).to_have_text("€20.00")
    customer.shot(f"dispute-resolved-{viewport['width']}")
    customer.assert_no_csp_violations()
    sol.assert_no_csp_violations()
