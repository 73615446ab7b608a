"""A step that fails changes nothing: for every action of every transition of every published
process version (taken from the process registry), the action runs, then fails; the deal, its
events, timers, bookings, stock, disputes, postings and provider calls are exactly as before.

Each deal is brought to a state the step leaves by the shortest path the listing allows, through
the services the API and the worker call; the failing step is then taken through the door it
has: the API for a party or an operator (which must answer 500), the engine for the system.
"""

import os
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.test import TestCase

from barnraise.accounts.models import User
from barnraise.accounts.services import operator_create, token_create
from barnraise.catalog.models import Listing
from barnraise.commerce import engine, processes, registry, services
from barnraise.commerce.models import Transaction
from barnraise.commerce.processes.definitions import INITIAL, Process, Transition
from barnraise.commerce.tests.conftest import slot
from barnraise.conftest import TEST_CARD, ApiClient, payout_ready
from barnraise.ids import uuid7
from barnraise.ledger import payments, saved_cards
from barnraise.ledger.providers.sandbox import SandboxProvider
from barnraise.money import Money

# On SQLite, real commits and rollbacks (the backend's deferred BEGIN IMMEDIATE, its writers'
# line, durable blocks, on-commit work), not savepoints inside the test's transaction. On
# PostgreSQL, inside the test's transaction: a flush after each case cost four minutes there
# (BARNRAISE_FAILED_STEPS_COMMIT=1 runs them committed on PostgreSQL too).
COMMITTED = not os.environ.get("DATABASE_URL", "").startswith("postgres") or bool(
    os.environ.get("BARNRAISE_FAILED_STEPS_COMMIT")
)
pytestmark = [pytest.mark.django_db(transaction=COMMITTED)] + (
    [pytest.mark.usefixtures("ledger_rows_removable")] if COMMITTED else []
)

CASES = [
    pytest.param(
        process.name, process.version, step.name, action, id=f"{key[0]}-v{key[1]}-{step.name}-{action}"
    )
    for key, process in sorted(processes.PROCESSES.items())
    for step in process.transitions
    for action in step.actions
]
# Every row of these apps is compared; provider calls and the sandbox's books apart (below).
APPS = ("commerce", "ledger", "catalog", "reputation", "messaging", "notifications", "trust")
OUTBOX = ("ledger.providercall", "ledger.sandboxrecord")


class Injected(Exception):
    """The failure put into the action under test."""


def _snapshot() -> dict[str, list[dict[str, Any]]]:
    found = {}
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            found[model._meta.label_lower] = list(model.objects.order_by("pk").values())
    return found


def _instant(step: Transition) -> bool:
    return "listing_books_instantly" in step.guards


# Booking v3's steps for a deal paid with a saved card nearer the date: reached with a booking
# beyond the authorization window, paid with a saved card the bank asks the customer about.
AHEAD_ACTIONS = {"schedule_payment", "request_saved_authorization", "hold_scheduled_payment"}
AHEAD_STATES = {"scheduled", "payment_action_needed"}
ALWAYS_AUTHENTICATES = "4000002760003184"


def _lapse(step: Transition) -> bool:
    """Booking v4's steps of a hold that lapsed: reached with a deal held at once."""
    return "release_lapsed_hold" in step.actions or "payment_renewal" in step.from_states


def _ahead(process: Process, step: Transition) -> bool:
    if _lapse(step):
        return False
    return (
        any(t.ahead == step.name for t in process.transitions)
        or "payment_scheduled" in step.guards
        or bool(AHEAD_ACTIONS & set(step.actions))
        or set(step.from_states) <= AHEAD_STATES
    )


def _usable(step: Transition, instant: bool, ahead: bool = False) -> bool:
    wrong = "listing_requires_acceptance" if instant else "listing_books_instantly"
    return (
        wrong not in step.guards
        and ("payment_not_scheduled" if ahead else "payment_scheduled") not in step.guards
    )


def _path(
    process: Process, start: str, targets: tuple[str, ...], instant: bool, ahead: bool = False
) -> list[Transition]:
    """The shortest run of steps from `start` into one of `targets`."""
    seen = {start}
    queue: deque[tuple[str, list[Transition]]] = deque([(start, [])])
    while queue:
        state, steps = queue.popleft()
        if state in targets:
            return steps
        for step in process.from_state(state):
            if _usable(step, instant, ahead) and step.to not in seen:
                seen.add(step.to)
                queue.append((step.to, [*steps, step]))
    raise AssertionError(f"{process.name} v{process.version}: no way into {targets}")


def _params(step: Transition, listing: Listing, ahead: bool = False) -> dict[str, Any]:
    start, end = slot(days=20 if ahead else 5)
    values: dict[str, Any] = {
        "quantity": 1,
        "start": start,
        "end": end,
        "message": "Looking forward",
        "reason": "It broke",
        "price": {"amount_minor": 8000, "currency": listing.currency},
        "refund": {"amount_minor": 0, "currency": listing.currency},
        "outcome": "Nobody's fault",
        "tracking": "TRACK-1",
    }
    if listing.kind != "rental":
        values.pop("start"), values.pop("end")
    return {name: values[name] for name in step.params if name in values}


class World:
    """A customer, a provider, an operator and a listing for one process."""

    def __init__(self, process: Process, people: dict[str, User], listing: Listing) -> None:
        self.process = process
        self.people = people
        self.listing = listing
        self.ahead = False  # paid with a saved card nearer the date (booking v3)
        self.saved_card = ""

    def for_step(self, step: Transition) -> None:
        """Deals for `step` go ahead with a saved card when only such deals reach it."""
        self.ahead = _ahead(self.process, step)
        if self.ahead or _lapse(step):  # a lapsed hold is held again on the saved card
            setup = saved_cards.setup_begin(member=self.people["customer"])
            self.saved_card = (
                SandboxProvider()
                .setup_confirm(
                    setup_id=setup.id, client_secret=setup.client_secret, card_number=ALWAYS_AUTHENTICATES
                )
                .id
            )

    def notes(self, step: Transition) -> dict[str, Any]:
        """What the worker gives a system step: a lapsed hold's saved card, to hold again."""
        if "request_saved_authorization" in step.actions and _lapse(step):
            return {"saved_card": {"method_id": self.saved_card, "label": "visa …3184"}}
        return {}

    def card(self) -> str:
        return self.saved_card if self.ahead else TEST_CARD

    def _opened(self, step: Transition, params: dict[str, Any], paid: bool) -> Transaction:
        """A deal of an older version, opened by the engine (as the service did when it was the
        latest): a paid first step's card is authorized first, and voided if the step fails."""
        customer, provider = self.people["customer"], self.people["provider"]

        def open_deal(
            notes: dict[str, Any] | None = None, tx_id: Any = None, dry: bool = False
        ) -> Transaction:
            return engine.start(
                listing=self.listing,
                customer=customer,
                provider=provider,
                process=self.process,
                name=step.name,
                params=params,
                actor=self.people[step.actor],
                notes=notes,
                tx_id=tx_id,
                dry_run=dry,
            ).tx

        if not paid:
            return open_deal()
        priced, tx_id = open_deal(dry=True), uuid7()
        hooks = registry.payment_hooks()
        if "schedule_payment" in step.actions and hooks.defer is not None:  # nothing held yet
            later = hooks.defer(
                amount=Money(priced.total_amount_minor, priced.currency),
                payment_method=self.saved_card,
                payer_id=customer.pk,
                start=priced.start,
            )
            return open_deal(later, tx_id)
        notes = hooks.authorize(
            amount=Money(priced.total_amount_minor, priced.currency),
            payment_method=TEST_CARD,
            reference=f"transaction:{tx_id}",
            idempotency_key=f"transaction:{tx_id}:{step.name}",
            payer_id=customer.pk,
        )
        try:
            return open_deal(notes, tx_id)
        except BaseException:
            hooks.abandon(notes)
            raise

    def client(self, role: str) -> ApiClient:
        return ApiClient(token=token_create(user=self.people[role], name="t")[1])

    def latest(self) -> bool:
        return processes.latest(self.process.name) == self.process

    def take(self, tx: Transaction | None, step: Transition) -> Transaction:
        """Take `step` as its actor would, through the services (setting the deal up)."""
        params = _params(step, self.listing, self.ahead)
        paid = step.takes_payment or "schedule_payment" in step.actions
        customer, provider = self.people["customer"], self.people["provider"]
        if tx is None and self.latest() and step.actor == "customer":
            return services.transaction_create(
                actor=customer,
                listing_id=self.listing.public_id,
                process=self.process.name,
                transition=step.name,
                params=params,
                payment_method=self.card() if paid else None,
            ).tx
        if tx is None and self.latest():
            return services.offer_create(actor=provider, listing_id=self.listing.public_id, params=params).tx
        if tx is None:
            if self.ahead and step.ahead:  # the service took the alternative when it was the latest
                step = self.process.transition(step.ahead) or step
                paid = True
            return self._opened(step, params, paid)
        if step.actor == "system":
            return engine.transition(tx, step.name, actor=None, notes=self.notes(step)).tx
        if paid:  # a card of the customer's, on-session
            params["payment_method"] = TEST_CARD
        return services.transaction_transition(
            actor=self.people[step.actor], transaction_id=tx.pk, name=step.name, params=params
        ).tx

    def bring_to(self, step: Transition) -> Transaction | None:
        """A deal in a state `step` leaves (None for a first step), the worker's work done."""
        if INITIAL in step.from_states:
            return None
        instant = _instant(step)
        tx: Transaction | None = None
        state = INITIAL
        for _ in range(12):
            if state in step.from_states:
                return tx
            next_step = _path(self.process, state, step.from_states, instant, self.ahead)[0]
            # the worker's work after commit (inside a test's transaction: done here)
            with pytest.MonkeyPatch.context() as patch, TestCase.captureOnCommitCallbacks(execute=True):
                if next_step.to == "payment_pending" in step.from_states:
                    # the worker does not answer the capture yet: the deal waits for it
                    patch.setattr(payments, "_enqueue", lambda call_id: None)
                tx = self.take(tx, next_step)
            tx = Transaction.objects.get(pk=tx.pk)
            state = tx.state
        raise AssertionError(f"never reached {step.from_states}")

    def fail(self, tx: Transaction | None, step: Transition) -> None:
        """Take `step` through its door, expecting the injected failure; and the worker's turn."""
        with TestCase.captureOnCommitCallbacks(execute=True):
            self._fail(tx, step)

    def _fail(self, tx: Transaction | None, step: Transition) -> None:
        params = _params(step, self.listing, self.ahead)
        if step.takes_payment or "schedule_payment" in step.actions:
            params["payment_method"] = self.card() if tx is None else TEST_CARD
        if step.actor == "system" or (tx is None and not self.latest()):
            with pytest.raises(Injected):
                if tx is None:
                    self.take(None, step)
                else:
                    engine.transition(tx, step.name, actor=None, notes=self.notes(step))
            return
        if tx is None and step.actor == "provider":
            path, body = f"listings/{self.listing.public_id}/offers", params
        elif tx is None:
            path = "transactions"
            body = {
                "listing_id": str(self.listing.public_id),
                "process": self.process.name,
                "transition": step.name,
                **params,
            }
        else:
            path, body = f"transactions/{tx.pk}/transitions", {"name": step.name, "params": params}
        response = self.client(step.actor).call("POST", path, json=body)
        assert response.status_code == 500, response.content


@pytest.fixture
def world(
    make_user: Callable[..., User], cats: dict[str, Any], listing: Callable[..., Listing], provider: Any
) -> Iterator[Any]:
    def make(process: Process, step: Transition) -> World:
        customer = make_user(name="Cam Customer")
        operator = operator_create(
            email="ops@example.com", name="Ops", password="pw-123456789", groups=["support", "finance"]
        )
        kind = {"booking": "rental", "purchase": "sale", "request": "request"}.get(process.name, "sale")
        fields: dict[str, Any] = {"instant_booking": _instant(step)} if kind == "rental" else {}
        if kind == "request":
            fields["actor"] = customer
        if process.name == "inquiry":
            fields["category"] = cats["ads"]
        made = listing(kind, **fields)
        # a request's author is the customer; whoever offers, the provider
        offerer = payout_ready(make_user(name="Otto Offerer")) if kind == "request" else provider.user
        people = {"customer": customer, "provider": offerer, "operator": operator}
        return World(process, people, made)

    yield make


@pytest.mark.parametrize(("name", "version", "transition", "action"), CASES)
def test_a_step_whose_action_fails_changes_nothing(name, version, transition, action, world, monkeypatch):
    # given a deal waiting for the step
    process = processes.get(name, version)
    step = process.transition(transition)
    assert step is not None
    w = world(process, step)
    w.for_step(step)
    tx = w.bring_to(step)
    before = _snapshot()
    # and the action, which does its work and then fails (only for real: a dry run prices first)
    real = registry.action(action)

    def failing(ctx: registry.Context) -> None:
        real(ctx)
        if not ctx.dry_run:
            raise Injected(action)

    monkeypatch.setitem(registry._actions, action, failing)
    # when the step is taken
    w.fail(tx, step)
    # then nothing changed
    after = _snapshot()
    for label in OUTBOX:
        earlier = before.pop(label)
        added = [row for row in after.pop(label) if row not in earlier]
        if step.takes_payment:
            # the card was authorized before the step (outside its transaction): it is voided
            calls = [row["operation"] for row in added if label == "ledger.providercall"]
            assert calls in ([], ["authorize", "void"]), calls
        else:
            assert added == [], label
    assert after == before


def test_every_action_of_every_process_is_covered() -> None:
    # the cases are the registry's: one per action of each transition of each version
    expected = {
        (p.name, p.version, t.name, a)
        for p in processes.PROCESSES.values()
        for t in p.transitions
        for a in t.actions
    }
    assert {tuple(case.values) for case in CASES} == expected
    assert len(CASES) > 50
