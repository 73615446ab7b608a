"""Times on the pages: the viewer's zone (setting, browser cookie, marketplace default), the
labels, and the start times of a listing booked by the hour (GET /listings/<id>/times/)."""

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.catalog.services import availability_set, category_create, listing_create
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from barnraise.web.tests.page_testing import assert_csp_clean

HTMX = {"HX-Request": "true"}
ZONE = ZoneInfo("America/New_York")


@pytest.fixture
def tutor(make_user: Callable[..., User]) -> Listing:
    """Lessons at $40 an hour in New York, open 9:00 to 17:00 every day."""
    provider = payout_ready(make_user(email="ana@example.com", name="Ana P."))
    lessons = category_create(slug="lessons", name="Lessons", kinds=["service"])
    listing = listing_create(
        actor=provider,
        category=lessons,
        kind="service",
        unit="hour",
        title="Guitar lessons",
        price_amount_minor=4000,
        currency="USD",
        lat=40.7,
        lng=-74.0,
        timezone="America/New_York",
        max_units=3,
    )
    availability_set(
        actor=provider,
        public_id=listing.public_id,
        weekly=[{"weekday": d, "start": time(9), "end": time(17), "seats": 1} for d in range(7)],
        exceptions=[],
    )
    return listing


def a_week_on() -> date:
    return timezone.now().astimezone(ZONE).date() + timedelta(days=7)


def test_a_visitor_sees_a_days_start_times_in_the_listings_zone_labelled(
    client: Client, tutor: Listing
) -> None:
    # when a visitor asks for a day's start times
    day = a_week_on()
    response = client.get(f"/listings/{tutor.public_id}/times/", {"day": day.isoformat()}, headers=HTMX)

    # then every hour from 9:00 to 16:00 can start, each as long as the day (and the listing's
    # three hours at most) allows, in New York's time, labelled
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{day.isoformat()}T09:00" data-hours="1,2,3"' in html
    assert f'value="{day.isoformat()}T15:00" data-hours="1,2"' in html
    assert f'value="{day.isoformat()}T16:00" data-hours="1"' in html
    assert "T08:00" not in html and "T17:00" not in html
    label = datetime.combine(day, time(9), tzinfo=ZONE).tzname()
    assert f"({label})" in html and "America/New_York" in html
    assert html.count("<option") == 3
    assert_csp_clean(response)


def test_a_booked_hour_is_not_a_start_and_shortens_the_ones_before(
    client: Client, tutor: Listing, api_as: Callable[..., Any]
) -> None:
    # given a booking of 11:00 to 12:00 that day
    day = a_week_on()
    start = datetime.combine(day, time(11), tzinfo=ZONE)
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    answer = after_commit(
        lambda: api_as(name="Cam C.").call(
            "POST",
            "transactions",
            json={"listing_id": str(tutor.public_id), **window, "payment_method": TEST_CARD},
        )
    )
    assert answer.status_code == 201, answer.content

    # when a visitor asks for that day's start times
    html = client.get(
        f"/listings/{tutor.public_id}/times/", {"day": day.isoformat()}, headers=HTMX
    ).content.decode()

    # then 11:00 is gone and 10:00 can last one hour only
    assert f"{day.isoformat()}T11:00" not in html
    assert f'value="{day.isoformat()}T10:00" data-hours="1"' in html
    assert f'value="{day.isoformat()}T12:00" data-hours="1,2,3"' in html


def test_a_bad_day_is_a_sentence_and_without_htmx_the_listing_page(client: Client, tutor: Listing) -> None:
    # when the day is not a date
    answer = client.get(f"/listings/{tutor.public_id}/times/", {"day": "soon"}, headers=HTMX)
    # then 400 with a sentence
    assert answer.status_code == 400 and "Choose a day on the calendar." in answer.content.decode()
    # and without htmx the listing page, at the calendar
    answer = client.get(f"/listings/{tutor.public_id}/times/", {"day": a_week_on().isoformat()})
    assert answer.status_code == 302 and "#free-dates" in answer["Location"]


def test_the_listing_page_offers_hourly_picking(client: Client, tutor: Listing) -> None:
    html = client.get(f"/listings/{tutor.public_id}/").content.decode()
    assert "free-dates-hours" in html and 'id="pick-times"' in html and "hour-pick.js" in html
    assert f'data-times-url="/listings/{tutor.public_id}/times/"' in html


def test_a_member_sets_their_time_zone_and_the_api_refuses_an_unknown_one(
    api_as: Callable[..., Any], make_user: Callable[..., User]
) -> None:
    api = api_as(name="Bo")

    def patch(body: dict[str, str]) -> Any:
        return api.call("PATCH", "me", json=body)

    # when a member sets a zone
    answer = patch({"time_zone": "Europe/Paris"})
    # then it is theirs
    assert answer.status_code == 200 and answer.json()["time_zone"] == "Europe/Paris"
    # when they send one that is not a zone
    answer = patch({"time_zone": "Mars/Olympus"})
    # then 400 with a stable code naming the field, and nothing changed
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "unknown_time_zone"
    assert "time_zone" in answer.json()["error"]["details"]
    assert api.call("GET", "me").json()["time_zone"] == "Europe/Paris"
    # and an empty one follows the browser again
    assert patch({"time_zone": ""}).json()["time_zone"] == ""


def test_the_settings_form_saves_the_zone_and_pages_show_times_in_it(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = make_user(email="di@example.com", name="Di")
    client.force_login(user)
    # when the member chooses Tokyo in their settings
    answer = client.post(
        "/account/profile/", {"name": "Di", "bio": "", "location": "", "time_zone": "Asia/Tokyo"}
    )
    assert answer.status_code == 302, answer.content
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"
    # then the settings page says so and keeps it chosen
    html = client.get("/account/").content.decode()
    assert "Times are shown in Asia/Tokyo now." in html
    assert '<option value="Asia/Tokyo" selected>' in html
    # and a zone that is not one is refused on the form
    answer = client.post("/account/profile/", {"name": "Di", "time_zone": "Nowhere/Land"})
    assert answer.status_code == 422


@override_settings(MARKETPLACE_TIME_ZONE="Europe/Berlin")
def test_without_a_setting_the_browser_zone_then_the_marketplaces(
    client: Client, make_user: Callable[..., User]
) -> None:
    client.force_login(make_user(email="ed@example.com", name="Ed"))
    # with nothing said: the marketplace's
    assert "Times are shown in Europe/Berlin now." in client.get("/account/").content.decode()
    # the browser's, once its script set the cookie
    client.cookies["tz"] = "America/Chicago"
    assert "Times are shown in America/Chicago now." in client.get("/account/").content.decode()
    # a cookie that names no zone is ignored
    client.cookies["tz"] = "<script>"
    assert "Times are shown in Europe/Berlin now." in client.get("/account/").content.decode()


def test_a_booking_shows_in_the_places_zone_and_its_timeline_in_the_viewers(
    tutor: Listing, make_user: Callable[..., User]
) -> None:
    # given a customer who reads times in Tokyo, booking 10:00 to 12:00 in New York
    customer = make_user(email="yu@example.com", name="Yu")
    customer.time_zone = "Asia/Tokyo"
    customer.save(update_fields=["time_zone"])
    cam = Client()
    cam.force_login(customer)
    day = a_week_on()
    window = {"start": f"{day}T10:00", "end": f"{day}T12:00", "seats": "1", "message": "Hello!"}
    answer = after_commit(
        lambda: cam.post(f"/listings/{tutor.public_id}/deal/", {**window, "payment_method": TEST_CARD})
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]

    # when they open the deal
    html = cam.get(answer["Location"]).content.decode()

    # then the booking is in New York's time, labelled; the timeline in Tokyo's
    start = datetime.combine(day, time(10), tzinfo=ZONE)
    new_york = start.tzname()
    assert f"{start:%a} {day.day} {start:%b}" in html
    assert f"10:00–12:00 {new_york}" in html
    assert re.search(r'<ol class="timeline">.*? \d\d:\d\d JST</time>', html, re.S)
    assert "America/New_York" in html


def test_the_filters_emails_use_label_every_time(make_user: Callable[..., User]) -> None:
    from django.template import Context, Template

    # given a member who reads times in Dubai (a zone named by its offset only) and a window
    # across midnight in Paris, rendered as an email would, with no request
    member = make_user(email="fa@example.com", name="Fa")
    member.time_zone = "Asia/Dubai"
    at = datetime(2031, 3, 4, 22, 30, tzinfo=ZoneInfo("UTC"))
    window = type("Window", (), {"start": at, "end": at + timedelta(hours=3), "timezone": "Europe/Paris"})()
    text = Template(
        "{% load moments %}{{ at|viewer_time:member }}|{{ window|place_span }}|{{ at|place_date:'Europe/Paris' }}"
    ).render(Context({"at": at, "member": member, "window": window}))

    # then the member's time carries the city's name, the window both days and one label
    assert (
        text
        == "Wed 5 Mar 2031, 02:30 Dubai time|Tue 4 Mar 2031, 23:30 – Wed 5 Mar 2031, 02:30 CET|Tue 4 Mar 2031"
    )


@override_settings(MARKETPLACE_TIME_ZONE="Europe/Berlin")
def test_a_viewers_time_is_marked_for_the_browser_and_a_places_is_not(
    tutor: Listing, make_user: Callable[..., User]
) -> None:
    # given a visitor's first deal page: no setting, no cookie yet (the marketplace's zone)
    customer = make_user(email="vi@example.com", name="Vi")
    visitor = Client()
    visitor.force_login(customer)
    day = a_week_on()
    window = {"start": f"{day}T10:00", "end": f"{day}T12:00", "seats": "1", "message": "Hello!"}
    answer = after_commit(
        lambda: visitor.post(f"/listings/{tutor.public_id}/deal/", {**window, "payment_method": TEST_CARD})
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    response = visitor.get(answer["Location"])
    html = response.content.decode()

    # then each time of the timeline is a <time> the script may rewrite, its instant in UTC, its
    # text in Berlin's time, labelled
    marked = re.findall(r'<time datetime="([^"]+)" data-viewer="time">([^<]+)</time>', html)
    assert marked, html
    for instant, text in marked:
        at = datetime.fromisoformat(instant)
        assert instant.endswith("Z") and at.tzinfo is not None
        local = at.astimezone(ZoneInfo("Europe/Berlin"))
        assert text.endswith(f", {local:%H:%M} {local.tzname()}"), text
    # and the booking's window (the place's) is not marked
    start = datetime.combine(day, time(10), tzinfo=ZONE)
    assert f"10:00–12:00 {start.tzname()}</time>" in html
    assert not re.search(r'data-viewer="[a-z]+">[^<]*10:00–12:00', html)
    # and the page tells the script the zone it used, that it was not chosen, and the names
    assert 'data-zone="Europe/Berlin"' in html and "data-zone-chosen" not in html
    assert 'data-days="Mon|Tue|Wed|Thu|Fri|Sat|Sun"' in html
    assert 'data-months="Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"' in html
    assert 'data-city="{city} time"' in html and "zone-labels.js" in html
    assert_csp_clean(response)

    # when the member chooses a zone, the page says so (the script then leaves times alone)
    customer.time_zone = "Asia/Tokyo"
    customer.save(update_fields=["time_zone"])
    html = visitor.get(answer["Location"]).content.decode()
    assert 'data-zone="Asia/Tokyo" data-zone-chosen' in html


def test_an_email_gets_the_time_as_text() -> None:
    from django.template import Context, Template

    at = datetime(2031, 3, 4, 22, 30, tzinfo=ZoneInfo("UTC"))
    template = "{% load moments %}{{ at|viewer_time }}|{{ at|viewer_time:'Asia/Tokyo' }}"
    # a text body (autoescape off) and any email naming its recipient: plain text
    text = Template("{% autoescape off %}" + template + "{% endautoescape %}").render(Context({"at": at}))
    assert text == "Tue 4 Mar 2031, 22:30 UTC|Wed 5 Mar 2031, 07:30 JST"
    # a page: markup around the same text
    html = Template(template).render(Context({"at": at}))
    assert html == (
        '<time datetime="2031-03-04T22:30:00Z" data-viewer="time">Tue 4 Mar 2031, 22:30 UTC</time>'
        "|Wed 5 Mar 2031, 07:30 JST"
    )


def test_the_browsers_zone_labels_are_the_zone_databases() -> None:
    from barnraise.web import zone_labels

    # the file the script reads is what this zone database says (regenerate it when it changes)
    assert zone_labels.FILE.read_text(encoding="utf-8") == zone_labels.script()
    labels = zone_labels.labels()
    assert labels["America/New_York"] == {-300: "EST", -240: "EDT"}
    assert labels["Asia/Tokyo"] == {540: "JST"}
    assert "Asia/Dubai" not in labels  # "+04": labelled by its city, as on the server
