"""Every API operation refuses what it does not take: 422 `unknown_field`, naming the field.

The operations come from the published OpenAPI document, so a new endpoint is covered the day
it is added. Payment webhooks take what the provider sends.
"""

import json
import uuid
from typing import Any

import pytest

from barnraise.accounts.models import User

pytestmark = pytest.mark.django_db

EXEMPT = {("post", "/api/v1/webhooks/payments/{provider}")}  # a provider's signed event, as sent
UNKNOWN = "zz_not_a_field"


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    from barnraise.config.api import api

    document = api.get_openapi_schema(path_prefix="/api/v1/")
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if (method, path) not in EXEMPT
    ]


OPERATIONS = _operations()
IDS = [f"{method.upper()} {path}" for method, path, _op in OPERATIONS]


def _url(path: str, operation: dict[str, Any]) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            schema = parameter.get("schema", {})
            value = str(uuid.uuid4()) if schema.get("format") == "uuid" else "1"
            path = path.replace("{" + parameter["name"] + "}", value)
    return path


def _assert_unknown(response: Any, field: str) -> None:
    assert response.status_code == 422, (response.status_code, response.content)
    error = response.json()["error"]
    assert error["code"] == "unknown_field"
    assert field in error["details"], error["details"]


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_refuses_an_unknown_query_parameter(
    api_as: Any, method: str, path: str, operation: dict[str, Any]
) -> None:
    # given
    client = api_as()
    takes_json = "application/json" in operation.get("requestBody", {}).get("content", {})
    # when
    response = client.call(method, f"{_url(path, operation)}?{UNKNOWN}=1", json={} if takes_json else None)
    # then
    _assert_unknown(response, UNKNOWN)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_refuses_an_unknown_body_field(
    api_as: Any, method: str, path: str, operation: dict[str, Any]
) -> None:
    # given
    client = api_as()
    content = operation.get("requestBody", {}).get("content", {})
    if method == "get":
        pytest.skip("a GET has no body")
    # when
    if "multipart/form-data" in content:
        response = client.call(method, _url(path, operation), data={UNKNOWN: "1"})
    else:
        response = client.call(method, _url(path, operation), json={UNKNOWN: 1})
    # then
    _assert_unknown(response, UNKNOWN)


def test_an_unknown_field_in_a_nested_object_is_named_by_its_path(api_as: Any) -> None:
    # given
    client = api_as()
    body = {
        "kind": "sale",
        "category": "nope",
        "title": "Lamp",
        "price": {"amount_minor": 100, "currency": "EUR", "cents": 1},
        "unit": "item",
        "location": {"lat": 51.0, "lng": 3.7},
    }
    # when
    response = client.call("POST", "listings", json=body)
    # then
    _assert_unknown(response, "price.cents")
    assert not client.user.listings.exists()


def test_known_fields_and_a_misspelt_one_answer_unknown_field_and_change_nothing(api_as: Any) -> None:
    # given
    client = api_as(name="Ann")
    # when
    response = client.call("PATCH", "me", json={"nmae": "Bob"})
    # then
    _assert_unknown(response, "nmae")
    assert User.objects.get(pk=client.user.pk).name == "Ann"


JSON_BODIES = [
    (method, path, operation)
    for method, path, operation in OPERATIONS
    if "application/json" in operation.get("requestBody", {}).get("content", {})
]


@pytest.mark.parametrize("body", ["[1, 2]", "null", "42", '"text"'])
@pytest.mark.parametrize(
    ("method", "path", "operation"), JSON_BODIES, ids=[f"{m.upper()} {p}" for m, p, _o in JSON_BODIES]
)
def test_every_json_body_must_be_an_object(
    api_as: Any, method: str, path: str, operation: dict[str, Any], body: str
) -> None:
    # given
    client = api_as()
    # when
    response = client.call(method, _url(path, operation), data=body, content_type="application/json")
    # then
    assert response.status_code == 422, (response.status_code, response.content)
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("body", ["[1, 2]", "null", "42"])
def test_patch_me_with_a_body_that_is_not_an_object_changes_nothing(api_as: Any, body: str) -> None:
    # given
    client = api_as(name="Ann")
    # when
    response = client.call("PATCH", "me", data=body, content_type="application/json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"body": ["Must be a JSON object."]}
    assert User.objects.get(pk=client.user.pk).name == "Ann"


def test_the_payment_webhook_takes_whatever_fields_the_provider_adds(api: Any) -> None:
    # given: the sandbox sends no webhooks (404), whatever the body carries
    body = json.dumps({"id": "evt_1", "type": "x", UNKNOWN: 1})
    # when
    response = api.post(
        f"/api/v1/webhooks/payments/sandbox?{UNKNOWN}=1", body, content_type="application/json"
    )
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
