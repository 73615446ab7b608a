"""The caller's avatar: set, replace, clear; a clean 256 px square JPEG, nothing left behind."""

from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from barnraise.accounts.models import User

pytestmark = pytest.mark.django_db

RED, BLUE = (220, 20, 20), (20, 20, 220)


@pytest.fixture(autouse=True)
def media(settings):
    """A fresh in-memory storage for each test, so 'no file was written' can be checked."""
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


def portrait_jpeg() -> bytes:
    """600×400, red left of a blue centre band, with GPS, stored for display turned 90°."""
    image = Image.new("RGB", (600, 400), RED)
    image.paste(BLUE, (200, 0, 400, 400))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (50.0, 51.0, 0.0)
    buffer = BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png(size=(100, 100), colour=RED) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def post_avatar(client, data: bytes, name: str = "me.jpg"):
    files = {"file": SimpleUploadedFile(name, data, content_type="image/jpeg")}
    return client.call("POST", "me/avatar", data=files)


def open_stored(name: str) -> Image.Image:
    with default_storage.open(name) as handle:
        image = Image.open(BytesIO(handle.read()))
        image.load()
        return image


def test_member_sets_an_avatar_cropped_square_without_metadata(api_as, file_store):
    # given
    member = api_as()
    # when
    response = post_avatar(member, portrait_jpeg())
    # then
    assert response.status_code == 200, response.json()
    user = User.objects.get(pk=member.user.pk)
    assert user.avatar.name.startswith("avatars/") and user.avatar.name.endswith(".jpg")
    assert response.json()["avatar_url"].endswith(user.avatar.name)
    image = open_stored(user.avatar.name)
    assert image.format == "JPEG" and image.size == (256, 256)
    assert dict(image.getexif()) == {}
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    # upright 400×600, its centre square is the blue band turned across the middle
    assert image.getpixel((128, 10))[2] < 100  # red on top
    assert image.getpixel((128, 128))[2] > 150  # blue band in the middle
    assert stored_files() == {user.avatar.name}


def test_a_small_avatar_is_not_enlarged(api_as):
    # given
    member = api_as()
    # when
    post_avatar(member, png((120, 80)), name="small.png")
    # then
    user = User.objects.get(pk=member.user.pk)
    assert open_stored(user.avatar.name).size == (80, 80)


def test_replacing_the_avatar_deletes_the_old_file(api_as, django_capture_on_commit_callbacks):
    # given
    member = api_as()
    post_avatar(member, png(colour=RED))
    old_name = User.objects.get(pk=member.user.pk).avatar.name
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = post_avatar(member, png(colour=BLUE))
    # then
    assert response.status_code == 200
    new_name = User.objects.get(pk=member.user.pk).avatar.name
    assert new_name != old_name
    assert stored_files() == {new_name}


def test_clearing_the_avatar_deletes_the_file(api_as, django_capture_on_commit_callbacks):
    # given
    member = api_as()
    post_avatar(member, png())
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = member.call("DELETE", "me/avatar")
    # then
    assert response.status_code == 204
    assert not User.objects.get(pk=member.user.pk).avatar
    assert member.call("GET", "me").json()["avatar_url"] is None
    assert stored_files() == set()


def test_clearing_without_an_avatar_is_fine(api_as):
    # when
    response = api_as().call("DELETE", "me/avatar")
    # then
    assert response.status_code == 204


@pytest.mark.parametrize(
    "data",
    [b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"not an image at all", png()[:60]],
    ids=["svg", "text", "truncated"],
)
def test_a_bad_avatar_is_refused_and_the_old_one_stays(api_as, data, django_capture_on_commit_callbacks):
    # given
    member = api_as()
    post_avatar(member, png())
    before = User.objects.get(pk=member.user.pk).avatar.name
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = post_avatar(member, data)
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_image"
    assert User.objects.get(pk=member.user.pk).avatar.name == before
    assert stored_files() == {before}


def test_an_avatar_over_the_limit_is_refused(api_as, monkeypatch):
    # given
    member = api_as()
    monkeypatch.setattr("barnraise.accounts.services.AVATAR_MAX_BYTES", 100)
    # when
    response = post_avatar(member, png())
    # then
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert not User.objects.get(pk=member.user.pk).avatar
    assert stored_files() == set()


def test_an_avatar_needs_a_token(api):
    # when
    response = post_avatar(api, png())
    # then
    assert response.status_code == 401
    assert stored_files() == set()
