"""Every amount the API answers is money in one shape: {amount_minor, currency, formatted}.

The walk covers every response schema of the published OpenAPI document (nothing listed by
hand): a property whose name says money (`*_minor`, `amount`, `price`, `total`, `fee`,
`unit_price`, …) must be the `MoneyOut` schema, alone or nullable.
"""

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

MONEY = "#/components/schemas/MoneyOut"
# `unread_total` counts messages: "total" alone, or first, names money; any other word, anywhere.
MONEYISH = re.compile(
    r"^(total|sum)(_|$)|(^|_)(amount|price|fee|fees|cost|refund|refunded|balance|payout|commission|subtotal)$"
    r"|_minor$"
)


def _is_money(schema: dict[str, Any]) -> bool:
    if schema.get("$ref") == MONEY:
        return True
    options = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf") or []
    kinds = [o for o in options if o.get("type") != "null"]
    return bool(kinds) and all(_is_money(o) for o in kinds)


def money_violations(document: dict[str, Any]) -> list[str]:
    """`where: property` for each response property named like money that is not MoneyOut."""
    components = document.get("components", {}).get("schemas", {})
    found: list[str] = []
    seen: set[str] = set()

    def walk(schema: Any, where: str) -> None:
        if not isinstance(schema, dict):
            return
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            if ref == MONEY or name in seen:
                return
            seen.add(name)
            walk(components.get(name), name)
            return
        for name, prop in (schema.get("properties") or {}).items():
            if MONEYISH.search(name) and not _is_money(prop):
                found.append(f"{where}: {name}")
            walk(prop, f"{where}.{name}")
        for key in ("items", "additionalProperties"):
            walk(schema.get(key), where)
        for key in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(key) or []:
                walk(option, where)

    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                if status.startswith("2"):
                    for content in (response.get("content") or {}).values():
                        walk(content.get("schema"), f"{method.upper()} {path} {status}")
    return sorted(set(found))


def test_every_amount_in_every_response_is_money(client):
    # given
    document = client.get("/api/v1/openapi.json").json()
    # then
    assert money_violations(document) == []


def test_the_walk_finds_an_amount_that_is_a_bare_integer(client):
    # given: the document, with one amount turned back into an integer
    document = client.get("/api/v1/openapi.json").json()
    line = document["components"]["schemas"]["LineItemOut"]
    line["properties"]["unit_price"] = {"type": "integer"}
    # then
    assert money_violations(document) == ["LineItemOut: unit_price"]
