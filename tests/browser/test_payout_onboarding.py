"""A provider's payout onboarding on a phone, with the sandbox: the wallet, the sandbox's
onboarding page (the bank account left for later), the return page saying what is still
needed, then finished; and the payout schedule chosen on the wallet (issue #20)."""

from typing import Any

from tests.browser.journey import MARKS, PHONE, Person, member

pytestmark = MARKS


def fits_the_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px screen"


def big_enough(locator: Any) -> None:
    box = locator.bounding_box()
    assert box is not None and box["height"] >= 24 and box["width"] >= 24, box


def test_a_provider_onboards_through_the_return_page_on_a_phone(
    live_server: Any, chromium: Any, settings: Any
) -> None:
    # given a new provider on a phone, and the sandbox sending people back to this server
    settings.SITE_URL = live_server.url
    member("pia@example.com", "Pia Provider")
    tab = Person(chromium, live_server.url, PHONE)
    tab.log_in("pia@example.com")
    page = tab.go("/wallet/")
    # when she sets up payouts, and leaves the bank account for later at the sandbox
    page.get_by_role("button", name="Set up payouts").click()
    page.wait_for_url("**/sandbox/onboarding/**")
    fits_the_phone(page)
    later = page.get_by_role("button", name="Finish, but add the bank account later")
    big_enough(later)
    later.click()
    # then the return page says, in words, what is still needed
    page.wait_for_url("**/payouts/onboarding/*/return")
    text = tab.text()
    assert "Not finished: the sandbox needs a few more details before you can be paid." in text
    assert "The sandbox needs your bank account." in text
    assert "external_account" not in text
    fits_the_phone(page)
    tab.shot("payout-onboarding-bank-due-phone")
    # when she finishes it through the link the page offers
    finish = page.get_by_role("button", name="Finish setting up payouts")
    big_enough(finish)
    finish.click()
    page.wait_for_url("**/sandbox/onboarding/**")
    page.get_by_role("button", name="Finish onboarding", exact=True).click()
    # then she is back on the return page, all set
    page.wait_for_url("**/payouts/onboarding/*/return")
    assert "Ready: payouts go to your account at the sandbox." in tab.text()
    assert "needs your" not in tab.text()
    fits_the_phone(page)
    tab.shot("payout-onboarding-ready-phone")
    # when she goes back to the wallet and picks monthly payouts
    page.get_by_role("link", name="Back to your wallet").click()
    page.wait_for_url("**/wallet/**")
    monthly = page.get_by_label("On the first of each month")
    big_enough(page.locator("label", has=monthly))
    monthly.check()
    page.get_by_role("button", name="Save schedule").click()
    # then the wallet says it is saved and shows it chosen
    page.wait_for_url("**/wallet/**")
    assert "Your payout schedule is saved." in tab.text("body")
    assert page.get_by_label("On the first of each month").is_checked()
    fits_the_phone(page)
    tab.shot("payout-schedule-phone")
    page.reload()  # kept, not only shown
    assert page.get_by_label("On the first of each month").is_checked()
    tab.assert_no_csp_violations()
