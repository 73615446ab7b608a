"""The conversation on the deal page, the inbox, the report form, standing and email switches."""

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from barnraise.messaging.models import Participant
from barnraise.messaging.tests.conftest import deal_fixture, make_deal_fixture  # noqa: F401 - shared fixtures
from barnraise.notifications.models import NotificationPreference
from barnraise.trust.models import Appeal, Report
from barnraise.trust.suspensions import suspension_start
from barnraise.web.tests.page_testing import assert_csp_clean

pytestmark = pytest.mark.django_db


def browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_party_writes_on_the_deal_page_and_is_told_what_was_hidden(deal):
    # given
    customer = browser(deal.customer.user)
    # when
    response = customer.post(
        f"/transactions/{deal.tx_id}/messages/", {"body": "Call me: 0123 456 789"}, follow=True
    )
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sent, with contact details hidden." in html
    assert "Call me: [hidden]" in html and "0123 456 789" not in html
    assert_csp_clean(response)
    # and the provider reads it masked, marked new, with a way to report it
    page = browser(deal.provider.user).get(f"/transactions/{deal.tx_id}/").content.decode()
    assert "Call me: [hidden]" in page and "0123" not in page
    assert "Report this message" in page
    assert 'class="message new"' in page


def test_the_timeline_tells_each_message_in_order_with_the_steps_cut_short_and_masked(deal):
    # given a deal on a listing in New York, asked for, then two messages, the second long with
    # a number in it
    from zoneinfo import ZoneInfo

    from barnraise.catalog.models import Listing
    from barnraise.commerce.models import Transaction
    from barnraise.messaging.models import Message

    tx = Transaction.objects.get(pk=deal.tx_id)
    Listing.objects.filter(pk=tx.listing_id).update(timezone="America/New_York")
    customer = browser(deal.customer.user)
    customer.post(f"/transactions/{deal.tx_id}/messages/", {"body": "Is the garden shared?"})
    long = "Call me on 0123 456 789 " + "and bring boots " * 20
    customer.post(f"/transactions/{deal.tx_id}/messages/", {"body": long})

    # when the provider, who reads times in Tokyo, opens the deal
    provider = deal.provider.user
    provider.time_zone = "Asia/Tokyo"
    provider.save(update_fields=["time_zone"])
    html = browser(provider).get(f"/transactions/{deal.tx_id}/").content.decode()

    # then the timeline has both messages after the opening step, linked to the conversation
    timeline = html[html.index('id="timeline-title"') :]
    first, second = timeline.index("Is the garden shared?"), timeline.index("Call me on [hidden]")
    assert timeline.index("</li>") < first < second
    assert timeline.count('class="timeline-message"') == 2
    assert 'href="#message-' in timeline
    # and the long one is cut short, with no number in it
    assert "…" in timeline[second:] and "0123" not in html
    # and the conversation and the timeline tell each message's time alike, in the viewer's zone
    # (a message is not tied to the listing's place), labelled
    message = Message.objects.filter(body="Is the garden shared?").get()
    local = message.created_at.astimezone(ZoneInfo("Asia/Tokyo"))
    year = "" if local.year == timezone.now().astimezone(local.tzinfo).year else f" {local.year}"
    shown = f"{local:%a} {local.day} {local:%b}{year}, {local:%H:%M} JST"
    assert html[: html.index('id="timeline-title"')].count(shown) >= 1
    assert timeline.count(shown) >= 1


def test_strangers_get_404_and_empty_messages_are_refused(deal, make_user):
    # given
    stranger = browser(make_user())
    # when
    post = stranger.post(f"/transactions/{deal.tx_id}/messages/", {"body": "hello"})
    opened = stranger.get(f"/messages/{deal.tx_id}/")
    empty = browser(deal.customer.user).post(
        f"/transactions/{deal.tx_id}/messages/", {"body": " "}, follow=True
    )
    # then
    assert post.status_code == 404 and opened.status_code == 404
    assert "This field is required." in empty.content.decode()
    assert not Participant.objects.exists()


def test_the_inbox_shows_unread_conversations_and_opening_one_reads_it(deal):
    # given
    browser(deal.customer.user).post(f"/transactions/{deal.tx_id}/messages/", {"body": "Still there?"})
    provider = browser(deal.provider.user)
    # when
    inbox = provider.get("/messages/")
    # then
    html = inbox.content.decode()
    assert inbox.status_code == 200
    assert "Oak table" in html and "Still there?" in html and "1 unread message" in html
    assert_csp_clean(inbox)
    # when opened
    opened = provider.get(f"/messages/{deal.tx_id}/")
    # then
    assert opened.status_code == 302 and opened["Location"].endswith(
        f"/transactions/{deal.tx_id}/#conversation"
    )
    assert Participant.objects.get(member=deal.provider.user).unread_count == 0


def test_the_mark_read_button_and_the_link_read_the_conversation_alike(deal):
    # given two unread messages for the provider
    customer, provider = browser(deal.customer.user), browser(deal.provider.user)
    unread = Participant.objects.filter(member=deal.provider.user)
    customer.post(f"/transactions/{deal.tx_id}/messages/", {"body": "Still there?"})
    # when the provider presses "mark read" on the thread
    pressed = provider.post(f"/transactions/{deal.tx_id}/messages/read/")
    # then it is read, and the deal page shows the conversation, as the inbox's link does
    assert pressed.status_code == 302 and pressed["Location"].endswith(
        f"/transactions/{deal.tx_id}/#conversation"
    )
    assert unread.get().unread_count == 0
    customer.post(f"/transactions/{deal.tx_id}/messages/", {"body": "Hello?"})
    opened = provider.get(f"/messages/{deal.tx_id}/")
    assert (opened.status_code, opened["Location"]) == (302, pressed["Location"])
    assert unread.get().unread_count == 0
    # and no other method reads it
    customer.post(f"/transactions/{deal.tx_id}/messages/", {"body": "Anyone?"})
    assert provider.put(f"/messages/{deal.tx_id}/").status_code == 405
    assert unread.get().unread_count == 1


def test_the_report_form_files_a_report(deal):
    # given
    listing = deal.listing
    customer = browser(deal.customer.user)
    form = customer.get(f"/report/?subject=listing&id={listing.public_id}")
    assert form.status_code == 200 and "Report a listing" in form.content.decode()
    assert "Report this listing" in customer.get(f"/listings/{listing.public_id}/").content.decode()
    profile = customer.get(f"/members/{deal.provider.user.pk}/").content.decode()
    assert f"/report/?subject=member&amp;id={deal.provider.user.pk}" in profile
    # when
    response = customer.post(
        "/report/",
        {"subject": "listing", "subject_id": str(listing.public_id), "reason": "fraud", "next": "/"},
    )
    # then
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.member == deal.provider.user and report.reason == "fraud"


def test_the_report_form_chooses_no_reason_for_the_member(deal):
    # given a customer who opens the report form
    customer = browser(deal.customer.user)
    html = customer.get(f"/report/?subject=listing&id={deal.listing.public_id}").content.decode()
    # then the reason is required, its first option an empty prompt, and no reason is selected
    select = re.search(r'<select name="reason"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None and "required" in select.group(0).split(">", 1)[0]
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    assert options[0][0].startswith(' value=""') and options[0][1] == "Choose a reason"
    assert len(options) > 1 and not any("selected" in attributes for attributes, _label in options[1:])
    # when it is sent without a reason
    response = customer.post(
        "/report/", {"subject": "listing", "subject_id": str(deal.listing.public_id), "details": "Odd"}
    )
    # then it asks for one and files nothing
    assert response.status_code == 422
    assert "Choose a reason." in response.content.decode()
    assert not Report.objects.exists()


def test_a_bad_report_shows_the_form_again_and_files_nothing(deal):
    # when
    response = browser(deal.customer.user).post(
        "/report/", {"subject": "member", "subject_id": str(deal.provider.user.pk), "reason": "other"}
    )
    # then
    assert response.status_code == 422
    assert "Tell us what is wrong." in response.content.decode()
    assert not Report.objects.exists()


def test_a_suspended_member_sees_why_and_appeals(make_user):
    # given
    member = make_user()
    suspension_start(member=member, reason="Three confirmed reports.")
    client = browser(member)
    # when
    page = client.get("/account/standing/")
    appealed = client.post("/account/standing/", {"text": "It was a misunderstanding."}, follow=True)
    # then
    assert "Three confirmed reports." in page.content.decode()
    assert_csp_clean(page)
    assert "Your appeal is waiting for an operator." in appealed.content.decode()
    assert Appeal.objects.get(member=member).text == "It was a misunderstanding."


def test_email_switches_are_saved_per_kind(make_user):
    # given
    member = make_user()
    client = browser(member)
    page = client.get("/account/notifications/")
    assert "A new message in one of your deals" in page.content.decode()
    # when: everything stays on except new messages
    from barnraise.notifications.kinds import kinds

    response = client.post(
        "/account/notifications/", {"email": [k for k in kinds() if k != "message_received"]}
    )
    # then
    assert response.status_code == 302
    off = NotificationPreference.objects.filter(member=member, email=False)
    assert [p.kind for p in off] == ["message_received"]
