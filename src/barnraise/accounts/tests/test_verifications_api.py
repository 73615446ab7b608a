"""Phone verification by one-time code, and documents reviewed by an operator."""

import re
from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from barnraise.accounts import sms, verification
from barnraise.accounts.models import Document, PhoneNumber
from barnraise.errors import InvalidInput, PermissionDenied
from barnraise.notifications.models import Notification

pytestmark = pytest.mark.django_db

NUMBER = "+32 470 12 34 56"


@pytest.fixture(autouse=True)
def texts(settings):
    settings.BARNRAISE_SMS_SENDER = "barnraise.accounts.sms.MemorySender"
    sms.MemorySender.outbox.clear()
    return sms.MemorySender.outbox


def sent_code(outbox):
    to, body = outbox[-1]
    return to, re.search(r"\b(\d{6})\b", body).group(1)


def test_a_member_verifies_their_phone_with_the_code_texted_to_them(
    api_as, api, texts, django_capture_on_commit_callbacks
):
    # given a member who asks for a code
    member = api_as(name="Phil")
    with django_capture_on_commit_callbacks(execute=True):
        asked = member.call("POST", "me/phone", json={"number": NUMBER})
    assert asked.status_code == 202
    to, code = sent_code(texts)
    assert to == "+32470123456"
    # when they send it back
    verified = member.call("POST", "me/phone/verify", json={"code": code})
    # then the number is theirs and the badge shows on their profile
    assert verified.status_code == 200 and verified.json()["number"] == "+32470123456"
    badges = api.call("GET", f"users/{member.user.pk}").json()["badges"]
    assert {"kind": "phone", "label": "Phone verified"} in badges
    mine = member.call("GET", "me/verifications").json()
    assert mine["email_verified"] is True and mine["phone"]["number"] == "+32470123456"
    assert {"kind": "phone", "label": "Phone verified"} in mine["badges"]


def test_a_wrong_expired_or_overused_code_is_refused(api_as, texts, django_capture_on_commit_callbacks):
    # given a code sent
    member = api_as()
    with django_capture_on_commit_callbacks(execute=True):
        member.call("POST", "me/phone", json={"number": NUMBER})
    _, code = sent_code(texts)
    wrong = "000000" if code != "000000" else "111111"
    # when a wrong code is tried five times, the right one no longer works
    for _ in range(5):
        refused = member.call("POST", "me/phone/verify", json={"code": wrong})
        assert refused.status_code == 422 and "code" in refused.json()["error"]["details"]
    assert member.call("POST", "me/phone/verify", json={"code": code}).status_code == 422
    # and a fresh code expires after ten minutes
    with django_capture_on_commit_callbacks(execute=True):
        member.call("POST", "me/phone", json={"number": NUMBER})
    _, fresh = sent_code(texts)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert member.call("POST", "me/phone/verify", json={"code": fresh}).status_code == 422
    assert not PhoneNumber.objects.exists()


@pytest.mark.parametrize("number", ["0470 12 34 56", "+32 12", "call me", ""])
def test_a_number_without_country_code_or_invalid_is_refused(api_as, texts, number):
    refused = api_as().call("POST", "me/phone", json={"number": number})
    assert refused.status_code == 422 and "number" in refused.json()["error"]["details"]
    assert texts == []


def test_codes_are_rate_limited(api_as, django_capture_on_commit_callbacks):
    member = api_as()
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [member.call("POST", "me/phone", json={"number": NUMBER}).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]


def photo() -> bytes:
    out = BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def upload(client, kind="identity", content=None, name="id.jpg", **fields):
    file = SimpleUploadedFile(name, content if content is not None else photo())
    return client.post(
        "/api/v1/me/documents", {"kind": kind, "file": file, **fields}, headers=client._headers(None)
    )


def test_an_identity_document_is_kept_private_until_an_operator_approves_it(api_as, api, make_user):
    # given a member who uploads their identity document
    member = api_as(name="Ida")
    made = upload(member)
    assert made.status_code == 201, made.json()
    doc = made.json()
    assert doc["status"] == "pending" and doc["content_type"] == "image/jpeg"
    # then only they can download it, and no public URL exists
    own = member.get(f"/api/v1/me/documents/{doc['id']}/file", headers=member._headers(None))
    assert own.status_code == 200 and own["Cache-Control"] == "private, no-store"
    assert b"".join(own.streaming_content)[:2] == b"\xff\xd8"
    other = api_as()
    assert other.call("GET", f"me/documents/{doc['id']}/file").status_code == 404
    stored = Document.objects.get(pk=doc["id"])
    assert stored.file.storage is not default_storage and stored.file.storage.exists(stored.file.name)
    assert not default_storage.exists(stored.file.name)
    # when a support operator approves it
    operator = make_user(name="Op", is_staff=True)
    operator.groups.add(Group.objects.get(name="support"))
    verification.document_review(actor=operator, document_id=doc["id"], approve=True)
    # then the badge shows and the member is told
    badges = api.call("GET", f"users/{member.user.pk}").json()["badges"]
    assert {"kind": "identity", "label": "Identity verified"} in badges
    assert Notification.objects.filter(recipient=member.user, kind="document_reviewed").exists()


def test_a_rejected_licence_needs_a_reason_and_gives_no_badge(api_as, api, make_user, make_pdf):
    # given an uploaded licence (a PDF)
    member = api_as()
    pdf = make_pdf()
    made = upload(member, kind="licence", content=pdf, name="licence.pdf", title="Electrician", issuer="AREI")
    assert made.status_code == 201 and made.json()["content_type"] == "application/pdf"
    operator = make_user(is_staff=True)
    operator.groups.add(Group.objects.get(name="support"))
    # when the operator rejects it without and then with a reason
    with pytest.raises(InvalidInput):
        verification.document_review(actor=operator, document_id=made.json()["id"], approve=False)
    verification.document_review(
        actor=operator, document_id=made.json()["id"], approve=False, reason="The scan is unreadable."
    )
    # then the member sees why, and no badge shows
    mine = member.call("GET", "me/documents").json()
    assert (mine[0]["status"], mine[0]["reason"]) == ("rejected", "The scan is unreadable.")
    assert all(b["kind"] != "licence" for b in api.call("GET", f"users/{member.user.pk}").json()["badges"])


def test_members_cannot_review_documents(api_as):
    member = api_as()
    made = upload(member).json()
    with pytest.raises(PermissionDenied):
        verification.document_review(actor=member.user, document_id=made["id"], approve=True)
    assert Document.objects.get(pk=made["id"]).status == "pending"


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"content": b"MZ\x90\x00 not a document"}, 422, "invalid_image"),
        ({"kind": "passport"}, 422, "invalid"),
        ({"kind": "licence"}, 422, "invalid"),  # a licence needs a title
    ],
)
def test_bad_documents_are_refused(api_as, fields, status, code):
    refused = upload(api_as(), **fields)
    assert refused.status_code == status and refused.json()["error"]["code"] == code
    assert not Document.objects.exists()


def test_the_admin_serves_the_file_only_to_operators(api_as, make_user):
    # given an uploaded document
    made = upload(api_as()).json()
    url = f"/admin/accounts/document/{made['id']}/file/"
    # when an operator and a member without the permission open it in the admin
    operator = make_user(is_staff=True)
    operator.groups.add(Group.objects.get(name="support"))
    plain_staff = make_user(is_staff=True)
    as_operator, as_staff = Client(), Client()
    as_operator.force_login(operator)
    as_staff.force_login(plain_staff)
    # then only the operator gets it
    assert as_operator.get(url).status_code == 200
    assert as_staff.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the admin login


def test_export_covers_credentials_and_deletion_removes_them(
    api_as, make_user, django_capture_on_commit_callbacks
):
    # given a member with an approved identity document
    member = api_as()
    made = upload(member).json()
    operator = make_user(is_staff=True)
    operator.groups.add(Group.objects.get(name="support"))
    verification.document_review(actor=operator, document_id=made["id"], approve=True)
    stored = Document.objects.get(pk=made["id"])
    storage, name = stored.file.storage, stored.file.name
    # when they export their data
    exported = member.call("GET", "me/export").json()["verifications_and_credentials"]
    assert exported["documents"][0]["status"] == "approved" and "file" not in exported["documents"][0]
    # when they delete their account
    with django_capture_on_commit_callbacks(execute=True):
        gone = member.call("DELETE", "me", json={"password": "correct horse battery"})
    # then the document, its file and the badge are gone
    assert gone.status_code == 204
    assert not Document.objects.exists() and not storage.exists(name)
    member.user.refresh_from_db()
    assert member.user.badges == []
