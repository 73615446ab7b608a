"""A booking further out than the payment provider's authorization window (booking v3 and later), in the
browser, on a phone and on a desktop, with the sandbox and with PAYMENT_PROVIDER=stripe against
the fake Stripe API (`stripe_fake`, see test_stripe_journey.py; its window is Stripe's 7 days):

- a customer books a room 20 days ahead with a new card: before she pays, the price says when
  the card will be charged; the payment element saves the card (a SetupIntent, off-session) and
  the booking opens holding nothing; her deal says when it is charged, planned in its timeline;
- the host accepts, the deal waits to charge; when the clock reaches the charge date the timer
  authorizes the saved card off-session, the money is captured and the deal is accepted;
- she books again with a card whose bank wants her for every payment (4000 0027 6000 3184): saved
  without a challenge, refused off-session when due; she is told (a notification and an email),
  follows the link to the deal, confirms the payment there with 3-D Secure in the modal, and
  the deal goes on.
"""

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.conftest import payout_ready
from barnraise.ledger.models import Payment, ProviderCall, ProviderOperation
from barnraise.ledger.payouts import payout_account_fetch, payout_account_open
from barnraise.notifications.models import Notification, OutgoingEmail
from barnraise.timers import services as timers
from tests.browser.conftest import Fake
from tests.browser.journey import DESKTOP, MARKS, PHONE, Person, member, pay_with_card

pytestmark = MARKS

AHEAD = 20  # days: beyond the sandbox's 7-day window; charged 6 days before check-in
ALWAYS_AUTHENTICATES = "4000 0027 6000 3184"
STATE_CODES = ("payment_action_needed", "payment_pending", "scheduled", "request_ahead", "accept_ahead")


def garden_room(host: Any) -> Any:
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    return listing_create(
        actor=host, category=rooms, kind="rental", unit="night", title="Garden room",
        price_amount_minor=4000, currency="EUR", lat=50.85, lng=4.35, timezone="Europe/Brussels",
        address="Secret St 1",
    )  # fmt: skip


def choose_nights(page: Any, first: int) -> None:
    day = timezone.localdate() + timedelta(days=first)
    page.fill("#deal-start", day.isoformat())
    page.fill("#deal-end", (day + timedelta(days=2)).isoformat())
    page.locator("#deal-end").blur()


def pay(page: Any, viewport: dict[str, int]) -> None:
    page.keyboard.press("Tab")  # the card's last field is left: the price preview settles first
    page.wait_for_load_state("networkidle")
    if viewport["width"] < 768:
        page.locator("[data-pay-bar] button").click()
    else:
        page.locator(".deal-actions button[value=create]").click()


def authenticate(page: Any, complete: str) -> None:
    """Answer the bank's page in the 3-D Secure modal. The modal opens with an animation, and a
    click inside its frame is aimed by the frame's own layout: once the dialog's own Cancel
    button stands still (a trial click waits for that), the frame's button is where it seems."""
    dialog = page.locator("dialog.stripe-shim-challenge")
    dialog.get_by_role("button", name="Cancel").click(trial=True)
    page.frame_locator("dialog.stripe-shim-challenge iframe").get_by_role(
        "button", name=complete, exact=True
    ).click()


def opened(page: Any) -> str:
    page.wait_for_url(re.compile(r"/transactions/[0-9a-f-]{36}/"))
    found = re.search(r"/transactions/([0-9a-f-]{36})/", page.url)
    assert found
    return found.group(1)


def due_of(tx_id: str) -> Any:
    tx = Transaction.objects.get(pk=tx_id)
    assert tx.start is not None
    return tx.start - timedelta(days=6)


def sweep_at(moment: Any) -> None:
    """The worker's timer sweep, run with the clock at `moment` (the provider calls it makes
    run on commit, as the worker runs them)."""
    with time_machine.travel(moment, tick=False):
        timers.sweep()


def in_words(text: str) -> None:
    assert not any(code in text for code in STATE_CODES), text


def fits(person: Person) -> None:
    width = person.page.evaluate("document.documentElement.scrollWidth")
    wide = person.page.evaluate(
        "w => Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > w)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)",
        person.page.viewport_size["width"] + 1,
    )
    assert width <= person.page.viewport_size["width"], (person.page.url, width, wide)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_far_ahead_booking_saves_a_new_card_and_charges_it_nearer_the_date(
    live_server: Any, chromium: Any, viewport: dict[str, int]
) -> None:
    host = payout_ready(member("pat@example.com", "Pat Provider"))
    journey(live_server, chromium, viewport, garden_room(host), card_prefix="sbx_pm_", complete="Complete")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_same_against_the_fake_stripe_api(
    live_server: Any, chromium: Any, stripe_fake: Fake, viewport: dict[str, int]
) -> None:
    host = member("pat@example.com", "Pat Provider")
    account = payout_account_open(actor=host)
    stripe_fake.onboard(account.external_id)
    assert payout_account_fetch(actor=host).ready
    journey(
        live_server,
        chromium,
        viewport,
        garden_room(host),
        card_prefix="pm_",
        complete="Complete authentication",
        setup_challenge=True,
    )
    # the fake authorized the saved cards off-session: one held, one refused for authentication
    assert stripe_fake.delivered()["shape_failures"] == []


def journey(
    live_server: Any,
    chromium: Any,
    viewport: dict[str, int],
    room: Any,
    *,
    card_prefix: str,
    complete: str,
    setup_challenge: bool = False,
) -> None:
    member("alice@example.com", "Alice M.")
    alice = Person(chromium, live_server.url, viewport, touch=viewport["width"] < 768)
    alice.log_in("alice@example.com")
    pat = Person(chromium, live_server.url, viewport)
    pat.log_in("pat@example.com")

    # when she picks two nights 20 days ahead
    page = alice.go(f"/listings/{room.public_id}/")
    choose_nights(page, AHEAD)
    # then before she pays the page says when her card will be charged, in words
    said = page.locator("#deal-preview [data-pay-ahead]")
    expect(said).to_contain_text("Your card will be charged on ")
    expect(said).to_contain_text("6 days before check-in; we'll save it for that.")
    fits(alice)
    alice.shot(f"far-ahead-preview-{viewport['width']}")

    # when she pays with a new card
    pay_with_card(page)
    pay(page, viewport)
    first = opened(page)
    # then the booking is asked for on the current booking version (v4) with the card saved, nothing held
    tx = Transaction.objects.get(pk=first)
    assert (tx.process_version, tx.state) == (4, "requested")
    payment = Payment.objects.get(reference=f"transaction:{first}")
    assert payment.status == "scheduled" and payment.payment_method.startswith(card_prefix)
    assert payment.authorization_id == ""
    assert not ProviderCall.objects.filter(operation__startswith="authorize").exists()
    # and her deal says when it is charged, and shows it planned in the timeline
    expect(page.locator(".deal-charge")).to_contain_text("6 days before check-in; we've saved it for that.")
    expect(page.locator(".timeline")).to_contain_text("Planned: the saved card is charged for the booking")
    in_words(alice.text())
    fits(alice)
    alice.shot(f"far-ahead-requested-{viewport['width']}")

    # when the host accepts
    host_page = pat.go(f"/transactions/{first}/")
    expect(host_page.locator(".deal-charge")).to_contain_text("The customer's saved card will be charged on")
    host_page.get_by_role("button", name="Accept", exact=True).click()
    # then the deal is booked, waiting to charge the card: no contact details yet
    expect(host_page.locator(".page-head")).to_contain_text("Booked: paid nearer the date")
    page = alice.go(f"/transactions/{first}/")
    expect(page.locator(".page-head")).to_contain_text("Booked: paid nearer the date")
    assert "Secret St 1" not in alice.text()

    # when the clock is a little short of the charge date, nothing is charged
    sweep_at(due_of(first) - timedelta(hours=1))
    assert Transaction.objects.get(pk=first).state == "scheduled"
    # when it reaches it, the saved card is authorized off-session and captured
    sweep_at(due_of(first) + timedelta(minutes=1))
    call = ProviderCall.objects.get(operation=ProviderOperation.AUTHORIZE_SAVED)
    assert call.status == "succeeded" and call.payload["method_id"] == payment.payment_method
    assert Payment.objects.get(pk=payment.pk).status == "captured"
    page = alice.go(f"/transactions/{first}/")
    expect(page.locator(".page-head")).to_contain_text("Accepted")
    assert "Secret St 1" in alice.text() and page.locator(".deal-charge").count() == 0
    in_words(alice.text())

    # -- a card whose bank wants her for every payment, saved on the page for a later stay
    page = alice.go(f"/listings/{room.public_id}/")
    choose_nights(page, AHEAD + 5)
    expect(page.locator("#deal-preview [data-pay-ahead]")).to_contain_text("we'll save it for that")
    page.get_by_label("A new card").check()
    pay_with_card(page, card=ALWAYS_AUTHENTICATES)
    pay(page, viewport)
    if setup_challenge:  # Stripe's test card asks for 3-D Secure when it is saved too
        authenticate(page, complete)
    second = opened(page)
    assert Payment.objects.get(reference=f"transaction:{second}").status == "scheduled"
    host_page = pat.go(f"/transactions/{second}/")
    host_page.get_by_role("button", name="Accept", exact=True).click()
    expect(host_page.locator(".page-head")).to_contain_text("Booked: paid nearer the date")

    # when it is due, the bank refuses the payment without her
    sweep_at(due_of(second) + timedelta(minutes=1))
    assert Transaction.objects.get(pk=second).state == "payment_action_needed"
    # then she is told, by a notification and an email, in words
    email = OutgoingEmail.objects.get(to="alice@example.com", subject__contains="Confirm your payment")
    assert f"/transactions/{second}/" in email.text_body and email.html_body
    in_words(email.subject + email.text_body)
    page = alice.go("/notifications/")
    link = page.get_by_role("link", name=re.compile("Confirm your payment for “Garden room”"))
    link.click()
    page.wait_for_url(f"**/transactions/{second}/")
    head = alice.text(".page-head")
    assert "Waiting for the customer to confirm the payment" in head
    in_words(alice.text())
    fits(alice)
    alice.shot(f"far-ahead-confirm-{viewport['width']}")

    # when she confirms the payment with the saved card, completing 3-D Secure in the modal
    step = page.locator("form.step-form", has=page.locator("input[name=name][value=confirm_payment]"))
    expect(step.get_by_label(re.compile("Visa ending 3184"))).to_be_checked()
    if viewport["width"] < 768:
        step.locator("[data-pay-bar] button").click()
    else:
        step.get_by_role("button", name="Confirm the payment").click()
    authenticate(page, complete)
    # then the money is held and captured, and the deal goes on
    expect(page.locator(".page-head")).to_contain_text("Accepted")
    assert Payment.objects.get(reference=f"transaction:{second}").status == "captured"
    assert "Secret St 1" in alice.text()
    in_words(alice.text())
    assert Notification.objects.filter(recipient__email="alice@example.com").exists()
    alice.assert_no_csp_violations()
    pat.assert_no_csp_violations()
