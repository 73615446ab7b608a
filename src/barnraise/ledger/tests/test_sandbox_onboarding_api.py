"""The sandbox's payout onboarding through the API, so a mobile client needs no page (issue #17,
item 21): POST /me/payout-account/sandbox-onboarding, only while the sandbox is the provider."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from barnraise.conftest import ApiClient
from barnraise.ledger.models import PayoutAccount

pytestmark = pytest.mark.django_db

URL = "me/payout-account/sandbox-onboarding"


def test_a_member_finishes_sandbox_onboarding_through_the_api(api_as: Callable[..., ApiClient]) -> None:
    # given a member who set up a payout account, not yet onboarded
    member = api_as()
    opened = member.call("POST", "me/payout-account")
    assert opened.status_code == 201 and opened.json()["ready"] is False
    # when they finish the sandbox's onboarding through the API (twice: it is safe to repeat)
    finished = member.call("POST", URL)
    again = member.call("POST", URL)
    # then the account is ready, with no onboarding left, as the page would have left it
    assert finished.status_code == 200, finished.content
    assert {
        k: finished.json()[k] for k in ("provider", "ready", "onboarding_url", "state", "requirements")
    } == {
        "provider": "sandbox",
        "ready": True,
        "onboarding_url": "",
        "state": "ready",
        "requirements": [],
    }
    assert again.status_code == 200 and again.json()["ready"] is True
    assert member.call("GET", "me/payout-account").json()["ready"] is True
    assert PayoutAccount.objects.get(owner=member.user).ready is True  # type: ignore[attr-defined]


def test_without_a_payout_account_it_is_404_and_nothing_is_made(api_as: Callable[..., ApiClient]) -> None:
    # given a member with no payout account
    member = api_as()
    # when they ask to finish onboarding
    response = member.call("POST", URL)
    # then 404 in the uniform shape, and no account was opened on the way
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not PayoutAccount.objects.exists()


def test_with_a_real_provider_it_does_not_exist(api_as: Callable[..., ApiClient]) -> None:
    # given a member whose sandbox account is not onboarded, and a deployment on a real provider
    member = api_as()
    member.call("POST", "me/payout-account")
    # when they ask the API to finish onboarding
    with override_settings(PAYMENT_PROVIDER="stripe"):
        response = member.call("POST", URL)
    # then 404, and the account is as it was
    assert response.status_code == 404
    assert PayoutAccount.objects.get().ready is False


def test_anonymous_callers_are_refused(api: ApiClient) -> None:
    # when a caller without a token asks
    response = api.call("POST", URL)
    # then 401, and nothing exists
    assert response.status_code == 401
    assert not PayoutAccount.objects.exists()


def test_the_step_is_declared_in_openapi(api: ApiClient) -> None:
    # when the OpenAPI document is read
    document: dict[str, Any] = api.get("/api/v1/openapi.json").json()
    # then the step is there with its answers
    operation = document["paths"][f"/api/v1/{URL}"]["post"]
    assert {"200", "404"} <= set(operation["responses"])
    assert "sandbox" in operation["summary"]
