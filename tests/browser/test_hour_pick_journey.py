"""Booking by the hour, in real Chromium on a phone and a desktop.

A visitor, logged out, taps a day on a tutor's calendar, chooses a start time and a length
among that day's free ones (in the listing's zone, labelled) and sees the price; then she logs
in from the quote, books with a card, and the deal page shows the hours in the listing's zone.
"""

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from barnraise.catalog.services import availability_set, category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.conftest import payout_ready
from tests.browser.journey import DESKTOP, MARKS, PHONE, Person, member, pay_with_card

pytestmark = MARKS
ZONE = ZoneInfo("America/New_York")


def next_month_day(day: int) -> date:
    first = timezone.now().astimezone(ZONE).date().replace(day=1)
    return (first + timedelta(days=32)).replace(day=day)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_visitor_picks_a_day_a_start_and_a_length_sees_the_price_and_books(
    live_server: Any, chromium: Any, viewport: dict[str, int]
) -> None:
    # given guitar lessons at $40 an hour in New York, 9:00 to 17:00 every day, 3 hours at most
    ana = payout_ready(member("ana@example.com", "Ana P."))
    member("cam@example.com", "Cam C.")
    lessons = category_create(slug="lessons", name="Lessons", kinds=["service"])
    tutor = listing_create(
        actor=ana,
        kind="service",
        category=lessons,
        title="Guitar lessons",
        price_amount_minor=4000,
        currency="USD",
        unit="hour",
        lat=40.7,
        lng=-74.0,
        timezone="America/New_York",
        max_units=3,
        max_advance_days=90,
    )
    availability_set(
        actor=ana,
        public_id=tutor.public_id,
        weekly=[{"weekday": d, "start": time(9), "end": time(17), "seats": 1} for d in range(7)],
        exceptions=[],
    )
    visitor = Person(chromium, live_server.url, viewport)
    page = visitor.go(f"/listings/{tutor.public_id}/")

    # when she, logged out, turns to next month and taps the 10th
    day = next_month_day(10)
    page.locator("#free-dates a[rel=next]").click()
    expect(page.locator(".calendar-month")).to_have_text(f"{day:%B %Y}")
    button = page.get_by_role("button", name=f"Choose {day.day} {day:%B}, then a start time")
    box = button.bounding_box()
    assert box is not None and box["width"] >= 24 and box["height"] >= 24
    button.click()

    # then that day's start times show, in New York's time and labelled; 16:00 lasts an hour
    label = datetime.combine(day, time(9), tzinfo=ZONE).tzname()
    times = page.locator("#pick-times")
    expect(times.locator("legend")).to_contain_text(f"({label})")
    expect(times.get_by_role("radio")).to_have_count(8)
    times.get_by_role("radio", name="16:00").check()
    expect(times.get_by_role("combobox", name="How long").locator("option:not([disabled])")).to_have_count(1)

    # when she chooses 14:00 for two hours
    times.get_by_role("radio", name="14:00").check()
    times.get_by_role("combobox", name="How long").select_option("2")

    # then the form holds that window and the price of two hours shows
    expect(page.locator("#quote-start")).to_have_value(f"{day.isoformat()}T14:00")
    expect(page.locator("#quote-end")).to_have_value(f"{day.isoformat()}T16:00")
    quote = page.locator("#quote")
    expect(quote).to_contain_text("2 × $40.00")
    expect(quote.locator(".quote-total")).to_be_visible()
    expect(times.locator(".pick-summary")).to_contain_text(f"14:00 {label}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width
    visitor.shot(f"hour-pick-{viewport['width']}")

    # when she logs in from the quote and books with a card
    quote.locator("a.quote-login", has_text="Log in to book").click()
    page.fill("input[name=login]", "cam@example.com")
    page.fill("input[name=password]", "a-long-pass-12345")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/listings/.+start="))
    expect(page.locator("#deal-start")).to_have_value(f"{day.isoformat()}T14:00")
    expect(page.locator("#deal-preview")).to_contain_text("2 × $40.00")
    pay_with_card(page)
    # the card's last field is left first and the price preview it asks for has settled, as the
    # payment journeys do: a preview landing between the press and the release of the button
    # can move it, and the click then lands beside it
    page.keyboard.press("Tab")
    page.wait_for_load_state("networkidle")
    # (on a phone with the sticky bar at the bottom of the screen, as the payment tests do)
    page.locator("[data-pay-bar] button" if viewport is PHONE else "button[value=create]").click()
    page.wait_for_url(re.compile(r"/transactions/"))

    # then the deal shows the hours in New York's time, labelled
    expect(page.locator("main")).to_contain_text(f"14:00–16:00 {label}")
    # (and the booking holds those two hours of New York's day)
    deal = Transaction.objects.get(listing=tutor)
    assert deal.start == datetime.combine(day, time(14), tzinfo=ZONE)
    assert deal.end == datetime.combine(day, time(16), tzinfo=ZONE)
    assert not visitor.problems, visitor.problems
    visitor.assert_no_csp_violations()
