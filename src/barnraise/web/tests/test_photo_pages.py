"""A listing's photos, edited in the wizard's photo step (the one listing editor): upload,
describe, reorder, cover, delete, and the refusals shown by the step; the old photo manager's
addresses send the author there."""

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
    return f"/listings/{drill.public_id}/steps/photos/{tail}"


def old(drill: Listing, tail: str = "") -> str:
    return f"/listings/{drill.public_id}/photos/{tail}"


def test_upload_describe_reorder_cover_and_delete(author_client: Client, drill: Listing) -> None:
    # Given the photo step, linked from the listing page and its overview ("Edit")
    assert url(drill).encode() in author_client.get(f"/listings/{drill.public_id}/").content
    assert url(drill).encode() in author_client.get(f"/listings/{drill.public_id}/edit/").content
    page = author_client.get(url(drill))
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    assert b"at most 25 megapixels" in page.content and b"Back to the overview" in page.content
    assert_csp_clean(page)

    # When three photos are uploaded at once, then described beside them
    sent = [png(), png((30, 30, 200), "case.png"), png((30, 200, 30), "bits.png")]
    added = author_client.post(url(drill, "add/"), {"images": sent}, follow=True)
    assert b"3 photos are added." in added.content
    drill_, case, bits = (str(p.id) for p in Photo.objects.filter(listing=drill))
    texts = {f"alt_{drill_}": "The drill", f"alt_{case}": "Its case", f"alt_{bits}": "The bits"}
    saved = author_client.post(url(drill, "order/"), {**texts, "action": "save"}, follow=True)
    assert b"The descriptions are saved." in saved.content
    assert [p.alt_text for p in Photo.objects.filter(listing=drill)] == ["The drill", "Its case", "The bits"]

    # And the second is moved up with the button's precomputed order, then the last made the cover
    page = author_client.get(url(drill))
    order = f"{case},{drill_},{bits}"
    assert f'value="{order}"'.encode() in page.content
    assert_csp_clean(page)
    author_client.post(url(drill, "order/"), {**texts, "order": order})
    assert [p.alt_text for p in Photo.objects.filter(listing=drill)] == ["Its case", "The drill", "The bits"]
    cover = f"{bits},{case},{drill_}"
    assert f'value="{cover}"'.encode() in author_client.get(url(drill)).content
    author_client.post(url(drill, "order/"), {"order": cover})
    assert [p.alt_text for p in Photo.objects.filter(listing=drill)] == ["The bits", "Its case", "The drill"]

    # Then deleting one leaves the others, and "Done" goes back to the overview
    author_client.post(url(drill, f"{case}/remove/"))
    assert [p.alt_text for p in Photo.objects.filter(listing=drill)] == ["The bits", "The drill"]
    done = author_client.post(url(drill, "order/"), {"action": "continue"})
    assert done.status_code == 302 and done["Location"] == f"/listings/{drill.public_id}/edit/"


def test_the_old_photo_manager_sends_the_author_to_the_step(author_client: Client, drill: Listing) -> None:
    # Given a photo on the listing
    author_client.post(url(drill, "add/"), {"images": [png()]})
    photo = Photo.objects.get(listing=drill)
    # When the manager's page is asked for, the step answers
    moved = author_client.get(old(drill))
    assert moved.status_code == 302 and moved["Location"] == url(drill)
    # And a form posted from the old page changes nothing, and the step says so
    for tail, data in (
        ("add/", {"image": png()}),
        ("order/", {"order": str(photo.id)}),
        (f"{photo.id}/delete/", {}),
    ):
        sent = author_client.post(old(drill, tail), data)
        assert sent.status_code == 303 and sent["Location"] == url(drill)
    assert b"Nothing was changed" in author_client.get(url(drill)).content
    assert Photo.objects.filter(listing=drill).count() == 1


def test_refusals_are_shown_by_the_step(author_client: Client, drill: Listing) -> None:
    not_image = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")
    response = author_client.post(url(drill, "add/"), {"images": [not_image]})
    assert response.status_code == 422 and b"x.png:" in response.content and b"damaged" in response.content

    missing = author_client.post(url(drill, "add/"), {})
    assert missing.status_code == 422 and b"Choose one or more photos to upload." in missing.content

    author_client.post(url(drill, "add/"), {"images": [png()]})
    photo = Photo.objects.get(listing=drill)
    long_alt = author_client.post(url(drill, "order/"), {f"alt_{photo.id}": "x" * 201, "action": "save"})
    assert long_alt.status_code == 422 and b"Photo 1: " in long_alt.content
    assert b"at most 200 characters" in long_alt.content
    photo.refresh_from_db()
    assert photo.alt_text == ""

    current = policy()
    current.max_photo_bytes = 20
    current.save()
    big = author_client.post(url(drill, "add/"), {"images": [png(name="big.png")]})
    assert big.status_code == 413 and b"big.png:" in big.content and b"too large" in big.content

    current.max_photo_bytes = 10 * 1024 * 1024
    current.max_photos = 2
    current.save()
    full = author_client.post(url(drill, "add/"), {"images": [png(name="two.png"), png(name="three.png")]})
    assert full.status_code == 409 and b"1 photo is added." in full.content
    assert b"three.png:" in full.content and b"as many photos as it may have" in full.content
    assert Photo.objects.filter(listing=drill).count() == 2

    bad_order = author_client.post(url(drill, "order/"), {"order": "nope"})
    assert bad_order.status_code == 422 and b"exactly once" in bad_order.content


def test_only_the_author_manages_photos(
    client: Client, drill: Listing, make_user: Callable[..., User], author_client: Client
) -> None:
    author_client.post(url(drill, "add/"), {"images": [png()]})
    photo = Photo.objects.get(listing=drill)
    client.force_login(make_user(name="Mallory"))
    assert client.get(url(drill)).status_code == 403
    assert client.post(url(drill, "add/"), {"images": [png()]}).status_code == 403
    assert client.post(url(drill, f"{photo.id}/remove/")).status_code == 403
    assert client.post(url(drill, "order/"), {"order": str(photo.id)}).status_code == 403
    # and the old addresses send no one else anywhere
    assert client.get(old(drill)).status_code == 403
    assert client.post(old(drill, f"{photo.id}/delete/")).status_code == 403
    assert Photo.objects.filter(listing=drill).count() == 1


def test_home_cards_show_the_first_photo(author_client: Client, drill: Listing) -> None:
    author_client.post(url(drill, "add/"), {"images": [png()]})
    photo = Photo.objects.get(listing=drill)
    author_client.post(url(drill, "order/"), {f"alt_{photo.id}": "Cover shot", "action": "save"})
    home = author_client.get("/").content.decode()
    assert photo.thumbnail.url in home and 'alt="Cover shot"' in home
