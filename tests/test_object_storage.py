"""Uploaded files on an S3-compatible store (moto's server, over HTTP on this machine: a labelled
fake of the store), through the public face: photos served by the store or a CDN, private files
by a presigned URL of a minute given only after the permission check, the readiness probe on the
store, the settings that configure it; and the local disk, which stays the default.

moto does not enforce a presigned URL's expiry nor an object's ACL on reads, so what is checked
there is what Barnraise asks of the store: the URL's lifetime and signature parameters, and the
ACL each object was written with.
"""

import io
import os
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from barnraise import object_storage
from barnraise.catalog.services import category_create
from barnraise.conftest import S3Server, fetch, use_s3

pytestmark = pytest.mark.django_db

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def png(size=(600, 400), colour=(30, 140, 60)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def a_listing(client) -> str:
    category_create(slug="bikes", name="Bikes", kinds=["sale"])
    body = {
        "kind": "sale",
        "category": "bikes",
        "title": "Blue commuter bike",
        "description": "Rides well.",
        "price": {"amount_minor": 12500, "currency": "EUR"},
        "unit": "item",
        "stock": 1,
        "location": {"lat": 50.85, "lng": 4.35},
        "address": "Rue Haute 1",
        "timezone": "Europe/Brussels",
    }
    made = client.call("POST", "listings", json=body)
    assert made.status_code == 201, made.json()
    return made.json()["id"]


def public_grants(stores, bucket: str, key: str) -> list[str]:
    acl = stores.client.get_object_acl(Bucket=bucket, Key=key)
    return [g["Permission"] for g in acl["Grants"] if g["Grantee"].get("URI") == ALL_USERS]


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the test's own store
        return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()


# --- public media ---------------------------------------------------------------------------------


def test_a_listing_photo_is_stored_in_the_media_bucket_and_served_by_the_store(api_as, s3):
    # given a listing, with both storages on the store
    author = api_as()
    listing_id = a_listing(author)
    # when a photo is uploaded through the API
    made = author.call("POST", f"listings/{listing_id}/photos", data={"file": png()})
    assert made.status_code == 201, made.json()
    photo = made.json()
    # then both renditions, made at upload, sit in the media bucket, readable by anyone
    keys = s3.keys(s3.media_bucket)
    assert len(keys) == 2 and all(key.startswith("listings/") for key in keys)
    assert all(public_grants(s3, s3.media_bucket, key) == ["READ"] for key in keys)
    assert s3.keys(s3.private_bucket) == set()
    # and their URLs are the store's own, with no signature, which answer the JPEGs
    base = f"{s3.server.endpoint}/{s3.media_bucket}/listings/"
    for field, width in (("url", 600), ("thumbnail_url", 480)):
        url = photo[field]
        assert url.startswith(base) and "X-Amz-" not in url
        status, headers, content = get(url)
        assert status == 200 and headers["content-type"] == "image/jpeg"
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        assert Image.open(io.BytesIO(content)).size[0] == width
    # and the listing, as anyone reads it, points at the same addresses
    shown = Client().get(f"/api/v1/listings/{listing_id}").json()["photos"][0]
    assert (shown["url"], shown["thumbnail_url"]) == (photo["url"], photo["thumbnail_url"])


def test_a_cdn_address_names_public_media_when_set(api_as, settings, s3_server):
    # given media on the store, read by browsers through a CDN
    use_s3(settings, s3_server, public_url="https://cdn.example.org/market")
    author = api_as()
    listing_id = a_listing(author)
    # when a photo is uploaded
    photo = author.call("POST", f"listings/{listing_id}/photos", data={"file": png()}).json()
    # then its URLs are under the CDN, keyed as in the bucket
    assert photo["url"].startswith("https://cdn.example.org/market/listings/")
    assert photo["thumbnail_url"].startswith("https://cdn.example.org/market/listings/")


def test_an_avatar_goes_to_the_media_bucket(api_as, s3):
    # when a member sets an avatar
    member = api_as()
    answer = member.call("POST", "me/avatar", data={"file": png((300, 300))})
    assert answer.status_code in (200, 201), answer.json()
    url = member.call("GET", "me").json()["avatar_url"]
    # then it is the store's object, which the store serves
    assert url.startswith(f"{s3.server.endpoint}/{s3.media_bucket}/avatars/")
    assert get(url)[0] == 200


# --- private files --------------------------------------------------------------------------------


def upload_document(client, pdf: bytes):
    file = SimpleUploadedFile("licence.pdf", pdf, content_type="application/pdf")
    fields = {"kind": "licence", "title": "Electrician", "file": file}
    return client.post("/api/v1/me/documents", fields, headers=client._headers(None))


def test_a_document_is_a_redirect_to_a_short_lived_url_for_its_owner_only(
    api_as, make_user, make_pdf, s3, django_capture_on_commit_callbacks
):
    # given a member's PDF licence, uploaded to the private bucket; the worker renders its pages
    member = api_as()
    pdf = make_pdf(pages=2)
    with django_capture_on_commit_callbacks(execute=True):
        made = upload_document(member, pdf)
    assert made.status_code == 201, made.json()
    document = member.call("GET", "me/documents").json()[0]
    assert [page["number"] for page in document["pages"]] == [1, 2]
    keys = s3.keys(s3.private_bucket)
    assert len(keys) == 3  # the PDF and the two pages the worker wrote through the storage API
    assert all(public_grants(s3, s3.private_bucket, key) == [] for key in keys)
    assert s3.keys(s3.media_bucket) == set()
    # when the owner asks for the file
    issued = datetime.now(UTC)
    answer = member.get(document["file_url"], headers=member._headers(None))
    # then the app answers a redirect no cache keeps, to a presigned URL of a minute
    assert answer.status_code == 302
    assert answer["Cache-Control"] == "private, no-store"
    url = answer["Location"]
    assert url.startswith(f"{s3.server.endpoint}/{s3.private_bucket}/documents/")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["60"] and query["X-Amz-Signature"][0]
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs(signed_at - issued) < timedelta(seconds=5)  # so it stops answering a minute later
    # and the store sends the bytes as uploaded, as a download of the stored type
    fetched = fetch(answer)
    assert fetched.content == pdf
    assert fetched.headers["content-type"] == "application/pdf"
    assert fetched.headers["content-disposition"] == f'attachment; filename="licence-{document["id"]}.pdf"'
    assert fetched.headers["cache-control"] == "private, no-store"
    # and a rendered page comes inline, as a JPEG
    page = fetch(member.get(document["pages"][0]["url"], headers=member._headers(None)))
    assert page.redirected and page.headers["content-type"] == "image/jpeg"
    assert page.headers["content-disposition"].startswith("inline;")
    assert Image.open(io.BytesIO(page.content)).format == "JPEG"
    # and another member, or nobody, gets no URL at all
    for other in (api_as(), Client()):
        for path in (document["file_url"], document["pages"][0]["url"]):
            refused = other.get(path, headers=getattr(other, "_headers", lambda h: {})(None))
            assert refused.status_code in (401, 403, 404)
            assert "Location" not in refused
    # and an operator of support gets the redirect from the admin, the page too
    operator = make_user(is_staff=True)
    operator.groups.add(Group.objects.get(name="support"))
    admin = Client()
    admin.force_login(operator)
    downloaded = fetch(admin.get(f"/admin/accounts/document/{document['id']}/file/"))
    assert downloaded.redirected and downloaded.content == pdf
    # and staff without the permission get nothing
    plain = Client()
    plain.force_login(make_user(is_staff=True))
    assert plain.get(f"/admin/accounts/document/{document['id']}/file/").status_code == 404


def test_a_private_file_gone_from_the_store_is_a_404(api_as, make_pdf, s3):
    # given a document whose object was removed from the bucket
    member = api_as()
    assert upload_document(member, make_pdf(pages=1)).status_code == 201
    document = member.call("GET", "me/documents").json()[0]
    for key in s3.keys(s3.private_bucket):
        s3.client.delete_object(Bucket=s3.private_bucket, Key=key)
    # when the owner asks for it
    answer = member.get(document["file_url"], headers=member._headers(None))
    # then it is a 404, not a URL to nothing
    assert answer.status_code == 404 and "Location" not in answer


# --- readiness ------------------------------------------------------------------------------------


def test_ready_checks_both_buckets_and_is_503_when_the_store_is_down(api, settings, s3_server):
    # given both storages on a store of their own
    server = S3Server().start()
    try:
        use_s3(settings, server)
        # when the store answers, the app is ready
        answer = api.call("GET", "health/ready")
        assert answer.status_code == 200
        assert answer.json()["checks"] == {"database": "ok", "storage": "ok", "private_storage": "ok"}
    finally:
        server.stop()
    # when the store is down
    answer = api.call("GET", "health/ready")
    # then it is not ready, and says which checks failed without naming the store
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "not_ready"
    assert error["details"]["checks"] == {"database": "ok", "storage": "failed", "private_storage": "failed"}
    assert "127.0.0.1" not in answer.content.decode()


def test_ready_fails_for_a_bucket_that_does_not_exist(api, settings, s3):
    # given a private storage pointed at a bucket nobody made
    s3.client.delete_bucket(Bucket=s3.private_bucket)
    # when readiness is asked
    answer = api.call("GET", "health/ready")
    # then the private storage fails, the media storage is fine
    assert answer.status_code == 503
    assert answer.json()["error"]["details"]["checks"]["private_storage"] == "failed"
    assert answer.json()["error"]["details"]["checks"]["storage"] == "ok"


# --- the local disk, the default ------------------------------------------------------------------


def test_public_media_on_disk_are_served_by_django_only_when_serve_media_is_on(settings, tmp_path):
    # given a photo on the local disk
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "listings").mkdir()
    (tmp_path / "listings" / "bike.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    # when production serves (SERVE_MEDIA off: a proxy or the store serves media)
    settings.SERVE_MEDIA = False
    assert Client().get("/media/listings/bike.jpg").status_code == 404
    # when the demo or development serves
    settings.SERVE_MEDIA = True
    answer = Client().get("/media/listings/bike.jpg")
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"\xff\xd8\xff")


def test_private_files_on_disk_are_streamed_by_the_app(api_as, make_pdf, settings, tmp_path):
    # given both storages on the local disk (the default without *_STORAGE_URL)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "m")},
        },
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "p")},
        },
    }
    member = api_as()
    pdf = make_pdf(pages=1)
    assert upload_document(member, pdf).status_code == 201
    document = member.call("GET", "me/documents").json()[0]
    # when the owner downloads it
    answer = member.get(document["file_url"], headers=member._headers(None))
    # then the app streams it from the disk, under the private root
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == pdf
    assert list((tmp_path / "p" / "documents").rglob("*.pdf"))
    assert not (tmp_path / "m").exists()


# --- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("https://bucket", "must be an s3:// URL"),
        ("s3://Bad_Bucket", "must name a bucket"),
        ("s3://b", "must name a bucket"),
        ("s3://bucket?endpoint=ftp://x", "absolute http(s) URL"),
        ("s3://bucket?endpoint=http://store.example.org", "https endpoint"),
        ("s3://bucket?endpoint=https://store.example.org/path", "with no path"),
        ("s3://bucket?regoin=eu-west-1", "unknown parameters (regoin)"),
        ("s3://bucket?region=eu-west-1&region=us-east-1", "more than once"),
        ("s3://bucket?region=Europe West", "not a region name"),
        ("s3://bucket?addressing_style=dns", "addressing_style=path"),
        ("s3://bucket?acl=everyone", "acl= one of"),
        ("s3://bucket/a/../b", "prefix"),
    ],
)
def test_a_bad_storage_url_is_refused_with_a_message_naming_it(raw, says):
    with pytest.raises(ImproperlyConfigured) as refused:
        object_storage.parse("MEDIA_STORAGE_URL", raw, private=False)
    assert str(refused.value).startswith(f"MEDIA_STORAGE_URL={raw!r}")
    assert says in str(refused.value)


def test_the_private_store_takes_no_acl_and_writes_private_objects():
    with pytest.raises(ImproperlyConfigured, match="takes no acl"):
        object_storage.parse("PRIVATE_STORAGE_URL", "s3://docs?acl=public-read", private=True)
    parsed = object_storage.parse("PRIVATE_STORAGE_URL", "s3://docs/eu/", private=True)
    assert (parsed.bucket, parsed.prefix, parsed.acl, parsed.addressing_style) == (
        "docs",
        "eu",
        "private",
        "virtual",
    )
    assert object_storage.bucket_url(parsed) == "https://docs.s3.us-east-1.amazonaws.com/"


def _settings_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_STORAGE_URL")},
        "BARNRAISE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "barnraise.config.settings",
        **env,
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.STORAGES['default']['BACKEND'], settings.MEDIA_URL, settings.SERVE_MEDIA, "
        "settings.STORAGE_ORIGINS)"
    )
    return subprocess.run(  # noqa: S603 - our own interpreter on our own code
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_settings_read_the_storage_urls_and_refuse_one_bucket_for_both(tmp_path):
    # given media and private files on two buckets, with a CDN in front of the media
    good = _settings_with(
        tmp_path,
        MEDIA_STORAGE_URL="s3://market-media?endpoint=https://store.example.org&region=eu-west-1",
        PRIVATE_STORAGE_URL="s3://market-private?endpoint=https://store.example.org&region=eu-west-1",
        MEDIA_PUBLIC_URL="https://cdn.example.org/",
        SERVE_MEDIA="1",
    )
    # then media go to the store, are read from the CDN, and Django never serves them
    assert good.returncode == 0, good.stderr
    assert good.stdout.split(" ", 3) == [
        object_storage.S3_BACKEND,
        "https://cdn.example.org/",
        "False",
        "['https://cdn.example.org', 'https://store.example.org']\n",
    ]
    # and one bucket for both is refused at start-up, with a message naming both settings
    same = _settings_with(
        tmp_path,
        MEDIA_STORAGE_URL="s3://market?endpoint=https://store.example.org",
        PRIVATE_STORAGE_URL="s3://market/private?endpoint=https://store.example.org",
    )
    assert same.returncode != 0
    assert "ImproperlyConfigured" in same.stderr and "name the same bucket" in same.stderr
    # and without them, files stay on the local disk, under /media/
    local = _settings_with(tmp_path)
    assert local.returncode == 0, local.stderr
    assert local.stdout.split(" ")[:3] == ["django.core.files.storage.FileSystemStorage", "/media/", "False"]
