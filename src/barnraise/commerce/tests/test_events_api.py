"""GET /api/v1/events: operators follow the numbered event log page by page with `cursor`."""

from typing import Any

import pytest

from barnraise.accounts.services import operator_create, token_create
from barnraise.commerce.tests.conftest import slot
from barnraise.conftest import TEST_CARD, ApiClient


@pytest.fixture
def ops(db: Any) -> ApiClient:
    operator = operator_create(
        email="ops@example.com", name="Ops", password="pw-123456789", groups=["support"]
    )
    return ApiClient(token=token_create(user=operator, name="t")[1])


@pytest.fixture
def three_events(customer: Any, provider: Any, listing: Any, django_capture_on_commit_callbacks: Any) -> None:
    """A listing created, then a booking of it requested, accepted and paid: four events, after
    those of setting the provider up (their payout account), which support does not read."""
    start, end = slot()
    body = {"listing_id": str(listing().public_id), "start": start, "end": end, "payment_method": TEST_CARD}
    with django_capture_on_commit_callbacks(execute=True):
        tx = customer.call("POST", "transactions", json=body).json()
    with django_capture_on_commit_callbacks(execute=True):
        provider.call("POST", f"transactions/{tx['id']}/transitions", json={"name": "accept", "params": {}})


def sequences(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [event["sequence"] for event in response.json()["results"]]


def test_the_cursor_continues_where_the_page_before_ended(ops: ApiClient, three_events: None) -> None:
    # given
    first = ops.call("GET", "events?limit=3")
    # when
    second = ops.call("GET", f"events?limit=3&cursor={first.json()['next_cursor']}")
    # then the pages run on, gap-free, from the first event support may read
    base = sequences(first)[0]
    assert sequences(first) == [base, base + 1, base + 2]
    assert sequences(second) == [base + 3]
    assert second.json()["next_cursor"] is None


def test_a_cursor_is_the_last_sequence_seen_and_after_stays_its_alias(
    ops: ApiClient, three_events: None
) -> None:
    base = sequences(ops.call("GET", "events"))[0]
    # when
    by_cursor = ops.call("GET", f"events?cursor={base + 1}")
    by_after = ops.call("GET", f"events?after={base + 1}")
    # then
    assert sequences(by_cursor) == sequences(by_after) == [base + 2, base + 3]


@pytest.mark.parametrize("cursor", ["x", "-1", "1.5", " 1", "99999999999999999999", "١٢"])
def test_a_bad_cursor_is_422_invalid_cursor(ops: ApiClient, three_events: None, cursor: str) -> None:
    # when
    response = ops.call("GET", "events", data={"cursor": cursor})
    # then
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_cursor_and_after_together_or_an_unknown_parameter_are_refused(
    ops: ApiClient, three_events: None
) -> None:
    # when
    both = ops.call("GET", "events?cursor=1&after=2")
    unknown = ops.call("GET", "events?since=2")
    # then
    assert both.status_code == 422
    assert "after" in both.json()["error"]["details"]
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "unknown_field"
    assert "since" in unknown.json()["error"]["details"]


def test_after_past_the_largest_sequence_is_422_not_a_500(ops: ApiClient) -> None:
    # when
    response = ops.call("GET", "events?after=99999999999999999999999")
    # then
    assert response.status_code == 422
