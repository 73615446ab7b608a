"""Listing photos through the API: real images in, clean upright JPEGs out, and every refusal
leaves nothing behind (no row, no file)."""

from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from barnraise.catalog.models import Listing, Photo
from barnraise.catalog.services import policy
from barnraise.catalog.tests.conftest import listing_body
from barnraise.conftest import png_header

pytestmark = pytest.mark.django_db

RED, BLUE = (220, 20, 20), (20, 20, 220)


@pytest.fixture(autouse=True)
def media(settings):
    """A fresh in-memory storage for each test, so 'no file was written' can be checked; the
    tests that take `file_store` run again on fresh buckets of the object store."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


def stored_files(path: str = "") -> set[str]:
    directories, files = default_storage.listdir(path)
    found = {f"{path}{name}" for name in files}
    for directory in directories:
        found |= stored_files(f"{path}{directory}/")
    return found


def two_halves(size=(300, 200), mode="RGB"):
    """Left half red, right half blue: shows which way an image was turned."""
    image = Image.new(mode, size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def jpeg_with_gps_and_orientation() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # display turned 90° clockwise
    exif[ExifTags.Base.Make] = "Snoopcam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (50.0, 51.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 21.0, 0.0)
    buffer = BytesIO()
    two_halves().save(buffer, "JPEG", exif=exif, comment=b"home address", quality=95)
    return buffer.getvalue()


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_with_alpha() -> bytes:
    image = Image.new("RGBA", (120, 80), (0, 0, 0, 0))  # transparent black
    image.paste((20, 20, 220, 255), (60, 0, 120, 80))
    return encoded(image, "PNG")


def animated_gif() -> bytes:
    first, second = Image.new("P", (64, 48), 1), Image.new("P", (64, 48), 2)
    palette = [0, 0, 0, *RED, *BLUE] + [0] * (256 * 3 - 9)
    first.putpalette(palette)
    second.putpalette(palette)
    return encoded(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def create_listing(client) -> str:
    response = client.call("POST", "listings", json=listing_body())
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def post_photo(client, listing_id, data: bytes, **kwargs):
    files = {"file": upload(data, **kwargs)}
    return client.call("POST", f"listings/{listing_id}/photos", data=files)


def open_stored(name: str) -> Image.Image:
    with default_storage.open(name) as handle:
        image = Image.open(BytesIO(handle.read()))
        image.load()
        return image


def pixel_at(image: Image.Image, x: float, y: float) -> tuple[int, ...]:
    return image.getpixel((int(x * (image.width - 1)), int(y * (image.height - 1))))


def close_to(actual, expected, tolerance=40) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


# --- what goes in comes out clean ---------------------------------------------------------


def test_jpeg_comes_out_upright_without_any_metadata(api_as, categories, file_store):
    # given
    author = api_as()
    listing_id = create_listing(author)
    original = jpeg_with_gps_and_orientation()
    assert Image.open(BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input has GPS
    # when
    response = post_photo(author, listing_id, original)
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["width"], body["height"]) == (200, 300)  # turned per the orientation tag
    photo = Photo.objects.get(id=body["id"])
    for name in (photo.image.name, photo.thumbnail.name):
        stored = open_stored(name)
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert not {"exif", "comment", "xmp", "icc_profile"} & set(stored.info)
        raw = default_storage.open(name).read()
        assert b"Snoopcam" not in raw and b"home address" not in raw
    image = open_stored(photo.image.name)
    assert image.size == (200, 300)
    assert close_to(pixel_at(image, 0.5, 0.1), RED)  # the left half is now on top
    assert close_to(pixel_at(image, 0.5, 0.9), BLUE)
    assert photo.image.name.startswith("listings/") and photo.image.name.endswith(".jpg")
    assert "photo" not in photo.image.name  # the client's name is never used


def test_large_photo_is_bounded_and_thumbnail_is_smaller(api_as, categories, file_store):
    # given
    author = api_as()
    listing_id = create_listing(author)
    big = encoded(two_halves((3000, 1500)), "PNG")
    # when
    body = post_photo(author, listing_id, big, name="big.png", content_type="image/png").json()
    # then
    photo = Photo.objects.get(id=body["id"])
    assert (body["width"], body["height"]) == (2000, 1000)
    assert open_stored(photo.image.name).size == (2000, 1000)
    thumbnail = open_stored(photo.thumbnail.name)
    assert thumbnail.format == "JPEG" and thumbnail.size == (480, 240)
    assert body["url"].endswith(photo.image.name)
    assert body["thumbnail_url"].endswith(photo.thumbnail.name)
    assert photo.thumbnail.size < photo.image.size


@pytest.mark.parametrize(
    ("data", "name", "expected_size", "left", "right"),
    [
        (png_with_alpha(), "alpha.png", (120, 80), (255, 255, 255), BLUE),
        (animated_gif(), "moving.gif", (64, 48), RED, RED),
        (encoded(two_halves(), "WEBP", quality=90), "photo.webp", (300, 200), RED, BLUE),
    ],
    ids=["png-alpha-on-white", "gif-first-frame", "webp"],
)
def test_png_gif_and_webp_become_jpeg(api_as, categories, data, name, expected_size, left, right):
    # given
    author = api_as()
    listing_id = create_listing(author)
    # when
    response = post_photo(author, listing_id, data, name=name, content_type="application/octet-stream")
    # then
    assert response.status_code == 201, response.json()
    image = open_stored(Photo.objects.get(id=response.json()["id"]).image.name)
    assert image.format == "JPEG" and image.mode == "RGB" and image.size == expected_size
    assert close_to(pixel_at(image, 0.1, 0.5), left)
    assert close_to(pixel_at(image, 0.9, 0.5), right)


def test_photos_show_on_the_listing_in_order_with_alt_text(api_as, api, categories):
    # given
    author = api_as()
    listing_id = create_listing(author)
    first = post_photo(author, listing_id, encoded(two_halves(), "JPEG")).json()
    # when
    files = {"file": upload(encoded(two_halves(), "PNG")), "alt_text": "  The  saddle "}
    second = author.call("POST", f"listings/{listing_id}/photos", data=files).json()
    # then
    photos = api.call("GET", f"listings/{listing_id}").json()["photos"]
    assert [p["id"] for p in photos] == [first["id"], second["id"]]
    assert photos[1]["alt_text"] == "The saddle"


# --- refusals leave nothing behind ---------------------------------------------------------


def _jpeg() -> bytes:
    return encoded(two_halves((800, 600)), "JPEG", quality=95)


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
)
# Built inside the test, not at import: the bomb takes a moment to compress.
BAD_FILES = {
    "text-named-jpg": lambda: b"Just some text, honestly a photo.\n" * 20,
    "truncated-jpeg": lambda: _jpeg()[: len(_jpeg()) // 2],
    "svg": lambda: SVG,
    "tiff": lambda: encoded(two_halves(), "TIFF"),
    "empty": lambda: b"",
}


@pytest.mark.parametrize("which", BAD_FILES)
def test_what_is_not_a_safe_image_is_refused_and_nothing_is_written(api_as, categories, which):
    # given
    author = api_as()
    listing_id = create_listing(author)
    data = BAD_FILES[which]()
    # when
    response = post_photo(author, listing_id, data, name="holiday.jpg")
    # then
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == "invalid_image"
    assert Photo.objects.count() == 0
    assert stored_files() == set()


OVER_25_MEGAPIXELS = {
    "header-5000x5001": lambda: png_header(5_000, 5_001),
    "header-6000x6600": lambda: png_header(6_000, 6_600),
    "bomb-400-megapixels": lambda: encoded(Image.new("1", (20_000, 20_000)), "PNG"),
}


@pytest.mark.parametrize("which", OVER_25_MEGAPIXELS)
def test_an_image_over_25_megapixels_is_refused_from_its_header(api_as, categories, which):
    # given: a small file (65 bytes for the header-only ones) that declares a huge canvas
    author = api_as()
    listing_id = create_listing(author)
    data = OVER_25_MEGAPIXELS[which]()
    # when
    response = post_photo(author, listing_id, data, name="holiday.png")
    # then: refused for its pixels, not as a broken file (which decoding it would have found)
    assert response.status_code == 422, response.json()
    assert response.json()["error"] == {
        "code": "image_too_large",
        "message": response.json()["error"]["message"],
        "details": {"max_pixels": 25_000_000},
    }
    assert "25" in response.json()["error"]["message"]
    assert Photo.objects.count() == 0
    assert stored_files() == set()


def test_an_image_of_25_megapixels_is_accepted(api_as, categories):
    # given: at the limit exactly, one colour (so the file is small)
    author = api_as()
    listing_id = create_listing(author)
    data = encoded(Image.new("RGB", (5_000, 5_000), RED), "PNG")
    # when
    response = post_photo(author, listing_id, data, name="big.png")
    # then
    assert response.status_code == 201, response.json()
    assert open_stored(Photo.objects.get().image.name).size == (2000, 2000)


def test_a_file_over_the_policy_size_is_refused(api_as, categories):
    # given
    author = api_as()
    listing_id = create_listing(author)
    current = policy()
    current.max_photo_bytes = 4_000
    current.save()
    data = _jpeg()
    assert len(data) > 4_000
    # when
    response = post_photo(author, listing_id, data)
    # then
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "file_too_large",
        "message": response.json()["error"]["message"],
        "details": {"limit": 4_000},
    }
    assert Photo.objects.count() == 0 and stored_files() == set()


def test_a_photo_over_the_policy_count_is_refused(api_as, categories):
    # given
    author = api_as()
    listing_id = create_listing(author)
    current = policy()
    current.max_photos = 1
    current.save()
    assert post_photo(author, listing_id, _jpeg()).status_code == 201
    files_before = stored_files()
    # when
    response = post_photo(author, listing_id, _jpeg())
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "too_many_photos"
    assert response.json()["error"]["details"] == {"limit": 1}
    assert Photo.objects.count() == 1 and stored_files() == files_before


def test_someone_elses_listing_is_refused(api_as, categories):
    # given
    listing_id = create_listing(api_as())
    stranger = api_as()
    # when
    response = post_photo(stranger, listing_id, _jpeg())
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert Photo.objects.count() == 0 and stored_files() == set()


def test_a_draft_of_someone_else_is_not_found(api_as, categories):
    # given
    author = api_as()
    listing_id = author.call("POST", "listings", json=listing_body(publish=False)).json()["id"]
    # when
    response = post_photo(api_as(), listing_id, _jpeg())
    # then
    assert response.status_code == 404
    assert Photo.objects.count() == 0 and stored_files() == set()


def test_a_closed_listing_takes_no_photos(api_as, categories):
    # given
    author = api_as()
    listing_id = create_listing(author)
    author.call("DELETE", f"listings/{listing_id}")
    # when
    response = post_photo(author, listing_id, _jpeg())
    # then
    assert response.status_code == 409
    assert Photo.objects.count() == 0 and stored_files() == set()


def test_missing_file_or_long_alt_text_is_invalid(api_as, categories):
    # given
    author = api_as()
    listing_id = create_listing(author)
    # when
    missing = author.call("POST", f"listings/{listing_id}/photos", data={"alt_text": "x"})
    long_alt = author.call(
        "POST", f"listings/{listing_id}/photos", data={"file": upload(_jpeg()), "alt_text": "x" * 201}
    )
    # then
    assert missing.status_code == 422 and "file" in missing.json()["error"]["details"]
    assert long_alt.status_code == 422 and "alt_text" in long_alt.json()["error"]["details"]
    assert Photo.objects.count() == 0 and stored_files() == set()


def test_when_the_database_write_fails_the_files_are_removed(api_as, categories, file_store, monkeypatch):
    # given
    author = api_as()
    listing_id = create_listing(author)

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Photo, "save", broken_save)
    # when
    with pytest.raises(RuntimeError):
        from barnraise.catalog.photos import photo_add

        photo_add(actor=author.user, public_id=listing_id, upload=upload(_jpeg()))
    # then
    assert stored_files() == set()


# --- approval, delete, reorder ---------------------------------------------------------------


def test_a_new_photo_sends_an_approved_listing_back_for_review(api_as, categories):
    # given: a published listing, then the marketplace starts reviewing listings
    author = api_as()
    listing_id = create_listing(author)
    current = policy()
    current.approval_required = True
    current.save()
    # when
    response = post_photo(author, listing_id, _jpeg())
    # then
    assert response.status_code == 201
    assert Listing.objects.get(public_id=listing_id).status == Listing.Status.PENDING_APPROVAL


def test_without_approval_a_new_photo_keeps_the_listing_published(api_as, categories):
    # given
    author = api_as()
    listing_id = create_listing(author)
    # when
    post_photo(author, listing_id, _jpeg())
    # then
    assert Listing.objects.get(public_id=listing_id).status == Listing.Status.PUBLISHED


def test_author_deletes_a_photo_and_its_files_go_after_commit(
    api_as, categories, django_capture_on_commit_callbacks, file_store
):
    # given
    author = api_as()
    listing_id = create_listing(author)
    photo_id = post_photo(author, listing_id, _jpeg()).json()["id"]
    assert len(stored_files()) == 2
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = author.call("DELETE", f"listings/{listing_id}/photos/{photo_id}")
    # then
    assert response.status_code == 204
    assert Photo.objects.count() == 0
    assert stored_files() == set()


def test_only_the_author_deletes_and_unknown_photos_are_not_found(api_as, categories):
    # given
    author = api_as()
    listing_id = create_listing(author)
    photo_id = post_photo(author, listing_id, _jpeg()).json()["id"]
    files = stored_files()
    # when
    by_stranger = api_as().call("DELETE", f"listings/{listing_id}/photos/{photo_id}")
    unknown = author.call("DELETE", f"listings/{listing_id}/photos/{listing_id}")
    # then
    assert by_stranger.status_code == 403
    assert unknown.status_code == 404
    assert Photo.objects.count() == 1 and stored_files() == files


def test_author_reorders_photos(api_as, api, categories):
    # given
    author = api_as()
    listing_id = create_listing(author)
    ids = [post_photo(author, listing_id, _jpeg()).json()["id"] for _ in range(3)]
    wanted = [ids[2], ids[0], ids[1]]
    # when
    response = author.call("PUT", f"listings/{listing_id}/photos/order", json={"photo_ids": wanted})
    # then
    assert response.status_code == 200, response.json()
    assert [p["id"] for p in response.json()] == wanted
    assert [p["id"] for p in api.call("GET", f"listings/{listing_id}").json()["photos"]] == wanted


@pytest.mark.parametrize("which", ["missing-one", "twice", "foreign"])
def test_a_reorder_must_name_each_photo_once(api_as, categories, which):
    # given
    author = api_as()
    listing_id = create_listing(author)
    ids = [post_photo(author, listing_id, _jpeg()).json()["id"] for _ in range(2)]
    body = {
        "missing-one": [ids[1]],
        "twice": [ids[1], ids[1], ids[0]],
        "foreign": [ids[1], listing_id],
    }[which]
    # when
    response = author.call("PUT", f"listings/{listing_id}/photos/order", json={"photo_ids": body})
    # then
    assert response.status_code == 422
    assert "photo_ids" in response.json()["error"]["details"]
    assert [str(pk) for pk in Photo.objects.values_list("id", flat=True)] == ids


def test_a_new_order_sends_an_approved_listing_back_for_review_but_the_same_does_not(api_as, categories):
    # given
    author = api_as()
    listing_id = create_listing(author)
    ids = [post_photo(author, listing_id, _jpeg()).json()["id"] for _ in range(2)]
    current = policy()
    current.approval_required = True
    current.save()
    # when: the same order
    author.call("PUT", f"listings/{listing_id}/photos/order", json={"photo_ids": ids})
    # then
    assert Listing.objects.get(public_id=listing_id).status == Listing.Status.PUBLISHED
    # when: a new order
    author.call("PUT", f"listings/{listing_id}/photos/order", json={"photo_ids": ids[::-1]})
    # then
    assert Listing.objects.get(public_id=listing_id).status == Listing.Status.PENDING_APPROVAL


def test_the_photo_endpoints_declare_their_errors(client, db):
    # when
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    # then
    upload_op = paths["/api/v1/listings/{listing_id}/photos"]["post"]
    assert {"201", "401", "403", "404", "409", "413", "422"} <= set(upload_op["responses"])
    assert "multipart/form-data" in upload_op["requestBody"]["content"]
    assert "409" in paths["/api/v1/listings/{listing_id}/photos/order"]["put"]["responses"]
    assert "204" in paths["/api/v1/listings/{listing_id}/photos/{photo_id}"]["delete"]["responses"]


def test_the_listing_admin_shows_photo_previews(api_as, categories, file_store, client, make_user):
    # given
    author = api_as()
    listing_id = create_listing(author)
    photo = Photo.objects.get(id=post_photo(author, listing_id, _jpeg()).json()["id"])
    client.force_login(make_user(is_staff=True, is_superuser=True))
    listing = Listing.objects.get(public_id=listing_id)
    # when
    response = client.get(f"/admin/catalog/listing/{listing.pk}/change/")
    # then
    assert response.status_code == 200
    assert f'src="{photo.thumbnail.url}"'.encode() in response.content
    assert b"photos-0-DELETE" in response.content


def test_deleting_the_account_removes_its_photos_and_files(
    api_as, categories, django_capture_on_commit_callbacks, file_store
):
    # given a member with a photo on a listing
    author = api_as(password="pw-123456789")
    listing_id = author.call("POST", "listings", json=listing_body()).json()["id"]
    photo = post_photo(author, listing_id, _jpeg()).json()
    stored = Photo.objects.get(id=photo["id"]).image.name
    assert default_storage.exists(stored)
    # when the member deletes their account
    with django_capture_on_commit_callbacks(execute=True):
        author.call("DELETE", "me", json={"password": "pw-123456789"})
    # then the photo and its files are gone
    assert not Photo.objects.exists()
    assert not default_storage.exists(stored)
