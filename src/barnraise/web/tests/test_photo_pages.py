"""The author's photo manager: upload, delete, reorder, and the refusals shown by the form."""

from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing, Photo
from barnraise.catalog.services import policy
from barnraise.web.tests.page_testing import assert_csp_clean, category, listing


@pytest.fixture(autouse=True)
def media(settings: Any) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


@pytest.fixture
def author(make_user: Callable[..., User]) -> User:
    return make_user(email="ana@example.com", name="Ana P.")


@pytest.fixture
def drill(author: User) -> Listing:
    return listing(author, category())


@pytest.fixture
def author_client(client: Client, author: User) -> Client:
    client.force_login(author)
    return client


def png(colour: tuple[int, int, int] = (200, 30, 30), name: str = "drill.png") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def url(drill: Listing, tail: str = "") -> str:
    return f"/listings/{drill.public_id}/photos/{tail}"


def test_upload_reorder_and_delete(author_client: Client, drill: Listing) -> None:
    # Given the author's manager page, linked from the listing (and "Edit" has the wizard's step)
    assert url(drill).encode() in author_client.get(f"/listings/{drill.public_id}/").content
    steps = f"/listings/{drill.public_id}/steps/photos/"
    assert steps.encode() in author_client.get(f"/listings/{drill.public_id}/edit/").content
    page = author_client.get(url(drill))
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    assert_csp_clean(page)

    # When two photos are uploaded
    first = author_client.post(url(drill, "add/"), {"image": png(), "alt_text": "The drill"})
    assert first.status_code == 302
    author_client.post(url(drill, "add/"), {"image": png((30, 30, 200)), "alt_text": "Its case"})
    photos = list(Photo.objects.filter(listing=drill))
    assert [p.alt_text for p in photos] == ["The drill", "Its case"]

    # And the second is moved up with the button's precomputed order
    page = author_client.get(url(drill))
    order = f"{photos[1].id},{photos[0].id}"
    assert f'value="{order}"'.encode() in page.content
    assert_csp_clean(page)
    author_client.post(url(drill, "order/"), {"order": order})
    assert [p.alt_text for p in Photo.objects.filter(listing=drill)] == ["Its case", "The drill"]

    # Then deleting one leaves the other
    author_client.post(url(drill, f"{photos[1].id}/delete/"))
    assert [p.alt_text for p in Photo.objects.filter(listing=drill)] == ["The drill"]


def test_refusals_are_shown_by_the_form(author_client: Client, drill: Listing) -> None:
    not_image = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")
    response = author_client.post(url(drill, "add/"), {"image": not_image, "alt_text": "Oops"})
    assert response.status_code == 422 and b"damaged" in response.content
    assert b'value="Oops"' in response.content

    missing = author_client.post(url(drill, "add/"), {"alt_text": "x"})
    assert missing.status_code == 422 and b"Choose a photo to upload." in missing.content

    long_alt = author_client.post(url(drill, "add/"), {"image": png(), "alt_text": "x" * 201})
    assert long_alt.status_code == 422 and b"at most 200 characters" in long_alt.content

    current = policy()
    current.max_photo_bytes = 20
    current.save()
    big = author_client.post(url(drill, "add/"), {"image": png()})
    assert big.status_code == 413 and b"too large" in big.content

    current.max_photo_bytes = 10 * 1024 * 1024
    current.max_photos = 1
    current.save()
    author_client.post(url(drill, "add/"), {"image": png()})
    full = author_client.post(url(drill, "add/"), {"image": png()})
    assert full.status_code == 409 and b"as many photos as it may have" in full.content
    assert Photo.objects.filter(listing=drill).count() == 1

    bad_order = author_client.post(url(drill, "order/"), {"order": "nope"}, follow=True)
    assert b"exactly once" in bad_order.content


def test_only_the_author_manages_photos(
    client: Client, drill: Listing, make_user: Callable[..., User], author_client: Client
) -> None:
    author_client.post(url(drill, "add/"), {"image": png()})
    photo = Photo.objects.get(listing=drill)
    client.force_login(make_user(name="Mallory"))
    assert client.get(url(drill)).status_code == 403
    assert client.post(url(drill, "add/"), {"image": png()}).status_code == 403
    assert client.post(url(drill, f"{photo.id}/delete/")).status_code == 403
    assert Photo.objects.filter(listing=drill).count() == 1


def test_home_cards_show_the_first_photo(author_client: Client, drill: Listing) -> None:
    author_client.post(url(drill, "add/"), {"image": png(), "alt_text": "Cover shot"})
    home = author_client.get("/").content.decode()
    photo = Photo.objects.get(listing=drill)
    assert photo.thumbnail.url in home and 'alt="Cover shot"' in home
