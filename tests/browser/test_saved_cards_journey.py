"""Saved cards with the sandbox, through the same Stripe.js shim as Stripe: on a phone a member
saves a card on the saved-cards page (a SetupIntent the shim confirms at the sandbox's client
side), books choosing it in the payment element, and removes another card after confirming.
(The saved-cards pages are among the pages test_accessibility.py checks: the seeded member keeps
a card.)"""

import re
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.conftest import payout_ready
from barnraise.ledger.models import Payment
from tests.browser.journey import MARKS, Person, member, pay_with_card

pytestmark = MARKS

ZONE = ZoneInfo("America/New_York")
PHONE_TALL = {"width": 375, "height": 812}


def room() -> Any:
    """A room by the hour at $20.00: two hours cost the customer $42.50 with the default fees."""
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


def choose_two_hours(page: Any) -> None:
    day = (datetime.now(ZONE) + timedelta(days=4)).date()
    start = datetime(day.year, day.month, day.day, 10, tzinfo=ZONE)
    page.fill("#deal-start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#deal-end", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#deal-end").blur()
    page.locator("#deal-preview").get_by_text("$42.50").wait_for()


def test_a_member_saves_a_card_pays_with_it_and_removes_another_on_a_phone(live_server, chromium):
    listing = room()
    member("alice@example.com", "Alice M.")
    alice = Person(chromium, live_server.url, PHONE_TALL)
    alice.log_in("alice@example.com")
    year = time.gmtime().tm_year + 3  # the sandbox's saved cards expire in three years
    # when she saves two cards on the saved-cards page
    page = alice.go("/wallet/cards/")
    for count, number in enumerate(("4242 4242 4242 4242", "4000 0027 6000 3184"), start=1):
        pay_with_card(page, "#card-form", card=number)
        page.get_by_role("button", name="Save card").click()
        expect(page.locator(".saved-card-list li")).to_have_count(count)
    # then they are listed in words
    cards = alice.text(".saved-card-list")
    assert f"Visa ending 4242, expires December {year}" in cards
    assert f"Visa ending 3184, expires December {year}" in cards
    alice.shot("saved-cards-phone")

    # when she books, the payment element offers her saved cards, the newest first
    page = alice.go(f"/listings/{listing.public_id}/")
    choose_two_hours(page)
    page.get_by_label(f"Visa ending 4242, expires December {year}").check()
    assert page.locator("#deal-form [data-payment-mount]").is_hidden()
    page.locator("[data-pay-bar] button").click()
    page.wait_for_url(re.compile(r"/transactions/[0-9a-f-]{36}/"))
    # then the deal opens, paid with that card
    assert "Requested" in alice.text()
    assert Payment.objects.get().payment_method == "visa:…4242"
    assert Transaction.objects.count() == 1

    # when she removes the other card, she is asked first
    page = alice.go("/wallet/cards/")
    page.get_by_role("button", name=re.compile("Remove Visa ending 3184")).click()
    page.get_by_role("button", name="Remove card").click()
    expect(page.locator(".saved-card-list li")).to_have_count(1)
    assert "3184" not in alice.text(".saved-card-list")
    alice.assert_no_csp_violations()
