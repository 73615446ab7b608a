"""Listing every kind through the listing wizard, in real Chromium against a live server.

The room (a rental) is listed in test_journeys.py; here a member lists a bike for sale on a
phone, then a tutoring service with its weekly hours and a request on a desktop, each with a
photo and its category's details. The journey ends on the pages a visitor sees: the details,
the photos, and for the service its calendar of free dates, closed at the weekend.
"""

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from barnraise.catalog.models import Listing
from barnraise.demo.seed import seed_categories
from tests.browser.journey import DESKTOP, MARKS, PHONE, Person, add_photo, list_in_wizard, member

ZONE = ZoneInfo("America/New_York")

pytestmark = MARKS


def test_a_member_lists_a_sale_on_a_phone_then_a_service_with_its_hours_and_a_request(
    live_server: Any, chromium: Any
) -> None:
    seed_categories()
    member("cleo@example.com", "Cleo R.")
    cleo = Person(chromium, live_server.url, PHONE)
    cleo.log_in("cleo@example.com")
    page = cleo.page

    # when, on a phone, she lists a bike for sale through the wizard (its photo steps have their
    # own journeys: test_wizard_journeys.py)
    bike_id = list_in_wizard(
        cleo,
        "sale",
        "bikes",
        title="Steel touring bike, 56 cm",
        description="Serviced in May. New chain and tyres.",
        details=(("[name=attr_frame_size]", "L"), ("[name=attr_condition]", "good")),
        price="320",
        rules=(("[name=stock]", "1"),),
    )
    cleo.shot("13-sale-listed-phone")
    add_photo(cleo, bike_id, "The touring bike against a red wall", 40)

    # and, on a desktop, a tutoring service by the hour, open 9 to 5 on weekdays only
    page.set_viewport_size(DESKTOP)
    tutoring_id = list_in_wizard(
        cleo,
        "service",
        "tutoring",
        title="Physics and maths tutoring",
        description="High school and first-year university.",
        details=(("[name=attr_subject]", "physics"),),
        price="35",
        unit="hour",
    )
    add_photo(cleo, tutoring_id, "A blackboard with equations", 120)
    page = cleo.go(f"/listings/{tutoring_id}/")
    page.locator(".author-bar").get_by_role("button", name="Availability", exact=True).click()
    page.wait_for_url(re.compile(r"/steps/availability/$"))
    rows = page.locator("#availability-form .plan-row:not(.plan-row-exception)")
    # (the wizard starts a service on weekdays, nine to five: she adds a row, then takes it out)
    expect(rows).to_have_count(5)
    page.get_by_role("button", name="Add hours").click()
    expect(rows).to_have_count(6)
    rows.nth(5).get_by_role("button", name="Remove").click()
    expect(rows).to_have_count(5)
    for n in range(5):
        rows.nth(n).locator("[name=w_start]").fill("09:00")
        rows.nth(n).locator("[name=w_end]").fill("17:00")
    page.locator("button[name=action][value=save]").click()
    page.wait_for_url(re.compile(r"/listings/[0-9a-f-]{36}/edit/$"))

    # and a request for help moving a sofa, with a photo of it
    request_id = list_in_wizard(
        cleo,
        "request",
        "moving",
        title="Two people to carry a sofa upstairs",
        description="Third floor, no lift. Saturday morning.",
        price="60",
    )
    add_photo(cleo, request_id, "The green sofa in the hallway", 200)

    # then all three are live with what she entered
    listings = {
        listing.title: listing for listing in Listing.objects.filter(author__email="cleo@example.com")
    }
    assert {(x.kind, x.status) for x in listings.values()} == {
        ("sale", "published"),
        ("service", "published"),
        ("request", "published"),
    }
    assert listings["Steel touring bike, 56 cm"].attributes == {"frame_size": "L", "condition": "good"}
    assert listings["Physics and maths tutoring"].weekly_slots.count() == 5

    # and a visitor on a phone sees the bike with its details and photo
    visitor = Person(chromium, live_server.url, PHONE)
    page = visitor.go(f"/listings/{bike_id}/")
    details = visitor.text(".details")
    assert re.search(r"Frame size\s+L", details, re.I) and re.search(r"Condition\s+good", details, re.I), (
        details
    )
    assert page.get_by_alt_text("The touring bike against a red wall").first.is_visible()
    assert "$320.00" in visitor.text(".listing-price")
    visitor.shot("14-sale-listing-phone")

    # and, on a desktop, the tutoring with its hours and a calendar closed at the weekend
    page.set_viewport_size(DESKTOP)
    page = visitor.go(f"/listings/{tutoring_id}/")
    assert "09:00–17:00" in visitor.text("#week-title + dl")
    assert "Saturday" not in visitor.text("#week-title + dl")
    days = {
        cell.get_attribute("data-date"): cell.get_attribute("data-state")
        for cell in page.locator("#free-dates td[data-date]").all()
    }
    today = datetime.now(ZONE).date()
    coming = [today + timedelta(days=n) for n in range(1, 8)]
    coming = [day for day in coming if f"{day}" in days]  # this month's part of next week
    assert all(days[f"{day}"] == ("closed" if day.weekday() >= 5 else "free") for day in coming), days
    assert page.get_by_alt_text("A blackboard with equations").first.is_visible()
    visitor.shot("15-service-listing")

    # and the request with its photo, the way to offer help, and no calendar
    page = visitor.go(f"/listings/{request_id}/")
    assert page.get_by_role("heading", name="Two people to carry a sofa upstairs").is_visible()
    assert page.get_by_alt_text("The green sofa in the hallway").first.is_visible()
    assert page.locator("#free-dates").count() == 0
    visitor.shot("16-request-listing")
    for person in (cleo, visitor):
        person.assert_no_csp_violations()
