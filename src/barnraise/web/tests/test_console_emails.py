"""The console's deal emails (issue #20): an admin edits a step's email, a broken placeholder is
refused by name, the save writes an event, the preview shows the new wording, and the next
email of that step uses it."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.accounts.services import operator_create
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import DealEmailText
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from barnraise.eventlog.models import Event, EventType
from barnraise.money import Money
from barnraise.web.tests.page_testing import assert_csp_clean

pytestmark = pytest.mark.django_db

EDIT = "/console/emails/booking/request/provider/"


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def admin() -> Client:
    return as_user(operator_create(email="ada@example.com", name="Ada Admin", password="", groups=["admin"]))


def test_the_list_names_every_step_in_words_and_opens_its_editor() -> None:
    # given an admin operator, whose console menu offers the deal emails
    client = admin()
    assert 'href="/console/emails/"' in client.get("/console/").content.decode()
    # when they open the deal emails
    response = client.get("/console/emails/")
    # then every process is there, each step by its button's words and whom it tells
    assert response.status_code == 200
    assert_csp_clean(response)
    html = response.content.decode()
    for words in (
        "Booking",
        "Purchase",
        "Request",
        "Book now",
        "To the provider",
        "New booking of “{listing}”",
    ):
        assert words in html
    assert f'href="{EDIT}"' in html
    # and the editor opens with the default wording and its preview
    page = client.get(EDIT)
    assert page.status_code == 200
    assert_csp_clean(page)
    assert "New request for “Garden room”" in page.content.decode()


def test_support_and_finance_do_not_see_the_emails() -> None:
    for group in ("support", "finance"):
        client = as_user(
            operator_create(email=f"{group}@example.com", name=group, password="", groups=[group])
        )
        assert client.get("/console/emails/").status_code == 404
        assert 'href="/console/emails/"' not in client.get("/console/").content.decode()
        assert client.post(EDIT, {"subject": "x", "text": "y", "action": "save"}).status_code == 404
    assert not DealEmailText.objects.exists()


def test_a_bad_placeholder_is_refused_by_name_and_nothing_is_saved() -> None:
    # given an admin in the editor
    client = admin()
    # when they save a subject with a misspelt placeholder and a text with a stray brace
    response = client.post(EDIT, {"subject": "Hi {lisitng}", "text": "{customer} asked {", "action": "save"})
    # then the form says which, and nothing is saved or logged
    assert response.status_code == 200
    html = response.content.decode()
    assert "“{lisitng}” is not a placeholder." in html
    assert "A “{” or “}” opens or closes no placeholder." in html
    assert not DealEmailText.objects.exists()
    assert not Event.objects.filter(type=EventType.DEAL_EMAIL_TEXT_SAVED).exists()


def test_saved_wording_is_logged_previewed_and_used_by_the_next_email(
    make_user: Callable[..., User], api_as: Callable[..., Any]
) -> None:
    # given an admin who previews, then saves, new wording for the request's email to the provider
    client = admin()
    wording = {
        "subject": "{customer} would like {listing}",
        "text": "Good news, {provider}!\n\n{customer} asks for {listing}: {dates}.\n{money}\n\n{next}",
    }
    draft = client.post(EDIT, {**wording, "action": "preview"})
    assert "Bruno Booker would like Garden room" in draft.content.decode()
    assert not DealEmailText.objects.exists()
    saved = client.post(EDIT, {**wording, "action": "save"})
    # then it is stored, and the save is an event in the log by that operator
    assert saved.status_code == 302
    row = DealEmailText.objects.get()
    assert (row.process, row.transition, row.audience, row.language, row.subject) == (
        "booking",
        "request",
        "provider",
        "en",
        wording["subject"],
    )
    event = Event.objects.get(type=EventType.DEAL_EMAIL_TEXT_SAVED)
    assert event.actor is not None and event.actor.email == "ada@example.com"
    assert event.subject_id == "booking.request.provider"
    assert event.payload["language"] == "en"
    # and the preview shows it, in the page and in the HTML part
    page = client.get(EDIT).content.decode()
    assert "Bruno Booker would like Garden room" in page and "Good news, Alice Host!" in page
    frame = client.get(EDIT + "html/")
    assert frame.status_code == 200 and "Good news, Alice Host!" in frame.content.decode()
    assert "script-src" not in frame["Content-Security-Policy"]
    # when a member asks for a room through the API
    host = payout_ready(make_user(name="Hana Host", email="hana@example.com"))
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    place = {"lat": 50.85, "lng": 4.35, "timezone": "Europe/Brussels", "currency": "EUR"}
    room = listing_create(
        actor=host,
        category=rooms,
        kind="rental",
        unit="night",
        title="Attic",
        price_amount_minor=5000,
        **place,
    )
    guest = api_as(name="Gus Guest")
    day = timezone.localdate() + timedelta(days=6)
    mail.outbox.clear()
    created = after_commit(
        lambda: guest.call(
            "POST",
            "transactions",
            json={
                "listing_id": str(room.public_id),
                "start": day.isoformat(),
                "end": (day + timedelta(days=2)).isoformat(),
                "payment_method": TEST_CARD,
            },
        )
    )
    assert created.status_code == 201, created.json()
    # then the host's email is the operator's wording, filled in for this deal
    [message] = [m for m in mail.outbox if m.to == ["hana@example.com"]]
    assert message.subject == "Gus Guest would like Attic"
    assert message.body.startswith("Good news, Hana Host!\n\nGus Guest asks for Attic: Dates: ")
    assert "(local time, Europe/Brussels)" in message.body
    assert "Good news, Hana Host!" in message.alternatives[0][0]
    # and going back to the default is a save too
    client.post(EDIT, {"action": "default"})
    assert Event.objects.filter(type=EventType.DEAL_EMAIL_TEXT_SAVED).count() == 2
    assert not DealEmailText.objects.exists()
    assert "New request for “Garden room”" in client.get(EDIT).content.decode()


@override_settings(LANGUAGES=[("en", "English"), ("fr", "Français")], LANGUAGE_CODE="en")
def test_an_admin_words_an_email_per_language_and_previews_it_in_that_language() -> None:
    # given a site in English and French, and an admin in the editor, in French
    client = admin()
    page = client.get(EDIT + "?language=fr")
    assert page.status_code == 200
    assert_csp_clean(page)
    html = page.content.decode()
    assert f'href="{EDIT}?language=en"' in html and "The wording in Français" in html
    # whose preview is the default wording filled in the French way
    assert Money(18000, "EUR").format("fr") in html
    # when they save French wording (its placeholders checked as ever)
    bad = client.post(EDIT + "?language=fr", {"subject": "{clent}", "text": "", "action": "save"})
    assert "“{clent}” is not a placeholder." in bad.content.decode()
    saved = client.post(
        EDIT + "?language=fr", {"subject": "Demande de {customer}", "text": "", "action": "save"}
    )
    # then it is stored for French, the save is logged with its language, and they stay in French
    assert saved.status_code == 302 and saved["Location"] == EDIT + "?language=fr"
    assert list(DealEmailText.objects.values_list("language", "subject")) == [("fr", "Demande de {customer}")]
    event = Event.objects.get(type=EventType.DEAL_EMAIL_TEXT_SAVED)
    assert event.payload["language"] == "fr"
    # and the French preview (page and HTML part) uses it, the English one the default
    assert "Demande de Bruno Booker" in client.get(EDIT + "?language=fr").content.decode()
    frame = client.get(EDIT + "html/?language=fr").content.decode()
    assert "Demande de Bruno Booker" in frame and Money(18000, "EUR").format("fr") in frame
    english = client.get(EDIT + "?language=en").content.decode()
    assert "New request for “Garden room”" in english and "Demande de" not in english
    # and the list says which languages the email is edited in
    assert "edited in Français" in client.get("/console/emails/").content.decode()
    # and a language the site does not have is no page
    assert client.get(EDIT + "?language=de").status_code == 404
    assert (
        client.post(EDIT + "?language=de", {"subject": "x", "text": "", "action": "save"}).status_code == 404
    )
    assert DealEmailText.objects.count() == 1
