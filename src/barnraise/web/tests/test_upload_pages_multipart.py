"""The pages that upload answer a multipart body without a boundary with 400, never a 500, and
store nothing."""

from collections.abc import Callable

import pytest
from django.test import Client

from barnraise.accounts.models import Document, PortfolioImage, User
from barnraise.accounts.portfolio import portfolio_item_create
from barnraise.catalog.models import Photo
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
        "listing photo": f"/listings/{drill.public_id}/photos/add/",
        "portfolio image": f"/account/portfolio/{item.pk}/images/",
    }[page]
    # when
    response = client.generic("POST", url, BODY, content_type=BROKEN)
    # then
    assert response.status_code == 400
    assert not Document.objects.exists()
    assert not Photo.objects.exists()
    assert not PortfolioImage.objects.exists()
