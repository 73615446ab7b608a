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
