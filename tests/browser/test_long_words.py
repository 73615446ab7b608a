"""On a phone: long words wrap (a long email address must not widen the deal page), and "List something" is in reach."""

from typing import Any

from django.utils import timezone

from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.commerce.services import transaction_create
from tests.browser.journey import MARKS, Person, member

pytestmark = MARKS

# 60 characters, no place to break but the dots.
LONG_EMAIL = ("pat.provider.with.a.rather.long.mailbox." + "x" * 20)[:48] + "@example.com"


def test_a_long_email_on_the_deal_page_wraps_at_375_px(live_server: Any, chromium: Any) -> None:
    # given an accepted inquiry whose provider has a 60-character email address
    assert len(LONG_EMAIL) == 60
    provider = member(LONG_EMAIL, "Pat Provider")
    customer = member("cam@example.com", "Cam Customer")
    ads = category_create(slug="ads", name="Classifieds", kinds=["sale"], processes=["inquiry"])
    table = listing_create(
        actor=provider,
        kind="sale",
        category=ads,
        title="Oak table",
        unit="item",
        stock=1,
        price_amount_minor=4000,
        currency="EUR",
        lat=50.85,
        lng=4.35,
    )
    deal = transaction_create(
        actor=customer, listing_id=table.public_id, params={"message": "Still there?"}
    ).tx
    # contact details shown, as accepting a deal does (commerce's tests cover that transition)
    Transaction.objects.filter(pk=deal.pk).update(contact_revealed_at=timezone.now())
    tab = Person(chromium, live_server.url, {"width": 375, "height": 812})
    tab.log_in("cam@example.com")
    # when the customer opens the deal on a phone
    page = tab.go(f"/transactions/{deal.pk}/")
    # then the address is on the page and the page is no wider than the screen
    assert LONG_EMAIL in tab.text()
    width = page.evaluate("document.documentElement.scrollWidth")
    tab.shot("long-email-phone")
    assert width <= 375, f"the deal page is {width} px wide on a 375 px screen"
    tab.assert_no_csp_violations()


def test_list_something_and_the_deals_badge_are_reachable_on_a_phone(live_server: Any, chromium: Any) -> None:
    member("pat@example.com", "Pat Provider")
    tab = Person(chromium, live_server.url, {"width": 375, "height": 812})
    tab.log_in("pat@example.com")
    page = tab.go("/")
    page.locator(".account-menu summary").click()
    link = page.locator(".account-menu .menu-new a")
    assert link.is_visible() and link.inner_text() == "List something"
    link.click()
    page.wait_for_url("**/list/")
    tab.assert_no_csp_violations()
