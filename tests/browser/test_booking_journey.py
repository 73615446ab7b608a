"""A booking from first click to acceptance, in real Chromium against a live server.

Debian's Chromium (/usr/bin/chromium) is driven by Playwright. Screenshots of each step go to
test-artifacts/ (not committed).
"""

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress

from barnraise.accounts.models import User
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.conftest import payout_ready
from barnraise.ledger.models import Payment
from tests.browser.journey import pay_with_card

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a-long-pass-12345"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None, reason="Chromium is not installed (.ci/run installs it)"
    ),
]


@pytest.fixture
def browser(chromium):
    """The Chromium every journey shares (tests/browser/conftest.py): Playwright's sync API
    runs one event loop per thread, so a second one cannot start beside it."""
    return chromium


def member(email: str, name: str) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, name=name)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.usefixtures("ledger_rows_removable")
def test_customer_books_a_room_and_pays_and_the_provider_accepts(live_server, browser):
    # given a provider with a room by the hour who can be paid, and a customer
    bob = payout_ready(member("bob@example.com", "Bob N."))
    member("alice@example.com", "Alice M.")
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    room = listing_create(
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
    zone = ZoneInfo("America/New_York")
    day = (datetime.now(zone) + timedelta(days=4)).date()
    start = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
    errors: list[str] = []

    # when the customer opens the listing, picks two hours and asks to book
    alice = browser.new_page(viewport={"width": 1280, "height": 900})
    alice.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(alice, live_server.url, "alice@example.com")
    alice.goto(f"{live_server.url}/listings/{room.public_id}/")
    alice.fill("#deal-start", start.strftime("%Y-%m-%dT%H:%M"))
    alice.fill("#deal-end", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    alice.locator("#deal-end").blur()
    alice.wait_for_selector("text=$40.00")
    shot(alice, "booking-1-price")
    # a declined card is refused on the page, then the good one goes through
    pay_with_card(alice, card="4000 0000 0000 0002")
    alice.locator("button[value=create]").click()
    alice.get_by_text("Your card was declined.").wait_for()
    assert Transaction.objects.count() == 0
    pay_with_card(alice)
    alice.locator("button[value=create]").click()
    alice.wait_for_url(lambda url: "/transactions/" in url)
    shot(alice, "booking-2-requested")
    # then a request waits for the provider, and the address is still private
    assert "Requested" in alice.content()
    assert "12 Pine St" not in alice.content()

    # when the provider accepts from their inbox
    provider = browser.new_page(viewport={"width": 375, "height": 800})
    log_in(provider, live_server.url, "bob@example.com")
    provider.goto(f"{live_server.url}/transactions/?role=provider")
    shot(provider, "booking-3-inbox-phone")
    provider.locator("button", has_text="Accept").first.click()
    provider.wait_for_load_state("networkidle")

    # then the customer sees the deal accepted, with the address
    alice.reload()
    shot(alice, "booking-4-accepted")
    assert "Accepted" in alice.content()
    assert "12 Pine St" in alice.content()
    # and the money sits in the deal's escrow: the customer paid the price and the service fee
    payment, deal = Payment.objects.get(), Transaction.objects.get()
    assert (payment.status, payment.payment_method) == ("captured", "visa:…4242")
    assert payment.amount_minor == deal.total_amount_minor >= 4000
    assert not [e for e in errors if "Content Security Policy" in e], errors
