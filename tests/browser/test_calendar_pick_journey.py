"""Choosing dates on the calendar, in real Chromium on a phone and a desktop.

A visitor, logged out, opens next month on a cabin's calendar (htmx), taps a check-in and a
check-out day and sees the price of those nights with the total and the cancellation policy in
words; a range across a closed day can't be picked. Then she logs in from the quote, and the
booking form holds the dates she chose.
"""

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from barnraise.catalog.services import availability_set, category_create, listing_create
from barnraise.commerce.services import booking_quote
from barnraise.money import Money
from tests.browser.journey import DESKTOP, MARKS, Person, member

pytestmark = MARKS
ZONE = ZoneInfo("America/New_York")
PHONE_812 = {"width": 375, "height": 812}


def next_month_day(day: int) -> date:
    first = timezone.now().astimezone(ZONE).date().replace(day=1)
    return (first + timedelta(days=32)).replace(day=day)


def named(day: date) -> str:
    return f"{day.day} {day:%B}"


@pytest.mark.parametrize("viewport", [PHONE_812, DESKTOP], ids=["phone", "desktop"])
def test_a_visitor_picks_two_days_sees_the_price_then_books_with_them(
    live_server: Any, chromium: Any, viewport: dict[str, int]
) -> None:
    # given a cabin at $90 a night, open every day but the 20th of next month
    host = member("ana@example.com", "Ana P.")
    member("cam@example.com", "Cam C.")
    cabins = category_create(slug="cabins", name="Cabins", kinds=["rental"])
    cabin = listing_create(
        actor=host,
        kind="rental",
        category=cabins,
        title="Cabin by the creek",
        price_amount_minor=9000,
        currency="USD",
        unit="night",
        lat=44.47,
        lng=-73.21,
        timezone="America/New_York",
        cancellation_policy="moderate",
        max_advance_days=90,
    )
    closed = datetime.combine(next_month_day(20), time(0), tzinfo=ZONE)
    availability_set(
        actor=host,
        public_id=cabin.public_id,
        weekly=[{"weekday": d, "start": time(0), "end": time(0), "seats": 1} for d in range(7)],
        exceptions=[{"start": closed, "end": closed + timedelta(days=1), "seats": 0, "note": "Repairs"}],
    )
    visitor = Person(chromium, live_server.url, viewport)
    page = visitor.go(f"/listings/{cabin.public_id}/")

    # when she, logged out, turns to next month (htmx swaps the grid) and taps check-in
    check_in, check_out = next_month_day(10), next_month_day(13)
    page.locator("#free-dates a[rel=next]").click()
    expect(page.locator(".calendar-month")).to_have_text(f"{check_in:%B %Y}")
    first = page.get_by_role("button", name=f"Choose {named(check_in)} as check-in")
    box = first.bounding_box()
    assert box is not None and box["width"] >= 24 and box["height"] >= 24
    first.click()

    # then a day past the closed 20th can't be the check-out (tapping it starts again); the
    # closed day itself can, as the night before it is free; the 13th is chosen
    beyond = next_month_day(22)
    expect(page.get_by_role("button", name=f"Choose {named(beyond)} as check-in")).to_be_enabled()
    expect(page.get_by_role("button", name=f"Choose {named(beyond)} as check-out")).to_have_count(0)
    expect(
        page.get_by_role("button", name=f"Choose {named(next_month_day(20))} as check-out")
    ).to_be_enabled()
    expect(page.locator(f'button.free-day-pick[data-date="{check_in.isoformat()}"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("button", name=f"Choose {named(check_out)} as check-out").click()

    # and the price of the three nights shows, with the total and the policy in words
    quote = page.locator("#quote")
    expect(quote.locator(".quote-total")).to_be_visible()
    text = quote.inner_text()
    assert "3 × $90.00" in text and "Service fee" in text and "Total" in text
    # (the total is what a booking of those nights is charged: the booking step's own pricing)
    charged = booking_quote(
        listing_id=cabin.public_id, params={"start": check_in.isoformat(), "end": check_out.isoformat()}
    )
    assert Money(charged.total_amount_minor, "USD").format() in quote.locator(".quote-total").inner_text()
    assert re.search(r"Cancellation:\s*\S+", text) and "refund" in text.lower()
    assert page.locator("#quote-start").input_value() == check_in.isoformat()
    assert page.locator("#quote-end").input_value() == check_out.isoformat()
    expect(page.locator("td.picked-between")).to_have_count(2)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width
    visitor.shot(f"calendar-quote-{viewport['width']}")

    # when she logs in from the quote
    quote.locator("a.quote-login", has_text="Log in to book").click()
    page.fill("input[name=login]", "cam@example.com")
    page.fill("input[name=password]", "a-long-pass-12345")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/listings/.+start="))

    # then the booking form has the dates she picked, and the price of them
    assert page.locator("#deal-start").input_value() == check_in.isoformat()
    assert page.locator("#deal-end").input_value() == check_out.isoformat()
    expect(page.locator("#deal-preview .deal-total")).to_have_text("$284.00")

    # and tapping two other days there prices them in the booking form
    page.get_by_role("button", name=f"Choose {named(next_month_day(15))} as check-in").click()
    page.get_by_role("button", name=f"Choose {named(next_month_day(17))} as check-out").click()
    expect(page.locator("#deal-preview")).to_contain_text("2 × $90.00")
    assert page.locator("#deal-end").input_value() == next_month_day(17).isoformat()
    assert not visitor.problems, visitor.problems
    visitor.assert_no_csp_violations()
