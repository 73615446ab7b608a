"""Saved cards with the sandbox, through the same Stripe.js shim as Stripe: on a phone a member
saves a card on the saved-cards page (a SetupIntent the shim confirms at the sandbox's client
side), books choosing it in the payment element, and removes another card after confirming;
the saved-cards pages pass axe's WCAG 2.2 AA rules on a phone and a desktop and fit a phone."""

import re
import time
from typing import Any

from playwright.sync_api import expect

from barnraise.commerce.models import Transaction
from barnraise.ledger.models import Payment
from tests.browser.journey import MARKS, PASSWORD, Person, member, pay_with_card
from tests.browser.test_accessibility import VIEWPORTS, check, log_in
from tests.browser.test_payment_element import PHONE_TALL, choose_two_hours, room

pytestmark = MARKS


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
    choose_two_hours(page, listing)
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


def test_the_saved_cards_pages_pass_axe_and_fit_a_phone(live_server, chromium):
    member("alice@example.com", "Alice M.")
    saver = Person(chromium, live_server.url, PHONE_TALL)
    saver.log_in("alice@example.com")
    page = saver.go("/wallet/cards/")
    pay_with_card(page, "#card-form")
    page.get_by_role("button", name="Save card").click()
    expect(page.locator(".saved-card-list li")).to_have_count(1)
    remove = page.get_by_role("button", name=re.compile("Remove Visa")).get_attribute("href")
    saver.assert_no_csp_violations()
    pages = [("wallet/cards/", "/wallet/cards/"), ("wallet/cards/<str:method_id>/remove", remove)]
    problems: list[str] = []
    for name, viewport in VIEWPORTS.items():
        context: Any = chromium.new_context(viewport=viewport, bypass_csp=True, has_touch=name == "phone")
        log_in(context, live_server.url, "alice@example.com", PASSWORD)
        found, checked = check(context, live_server.url, pages, name)
        problems += found
        assert checked == 2
        context.close()
    assert not problems, "\n" + "\n".join(problems)
