"""Fixtures shared by every context's tests."""

import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from barnraise import copies
from barnraise.accounts.models import User
from barnraise.accounts.services import token_create
from barnraise.accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()  # rate-limit counters must not leak between tests
    copies.clear_all()  # nor the categories or fee rules of a rolled-back test


@pytest.fixture(autouse=True)
def _migration_data(request: pytest.FixtureRequest) -> None:
    """Put back the rows data migrations create (default cancellation policies and fee rule).

    A transactional test is cleaned by a flush, which empties every table; without this, the
    tests that run after it would see no fees and no policies, and pass or fail by order. A test
    in a rolled-back transaction needs nothing: it starts from the migrated data.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    wiped_after = {"transactional_db", "live_server"} & set(request.fixturenames)
    if not (transactional or wiped_after):
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    for module, function in (
        ("0002_default_cancellation_policies", "create_defaults"),
        ("0004_default_fee_rule", "create_default"),
    ):
        getattr(importlib.import_module(f"barnraise.commerce.migrations.{module}"), function)(apps, None)


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    counter = {"n": 0}

    def make(
        *,
        email: str | None = None,
        name: str = "Member",
        verified: bool = True,
        password: str = "correct horse battery",
        **fields: Any,
    ) -> User:
        counter["n"] += 1
        email = email or f"member{counter['n']}@example.com"
        user = UserFactory.create(email=email, password=password, name=name, verified=verified, **fields)
        return user

    return make


class ApiClient(Client):
    """A test client that speaks JSON to /api/v1 with an optional bearer token."""

    def __init__(self, token: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = dict(headers or {})
        if self.token:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def call(
        self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Any:
        url = path if path.startswith("/") else f"/api/v1/{path}"
        handler = getattr(self, method.lower())
        if json is not None:
            kwargs.update(data=json, content_type="application/json")
        return handler(url, headers=self._headers(headers), **kwargs)


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()


@pytest.fixture
def api_as(make_user: Callable[..., User]) -> Callable[..., ApiClient]:
    def as_user(user: User | None = None, **user_fields: Any) -> ApiClient:
        user = user or make_user(**user_fields)
        _, raw = token_create(user=user, name="test")
        client = ApiClient(token=raw)
        client.user = user  # type: ignore[attr-defined]
        return client

    return as_user


TEST_CARD = "4242424242424242"  # the sandbox's card that always succeeds


def payout_ready(user: User) -> User:
    """Give `user` a sandbox payout account that finished onboarding, as the pages would."""
    from barnraise.ledger.payouts import payout_account_open, sandbox_onboarding_finish

    account = payout_account_open(actor=user)
    sandbox_onboarding_finish(actor=user, external_id=account.external_id)
    return user


def after_commit(call: Callable[[], Any]) -> Any:
    """Run `call`, then the on-commit callbacks it queued (provider calls, their answers,
    notifications), as the worker would right after the commit."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return call()


@pytest.fixture
def ledger_rows_removable(transactional_db: None) -> object:
    """A transaction=True test is cleaned by deleting every row, which the ledger's triggers
    refuse on SQLite (postings and posted entries are immutable). For that wipe only, lift the
    two delete guards, empty the ledger, and put the guards back. PostgreSQL's flush truncates,
    which row triggers do not see."""
    yield None
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        return
    guards = importlib.import_module("barnraise.ledger.migrations.0002_guards")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS ledger_posting_delete_guard")
        cursor.execute("DROP TRIGGER IF EXISTS ledger_entry_delete_guard")
        cursor.execute("DELETE FROM ledger_balancesnapshot")
        cursor.execute("DELETE FROM ledger_posting")
        cursor.execute("DELETE FROM ledger_journalentry")
        for sql in guards.SQLITE_UP:
            if "BEFORE DELETE" in sql:
                cursor.execute(sql)


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width` × `height` RGBA pixels and holds none: decoding it would fail."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def pdf_with_script(pages: int = 1) -> bytes:
    """A real PDF written by hand: `pages` pages, each a red square on white, and a JavaScript
    action run when the document opens (what rendering to images must leave behind)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (5 + 2 * i) for i in range(pages)), pages),
        b"<< /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\);) >>",
        b"",  # 4: unused, keeps the page numbering simple
    ]
    square = b"1 0 0 rg 50 50 100 100 re f"
    for index in range(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents %d 0 R >>" % (6 + 2 * index)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(square), square))
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body or b"null")
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture
def make_pdf() -> Callable[..., bytes]:
    """Build a real PDF in the test: `make_pdf(pages=2)`."""
    return pdf_with_script


# --- object storage (S3) on moto's server ------------------------------------------------------
# A real HTTP server speaking the S3 API on this machine (a labelled fake of the store): the
# code under test reaches it through django-storages and boto3 as it would reach any store.

S3_KEYS = {"AWS_ACCESS_KEY_ID": "testing-key-id", "AWS_SECRET_ACCESS_KEY": "testing-secret"}


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class S3Server:
    """moto's S3 server on a free port of 127.0.0.1; `start` and `stop` it to bring it down."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server: Any = None

    def start(self) -> "S3Server":
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1")


@pytest.fixture(scope="session")
def s3_server() -> Any:
    """One S3 server for the session, with the test credentials in the environment."""
    import os

    saved = {name: os.environ.get(name) for name in S3_KEYS}
    os.environ.update(S3_KEYS)
    server = S3Server().start()
    yield server
    server.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class S3Stores:
    """The media and private buckets a test's storages use, and the settings they were made
    from (as MEDIA_STORAGE_URL and PRIVATE_STORAGE_URL would be)."""

    def __init__(self, server: S3Server, media_bucket: str, private_bucket: str) -> None:
        self.server = server
        self.client = server.client()
        self.media_bucket = media_bucket
        self.private_bucket = private_bucket
        self.media_url = f"s3://{media_bucket}?endpoint={server.endpoint}&region=us-east-1&acl=public-read"
        self.private_url = f"s3://{private_bucket}?endpoint={server.endpoint}&region=us-east-1"

    def keys(self, bucket: str) -> set[str]:
        listed = self.client.list_objects_v2(Bucket=bucket)
        return {item["Key"] for item in listed.get("Contents", [])}


def use_s3(settings: Any, server: S3Server, *, public_url: str = "") -> S3Stores:
    """Point both storages at fresh buckets of `server`, as the settings would for the URLs."""
    import uuid

    from barnraise import object_storage

    stores = S3Stores(server, f"media-{uuid.uuid4().hex[:12]}", f"private-{uuid.uuid4().hex[:12]}")
    for bucket in (stores.media_bucket, stores.private_bucket):
        stores.client.create_bucket(Bucket=bucket)
    media = object_storage.parse("MEDIA_STORAGE_URL", stores.media_url, private=False)
    private = object_storage.parse("PRIVATE_STORAGE_URL", stores.private_url, private=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": object_storage.storage_entry(media, private=False, public_url=public_url),
        "private": object_storage.storage_entry(private, private=True),
    }
    settings.MEDIA_URL = object_storage.public_base_url(media, public_url)
    return stores


@pytest.fixture
def s3(settings: Any, s3_server: S3Server) -> S3Stores:
    """Both storages on the S3 server, in buckets of their own for this test."""
    return use_s3(settings, s3_server)


@pytest.fixture(params=["memory", "s3"])
def file_store(request: pytest.FixtureRequest, settings: Any) -> S3Stores | None:
    """Run a test twice: with the test settings' storages (in memory), and on the S3 server.
    None for the first; the buckets for the second."""
    if request.param == "memory":
        return None
    return use_s3(settings, request.getfixturevalue("s3_server"))


class Fetched:
    """A private file as a browser gets it: straight from the app (200), or from the store
    after the app's redirect to a presigned URL (302)."""

    def __init__(self, status: int, headers: dict[str, str], content: bytes, redirected: str) -> None:
        self.status = status
        self.headers = headers
        self.content = content
        self.redirected = redirected  # the presigned URL, or "" when the app answered itself


def fetch(response: Any) -> Fetched:
    """Follow `response` (a test client's answer) to the bytes, through the store if redirected."""
    import urllib.request

    if response.status_code == 302:
        url = response["Location"]
        assert url.startswith("http://127.0.0.1:"), url  # only ever to the test's own store
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the test's store
            headers = {name.lower(): value for name, value in answer.headers.items()}
            return Fetched(answer.status, headers, answer.read(), url)
    headers = {name.lower(): value for name, value in response.items()}
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return Fetched(response.status_code, headers, content, "")
