"""Idempotency-Key: replay the first answer, refuse a reused key, never store a 5xx."""

from datetime import timedelta

import pytest
import time_machine
from django.db import OperationalError
from django.utils import timezone

from barnraise.api.models import IdempotencyRecord
from barnraise.catalog.models import Listing
from barnraise.catalog.services import category_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def body(db):
    category_create(slug="things", name="Things", kinds=["sale"])
    return {
        "kind": "sale",
        "category": "things",
        "title": "Lamp",
        "unit": "item",
        "stock": 1,
        "price": {"amount_minor": 500, "currency": "EUR"},
        "location": {"lat": 50.0, "lng": 4.0},
    }


def post(client, body, key):
    return client.call("POST", "listings", json=body, headers={"Idempotency-Key": key})


def test_a_retry_gets_the_first_response_and_writes_nothing(api_as, body):
    member = api_as()
    first = post(member, body, "k1")
    again = post(member, body, "k1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Listing.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(api_as, body):
    member = api_as()
    post(member, body, "k1")
    reused = post(member, {**body, "title": "Chair"}, "k1")
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert Listing.objects.count() == 1


def test_keys_are_scoped_to_the_caller(api_as, body):
    assert post(api_as(), body, "same").status_code == 201
    assert post(api_as(), body, "same").status_code == 201
    assert Listing.objects.count() == 2


def test_a_retry_while_the_first_runs_gets_409(api_as, body):
    member = api_as()
    IdempotencyRecord.objects.create(
        caller=str(member.user.pk),
        method="POST",
        path="/api/v1/listings",
        key="k1",
        body_hash="x" * 64,
    )
    import hashlib
    import json

    IdempotencyRecord.objects.update(body_hash=hashlib.sha256(json.dumps(body).encode()).hexdigest())
    response = post(member, body, "k1")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert Listing.objects.count() == 0


def test_a_key_left_in_progress_by_a_killed_process_is_taken_over_after_a_minute(api_as, body):
    # given a record left "in progress" by a process that died mid-request
    member = api_as()
    import hashlib
    import json

    IdempotencyRecord.objects.create(
        caller=str(member.user.pk),
        method="POST",
        path="/api/v1/listings",
        key="k1",
        body_hash=hashlib.sha256(json.dumps(body).encode()).hexdigest(),
    )
    # when the client retries within the minute, it is asked to wait; after it, the retry runs
    assert post(member, body, "k1").status_code == 409
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert post(member, body, "k1").status_code == 201
    assert Listing.objects.count() == 1


def test_server_errors_are_not_stored(api_as, body, monkeypatch):
    member = api_as()

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("barnraise.catalog.services.listing_create", locked)
    busy = post(member, body, "k1")
    assert busy.status_code == 503
    monkeypatch.undo()
    assert post(member, body, "k1").status_code == 201
    assert Listing.objects.count() == 1


def test_keys_expire_after_a_day(api_as, body):
    member = api_as()
    post(member, body, "k1")
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        later = post(member, {**body, "title": "Chair"}, "k1")
    assert later.status_code == 201
    assert Listing.objects.count() == 2


def test_auth_endpoints_and_overlong_keys(api, api_as, body):
    signup = {"email": "x@example.com", "password": "a-good-pass-123", "name": "X"}
    assert api.call("POST", "auth/signup", json=signup, headers={"Idempotency-Key": "s"}).status_code == 202
    assert not IdempotencyRecord.objects.exists()
    assert post(api_as(), body, "k" * 256).status_code == 400


def _document_operations():
    from barnraise.config.api import api

    document = api.get_openapi_schema(path_prefix="/api/v1/")
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "get"
    ]


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    _document_operations(),
    ids=[f"{m.upper()} {p}" for m, p, _o in _document_operations()],
)
def test_the_document_declares_idempotency_key_exactly_where_a_retry_is_replayed(
    api_as, method, path, operation
):
    # given the operation's declaration, and a call made twice with one key
    declared = any(
        p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])
    )
    client = api_as()
    url = path.replace("{provider}", "sandbox")
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", "0190f3f0-0000-7000-8000-000000000000")
    headers = {"Idempotency-Key": f"same-{method}-{path}"}
    # when
    first = client.call(method, url, json={}, headers=headers)
    again = client.call(method, url, json={}, headers=headers)
    # then
    assert first.status_code < 500
    assert (again.get("Idempotent-Replayed") == "true") == declared, (first.status_code, again.status_code)
    if declared:
        assert "409" in {str(status) for status in operation["responses"]}
