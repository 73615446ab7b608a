"""A visitor's very first page shows times in their own zone (issue #19, "Time zones").

The server learns a browser's zone from the `tz` cookie its script sets, after the first page
is answered; that page's viewer-zone times are rewritten by web/static/web/time-zone.js into
the browser's zone, in the site's format and labels. A place-bound time (the booking, in the
listing's zone) is left as it is, and so is a zone the member chose.
"""

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.catalog.services import availability_set, category_create, listing_create
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from tests.browser.journey import DESKTOP, MARKS, PHONE, member

pytestmark = MARKS
PLACE = ZoneInfo("America/New_York")
BROWSER = "Asia/Tokyo"


def tutor() -> Listing:
    ana = payout_ready(member("ana@example.com", "Ana P."))
    lessons = category_create(slug="lessons", name="Lessons", kinds=["service"])
    listing = listing_create(
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
    )
    availability_set(
        actor=ana,
        public_id=listing.public_id,
        weekly=[{"weekday": d, "start": time(9), "end": time(17), "seats": 1} for d in range(7)],
        exceptions=[],
    )
    return listing


def booked(listing: Listing, customer: User, day: date) -> tuple[Client, str]:
    """A deal for 10:00 to 12:00 New York time, and the customer's signed-in client."""
    client = Client()
    client.force_login(customer)
    window = {"start": f"{day}T10:00", "end": f"{day}T12:00", "seats": "1", "message": "Hello!"}
    answer = after_commit(
        lambda: client.post(f"/listings/{listing.public_id}/deal/", {**window, "payment_method": TEST_CARD})
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    return client, answer["Location"]


def first_page(chromium: Any, base: str, client: Client, path: str, viewport: dict[str, int]) -> Any:
    """The member's browser in Tokyo, signed in (the session the client has), with no `tz`
    cookie yet, opening `path` as its first page."""
    context = chromium.new_context(viewport=viewport, timezone_id=BROWSER)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}{path}")
    page.problems = problems
    return page


def tokyo_texts(html_instants: list[str]) -> list[str]:
    """What the site's format gives for those instants in Tokyo (moments.format_time)."""
    zone = ZoneInfo(BROWSER)
    this_year = timezone.now().astimezone(zone).year
    texts = []
    for instant in html_instants:
        local = datetime.fromisoformat(instant).astimezone(zone)
        day = f"{local:%a} {local.day} {local:%b}" + ("" if local.year == this_year else f" {local.year}")
        texts.append(f"{day}, {local:%H:%M} JST")
    return texts


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_first_page_shows_the_viewers_times_in_the_browsers_zone(
    live_server: Any, chromium: Any, settings: Any, viewport: dict[str, int]
) -> None:
    # given a marketplace in Berlin, a booking of 10:00 to 12:00 in New York, and its customer,
    # who chose no zone and whose browser is in Tokyo
    settings.MARKETPLACE_TIME_ZONE = "Europe/Berlin"
    listing = tutor()
    cam = member("cam@example.com", "Cam C.")
    day = timezone.now().astimezone(PLACE).date() + timedelta(days=7)
    client, path = booked(listing, cam, day)

    # when the deal page is the first page the browser opens
    page = first_page(chromium, live_server.url, client, path, viewport)

    # then the timeline's times are in Tokyo's time, labelled JST, in the site's format
    times = page.locator(".timeline time[data-viewer]")
    expect(times.first).to_contain_text("JST")
    instants = times.evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert instants
    expect(times).to_have_text(tokyo_texts(instants))
    # (the server wrote them in Berlin's, which the browser replaced)
    assert "CET" in client.get(path).content.decode() or "CEST" in client.get(path).content.decode()
    # and the booking stays in New York's time, labelled
    label = datetime.combine(day, time(10), tzinfo=PLACE).tzname()
    expect(page.locator("main")).to_contain_text(f"10:00–12:00 {label}")
    # and the cookie now tells the server, whose next page is in Tokyo's time too
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("tz") == BROWSER
    page.reload()
    expect(page.locator(".timeline time[data-viewer]")).to_have_text(tokyo_texts(instants))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width
    assert not page.problems, page.problems


def test_a_zone_the_member_chose_is_left_alone_and_htmx_content_is_rewritten(
    live_server: Any, chromium: Any, settings: Any
) -> None:
    settings.MARKETPLACE_TIME_ZONE = "Europe/Berlin"
    listing = tutor()
    cam = member("cam@example.com", "Cam C.")
    day = timezone.now().astimezone(PLACE).date() + timedelta(days=7)
    client, path = booked(listing, cam, day)

    # given a member who chose Paris, on a browser in Tokyo: the page stays in Paris's time
    cam.time_zone = "Europe/Paris"
    cam.save(update_fields=["time_zone"])
    page = first_page(chromium, live_server.url, client, path, PHONE)
    times = page.locator(".timeline time[data-viewer]")
    expect(times.first).to_have_text(re.compile(r", \d\d:\d\d CES?T$"))

    # when they choose nothing again and a fragment is swapped in by htmx (a time rendered in
    # the marketplace's zone, as a first page's fragments are)
    cam.time_zone = ""
    cam.save(update_fields=["time_zone"])
    page.context.clear_cookies(name="tz")
    page.reload()
    expect(times.first).to_contain_text("JST")
    page.evaluate(
        """() => {
            const host = document.createElement("div");
            host.id = "swapped";
            host.innerHTML = '<time datetime="2031-03-04T22:30:00Z" data-viewer="time">Tue 4 Mar 2031, 23:30 CET</time>';
            document.querySelector("main").appendChild(host);
            htmx.trigger(host, "htmx:afterSwap");
        }"""
    )
    # then it is in the browser's zone too
    expect(page.locator("#swapped time")).to_have_text("Wed 5 Mar 2031, 07:30 JST")
    assert not page.problems, page.problems
