"""A PDF document is kept as uploaded, scripts and all, in private storage; what the member and
operators see are its pages, rendered to JPEGs by the worker; the PDF only by explicit download."""

from io import BytesIO

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from barnraise.accounts import verification
from barnraise.accounts.models import Document, DocumentPage
from barnraise.conftest import fetch

pytestmark = pytest.mark.django_db


def upload(client, content: bytes, name: str = "licence.pdf"):
    file = SimpleUploadedFile(name, content, content_type="application/pdf")
    fields = {"kind": "licence", "title": "Electrician", "file": file}
    return client.post("/api/v1/me/documents", fields, headers=client._headers(None))


def test_a_pdf_document_is_shown_by_its_pages_and_kept_as_uploaded(
    api_as, make_user, make_pdf, django_capture_on_commit_callbacks, file_store
):
    # given a member who uploads a two-page PDF that runs a script when opened (to memory, or to
    # the object store, where the worker reads it back and writes the pages)
    member = api_as()
    pdf = make_pdf(pages=2)
    assert b"/JavaScript" in pdf
    # when it is uploaded and the worker has run
    with django_capture_on_commit_callbacks(execute=True):
        made = upload(member, pdf)
    assert made.status_code == 201, made.json()
    # then the document lists its pages as images, and the PDF as a download
    listed = member.call("GET", "me/documents").json()[0]
    assert [page["number"] for page in listed["pages"]] == [1, 2]
    assert listed["file_url"] == f"/api/v1/me/documents/{listed['id']}/file"
    page = fetch(member.get(listed["pages"][0]["url"], headers=member._headers(None)))
    assert page.status == 200 and page.headers["content-type"] == "image/jpeg"
    assert "attachment" not in page.headers.get("content-disposition", "")
    image = Image.open(BytesIO(page.content))
    assert image.format == "JPEG" and image.size == (
        listed["pages"][0]["width"],
        listed["pages"][0]["height"],
    )
    assert image.getpixel((image.width // 2, image.height // 2))[0] > 200  # the red square
    assert image.getpixel((2, 2)) == (255, 255, 255)
    original = fetch(member.get(listed["file_url"], headers=member._headers(None)))
    assert original.headers["content-disposition"].startswith("attachment")
    if not original.redirected:  # the store's answer, on its own origin, carries no such header
        assert original.headers["x-content-type-options"] == "nosniff"
    assert original.content == pdf  # kept as uploaded
    stored = DocumentPage.objects.filter(document_id=listed["id"]).first()
    assert stored is not None and stored.image.storage is Document.objects.get().file.storage
    # and another member sees neither the pages nor the file
    stranger = api_as()
    assert stranger.call("GET", listed["pages"][0]["url"]).status_code == 404
    assert stranger.call("GET", listed["file_url"]).status_code == 404
    assert member.call("GET", f"me/documents/{listed['id']}/pages/3").status_code == 404


def test_operators_see_the_pages_in_the_admin_and_download_the_pdf(
    api_as, make_user, make_pdf, django_capture_on_commit_callbacks
):
    # given an uploaded PDF and a support operator
    member = api_as()
    with django_capture_on_commit_callbacks(execute=True):
        document_id = upload(member, make_pdf(pages=2)).json()["id"]
    operator = make_user(is_staff=True)
    operator.groups.add(Group.objects.get(name="support"))
    admin = Client()
    admin.force_login(operator)
    # when the operator opens the document
    page = admin.get(f"/admin/accounts/document/{document_id}/change/").content.decode()
    # then the pages are shown as images, and the PDF is only a download
    first = f"/admin/accounts/document/{document_id}/pages/1/"
    assert f'<img src="{first}"' in page
    assert f'src="/admin/accounts/document/{document_id}/pages/2/"' in page
    assert f'href="/admin/accounts/document/{document_id}/file/" download' in page
    shown = admin.get(first)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    original = admin.get(f"/admin/accounts/document/{document_id}/file/")
    assert original["Content-Disposition"].startswith("attachment")
    # and staff without the permission get nothing
    plain = Client()
    plain.force_login(make_user(is_staff=True))
    assert plain.get(first).status_code == 404


def test_rendering_twice_keeps_one_set_of_pages(api_as, make_pdf, django_capture_on_commit_callbacks):
    # given a PDF whose pages were rendered
    member = api_as()
    with django_capture_on_commit_callbacks(execute=True):
        document_id = upload(member, make_pdf(pages=3)).json()["id"]
    before = list(DocumentPage.objects.order_by("number").values_list("id", "image"))
    # when the task runs again (a retry)
    rendered = verification.document_pages_render(document_id=document_id)
    # then nothing changed
    assert rendered == 0
    assert list(DocumentPage.objects.order_by("number").values_list("id", "image")) == before
    assert len(before) == 3


@pytest.mark.parametrize(
    ("content", "code", "details"),
    [
        ("21 pages", "too_many_pages", {"limit": 20, "pages": 21}),
        ("broken", "invalid_document", None),
    ],
)
def test_a_pdf_that_cannot_be_shown_whole_is_refused(api_as, make_pdf, content, code, details):
    # given
    member = api_as()
    data = make_pdf(pages=21) if content == "21 pages" else b"%PDF-1.7\nnot really a PDF\n%%EOF\n"
    # when
    refused = upload(member, data)
    # then
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == code
    assert refused.json()["error"]["details"] == details
    assert not Document.objects.exists() and not DocumentPage.objects.exists()


def test_deleting_the_account_removes_the_pdf_and_its_page_images(
    api_as, make_pdf, django_capture_on_commit_callbacks
):
    # given a member with a rendered PDF document
    member = api_as()
    with django_capture_on_commit_callbacks(execute=True):
        upload(member, make_pdf(pages=2))
    files = [Document.objects.get().file] + [page.image for page in DocumentPage.objects.all()]
    storage = files[0].storage
    names = [stored.name for stored in files]
    assert len(names) == 3 and all(storage.exists(name) for name in names)
    # when they delete their account
    with django_capture_on_commit_callbacks(execute=True):
        gone = member.call("DELETE", "me", json={"password": "correct horse battery"})
    # then the PDF and every page image are gone
    assert gone.status_code == 204
    assert not DocumentPage.objects.exists()
    assert not any(storage.exists(name) for name in names)
