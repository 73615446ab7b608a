"""The authorization matrix's walker: every object endpoint of the API (from the OpenAPI
document) and every object page (from the URLconf), asked by every kind of caller.

An object endpoint is an operation whose path has a parameter; an object page is a URL
pattern with one. Each is asked about each seeded target whose ids fill exactly its
parameters (tests/world.py), by each caller, inside a savepoint that is rolled back, so no
answer changes what the next one sees. `tests/test_authorization_matrix.py` holds the policy
(which objects are public, which operator groups may do what) and the tests.
"""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.world import Target, World, image

CALLERS = ("anonymous", "stranger", "wrong_provider", "wrong_customer", "support", "finance", "admin")
# The URLconf names a listing's id `public_id`; the API, `listing_id`.
ALIASES = {"public_id": "listing_id"}
DENIED_API = {401, 403, 404}
DENIED_PAGE = {403, 404, 405}  # and, for a visitor, the way to the login page


@dataclass(frozen=True)
class Endpoint:
    key: str  # "GET /api/v1/listings/{listing_id}" or "GET page listing_detail"
    method: str
    route: str  # the path with {name} placeholders
    params: frozenset[str]
    operation: dict[str, Any] | None  # the OpenAPI operation; None for a page

    @property
    def is_read(self) -> bool:
        return self.method == "GET"


@dataclass(frozen=True)
class Policy:
    """Who may do what beyond an object's parties; everyone else is refused.

    `public`: key -> (who, reason, target labels or None for all): "anyone" (visitors too) or
    "members" (any signed-in member). `operators`: key -> ({group: "acts" or "sees"}, reason,
    labels): "acts" may do it; "sees" may see the object, so a refusal need not hide it (any
    4xx), but may not do it. `bodies`: key -> the request body or form to send, where the
    smallest valid one would be refused for its content before the caller is asked about.
    """

    public: dict[str, tuple[str, str, frozenset[str] | None]]
    operators: dict[str, tuple[dict[str, str], str, frozenset[str] | None]]
    bodies: dict[str, dict[str, Any]]

    def grant(self, endpoint: Endpoint, target: Target, caller: str) -> str | None:
        """ "acts", "sees" or None (refused)."""
        entry = self.public.get(endpoint.key)
        applies = entry is not None and (entry[2] is None or target.label in entry[2])
        if entry is not None and applies and (entry[0] == "anyone" or caller != "anonymous"):
            return "public"
        granted = self.operators.get(endpoint.key)
        if granted is not None and (granted[2] is None or target.label in granted[2]):
            return granted[0].get(caller)
        return None


# --- discovery -------------------------------------------------------------------------------


def api_endpoints(document: dict[str, Any]) -> list[Endpoint]:
    found = []
    for path, item in document["paths"].items():
        params = frozenset(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            if params:
                found.append(Endpoint(f"{method.upper()} {path}", method.upper(), path, params, operation))
    return found


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def page_routes() -> list[tuple[str, URLPattern]]:
    """Every URL pattern outside the API that takes a parameter, with its full route."""
    return [
        (route, pattern)
        for route, pattern in _walk(get_resolver().url_patterns)
        if not route.startswith("api/") and ("<" in route or "(?P" in route)
    ]


def page_endpoints(classified_prefixes: dict[str, str]) -> list[Endpoint]:
    found = []
    for route, pattern in page_routes():
        if any(route.startswith(prefix) for prefix in classified_prefixes):
            continue
        params = frozenset(ALIASES.get(name, name) for name in re.findall(r"<(?:\w+:)?(\w+)>", route))
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + ALIASES.get(m[1], m[1]) + "}", route)
        for method in ("GET", "POST"):
            found.append(Endpoint(f"{method} page {pattern.name}", method, path, params, None))
    return found


# --- requests --------------------------------------------------------------------------------


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def example(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The smallest value the schema accepts: what a denied caller must be refused for, not
    the shape of their request."""
    schema = _resolve(document, schema)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            options = [s for s in schema[combined] if _resolve(document, s).get("type") != "null"]
            return example(document, options[0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: example(document, props[name]) for name in schema.get("required", [])}
    if kind == "array":
        return [example(document, schema["items"]) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    if schema.get("format") == "uuid":
        return str(uuid4())
    if schema.get("format") == "binary":
        return image("proof.png")
    return "x" * max(schema.get("minLength", 1), 1)


def send(
    client: Client, endpoint: Endpoint, url: str, document: dict[str, Any], token: str | None, policy: Policy
) -> HttpResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    given = policy.bodies.get(endpoint.key)
    if endpoint.operation is None:  # a page: GET it, or post its form
        if endpoint.method != "POST":
            return client.generic(endpoint.method, url)
        return client.post(url, {key: v() if callable(v) else v for key, v in (given or {}).items()})
    content = endpoint.operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        data = example(document, content["multipart/form-data"]["schema"])
        return client.post(url, data, headers=headers)
    if "application/json" in content:
        body = json.dumps(
            given if given is not None else example(document, content["application/json"]["schema"])
        )
        return client.generic(endpoint.method, url, body, content_type="application/json", headers=headers)
    return client.generic(endpoint.method, url, headers=headers)


def url_for(endpoint: Endpoint, target: Target) -> str:
    return re.sub(r"{(\w+)}", lambda m: target.ids[m[1]], endpoint.route)


def rolled_back(call: Callable[[], HttpResponse]) -> HttpResponse:
    """Answer inside a savepoint that is then rolled back. Services open durable blocks; like
    the test case's own, this block lets them (Django's marker for the test's atomics)."""
    block = transaction.atomic()
    block._from_testcase = True  # type: ignore[attr-defined]  # as TestCase marks its atomics
    with block:
        response = call()
        transaction.set_rollback(True)
    return response


# --- the matrix ------------------------------------------------------------------------------


def leaked(response: HttpResponse, world: World, url: str, public: bool = False) -> list[str]:
    body = b"".join(response) if response.streaming else response.content  # type: ignore[attr-defined]
    text = body.decode(errors="replace")
    secrets = world.secrets - world.shown_in_public if public else world.secrets
    return sorted(secret for secret in secrets if secret in text and secret not in url)


def _client(world: World, caller: str, page: bool) -> tuple[Client, str | None]:
    client = Client()
    if caller == "anonymous":
        return client, None
    if page:
        client.force_login(world.members[caller])
        return client, None
    return client, world.tokens[caller]


def _page_refusal(response: HttpResponse, caller: str) -> bool:
    """A page refuses with 403/404/405, by sending a visitor to log in, or by going back with
    an error message and no success."""
    status = response.status_code
    if status in DENIED_PAGE:
        return True
    if status != 302:
        return False
    if response["Location"].startswith(("/accounts/login/", "/admin/login/")):
        return caller == "anonymous"
    levels = {m.level for m in getattr(response.wsgi_request, "_messages", [])}  # type: ignore[attr-defined]
    return messages.ERROR in levels and messages.SUCCESS not in levels


def answer(
    endpoint: Endpoint, target: Target, caller: str, world: World, document: dict[str, Any], policy: Policy
) -> HttpResponse:
    client, token = _client(world, caller, endpoint.operation is None)
    return rolled_back(lambda: send(client, endpoint, url_for(endpoint, target), document, token, policy))


def check_cell(
    endpoint: Endpoint,
    target: Target,
    caller: str,
    world: World,
    document: dict[str, Any],
    policy: Policy,
    party_status: int | None,
) -> str | None:
    """One cell: a refusal that shows nothing, or, where the policy allows it, the answer a
    party gets (`party_status`; 200 for an object nobody owns)."""
    grant = policy.grant(endpoint, target, caller)
    url = url_for(endpoint, target)
    response = answer(endpoint, target, caller, world, document, policy)
    status = response.status_code
    where = f"{endpoint.key} [{target.label}] as {caller}: {status}"
    page = endpoint.operation is None
    if status >= 500:
        return f"{where}: a server error"
    if grant in ("acts", "public") or (grant == "sees" and endpoint.is_read):
        expected = party_status or 200
        if endpoint.is_read and status != expected:
            return f"{where}: allowed by the policy, but not answered as a party is ({expected})"
        if status in (401, 403, 404) and status != expected:
            return f"{where}: allowed by the policy, but refused"
        shown = leaked(response, world, url, public=True) if grant == "public" else []
        return f"{where}: public, yet shows {shown}" if shown else None
    if grant == "sees":
        refused = 400 <= status < 500 or (page and _page_refusal(response, caller))
        return None if refused else f"{where}: may see it but not do it, yet was not refused"
    refused = _page_refusal(response, caller) if page else status in DENIED_API
    if not refused:
        return f"{where}: should be refused (401/403/404)"
    secrets = leaked(response, world, url)
    if secrets:
        return f"{where}: the refusal shows {secrets}"
    return None


def matrix_failures(
    endpoints: list[Endpoint], world: World, document: dict[str, Any], policy: Policy
) -> list[str]:
    failures = []
    for endpoint in endpoints:
        targets = [t for t in world.targets if frozenset(t.ids) == endpoint.params]
        if not targets:
            failures.append(
                f"{endpoint.key}: no seeded object has ids {sorted(endpoint.params)} (tests/world.py)"
            )
            continue
        answered = False
        for target in targets:
            party = None
            if target.parties:
                party = answer(endpoint, target, target.parties[0], world, document, policy).status_code
                answered = answered or party == 200 or (endpoint.operation is None and party in (302, 405))
            for caller in CALLERS:
                problem = check_cell(endpoint, target, caller, world, document, policy, party)
                if problem:
                    failures.append(problem)
        if endpoint.is_read and not answered and any(t.parties for t in targets):
            failures.append(f"{endpoint.key}: no party of any target is answered 200: aimed at nothing?")
    return failures


# --- the admin -------------------------------------------------------------------------------

ADMIN_OBJECT_PAGE = re.compile(r"admin/(\w+)/(\w+)/<(?:path:object_id|id|uuid:\w+)>/(\w+)/")


def admin_object_pages() -> list[tuple[str, str, str, str]]:
    """(route, app label, model name, action) of every admin page of one object: Django's
    change, history and delete pages, and the pages the apps add (a user's password, a file)."""
    found = []
    for route, _pattern in page_routes():
        match = ADMIN_OBJECT_PAGE.fullmatch(route)
        if match:
            found.append((route, *match.groups()))
    return found


def admin_page_answer(route: str, object_id: str, world: World, caller: str) -> HttpResponse:
    client = Client()
    if caller != "anonymous":
        client.force_login(world.members[caller])
    url = "/" + re.sub(r"<[^>]+>", object_id, route)
    return rolled_back(lambda: client.get(url))
