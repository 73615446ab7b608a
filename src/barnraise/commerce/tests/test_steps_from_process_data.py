"""What the services know of a step comes from the step itself (its process version's data),
never from its name: whether it takes a card, and whether it needs a confirmed email."""

from dataclasses import replace
from typing import Any

import pytest
from allauth.account.models import EmailAddress

from barnraise.commerce import processes
from barnraise.commerce.models import Transaction
from barnraise.commerce.processes.definitions import Process
from barnraise.commerce.tests.conftest import slot
from barnraise.conftest import TEST_CARD, after_commit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fees")]


NEXT = max(v for name, v in processes.PROCESSES if name == "booking") + 1  # the next booking version


def _publish(version: Process, **changes_by_step: dict[str, Any]) -> Process:
    """`version` as the next booking version, with the named steps changed."""
    steps = tuple(replace(t, **changes_by_step.get(t.name, {})) for t in version.transitions)
    return replace(version, version=NEXT, transitions=steps)


def _request(client: Any, listing: Any) -> Any:
    start, end = slot()
    body = {"listing_id": str(listing.public_id), "start": start, "end": end, "payment_method": TEST_CARD}
    return after_commit(lambda: client.call("POST", "transactions", json=body))


def test_a_step_marked_as_taking_payment_asks_for_the_payment_method(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a version whose request is marked as taking payment (its actions are version 1's)
    v3 = _publish(processes.get("booking", 1), request={"takes_payment": True})
    monkeypatch.setitem(processes.PROCESSES, ("booking", NEXT), v3)
    # when the API describes it
    described = api.call("GET", f"processes/booking?version={NEXT}").json()["transitions"]
    # then that step asks for a payment method, and the others do not
    params = {t["name"]: t["params"] for t in described}
    assert params["request"] == ["start", "end", "seats", "message", "payment_method"]
    assert not any("payment_method" in p for name, p in params.items() if name != "request")


def test_a_step_that_needs_no_confirmed_email_is_open_to_an_unconfirmed_member(
    customer: Any, listing: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two requests, one on the current version and one on a next version whose
    # cancellation by the customer needs no confirmed email; then the customer's email is no
    # longer confirmed
    room = listing()
    on_v2 = _request(customer, room).json()
    v3 = _publish(processes.get("booking", NEXT - 1), cancel_by_customer={"needs_verified_email": False})
    monkeypatch.setitem(processes.PROCESSES, ("booking", NEXT), v3)
    on_v3 = _request(customer, room).json()
    assert (on_v2["process_version"], on_v3["process_version"]) == (NEXT - 1, NEXT)
    EmailAddress.objects.filter(user=customer.user).update(verified=False)
    # when the customer cancels both

    def cancel(tx: dict[str, Any]) -> Any:
        body = {"name": "cancel_by_customer", "params": {}}
        return after_commit(lambda: customer.call("POST", f"transactions/{tx['id']}/transitions", json=body))

    refused, cancelled = cancel(on_v2), cancel(on_v3)
    # then version 2's step asks for a confirmed email and changes nothing; version 3's runs
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "email_unverified"
    assert Transaction.objects.get(pk=on_v2["id"]).state == "requested"
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
