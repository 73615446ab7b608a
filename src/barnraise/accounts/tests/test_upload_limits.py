"""Images over 25 megapixels are refused from their header by every upload of accounts: the
avatar, documents and portfolio images; nothing is stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from barnraise.accounts.models import Document, PortfolioImage, User
from barnraise.accounts.portfolio import portfolio_item_create
from barnraise.conftest import png_header

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("where", ["avatar", "document", "portfolio image"])
def test_an_image_over_25_megapixels_is_refused_everywhere_in_accounts(api_as, where):
    # given
    member = api_as()
    item = portfolio_item_create(actor=member.user, title="Shed", description="A shed.")
    url, fields = {
        "avatar": ("/api/v1/me/avatar", {}),
        "document": ("/api/v1/me/documents", {"kind": "identity"}),
        "portfolio image": (f"/api/v1/me/portfolio/{item.pk}/images", {}),
    }[where]
    file = SimpleUploadedFile("huge.png", png_header(6_000, 6_600), content_type="image/png")
    # when
    response = member.post(url, {**fields, "file": file}, headers=member._headers(None))
    # then
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == "image_too_large"
    assert response.json()["error"]["details"] == {"max_pixels": 25_000_000}
    assert not Document.objects.exists()
    assert not PortfolioImage.objects.exists()
    assert not User.objects.get(pk=member.user.pk).avatar
