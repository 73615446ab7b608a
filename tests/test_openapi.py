"""The published OpenAPI document, the docs page, and a schemathesis run against the live API."""

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from barnraise.accounts.models import User
from barnraise.accounts.services import token_create
from barnraise.config.wsgi import application

ERROR_STATUSES = {"400", "404", "422", "429"}


def openapi(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_is_openapi_3_1(client, db):
    # when
    document = openapi(client)
    # then
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "Barnraise API"
    assert document["components"]["securitySchemes"]
    assert "ErrorOut" in document["components"]["schemas"]


def test_every_operation_declares_its_error_responses(client, db):
    # given
    document = openapi(client)
    # then
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            missing = ERROR_STATUSES - set(responses)
            assert not missing, f"{method.upper()} {path} does not declare {sorted(missing)}"
            if operation.get("security"):
                assert "401" in responses, f"{method.upper()} {path}"
            body = operation.get("requestBody", {}).get("content", {})
            if body:
                assert "413" in responses, f"{method.upper()} {path}"
                # a JSON body may be sent with the wrong type; a multipart upload is never parsed as JSON
                assert ("415" in responses) == ("multipart/form-data" not in body), f"{method.upper()} {path}"
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorOut"}, f"{method} {path} {status}"


def test_domain_errors_are_declared_where_they_happen(client, db):
    # given
    paths = openapi(client)["paths"]
    # then
    assert "401" in paths["/api/v1/auth/token"]["post"]["responses"]
    assert "403" in paths["/api/v1/auth/token"]["post"]["responses"]  # email_unverified
    assert {"400", "409", "410"} <= set(paths["/api/v1/auth/email/confirm"]["post"]["responses"])


def test_signup_declares_no_conflict_since_it_answers_taken_addresses_alike(client, db):
    # given
    responses = openapi(client)["paths"]["/api/v1/auth/signup"]["post"]["responses"]
    # then
    assert "202" in responses
    assert "409" not in responses and "201" not in responses


def test_the_docs_page_loads_nothing_from_a_cdn(client, db):
    # when
    response = client.get("/api/v1/docs")
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    for host in ("cdn.", "jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert host not in html
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def live_db(db, settings) -> Iterator[None]:
    """Let the WSGI app share the test's transaction, as Django's test client does."""
    settings.API_RATE_LIMITS = dict.fromkeys(settings.API_RATE_LIMITS, (10000, 60))
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(live_db) -> str:
    user = User.objects.create_user(email="fuzz@example.com", password="correct horse battery", name="F")
    _, raw = token_create(user=user, name="fuzz")
    return raw


CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_published_contract(case, bearer):
    # when: a member's client sends whatever the schema allows, and things it does not
    response = case.call(headers={"Authorization": f"Bearer {bearer}"})
    # then: never a 5xx, and every status and body is one the schema declares
    case.validate_response(response, checks=CHECKS)
