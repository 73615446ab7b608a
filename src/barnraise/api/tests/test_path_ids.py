"""A malformed id in a path answers 404 `not_found`, as an unknown one does, on every path."""

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _operations_with_ids() -> list[tuple[str, str, str]]:
    from barnraise.config.api import api

    document = api.get_openapi_schema(path_prefix="/api/v1/")
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                typed = schema.get("format") == "uuid" or schema.get("type") == "integer"
                if parameter["in"] == "path" and typed:
                    found.append((method, path, parameter["name"]))
    return found


OPERATIONS = _operations_with_ids()


def test_paths_with_ids_are_found() -> None:
    assert len({path for _method, path, _name in OPERATIONS}) >= 20


@pytest.mark.parametrize("bad", ["not-a-uuid", "12ab", "%20", "0190f3f0-0000-7000-8000-00000000000z"])
@pytest.mark.parametrize(
    ("method", "path", "name"), OPERATIONS, ids=[f"{m.upper()} {p} {n}" for m, p, n in OPERATIONS]
)
def test_a_malformed_path_id_is_404_not_found(
    api_as: Any, method: str, path: str, name: str, bad: str
) -> None:
    # given
    client = api_as()
    url = path.replace("{" + name + "}", bad)
    for other in ("transaction_id", "listing_id", "evidence_id", "photo_id", "item_id"):
        url = url.replace("{" + other + "}", "0190f3f0-0000-7000-8000-000000000000")
    # when
    response = client.call(method, url, json={} if method in ("post", "put", "patch", "delete") else None)
    # then
    assert response.status_code == 404, (response.status_code, response.content)
    assert response.json()["error"]["code"] == "not_found"
