"""The pages for verifications, skills tests and the portfolio, as a member uses them."""

import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from barnraise.accounts import sms
from barnraise.accounts.models import Document, PortfolioItem, SkillQuestion, SkillTest
from barnraise.web.tests.page_testing import assert_csp_clean

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_member_verifies_a_phone_and_sends_a_document_from_the_page(
    make_user, settings, django_capture_on_commit_callbacks
):
    # given a member on the verifications page
    settings.BARNRAISE_SMS_SENDER = "barnraise.accounts.sms.MemorySender"
    sms.MemorySender.outbox.clear()
    member = make_user(name="Vera")
    client = logged_in(member)
    page = client.get("/account/verifications/")
    assert page.status_code == 200
    assert_csp_clean(page)
    # when they ask for a code and type it in
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/verifications/phone/", {"number": "+32 470 12 34 56"})
    code = re.search(r"\b(\d{6})\b", sms.MemorySender.outbox[-1][1]).group(1)
    verified = client.post("/account/verifications/phone/verify/", {"code": code}, follow=True)
    # and send an identity document
    photo = BytesIO()
    Image.new("RGB", (200, 120), (1, 2, 3)).save(photo, "PNG")
    client.post(
        "/account/documents/", {"kind": "identity", "file": SimpleUploadedFile("id.png", photo.getvalue())}
    )
    # then the number shows as verified, the document waits for review, and only they can open it
    assert "+32470123456" in verified.content.decode()
    document = Document.objects.get(user=member)
    assert "pending review" in client.get("/account/verifications/").content.decode()
    assert client.get(f"/account/documents/{document.pk}/file/").status_code == 200
    assert logged_in(make_user()).get(f"/account/documents/{document.pk}/file/").status_code == 404


def test_passing_a_test_on_the_page_shows_the_badge_on_the_profile_and_in_search(
    make_user, make_listing, bikes
):
    # given a bikes test of two questions, and a member with a bike listing
    test = SkillTest.objects.create(category=bikes, title="Bike mechanics", questions_per_attempt=2)
    for text in ("Chain lube?", "Tyre pressure?"):
        SkillQuestion.objects.create(test=test, text=text, choices=["Right", "Wrong"], correct=0)
    member = make_user(name="Mechanic")
    make_listing(member, title="Serviced city bike")
    client = logged_in(member)
    assert "Bike mechanics" in Client().get("/skills-tests/").content.decode()
    # when they start it and answer everything right
    started = client.post(f"/skills-tests/{test.pk}/start/")
    attempt_url = started["Location"]
    page = client.get(attempt_url)
    assert_csp_clean(page)
    ids = re.findall(r'name="q_([0-9a-f-]+)"', page.content.decode())
    result = client.post(attempt_url, {f"q_{i}": "0" for i in set(ids)}, follow=True)
    # then they pass, and the badge shows on the profile and in search results
    assert "Passed" in result.content.decode()
    assert "Passed: Bike mechanics" in Client().get(f"/members/{member.pk}/").content.decode()
    assert "Passed: Bike mechanics" in Client().get("/search/?q=city+bike").content.decode()


def test_a_piece_linked_to_a_deal_shows_as_verified_work_on_the_profile(make_user, completed_deal):
    # given a provider with a completed deal
    pat = make_user(name="Pat")
    tx = completed_deal(make_user(name="Cam"), pat)
    client = logged_in(pat)
    page = client.get("/account/portfolio/")
    assert str(tx.pk) in page.content.decode()
    assert_csp_clean(page)
    # when they add a piece linked to it
    client.post("/account/portfolio/", {"title": "Tuned racing bike", "transaction_id": str(tx.pk)})
    # then the profile shows it as verified work
    profile = Client().get(f"/members/{pat.pk}/").content.decode()
    assert "Tuned racing bike" in profile and "Verified work" in profile
    assert PortfolioItem.objects.get().verified is True
