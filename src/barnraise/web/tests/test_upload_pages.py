"""The pages that upload: a multipart body without a boundary is a 400, never a 500; an image
over 25 megapixels and a PDF over 20 pages are refused with a message; nothing is stored."""

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from barnraise.accounts.models import Document, PortfolioImage, User
from barnraise.accounts.portfolio import portfolio_item_create
from barnraise.catalog.models import Photo
from barnraise.conftest import png_header
from barnraise.web.tests.page_testing import category, listing

BROKEN = "multipart/form-data"  # no boundary: Django's MultiPartParser cannot split the body
BODY = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc\r\n--x--\r\n'


@pytest.mark.parametrize("page", ["document", "listing photo", "portfolio image"])
def test_a_multipart_body_without_boundary_is_400_on_the_pages(
    client: Client, make_user: Callable[..., User], page: str
) -> None:
    # given: a member with a listing and a portfolio piece
    member = make_user()
    client.force_login(member)
    drill = listing(member, category())
    item = portfolio_item_create(actor=member, title="Shed", description="A shed.", url="")
    url = {
        "document": "/account/documents/",
        "listing photo": f"/listings/{drill.public_id}/steps/photos/add/",
        "portfolio image": f"/account/portfolio/{item.pk}/images/",
    }[page]
    # when
    response = client.generic("POST", url, BODY, content_type=BROKEN)
    # then
    assert response.status_code == 400
    assert not Document.objects.exists()
    assert not Photo.objects.exists()
    assert not PortfolioImage.objects.exists()


@pytest.mark.parametrize("page", ["document", "listing photo", "portfolio image", "document pdf"])
def test_a_file_too_large_to_show_is_refused_on_the_pages_with_a_message(
    client: Client, make_user: Callable[..., User], make_pdf: Callable[..., bytes], page: str
) -> None:
    # given: a member with a listing and a portfolio piece
    member = make_user()
    client.force_login(member)
    drill = listing(member, category())
    item = portfolio_item_create(actor=member, title="Shed", description="A shed.", url="")
    huge = SimpleUploadedFile("huge.png", png_header(6_000, 6_600), content_type="image/png")
    pdf = SimpleUploadedFile("long.pdf", make_pdf(pages=21), content_type="application/pdf")
    url, fields, said = {
        "document": ("/account/documents/", {"kind": "identity", "file": huge}, "more than 25 megapixels"),
        "document pdf": ("/account/documents/", {"kind": "identity", "file": pdf}, "Send at most 20 pages"),
        "listing photo": (
            f"/listings/{drill.public_id}/steps/photos/add/",
            {"images": [huge]},
            "more than 25 megapixels",
        ),
        "portfolio image": (
            f"/account/portfolio/{item.pk}/images/",
            {"file": huge},
            "more than 25 megapixels",
        ),
    }[page]
    # when
    response = client.post(url, fields, follow=True)
    # then
    assert response.status_code in (200, 422)
    assert said in response.content.decode()
    assert not Document.objects.exists()
    assert not Photo.objects.exists()
    assert not PortfolioImage.objects.exists()
