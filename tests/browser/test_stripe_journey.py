"""The Stripe path in a browser, against the FAKE Stripe API (never Stripe, live or test mode):
the fake runs in a process of its own, served over HTTP by the runner the cluster test uses
(tests/cluster/stripe_server.py), and POSTs its signed webhooks to the live server. The pages
load Barnraise's Stripe.js shim, which talks to the fake with the publishable key.

On a phone and on a desktop:
- a provider sets up payouts: the wallet sends her to Stripe's hosted onboarding (here a stand-in
  page for the fake's account link, which has no page of its own), back on the return page the
  requirements are in plain words; once the fake marks her account onboarded, she is "Ready";
- a customer books with a good card, then with a card whose bank wants 3-D Secure (completed in
  the modal), saves a card on the saved-cards page (and removes another after confirming), and
  books again choosing the saved card;
- the provider accepts the first and the third (the payments are captured), cancels the first
  (refunded) and declines the second (the hold is cancelled);
- the fake carried out exactly one capture per accepted deal, one refund and one cancel; every
  event it sent was delivered, signed, and processed; a forged one is refused.
"""

import json
import re
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.ledger.models import Payment, ProviderWebhookEvent
from tests.browser.conftest import Fake
from tests.browser.journey import DESKTOP, MARKS, Person, member, pay_with_card

pytestmark = MARKS

REPO = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("America/New_York")
PHONE_TALL = {"width": 375, "height": 812}
THREE_DS, MASTERCARD = "4000 0027 6000 3184", "5555 5555 5555 4444"


def hosted_onboarding(fake: Fake, base: str) -> Any:
    """Stripe's hosted onboarding, which the fake's account links name but do not serve: a page
    sending the owner back to the return page; the second visit finishes at the fake first."""
    visits: list[str] = []

    def handle(route: Any) -> None:
        account = re.search(r"/setup/e/(acct_[^/]+)/", route.request.url)
        assert account, route.request.url
        visits.append(account.group(1))
        if len(visits) > 1:
            fake.onboard(account.group(1))
        back = f"{base}/payouts/onboarding/{account.group(1)}/return"
        body = f'<!doctype html><title>Stripe onboarding (stand-in)</title><a href="{back}">Return to the marketplace</a>'
        route.fulfill(status=200, content_type="text/html", body=body)

    return handle


def choose(page: Any, *, days: int, hour: int) -> None:
    day = (datetime.now(ZONE) + timedelta(days=days)).date()
    start = datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)
    page.fill("#deal-start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#deal-end", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#deal-end").blur()
    page.locator("#deal-preview").get_by_text("$42.50").wait_for()


def pay(page: Any, viewport: dict[str, int]) -> None:
    if viewport["width"] < 768:
        page.locator("[data-pay-bar] button").click()
    else:
        page.locator(".deal-actions button[value=create]").click()


def booked(page: Any) -> str:
    page.wait_for_url(re.compile(r"/transactions/[0-9a-f-]{36}/"))
    found = re.search(r"/transactions/([0-9a-f-]{36})/", page.url)
    assert found and "Requested" in page.locator("main").inner_text()
    return found.group(1)


def fits(page: Any, viewport: dict[str, int]) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} is {width} px wide"


@pytest.mark.parametrize("viewport", [PHONE_TALL, DESKTOP], ids=["phone", "desktop"])
def test_the_stripe_path_against_the_fake_stripe_api(live_server, chromium, stripe_fake, viewport):
    fake, base = stripe_fake, live_server.url
    # -- the provider sets up payouts at (the fake) Stripe, through the return page
    member("pia@example.com", "Pia Provider")
    pia = Person(chromium, base, viewport)
    pia.context.route("https://connect.stripe.com/**", hosted_onboarding(fake, base))
    pia.log_in("pia@example.com")
    page = pia.go("/wallet/")
    page.get_by_role("button", name="Set up payouts").click()
    page.get_by_role("link", name="Return to the marketplace").click()
    page.wait_for_url("**/payouts/onboarding/*/return")
    text = pia.text()
    assert "Not finished: Stripe needs a few more details before you can be paid." in text
    assert "Stripe needs your bank account." in text
    assert "external_account" not in text and "tos_acceptance" not in text
    fits(page, viewport)
    pia.shot(f"stripe-onboarding-due-{viewport['width']}")
    page.get_by_role("button", name="Finish setting up payouts").click()
    page.get_by_role("link", name="Return to the marketplace").click()
    page.wait_for_url("**/payouts/onboarding/*/return")
    assert "Ready: payouts go to your account at Stripe." in pia.text()

    from barnraise.accounts.models import User

    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    listing = listing_create(
        actor=User.objects.get(email="pia@example.com"),
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

    # -- the customer books with a good card
    member("alice@example.com", "Alice M.")
    alice = Person(chromium, base, viewport)
    alice.log_in("alice@example.com")
    page = alice.go(f"/listings/{listing.public_id}/")
    choose(page, days=4, hour=10)
    pay_with_card(page)
    pay(page, viewport)
    good = booked(page)

    # -- then with a card whose bank asks for 3-D Secure, completed in the modal
    page = alice.go(f"/listings/{listing.public_id}/")
    choose(page, days=5, hour=10)
    pay_with_card(page, card=THREE_DS)
    pay(page, viewport)
    frame = page.frame_locator("dialog.stripe-shim-challenge iframe")
    frame.get_by_text("FAKE 3-D Secure page").wait_for()
    alice.shot(f"stripe-3ds-{viewport['width']}")
    frame.get_by_role("button", name="Complete authentication").click()
    secured = booked(page)

    # -- she saves two cards on the saved-cards page, and removes one after confirming
    page = alice.go("/wallet/cards/")
    assert "No saved cards yet." in alice.text()
    year = time.gmtime().tm_year + 3  # the fake's test cards expire in three years
    for count, number in enumerate(("4242 4242 4242 4242", MASTERCARD), start=1):
        pay_with_card(page, "#card-form", card=number)
        page.get_by_role("button", name="Save card").click()
        expect(page.locator(".saved-card-list li")).to_have_count(count)
        assert "Your card is saved. You can choose it when you pay." in alice.text("body")
    cards = alice.text(".saved-card-list")
    assert f"Visa ending 4242, expires December {year}" in cards
    assert f"Mastercard ending 4444, expires December {year}" in cards
    fits(page, viewport)
    alice.shot(f"stripe-saved-cards-{viewport['width']}")
    page.get_by_role("button", name=re.compile("Remove Mastercard ending 4444")).click()
    assert "Mastercard ending 4444" in alice.text()
    page.get_by_role("button", name="Remove card").click()
    expect(page.locator(".saved-card-list li")).to_have_count(1)
    assert f"Mastercard ending 4444, expires December {year} is removed." in alice.text("body")
    assert "Mastercard" not in alice.text(".saved-card-list")
    assert "Visa ending 4242" in alice.text(".saved-card-list")

    # -- and books again with the saved card, which the payment element offers first
    page = alice.go(f"/listings/{listing.public_id}/")
    choose(page, days=6, hour=10)
    saved = page.get_by_label(f"Visa ending 4242, expires December {year}")
    assert saved.is_checked()
    assert page.locator("#deal-form [data-payment-mount]").is_hidden()
    alice.shot(f"stripe-pay-with-saved-{viewport['width']}")
    pay(page, viewport)
    again = booked(page)
    alice.assert_no_csp_violations()

    # -- the provider accepts the first and the third, declines the second, cancels the first
    for deal in (good, again):
        page = pia.go(f"/transactions/{deal}/")
        page.get_by_role("button", name="Accept", exact=True).click()
        page.get_by_text("Accepted").first.wait_for()
    page = pia.go(f"/transactions/{secured}/")
    page.locator("summary", has_text="Decline").click()
    page.get_by_role("button", name="Confirm: Decline").click()
    page.get_by_text("Declined").first.wait_for()
    page = pia.go(f"/transactions/{good}/")
    page.locator("summary", has_text="Cancel").click()
    page.get_by_role("button", name="Confirm: Cancel").click()
    page.get_by_text("Cancelled").first.wait_for()
    pia.assert_no_csp_violations()

    # then each payment names its card, and ended as the deals say
    payments = {p.reference.removeprefix("transaction:"): p for p in Payment.objects.all()}
    assert {deal: payments[deal].payment_method for deal in (good, secured, again)} == {
        good: "visa:…4242",
        secured: "visa:…3184",
        again: "visa:…4242",
    }
    assert (payments[good].status, payments[good].refunded_minor) == ("refunded", 4250)
    assert payments[secured].status == "voided"
    assert payments[again].status == "captured"
    assert Transaction.objects.get(pk=again).state == "accepted"

    # and the fake carried out exactly these calls, once each
    state = fake.delivered()
    executed = {(op, obj): n for op, obj, n in state["executed"]}
    ids = {deal: payments[deal].authorization_id for deal in (good, secured, again)}
    assert executed == {
        ("capture", ids[good]): 1,
        ("capture", ids[again]): 1,
        ("refund", ids[good]): 1,
        ("cancel", ids[secured]): 1,
    }
    assert state["shape_failures"] == []
    # every event it sent reached the webhook, signed, and was processed once
    assert state["events"] and all(status == 200 for _, status in state["deliveries"])
    sent = {event_id for event_id, _ in state["events"]}
    stored = ProviderWebhookEvent.objects.filter(provider="stripe")
    assert set(stored.values_list("event_id", flat=True)) == sent
    assert not stored.filter(processed_at__isnull=True).exists()
    types = {kind for _, kind in state["events"]}
    assert {"account.updated", "payment_intent.amount_capturable_updated", "charge.refunded"} <= types
    # a forged event (no valid signature) is refused and stored nowhere
    forged = urllib.request.Request(  # noqa: S310
        f"{base}/api/v1/webhooks/payments/stripe",
        data=json.dumps({"id": "evt_forged", "type": "charge.refunded"}).encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=10)  # noqa: S310
    assert refused.value.code == 400
    assert not ProviderWebhookEvent.objects.filter(event_id="evt_forged").exists()
