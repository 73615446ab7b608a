"""The published OpenAPI document, the docs page, and schemathesis over the whole live API.

The fuzz sends every operation positive and negative cases, as a visitor and as a verified
member who owns real objects (tests/world.py), whose ids fill the path half the time so that
object paths are reached. It runs on SQLite only (see `.ci/run`); `BARNRAISE_FUZZ_EXAMPLES`
sets the examples per operation and caller.
"""

import os
import re
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode
from werkzeug.test import Client as WsgiClient

from barnraise.config.wsgi import application
from tests.world import World, build_world

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

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
# Examples per operation and caller: about 80 operations, twice, in ~2 minutes on 2 cores. A
# visitor is refused every operation that requires a token before its input is read, so those
# get a few examples only.
FUZZ_EXAMPLES = int(os.environ.get("BARNRAISE_FUZZ_EXAMPLES", "40"))
REFUSED_EXAMPLES = 3


@pytest.fixture
def live_db(db, settings) -> Iterator[None]:
    """Let the WSGI app share the test's transaction, as Django's test client does."""
    settings.API_RATE_LIMITS = dict.fromkeys(settings.API_RATE_LIMITS, (100_000, 60))
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(live_db) -> World:
    if connection.vendor != "sqlite":
        # The API's contract does not depend on the database; the fuzz's minutes are spent
        # once, on SQLite (.ci/run), and the PostgreSQL suite keeps its time for the tests
        # whose queries differ per database (the authorization matrix runs on both).
        pytest.skip("the fuzz runs on SQLite only")
    return build_world()


def _fuzz_one(operation, headers: dict[str, str], seeded: list[dict[str, str]], examples: int) -> None:
    """Positive and negative cases of one operation; path ids from the seeded objects half the time."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is reported as is
        database=None,
    )
    @given(case=cases, data=st.data())
    def run(case, data) -> None:
        if seeded and data.draw(st.booleans(), label="seeded ids"):
            case.path_parameters = {**(case.path_parameters or {}), **data.draw(st.sampled_from(seeded))}
        case.validate_response(case.call(headers=headers), checks=CHECKS)

    run()


def _requires_token(operation) -> bool:
    """Whether a visitor is refused with 401 whatever they send (some operations with a
    security scheme also serve visitors, which the document cannot say)."""
    path = re.sub(r"{\w+}", "1", operation.path)
    # through the WSGI app as schemathesis calls it (Django's test client would reconnect the
    # connection-closing signals that live_db disconnects)
    return WsgiClient(application).open(path, method=operation.method.upper()).status_code == 401


def fuzz(headers: dict[str, str], world: World) -> list[str]:
    """Every operation of the document; what broke, one line per operation."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        names = set(re.findall(r"{(\w+)}", operation.path))
        seeded = [t.ids for t in world.targets if names and set(t.ids) == names]
        refused = "Authorization" not in headers and _requires_token(operation)
        try:
            _fuzz_one(operation, headers, seeded, REFUSED_EXAMPLES if refused else FUZZ_EXAMPLES)
        except (Exception, BaseExceptionGroup) as failure:  # each operation's is collected and reported
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    return failures


@pytest.mark.slow
def test_the_api_keeps_its_contract_for_visitors(fuzz_world):
    # when: a client without a token sends whatever the schema allows, and things it does not
    failures = fuzz({}, fuzz_world)
    # then: never a 5xx, and every status and body is one the schema declares
    assert failures == [], "\n\n".join(failures)


@pytest.mark.slow
def test_the_api_keeps_its_contract_for_a_member_with_real_objects(fuzz_world):
    # given a verified member who owns listings, deals, messages, reviews, a document...
    headers = {"Authorization": f"Bearer {fuzz_world.tokens['owner']}"}
    # when: their client sends whatever the schema allows, on their objects and any others
    failures = fuzz(headers, fuzz_world)
    # then: never a 5xx, and every status and body is one the schema declares
    assert failures == [], "\n\n".join(failures)
