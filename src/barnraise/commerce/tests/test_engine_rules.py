"""Who may see and move a deal, dry runs, replays, processes, the event log, versions."""

import pytest
from django.test import override_settings

from barnraise.commerce import processes, registry
from barnraise.commerce.models import Booking, Transaction, TransactionEvent
from barnraise.commerce.processes.definitions import Process, Transition
from barnraise.commerce.tests.conftest import book, slot, step
from barnraise.conftest import TEST_CARD

# Fees have their own tests (test_fees.py); here totals are the listing price alone.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fees")]


def test_non_parties_get_404_and_the_wrong_party_403(customer, provider, api_as, listing):
    tx = book(customer, listing()).json()
    stranger = api_as()
    assert stranger.call("GET", f"transactions/{tx['id']}").status_code == 404
    assert step(stranger, tx["id"], "accept").status_code == 404
    wrong = step(customer, tx["id"], "accept")
    assert wrong.status_code == 403 and wrong.json()["error"]["details"]["allowed"] == ["cancel_by_customer"]
    not_now = step(provider, tx["id"], "complete")
    assert not_now.status_code == 409
    assert not_now.json()["error"]["code"] == "transition_not_allowed"
    assert set(not_now.json()["error"]["details"]["allowed"]) == {"accept", "accept_ahead", "decline"}
    assert Transaction.objects.get().state == "requested"


def test_a_step_the_process_does_not_have_is_refused_naming_those_it_has(customer, provider, listing):
    # given a booking waiting for the provider
    tx = book(customer, listing()).json()
    # when the provider names a step the process does not have
    unknown = step(provider, tx["id"], "approve")
    # then 422 `unknown_transition` lists the names that exist, and nothing changed
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "unknown_transition"
    names = unknown.json()["error"]["details"]["transitions"]
    assert {"accept", "decline", "dispute", "resolve"} <= set(names) and "approve" not in names
    assert Transaction.objects.get().state == "requested" and TransactionEvent.objects.count() == 1
    # and so is an unknown first step of a new deal
    room = listing(title="Another")
    body = {"listing_id": str(room.public_id), "transition": "grab"}
    refused = customer.call("POST", "transactions", json=body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "unknown_transition")
    assert Transaction.objects.count() == 1


def test_own_listing_unverified_member_and_unknown_params(customer, provider, api_as, listing):
    room = listing()
    assert book(provider, room).status_code == 409
    assert book(api_as(verified=False), room).json()["error"]["code"] == "email_unverified"
    tx = book(customer, room).json()
    odd = step(provider, tx["id"], "accept", bribe=100)
    assert odd.status_code == 422 and "params.bribe" in odd.json()["error"]["details"]


def test_dry_run_prices_without_writing(customer, listing):
    room = listing()
    start, end = slot(hours=3)
    body = {"listing_id": str(room.public_id), "start": start, "end": end}
    quote = customer.call("POST", "transactions?dry_run=true", json=body)
    assert quote.status_code == 200
    assert quote.json()["dry_run"] is True and quote.json()["total"]["amount_minor"] == 4500
    assert quote.json()["line_items"][0]["units"] == "3"
    # no id: the dry run opened no deal, and its schema says the id may be absent
    assert "id" not in quote.json()
    schemas = customer.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "id" not in schemas["DealPreviewOut"].get("required", [])
    assert "id" in schemas["TransactionOut"]["required"]
    assert (
        Transaction.objects.count() == 0
        and Booking.objects.count() == 0
        and TransactionEvent.objects.count() == 0
    )


def test_dry_run_of_a_transition_changes_nothing(customer, provider, listing):
    tx = book(customer, listing()).json()
    preview = provider.call(
        "POST", f"transactions/{tx['id']}/transitions?dry_run=true", json={"name": "accept"}
    )
    assert preview.json()["state"] == "payment_pending" and preview.json()["dry_run"] is True
    assert Transaction.objects.get().state == "requested"
    assert Booking.objects.get().status == "pending"


def test_replaying_with_the_same_idempotency_key_returns_the_same_deal(customer, provider, listing):
    room = listing()
    start, end = slot()
    body = {"listing_id": str(room.public_id), "start": start, "end": end, "payment_method": TEST_CARD}
    headers = {"Idempotency-Key": "book-1"}
    first = customer.call("POST", "transactions", json=body, headers=headers)
    again = customer.call("POST", "transactions", json=body, headers=headers)
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert Transaction.objects.count() == 1
    tx_id = first.json()["id"]
    accept = provider.call(
        "POST",
        f"transactions/{tx_id}/transitions",
        json={"name": "accept"},
        headers={"Idempotency-Key": "acc"},
    )
    retry = provider.call(
        "POST",
        f"transactions/{tx_id}/transitions",
        json={"name": "accept"},
        headers={"Idempotency-Key": "acc"},
    )
    assert accept.status_code == retry.status_code == 200
    assert TransactionEvent.objects.filter(name="accept").count() == 1


def test_processes_are_published_with_diagrams(api):
    listed = api.call("GET", "processes").json()["results"]
    assert {p["name"] for p in listed} == {"booking", "inquiry", "purchase", "request"}
    booking = api.call("GET", "processes/booking").json()
    assert booking["diagram"].startswith("stateDiagram-v2")
    assert (
        "requested --> expired: expire (system, at entered_state + 3d or booking_start)" in booking["diagram"]
    )
    assert api.call("GET", "processes/barter").status_code == 404


def test_every_step_that_takes_payment_lists_payment_method_among_its_params(api):
    # given every published version of every process, as the API describes them
    found = {}
    for listed in api.call("GET", "processes").json()["results"]:
        for version in range(1, listed["version"] + 1):
            process = api.call("GET", f"processes/{listed['name']}?version={version}").json()
            for described in process["transitions"]:
                found[(process["name"], version, described["name"])] = described
    # then a step that holds a payment asks for the payment method, and no other does
    for key, described in found.items():
        records = {"hold_payment", "hold_scheduled_payment"} & set(described["actions"])
        assert ("payment_method" in described["params"]) == bool(records), key
    assert found[("booking", 2, "request")]["params"] == [
        "start",
        "end",
        "seats",
        "message",
        "payment_method",
    ]
    assert "payment_method" in found[("request", 2, "accept_offer")]["params"]
    assert "payment_method" not in found[("booking", 1, "request")]["params"]


def test_operators_follow_the_gap_free_event_log(
    customer, provider, listing, django_capture_on_commit_callbacks
):
    from barnraise.accounts.services import operator_create, token_create
    from barnraise.conftest import ApiClient

    with django_capture_on_commit_callbacks(execute=True):
        tx = book(customer, listing()).json()
    with django_capture_on_commit_callbacks(execute=True):
        step(provider, tx["id"], "accept")
    operator = operator_create(
        email="ops@example.com", name="Ops", password="pw-123456789", groups=["support"]
    )
    ops = ApiClient(token=token_create(user=operator, name="t")[1])
    log = ops.call("GET", "events?after=0").json()["results"]
    # (numbered after the provider's payout account was set up: events support does not read)
    base = log[0]["sequence"]
    assert [(e["sequence"], e["type"]) for e in log] == [
        (base, "catalog:listing:created"),
        (base + 1, "commerce:deal:request"),
        (base + 2, "commerce:deal:accept"),
        (base + 3, "commerce:deal:payment_captured"),
    ]
    assert ops.call("GET", f"events?after={base + 1}").json()["results"][0]["name"] == "accept"
    # a party follows their own deal's events (the listing is the provider's, not theirs)
    # and the events of what concerns them: the payment the capture took from their card, and
    # its receipt
    mine = customer.call("GET", "events").json()["results"]
    assert [e["sequence"] for e in mine] == [base + 1, base + 2, base + 3, base + 4, base + 5]
    assert {e["transaction_id"] for e in mine[:3]} == {tx["id"]}
    assert {e["type"] for e in mine[3:]} == {"ledger:document:issued", "ledger:payment:captured"}
    assert [e["params"]["deal"] for e in mine[3:] if e["type"] == "ledger:payment:captured"] == [tx["id"]]


def test_a_new_version_never_changes_running_transactions(customer, provider, listing, monkeypatch):
    tx = book(customer, listing()).json()
    current = processes.latest("booking")
    assert current is not None
    v3 = Process(
        name="booking",
        version=current.version + 1,
        description="v3",
        kinds=current.kinds,
        final_states=current.final_states,
        transitions=(*current.transitions, Transition("snooze", ("requested",), "snoozed", "provider")),
    )
    monkeypatch.setitem(processes.PROCESSES, ("booking", v3.version), v3)
    assert step(provider, tx["id"], "snooze").status_code == 422  # the running deal keeps its version
    new = book(customer, listing(title="Another")).json()
    assert new["process_version"] == v3.version
    assert step(provider, new["id"], "snooze").json()["state"] == "snoozed"


def note_it(ctx):
    ctx.tx.line_items = [
        *ctx.tx.line_items,
        {"code": "note", "label": "noted", "amount_minor": 0, "currency": ctx.tx.currency},
    ]


@override_settings(BARNRAISE_ACTIONS={"note_it": "barnraise.commerce.tests.test_engine_rules.note_it"})
def test_a_deployment_registers_its_own_action_by_dotted_path(customer, provider, listing, monkeypatch):
    registry.load_configured()
    v1 = processes.get("booking", 1)
    custom = tuple(
        Transition(t.name, t.from_states, t.to, t.actor, (*t.actions, "note_it"), t.guards, t.at, t.params)
        if t.name == "accept"
        else t
        for t in v1.transitions
    )
    latest = processes.latest("booking")
    assert latest is not None
    monkeypatch.setitem(  # in place of the version new deals start on
        processes.PROCESSES,
        ("booking", latest.version),
        Process("booking", latest.version, "custom", custom, v1.final_states, v1.kinds),
    )
    tx = book(customer, listing()).json()
    accepted = step(provider, tx["id"], "accept").json()
    assert accepted["line_items"][-1]["code"] == "note"


def test_the_docs_show_each_process_as_it_is():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[4] / "docs" / "processes.md").read_text()
    for name in processes.names():
        assert processes.latest(name).mermaid() in docs, f"docs/processes.md is out of date for {name}"


def test_available_transitions_respect_guards(customer, provider, listing):
    from datetime import datetime, timedelta

    import time_machine

    instant = listing(instant_booking=True)
    asked = customer.call(
        "POST", "transactions", json={"listing_id": str(instant.public_id), "transition": "inquire"}
    )
    assert set(asked.json()["available_transitions"]) == {"book", "close_inquiry"}
    tx = book(customer, listing(title="Requested")).json()
    step(provider, tx["id"], "accept")
    with time_machine.travel(datetime.fromisoformat(tx["start"]) + timedelta(minutes=1), tick=False):
        assert customer.call("GET", f"transactions/{tx['id']}").json()["available_transitions"] == []


def test_listing_deals_costs_the_same_queries_for_one_or_many(customer, provider, listing):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            customer.call("GET", "transactions")
        return len(captured.captured_queries)

    for index in range(2):
        book(customer, listing(title=f"Room {index}"))
    two = queries_for_list()
    for index in range(2, 6):
        book(customer, listing(title=f"Room {index}"))
    assert queries_for_list() == two
