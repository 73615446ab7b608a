"""A document from the private storage is answered the same way by the API, the member's pages
and the admin: as a download named for what it is, typed as it was stored, kept by no cache,
never sniffed, sandboxed; its rendered pages inline. A file gone from the storage is a 404."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from barnraise.accounts.models import Document

pytestmark = pytest.mark.django_db

SAFE = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}


def _headers(response, *names: str) -> dict[str, str]:
    """The named headers, and whether no cache keeps the answer (the admin adds its own words)."""
    found = {name: response.get(name, "") for name in names}
    found["kept by no cache"] = {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    return found


@pytest.fixture
def document(api_as, make_user, make_pdf, django_capture_on_commit_callbacks):
    """A member's licence (a PDF, rendered to pages), and clients for the member and an operator."""
    member = api_as()
    upload = SimpleUploadedFile("my licence (final).pdf", make_pdf(pages=1), content_type="application/pdf")
    fields = {"kind": "licence", "title": "Electrician", "file": upload}
    with django_capture_on_commit_callbacks(execute=True):
        made = member.post("/api/v1/me/documents", fields, headers=member._headers(None))
    assert made.status_code == 201, made.json()
    site = Client()
    site.force_login(member.user)
    operator = make_user(is_staff=True)
    operator.groups.add(Group.objects.get(name="support"))
    admin = Client()
    admin.force_login(operator)
    return made.json()["id"], member, site, admin


def test_the_api_the_pages_and_the_admin_answer_a_document_alike(document):
    # given a member's PDF document
    document_id, member, site, admin = document
    # when the member downloads it from the API and from their pages, and an operator from the admin
    answers = [
        member.get(f"/api/v1/me/documents/{document_id}/file", headers=member._headers(None)),
        site.get(f"/account/documents/{document_id}/file/"),
        admin.get(f"/admin/accounts/document/{document_id}/file/"),
    ]
    # then each is the same download: typed as stored, named with its kind, id and extension
    for answer in answers:
        assert answer.status_code == 200
        assert _headers(answer, "Content-Type", "Content-Disposition", *SAFE) == {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="licence-{document_id}.pdf"',
            "kept by no cache": True,
            **SAFE,
        }
    # and its rendered pages are shown inline, from the API and the admin alike
    pages = [
        member.get(f"/api/v1/me/documents/{document_id}/pages/1", headers=member._headers(None)),
        admin.get(f"/admin/accounts/document/{document_id}/pages/1/"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert _headers(page, "Content-Type", "Content-Disposition", *SAFE) == {
            "Content-Type": "image/jpeg",
            "Content-Disposition": f'inline; filename="{document_id}-page-1.jpg"',
            "kept by no cache": True,
            **SAFE,
        }


def test_a_stored_type_that_is_not_served_as_such_is_sent_as_bytes(document):
    # given a document whose stored type was changed to one Barnraise never stores
    document_id, member, _site, _admin = document
    Document.objects.filter(pk=document_id).update(content_type="text/html")
    # when it is downloaded
    answer = member.get(f"/api/v1/me/documents/{document_id}/file", headers=member._headers(None))
    # then it is opaque bytes, never HTML the browser would run
    assert answer["Content-Type"] == "application/octet-stream"
    assert answer["Content-Disposition"] == f'attachment; filename="licence-{document_id}.bin"'


def test_a_file_gone_from_the_storage_is_not_found(document):
    # given a document whose file is no longer in the storage
    document_id, member, site, admin = document
    stored = Document.objects.get(pk=document_id)
    stored.file.storage.delete(stored.file.name)
    # when it is asked for, from the API, the pages and the admin
    api = member.get(f"/api/v1/me/documents/{document_id}/file", headers=member._headers(None))
    page = site.get(f"/account/documents/{document_id}/file/")
    operator = admin.get(f"/admin/accounts/document/{document_id}/file/")
    # then each answers 404 (the API in its uniform error body), not a server error
    assert (api.status_code, page.status_code, operator.status_code) == (404, 404, 404)
    assert api.json()["error"]["code"] == "not_found"
