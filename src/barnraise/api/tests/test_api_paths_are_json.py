"""Every answer under /api/ is JSON in the one error shape: unknown paths, CSRF failures and
query strings longer than the API reads."""

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/me/nope", "/api/nope", "/api/", "/api/v2/listings"]
)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "get"])
def test_any_method_on_an_unknown_api_path_without_a_token_is_a_json_404(method: str, path: str) -> None:
    # given a browser-like client that enforces CSRF, with no session and no token
    client = Client(enforce_csrf_checks=True)
    # when
    body = {} if method == "get" else {"data": "{}", "content_type": "application/json"}
    response = getattr(client, method)(path, **body)
    # then
    assert_error(response, 404, "not_found")


@pytest.mark.urls("barnraise.api.tests.urls_csrf")
def test_a_csrf_failure_under_api_is_a_json_403_and_on_a_page_stays_a_page() -> None:
    # given
    client = Client(enforce_csrf_checks=True)
    # when
    api_answer = client.post("/api/guarded/")
    page_answer = client.post("/guarded/")
    # then
    assert_error(api_answer, 403, "permission_denied")
    assert page_answer.status_code == 403
    assert page_answer["Content-Type"].startswith("text/html")


def test_a_query_string_over_the_limit_is_a_json_414(api_as: Any, settings: Any) -> None:
    # given
    client = api_as()
    long_cursor = "c" * (settings.API_MAX_QUERY_STRING + 1 - len("cursor="))
    # when
    at_limit = client.call("GET", f"notifications?cursor={long_cursor[:-1]}")
    over = client.call("GET", f"notifications?cursor={long_cursor}")
    # then
    assert at_limit.status_code == 422  # read (and refused as a cursor), not turned away
    assert_error(over, 414, "uri_too_long")
    assert over.json()["error"]["details"] == {"limit": settings.API_MAX_QUERY_STRING}


def test_pages_keep_long_query_strings(client: Client, settings: Any) -> None:
    # when
    response = client.get("/search/?q=" + "bike+" * settings.API_MAX_QUERY_STRING)
    # then
    assert response.status_code != 414


def test_every_operation_with_query_parameters_declares_414() -> None:
    # given
    from barnraise.config.api import api

    document = api.get_openapi_schema(path_prefix="/api/v1/")
    # then
    lists = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            takes_query = any(p["in"] == "query" for p in operation.get("parameters", []))
            assert ("414" in operation["responses"]) == takes_query, f"{method.upper()} {path}"
            lists += method == "get" and takes_query
    assert lists >= 10
