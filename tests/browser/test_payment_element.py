"""The payment element, on a phone and a desktop, against the sandbox through Barnraise's
Stripe.js shim (the page code a Stripe user runs, with Stripe.js in its place): a declined
card's error is in view next to the card fields, 3-D Secure fails and then completes in a
modal in the same tab, and the deal opens; on a phone the sticky "Book · $X" bar pays.

A room by the hour at $20.00: two hours cost the customer $42.50 with the default fees.
"""

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.conftest import payout_ready
from barnraise.ledger.models import Payment
from tests.browser.journey import DESKTOP, MARKS, Person, member, pay_with_card

pytestmark = MARKS

ZONE = ZoneInfo("America/New_York")
PHONE_TALL = {"width": 375, "height": 812}
DECLINED, THREE_DS = "4000 0000 0000 0002", "4000 0027 6000 3184"


def room() -> Any:
    bob = payout_ready(member("bob@example.com", "Bob N."))
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    return listing_create(
        actor=bob,
        kind="rental",
        category=rooms,
        title="Quiet studio by the lake",
        unit="hour",
        price_amount_minor=2000,
        currency="USD",
        seats=1,
        lat=44.47,
        lng=-73.21,
        timezone="America/New_York",
        address="12 Pine St",
    )


def choose_two_hours(page: Any, listing: Any) -> None:
    day = (datetime.now(ZONE) + timedelta(days=4)).date()
    start = datetime(day.year, day.month, day.day, 10, tzinfo=ZONE)
    page.fill("#deal-start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#deal-end", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#deal-end").blur()
    page.locator("#deal-preview").get_by_text("$42.50").wait_for()


def in_view(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


def pay(page: Any, viewport: dict[str, int]) -> None:
    """Press the page's pay button: the sticky bar on a phone, the form's button on a desktop."""
    if viewport["width"] < 768:
        page.locator("[data-pay-bar] button").click()
    else:
        page.locator(".deal-actions button[value=create]").click()


@pytest.mark.parametrize("viewport", [PHONE_TALL, DESKTOP], ids=["phone", "desktop"])
def test_declined_then_3ds_failed_then_3ds_completed_in_the_same_tab(live_server, chromium, viewport):
    # given a room, and a customer on its page who chose two hours
    listing = room()
    member("alice@example.com", "Alice M.")
    alice = Person(chromium, live_server.url, viewport)
    alice.log_in("alice@example.com")
    page = alice.go(f"/listings/{listing.public_id}/")
    choose_two_hours(page, listing)
    # the card fields are labelled, and hold no name a form would send
    box = page.locator("#deal-form [data-payment-element]")
    assert box.locator("input[name]").evaluate_all("els => els.map(e => e.name)") == ["payment_method"]
    if viewport["width"] < 768:
        # on a phone the sticky bar says what pressing it costs, and stays in view
        bar = page.locator("[data-pay-bar] button")
        assert bar.inner_text() == "Book · $42.50"
        assert in_view(page, "[data-pay-bar] button")

    # when a declined card is used
    pay_with_card(page, card=DECLINED)
    page.mouse.wheel(0, -2000)
    pay(page, viewport)
    # then its error shows next to the card fields, scrolled into view, and nothing opened
    error = page.locator("#deal-form [data-payment-error]")
    error.get_by_text("Your card was declined.").wait_for()
    assert in_view(page, "#deal-form [data-payment-error]")
    assert Transaction.objects.count() == 0
    alice.shot(f"payment-declined-{viewport['width']}")

    # when the bank's check (3-D Secure) is failed in its modal
    pay_with_card(page, card=THREE_DS)
    pay(page, viewport)
    frame = page.frame_locator("dialog.stripe-shim-challenge iframe")
    frame.get_by_text("$42.50").wait_for()
    alice.shot(f"payment-3ds-{viewport['width']}")
    frame.get_by_role("button", name="Fail").click()
    # then the modal closes and the error is in view, still on the listing's page
    error.get_by_text("Your bank could not confirm this payment").wait_for()
    assert page.locator("dialog.stripe-shim-challenge").count() == 0
    assert in_view(page, "#deal-form [data-payment-error]")
    assert Transaction.objects.count() == 0

    # when it is completed
    pay_with_card(page, card=THREE_DS)
    pay(page, viewport)
    page.frame_locator("dialog.stripe-shim-challenge iframe").get_by_role("button", name="Complete").click()
    # then the booking is made in the same tab, and no internal id was ever shown
    page.wait_for_url(re.compile(r"/transactions/[0-9a-f-]{36}/"))
    assert "Requested" in alice.text()
    payment = Payment.objects.get()
    assert payment.amount_minor == 4250 and payment.status == "authorized"
    assert payment.authorization_id not in page.content()
    assert len(alice.context.pages) == 1
    alice.assert_no_csp_violations()


def test_a_good_card_from_the_sticky_bar_on_a_phone(live_server, chromium):
    listing = room()
    member("alice@example.com", "Alice M.")
    alice = Person(chromium, live_server.url, PHONE_TALL)
    alice.log_in("alice@example.com")
    page = alice.go(f"/listings/{listing.public_id}/")
    choose_two_hours(page, listing)
    pay_with_card(page)
    page.locator("[data-pay-bar] button").click()
    page.wait_for_url(re.compile(r"/transactions/[0-9a-f-]{36}/"))
    assert "Requested" in alice.text()
    assert Transaction.objects.get().total_amount_minor == 4250
    no_sideways = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_sideways
    alice.assert_no_csp_violations()
