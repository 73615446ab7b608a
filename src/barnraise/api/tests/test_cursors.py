"""Every list's `cursor` is checked: a forged one answers 422 `invalid_cursor`, never a 500.

The lists come from the published OpenAPI document (every GET with a `cursor` parameter).
"""

import base64
from typing import Any

import pytest

from barnraise.accounts.services import operator_create, token_create
from barnraise.conftest import ApiClient

pytestmark = pytest.mark.django_db

CRAFTED = [
    b"[null,null]",
    b'["a","b"]',
    b'[1,"x"]',
    b"[[1],[2]]",
    b'["a",1e999]',
    b'["a",99999999999999999999999]',
    b"[99999999999999999999999]",
    b"[1e999]",
    b"[[1]]",
    b'[{"a":1}]',
    b"[true]",
    b'["2026-01-01T00:00:00",99999999999999999999999]',
    b'["2026-01-01T00:00:00+00:00",99999999999999999999999]',
    b'["2026-01-01T00:00:00+00:00",true]',
    b"[" * 300,
    b"not json",
]


def _lists() -> list[tuple[str, dict[str, Any]]]:
    from barnraise.config.api import api

    document = api.get_openapi_schema(path_prefix="/api/v1/")
    found = []
    for path, item in document["paths"].items():
        operation = item.get("get")
        names = {p["name"]: p["in"] for p in (operation or {}).get("parameters", [])}
        if names.get("cursor") == "query":
            found.append((path, names))
    return found


LISTS = _lists()


def test_the_lists_are_found() -> None:
    assert {"/api/v1/listings", "/api/v1/events", "/api/v1/conversations", "/api/v1/me/ledger"} <= {
        path for path, _names in LISTS
    }


@pytest.mark.parametrize("raw", CRAFTED, ids=[r.decode()[:40] for r in CRAFTED])
@pytest.mark.parametrize(("path", "names"), LISTS, ids=[path for path, _names in LISTS])
def test_a_forged_cursor_is_422_invalid_cursor_on_every_list(
    path: str, names: dict[str, str], raw: bytes
) -> None:
    # given an operator (who may read every list), and the list's own object where it has one
    operator = operator_create(
        email="ops@example.com", name="Ops", password="pw-123456789", groups=["support"]
    )
    client = ApiClient(token=token_create(user=operator, name="t")[1])
    path_params = [name for name, where in names.items() if where == "path"]
    if path_params and path_params != ["user_id"]:
        pytest.skip("the list belongs to an object the test does not make (a deal)")
    url = path.replace("{user_id}", str(operator.pk))
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    # when
    response = client.call("GET", url, data={"cursor": cursor})
    # then
    assert response.status_code == 422, (response.status_code, response.content)
    assert response.json()["error"]["code"] == "invalid_cursor"
