"""The books hold whatever members do: a hypothesis state machine drives the public API.

Customers book rooms (on request or instantly, some far ahead with a saved card that is
authorized off-session nearer the date, or that the bank then wants them to confirm; holds
that lapse at the bank before their capture, on a request or after the scheduled
authorization, held again on the saved card or paid again) and buy bikes, in EUR and USD, with sandbox cards
that succeed, are declined, fail at capture or are disputed by the issuer at capture (or later,
as the provider's signed webhook reports it); providers accept, decline, ship and cancel;
customers cancel, confirm receipt and dispute; an operator cancels and
resolves disputes with any refund from nothing to all that is left (and one cent too many, which
is refused); the provider pays out random amounts, some over the balance (refused); the clock
moves on and the timers the worker sweeps complete, expire and settle deals; balance snapshots
are taken at random points. After every step the invariants below are checked.

Each example runs in its own transaction, rolled back at the end, on top of the members and
listings the test made once; the clock is travelled to only inside a step.
"""

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db.models import QuerySet, Sum
from django.test import Client, TestCase, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from barnraise.accounts.services import operator_create, token_create
from barnraise.catalog.models import Listing
from barnraise.commerce import processes, taxes
from barnraise.commerce.models import Transaction
from barnraise.commerce.tests.conftest import slot
from barnraise.conftest import TEST_CARD, ApiClient, after_commit
from barnraise.ledger import journal, selectors
from barnraise.ledger.models import (
    Account,
    AccountKind,
    EntryStatus,
    JournalEntry,
    Payment,
    Posting,
    ProviderCall,
    ProviderCallStatus,
    ProviderOperation,
)
from barnraise.ledger.verify import ledger_verify
from barnraise.timers import services as timers
from barnraise.timers.models import Timer

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

DECLINED = "4000000000000002"
CAPTURE_FAILS = "4000000000000341"
CHARGEBACK = "4000000000000259"
ALWAYS_AUTHENTICATES = "4000002760003184"  # saved, then refused off-session: the customer is asked
# Mostly the card that works, so deals get far; shrinking goes to it too (the first one).
CARDS = st.sampled_from([TEST_CARD, TEST_CARD, TEST_CARD, TEST_CARD, DECLINED, CAPTURE_FAILS, CHARGEBACK])
FINAL = ("completed", "cancelled", "declined", "expired", "payment_failed", "resolved")
STEPS = {  # who takes each step
    "accept": "provider",
    "decline": "provider",
    "cancel_by_customer": "customer",
    "cancel_by_provider": "provider",
    "cancel_by_operator": "operator",
    "mark_shipped": "provider",
    "confirm_receipt": "customer",
    "dispute": "customer",
    "dispute_by_provider": "provider",
}
FORWARD = ("accept", "mark_shipped", "confirm_receipt")
# From an hour (nothing is due) to past an expiry, a completion or a dispute window.
PASSING = st.sampled_from([1, 26, 3 * 24 + 1, 8 * 24, 15 * 24])


@dataclass
class World:
    """What every example starts from: made once per test, kept by each example's rollback."""

    clients: dict[str, ApiClient]
    listings: dict[tuple[str, str], Listing]


def ledger_state() -> tuple[int, int, int]:
    return JournalEntry.objects.count(), Posting.objects.count(), ProviderCall.objects.count()


def available_minor(member: Any, currency: str) -> int:
    account = Account.objects.filter(
        kind=AccountKind.MEMBER_AVAILABLE, owner=member, currency=currency
    ).first()
    return selectors.balance_of(account).amount_minor if account else 0


class MoneyMachine(RuleBasedStateMachine):
    world: World
    reached: "Counter[str]" = Counter()  # the states deals ended an example in, over the run

    def __init__(self) -> None:
        super().__init__()
        cache.clear()  # the rate-limit counters of the previous example
        # Django's per-test transaction (durable atomics inside it are allowed); not in the stubs.
        self.atomics = TestCase._enter_atomics()  # type: ignore[attr-defined]
        self.clock = timezone.now().replace(microsecond=0)
        self.deals: list[str] = []
        self.reports = 0
        self.saved_cards: dict[str, str] = {}

    def teardown(self) -> None:
        MoneyMachine.reached.update(
            set(Transaction.objects.filter(pk__in=self.deals).values_list("state", flat=True))
        )
        TestCase._rollback_atomics(self.atomics)  # type: ignore[attr-defined]  # as in __init__
        taxes.TAX_RATES.clear()  # the tax rules' rates were rolled back with the example

    @contextmanager
    def at_clock(self) -> Iterator[None]:
        with time_machine.travel(self.clock, tick=False):
            yield

    def call(self, role: str, method: str, path: str, body: Any = None) -> Any:
        client = self.world.clients[role]
        with self.at_clock():
            return after_commit(lambda: client.call(method, path, json=body))

    def chargeable(self) -> "QuerySet[Payment]":
        """Payments of completed deals, not charged back yet (the sandbox's `…0259` card covers a
        chargeback at capture)."""
        deals = Transaction.objects.filter(pk__in=self.deals, state="completed").values_list("pk", flat=True)
        return Payment.objects.filter(
            reference__in=[f"transaction:{pk}" for pk in deals], chargeback_minor=0
        ).exclude(capture_id="")

    def has_earned(self) -> bool:
        """The provider has had money to pay out (then requests in either currency are tried)."""
        provider = self.world.clients["provider"].user  # type: ignore[attr-defined]
        return Account.objects.filter(kind=AccountKind.MEMBER_AVAILABLE, owner=provider).exists()

    def deal(self, pick: int, fits: Callable[[Transaction], bool]) -> Transaction | None:
        found = [tx for tx in Transaction.objects.filter(pk__in=self.deals).order_by("pk") if fits(tx)]
        return found[pick % len(found)] if found else None

    # --- Rules -----------------------------------------------------------------------------------

    @initialize(currency=st.sampled_from(["EUR", "USD"]), days=st.integers(1, 9))
    def first_deal(self, currency: str, days: int) -> None:
        """Each example starts with one instant booking, paid and captured, so that the deep
        paths (completion, settlement, payouts, chargebacks after them) are a few steps away."""
        self.open_deal("instant", currency, TEST_CARD, days, 1)
        assert self.deals

    @rule(
        kind=st.sampled_from(["room", "instant", "bike"]),
        currency=st.sampled_from(["EUR", "USD"]),
        card=CARDS,
        days=st.integers(1, 9),
        quantity=st.integers(1, 2),
    )
    def open_deal(self, kind: str, currency: str, card: str, days: int, quantity: int) -> None:
        listing = self.world.listings[(kind, currency)]
        body: dict[str, Any] = {"listing_id": str(listing.public_id), "payment_method": card}
        if kind == "bike":
            body["quantity"] = quantity
        else:
            with self.at_clock():
                body["start"], body["end"] = slot(days=days)
        before = ledger_state(), Transaction.objects.count()
        response = self.call("customer", "POST", "transactions", body)
        if response.status_code == 201:
            self.deals.append(response.json()["id"])
            return
        # a declined card (402), no seat or stock left (409): nothing at all is written
        code = response.json()["error"]["code"]
        assert (response.status_code, code) in ((402, "card_declined"), (409, "not_available")), code
        assert code != "card_declined" or card == DECLINED  # (a full listing is refused first)
        assert (ledger_state(), Transaction.objects.count()) == before

    @precondition(lambda self: self.deals)
    @rule(
        pick=st.integers(0, 1000),
        which=st.sampled_from(range(9)),
        kind=st.sampled_from(["forward", "forward", "any", "refused"]),
    )
    def move(self, pick: int, which: int, kind: str) -> None:
        """A party takes a step on a deal: often the next one on the way to completion, else
        any its state allows, sometimes one it does not, which must be refused and change
        nothing."""
        tx = self.deal(pick, lambda tx: tx.state not in FINAL) or self.deal(pick, lambda tx: True)
        assert tx is not None
        step = processes.get(tx.process, tx.process_version)

        def fits(name: str) -> bool:
            found = step.transition(name)
            return found is not None and tx.state in found.from_states

        allowed = [name for name in STEPS if fits(name)]
        forward = [name for name in allowed if name in FORWARD]
        names = (forward if kind == "forward" else []) or (allowed if kind != "refused" else [])
        names = names or [name for name in STEPS if not fits(name)]
        name = names[which % len(names)]
        before = ledger_state(), tx.state
        declared = step.transition(name)
        params = {"reason": "Plans changed"} if declared and "reason" in declared.params else {}
        body = {"name": name, "params": params}
        response = self.call(STEPS[name], "POST", f"transactions/{tx.pk}/transitions", body)
        if response.status_code < 300:
            assert fits(name), response.content
            return
        # refused: a step the process lacks, the wrong state, or a guard (the booking started,
        # the dispute window closed)
        if declared is None:
            assert response.status_code == 422, response.content
            assert response.json()["error"]["code"] == "unknown_transition"
        else:
            assert response.status_code == 409, response.content
            assert response.json()["error"]["code"] == (
                "conflict" if fits(name) else "transition_not_allowed"
            )
        tx.refresh_from_db()
        assert (ledger_state(), tx.state) == before

    @precondition(lambda self: Transaction.objects.filter(pk__in=self.deals, state="disputed").exists())
    @rule(
        pick=st.integers(0, 1000), percent=st.integers(0, 100), too_much=st.sampled_from([False] * 5 + [True])
    )
    def resolve(self, pick: int, percent: int, too_much: bool) -> None:
        tx = self.deal(pick, lambda tx: tx.state == "disputed")
        assert tx is not None
        payment = Payment.objects.get(reference=f"transaction:{tx.pk}")
        left = payment.amount_minor - payment.refunded_minor
        amount = left + 1 if too_much else left * percent // 100
        before = ledger_state()
        body = {
            "name": "resolve",
            "params": {"refund": {"amount_minor": amount, "currency": tx.currency}, "outcome": "Decided"},
        }
        response = self.call("operator", "POST", f"transactions/{tx.pk}/transitions", body)
        payment_after = Payment.objects.get(pk=payment.pk)
        if amount > left:
            assert response.status_code == 422, response.content
            assert (ledger_state(), payment_after.refunded_minor) == (before, payment.refunded_minor)
            return
        assert response.status_code == 200, response.content
        assert response.json()["state"] == "resolved"
        assert payment_after.refunded_minor == payment.refunded_minor + amount
        assert not payment_after.frozen

    @precondition(lambda self: self.chargeable().exists())
    @rule(pick=st.integers(0, 1000))
    def issuer_reports_a_card_dispute(self, pick: int) -> None:
        """A chargeback after completion, as the provider's signed webhook reports it (also
        after settlement or a payout)."""
        from barnraise.ledger.tests.conftest import SECRET, deliver, dispute_event, signed

        payments = list(self.chargeable().order_by("pk"))
        payment = payments[pick % len(payments)]
        tx = Transaction.objects.get(pk=payment.reference.removeprefix("transaction:"))
        self.reports += 1
        event = json.loads(dispute_event(f"evt_{tx.pk}_{self.reports}"))
        event["data"]["object"]["charge"] = payment.capture_id
        body = json.dumps(event).encode()
        with self.at_clock(), override_settings(STRIPE_WEBHOOK_SECRET=SECRET):
            response = after_commit(lambda: deliver(Client(), body, signed(body)))
        assert response.status_code == 200, response.content
        tx.refresh_from_db()
        payment.refresh_from_db()
        assert tx.state == "disputed"
        assert payment.chargeback_minor == payment.amount_minor - payment.refunded_minor

    @precondition(lambda self: self.has_earned())
    @rule(currency=st.sampled_from(["EUR", "USD"]), percent=st.integers(1, 120))
    def pay_out(self, currency: str, percent: int) -> None:
        provider = self.world.clients["provider"].user  # type: ignore[attr-defined]
        available = available_minor(provider, currency)
        amount = max(1, available * percent // 100) if percent <= 100 else available + percent - 100
        before = ledger_state()
        response = self.call("provider", "POST", "me/payouts", {"currency": currency, "amount_minor": amount})
        if amount > available:
            assert response.status_code == 409, response.content
            assert response.json()["error"]["code"] == "insufficient_funds"
            assert (ledger_state(), available_minor(provider, currency)) == (before, available)
            return
        assert response.status_code == 201, response.content
        assert available_minor(provider, currency) == available - amount  # the sandbox paid it
        shown = self.call("provider", "GET", "me/balances").json()["results"]
        assert {row["currency"]: row["available"]["amount_minor"] for row in shown}[currency] == (
            available - amount
        )

    # --- Saved cards, paid nearer the date (booking v3; self-contained rules) ----------------

    def saved_card(self, card: str) -> str:
        """The customer's saved card of this test number (saved once per example)."""
        from barnraise.ledger.tests.conftest import save_in_sandbox

        if card not in self.saved_cards:
            setup = self.call("customer", "POST", "me/payment-methods/setup").json()
            with self.at_clock():
                save_in_sandbox(setup, card)
            listed = self.call("customer", "GET", "me/payment-methods").json()["results"]
            self.saved_cards[card] = listed[0]["id"]
        return self.saved_cards[card]

    @rule(
        kind=st.sampled_from(["room", "instant"]),
        currency=st.sampled_from(["EUR", "USD"]),
        card=st.sampled_from([TEST_CARD, TEST_CARD, ALWAYS_AUTHENTICATES]),
        days=st.integers(10, 30),
    )
    def book_ahead_with_a_saved_card(self, kind: str, currency: str, card: str, days: int) -> None:
        """A booking beyond the authorization window keeps the saved card: nothing is held
        (no entry, no authorization) until its timer authorizes it off-session."""
        method = self.saved_card(card)
        listing = self.world.listings[(kind, currency)]
        with self.at_clock():
            start, end = slot(days=days)
        body = {"listing_id": str(listing.public_id), "payment_method": method, "start": start, "end": end}
        before = ledger_state()
        response = self.call("customer", "POST", "transactions", body)
        if response.status_code == 409:  # no seat left
            assert response.json()["error"]["code"] == "not_available"
            return
        assert response.status_code == 201, response.content
        tx = response.json()
        assert tx["state"] == ("scheduled" if kind == "instant" else "requested")
        assert ledger_state() == before
        self.deals.append(tx["id"])

    @precondition(
        lambda self: Transaction.objects.filter(
            pk__in=self.deals, state="requested", process="booking"
        ).exists()
    )
    @rule(pick=st.integers(0, 1000))
    def provider_accepts_a_request_paid_later(self, pick: int) -> None:
        """Only a request whose card is kept for later is accepted so; a held one is refused."""
        tx = self.deal(pick, lambda tx: tx.state == "requested" and tx.process == "booking")
        assert tx is not None
        response = self.call(
            "provider", "POST", f"transactions/{tx.pk}/transitions", {"name": "accept_ahead", "params": {}}
        )
        scheduled = Payment.objects.filter(reference=f"transaction:{tx.pk}", status="scheduled").exists()
        assert response.status_code == (200 if scheduled else 409), response.content
        tx.refresh_from_db()
        assert tx.state == ("scheduled" if scheduled else "requested")

    @precondition(
        lambda self: Transaction.objects.filter(pk__in=self.deals, state="payment_action_needed").exists()
    )
    @rule(pick=st.integers(0, 1000), card=st.sampled_from([TEST_CARD, TEST_CARD, DECLINED]))
    def customer_confirms_the_payment_the_bank_asked_for(self, pick: int, card: str) -> None:
        """The customer comes back on-session: a card that works is held and captured at once;
        a declined one changes nothing (the deadline still runs)."""
        tx = self.deal(pick, lambda tx: tx.state == "payment_action_needed")
        assert tx is not None
        before = ledger_state()
        body = {"name": "confirm_payment", "params": {"payment_method": card}}
        response = self.call("customer", "POST", f"transactions/{tx.pk}/transitions", body)
        tx.refresh_from_db()
        if card == DECLINED:
            assert response.status_code == 402, response.content
            assert (ledger_state(), tx.state) == (before, "payment_action_needed")
            return
        assert response.status_code == 200, response.content
        assert tx.state == "accepted"

    # --- Holds that lapse at the bank before they are captured (booking v4) -------------------

    def lapsed_calls_flush(self) -> None:
        """The worker makes the provider calls left waiting (as its sweeper would)."""
        from barnraise.ledger.payments import provider_call_make

        while pending := list(
            ProviderCall.objects.filter(status=ProviderCallStatus.PENDING).order_by("created_at")
        ):
            with self.at_clock():
                after_commit(lambda call=pending[0]: provider_call_make(call_id=call.pk))

    def held(self, tx: Transaction) -> Payment:
        return Payment.objects.get(reference=f"transaction:{tx.pk}")

    def lapsable(self) -> "QuerySet[Transaction]":
        """Booking requests whose money is held (a purchase has no step for a lapsed hold)."""
        held = Payment.objects.filter(
            reference__in=[f"transaction:{pk}" for pk in self.deals], status="authorized"
        ).values_list("reference", flat=True)
        ids = [reference.removeprefix("transaction:") for reference in held]
        return Transaction.objects.filter(pk__in=ids, process="booking", state="requested")

    @precondition(lambda self: self.lapsable().exists())
    @rule(pick=st.integers(0, 1000), reported=st.booleans(), saved=st.booleans())
    def a_held_request_lapses(self, pick: int, reported: bool, saved: bool) -> None:
        """A request held at once (as a v2 deal is) lapses at the bank before the provider
        answers: told at once (the sandbox, as Stripe's webhook), or found at the capture. The
        customer has saved the card they paid with, or not. Nothing is posted either way."""
        from barnraise.ledger.providers.sandbox import SandboxProvider

        lapsable = list(self.lapsable().order_by("pk"))
        tx = lapsable[pick % len(lapsable)]
        assert tx.process_version == 4
        if saved:
            self.saved_card(TEST_CARD)
        payment = self.held(tx)
        # held again only with the same card saved, and only after a first lapse
        again = (
            TEST_CARD in self.saved_cards and payment.payment_method.endswith("4242") and not payment.lapses
        )
        entries = JournalEntry.objects.count()
        with self.at_clock():
            after_commit(
                lambda: SandboxProvider().authorization_expire(
                    authorization_id=payment.authorization_id, report=reported
                )
            )
        tx.refresh_from_db()
        payment.refresh_from_db()
        assert JournalEntry.objects.count() == entries
        if not reported:
            assert (tx.state, payment.status) == ("requested", "authorized")
            return
        assert payment.payment_method == (self.saved_cards[TEST_CARD] if again else "")
        assert (tx.state, payment.status, payment.authorization_id) == (
            "requested" if again else "payment_renewal",
            "scheduled",
            "",
        )

    @precondition(lambda self: Transaction.objects.filter(pk__in=self.deals, state="scheduled").exists())
    @rule(pick=st.integers(0, 1000), reported=st.booleans())
    def a_hold_lapses_after_the_scheduled_authorization(self, pick: int, reported: bool) -> None:
        """A booking paid nearer the date: its saved card is held off-session when due, and
        that hold lapses before the capture is made (told at once, or found by the capture).
        The saved card is held again once (a card the bank wants confirmed: the customer is
        asked), and the capture goes on."""
        from barnraise.ledger.payments import provider_call_make
        from barnraise.ledger.providers.sandbox import SandboxProvider

        tx = self.deal(pick, lambda tx: tx.state == "scheduled")
        assert tx is not None
        timer = (
            Timer.objects.filter(target=f"transaction:{tx.pk}", status="pending").order_by("due_at").first()
        )
        assert timer is not None
        self.clock = max(self.clock, timer.due_at.replace(microsecond=0)) + timedelta(minutes=1)
        with self.at_clock():
            timers.sweep()  # the calls wait: the hold is made, then lapses before its capture
            authorize = ProviderCall.objects.get(
                reference=f"transaction:{tx.pk}",
                operation=ProviderOperation.AUTHORIZE_SAVED,
                status=ProviderCallStatus.PENDING,
            )
            provider_call_make(call_id=authorize.pk)
        payment = self.held(tx)
        if payment.status in ("authorized", "capture_pending"):  # held; its capture waits
            with self.at_clock():
                after_commit(
                    lambda: SandboxProvider().authorization_expire(
                        authorization_id=payment.authorization_id, report=reported
                    )
                )
        self.lapsed_calls_flush()
        tx.refresh_from_db()
        payment.refresh_from_db()
        if payment.lapses:  # held again and captured, or the customer is asked
            assert tx.state in ("accepted", "payment_action_needed", "disputed"), tx.state
            assert (tx.state == "payment_action_needed") == (payment.status == "scheduled")
            assert payment.lapses == 1 or tx.state == "payment_action_needed"

    @precondition(
        lambda self: Transaction.objects.filter(pk__in=self.deals, state="payment_renewal").exists()
    )
    @rule(pick=st.integers(0, 1000), card=st.sampled_from([TEST_CARD, TEST_CARD, DECLINED]))
    def customer_pays_again_after_a_lapsed_hold(self, pick: int, card: str) -> None:
        """Asked to pay again: a card that works is held and the request waits for the provider
        again; a declined one changes nothing (the deadline still runs)."""
        tx = self.deal(pick, lambda tx: tx.state == "payment_renewal")
        assert tx is not None
        before = ledger_state()
        body = {"name": "pay_again", "params": {"payment_method": card}}
        response = self.call("customer", "POST", f"transactions/{tx.pk}/transitions", body)
        tx.refresh_from_db()
        if card == DECLINED:
            assert response.status_code == 402, response.content
            assert (ledger_state(), tx.state) == (before, "payment_renewal")
            return
        assert response.status_code == 200, response.content
        assert (tx.state, self.held(tx).status) == ("requested", "authorized")

    @rule(hours=PASSING, snapshot=st.booleans())
    def time_passes(self, hours: int, snapshot: bool) -> None:
        """The worker's timers fire; sometimes its balance snapshot runs too."""
        self.clock += timedelta(hours=hours)
        with self.at_clock():
            after_commit(timers.sweep)
            if snapshot:
                journal.balances_snapshot()

    # --- Taxes (issue #20): the operator's table changes, business customers, finance refunds ----

    @rule(
        percent=st.sampled_from(["0", "5.5", "7.25", "19", "21", "27.5"]),
        inclusive=st.booleans(),
        on=st.sampled_from(["both", "price", "fees"]),
        reverse_charge=st.booleans(),
        facilitator=st.booleans(),
        business=st.booleans(),
        remove=st.sampled_from([False] * 4 + [True]),
    )
    def tax_table_changes(
        self,
        percent: str,
        inclusive: bool,
        on: str,
        reverse_charge: bool,
        facilitator: bool,
        business: bool,
        remove: bool,
    ) -> None:
        """The operator sets the listings' country's rate (or removes it) and the facilitator
        switch; the customer gives or clears a tax number. Deals opened after it are priced with it."""
        from decimal import Decimal

        from barnraise.commerce.models import CommercePolicy, TaxRate

        TaxRate.objects.filter(country="BE").delete()
        if not remove:
            TaxRate.objects.create(
                label="VAT",
                country="BE",
                percent=Decimal(percent),
                inclusive=inclusive,
                applies_to_price=on in ("both", "price"),
                applies_to_fees=on in ("both", "fees"),
                reverse_charge=reverse_charge,
            )
        policy = CommercePolicy.objects.first() or CommercePolicy()
        policy.marketplace_facilitator = facilitator
        policy.save()
        number = "BE0123456789" if business else ""
        response = self.call("customer", "PATCH", "me", {"tax_number": number})
        assert response.status_code == 200 and response.json()["tax_number"] == number

    def refundable(self) -> "QuerySet[Payment]":
        """Payments of settled-or-released deals an operator may refund outside a dispute."""
        from django.db.models import F

        references = [f"transaction:{pk}" for pk in self.deals]
        return Payment.objects.filter(
            reference__in=references, status="released", frozen=False, refunded_minor__lt=F("amount_minor")
        )

    @precondition(lambda self: self.refundable().exists())
    @rule(pick=st.integers(0, 1000), percent=st.integers(1, 100))
    def finance_refunds_part_of_a_deal(self, pick: int, percent: int) -> None:
        """A finance operator refunds part of a released deal on the console: the tax payable
        gives back its share in proportion."""
        from decimal import Decimal

        from barnraise.accounts.models import User
        from barnraise.ledger.escrow.settlement import shares, tax_account
        from barnraise.money import Money

        payments = list(self.refundable().order_by("pk"))
        payment = payments[pick % len(payments)]
        left = payment.amount_minor - payment.refunded_minor
        amount = max(1, left * percent // 100)
        finance = User.objects.filter(email="finance-stateful@example.com").first() or operator_create(
            email="finance-stateful@example.com", name="Fin", password="", groups=["finance"]
        )
        tax_before = selectors.balance_of(tax_account(payment)).amount_minor
        _p, tax_kept_before, _f = shares(payment, kept_minor=left)
        _p, tax_kept_after, _f = shares(payment, kept_minor=left - amount)
        client = Client()
        deal = payment.reference.removeprefix("transaction:")
        shown = str(Money(amount, payment.currency).decimal)
        with self.at_clock():
            client.force_login(finance)  # at the machine's clock, or the session has expired there
            response = after_commit(
                lambda: client.post(
                    f"/console/deals/{deal}/refund/", {"amount": shown, "reason": "Taxes test."}
                )
            )
        assert response.status_code == 302, response.content
        payment.refresh_from_db()
        assert payment.amount_minor - payment.refunded_minor == left - amount
        tax_after = selectors.balance_of(tax_account(payment)).amount_minor
        assert tax_before - tax_after == tax_kept_before - tax_kept_after
        assert Decimal(shown) > 0

    @invariant()
    def tax_payable_holds_each_deals_tax_in_proportion(self) -> None:
        """What a deal credited to `tax_payable` is its tax times the share of its payment the
        customer did not get back, rounded once, whatever refunds came in between; nothing
        before its escrow is emptied; and no tax account is ever below zero."""
        from barnraise.ledger.escrow.settlement import shares

        references = [f"transaction:{pk}" for pk in self.deals]
        posted = dict(
            Posting.objects.filter(account__kind=AccountKind.TAX_PAYABLE, entry__reference__in=references)
            .values_list("entry__reference")
            .annotate(total=Sum("amount_minor"))
        )
        for payment in Payment.objects.filter(reference__in=references):
            expected = 0
            if payment.status in ("released", "refunded"):
                expected = shares(payment, kept_minor=payment.amount_minor - payment.refunded_minor)[1]
            assert -(posted.get(payment.reference) or 0) == expected, payment.reference
        for account in Account.objects.filter(kind=AccountKind.TAX_PAYABLE):
            assert selectors.balance_of(account).amount_minor >= 0, account.reference

    # --- Invariants ------------------------------------------------------------------------------

    @invariant()
    def nothing_failed_quietly(self) -> None:
        """A money action that raises in a timer, or a provider answer that no transition took,
        would leave the books balanced and the money stuck: none may happen."""
        assert not Timer.objects.exclude(last_error="").exists()
        assert not Transaction.objects.filter(pk__in=self.deals, state="payment_pending").exists()
        calls = ProviderCall.objects.all()
        assert not calls.filter(status=ProviderCallStatus.PENDING).exists()
        assert not calls.filter(reported_at__isnull=True).exists()
        failed = calls.filter(status=ProviderCallStatus.FAILED)
        # a capture that fails; an off-session authorization the bank refused (the customer is asked)
        allowed = {ProviderOperation.CAPTURE, ProviderOperation.AUTHORIZE_SAVED}
        assert set(failed.values_list("operation", flat=True)) <= allowed

    @invariant()
    def every_entry_sums_to_zero(self) -> None:
        sums = Posting.objects.values("entry_id", "currency").annotate(total=Sum("amount_minor"))
        assert not sums.exclude(total=0).exists()
        assert not JournalEntry.objects.exclude(status=EntryStatus.POSTED).exists()

    @invariant()
    def the_trial_balance_is_zero(self) -> None:
        assert all(total == 0 for total in selectors.trial_balance().values()), selectors.trial_balance()
        by_currency = Posting.objects.values("currency").annotate(total=Sum("amount_minor"))
        assert all(row["total"] == 0 for row in by_currency)

    @invariant()
    def finished_deals_hold_nothing_in_escrow(self) -> None:
        finished = Transaction.objects.filter(pk__in=self.deals, state__in=FINAL)
        references = [f"transaction:{pk}" for pk in finished.values_list("pk", flat=True)]
        held = (
            Posting.objects.filter(account__kind=AccountKind.ESCROW, account__reference__in=references)
            .values("account__reference")
            .annotate(total=Sum("amount_minor"))
            .exclude(total=0)
        )
        assert not held.exists(), list(held)

    @invariant()
    def no_member_balance_is_negative_and_each_reads_its_postings(self) -> None:
        for account in Account.objects.filter(owner__isnull=False):
            total = account.postings.aggregate(total=Sum("amount_minor"))["total"] or 0
            assert selectors.raw_balance_minor(account.pk) == total, account.kind
            # available, pending and what a provider owes: none ever below zero on its side
            assert selectors.balance_of(account).amount_minor >= 0, account.kind

    @invariant()
    def every_cached_balance_equals_its_postings(self) -> None:
        assert ledger_verify().problems == []


def operator_client() -> ApiClient:
    user = operator_create(
        email="ops-stateful@example.com",
        name="Ops",
        password="pw-123456789",
        groups=["support", "finance"],  # a dispute's refund is money: finance
    )
    return ApiClient(token=token_create(user=user, name="t")[1])


def test_the_books_hold_under_any_sequence_of_deals(
    customer: ApiClient, provider: ApiClient, listing: Callable[..., Listing]
) -> None:
    # given a customer, a provider who can be paid, an operator and listings in two currencies
    listings: dict[tuple[str, str], Listing] = {}
    for currency in ("EUR", "USD"):
        listings[("room", currency)] = listing(title=f"Room {currency}", currency=currency)
        listings[("instant", currency)] = listing(
            title=f"Instant room {currency}", currency=currency, instant_booking=True
        )
        listings[("bike", currency)] = listing("sale", title=f"Bike {currency}", currency=currency, stock=4)
    MoneyMachine.world = World(
        clients={"customer": customer, "provider": provider, "operator": operator_client()},
        listings=listings,
    )
    MoneyMachine.reached = Counter()
    # when random sequences of deals, payouts and days pass, then every invariant holds after each
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=min(settings().max_examples, 25),
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    # and the sequences went somewhere: money was released to a provider, and given back
    assert MoneyMachine.reached["completed"] + MoneyMachine.reached["resolved"] > 0, MoneyMachine.reached
    assert sum(MoneyMachine.reached[state] for state in ("cancelled", "declined", "expired")) > 0


def test_the_machine_sees_a_broken_invariant(
    customer: ApiClient, provider: ApiClient, listing: Callable[..., Listing]
) -> None:
    """The checks can fail: money left in a finished deal's escrow is caught."""
    room = listing(title="Room EUR")
    MoneyMachine.world = World(
        clients={"customer": customer, "provider": provider, "operator": operator_client()},
        listings={},
    )
    machine = MoneyMachine()
    try:
        start, end = slot(days=3)
        body = {"listing_id": str(room.public_id), "start": start, "end": end, "payment_method": TEST_CARD}
        tx = after_commit(lambda: customer.call("POST", "transactions", json=body)).json()
        machine.deals.append(tx["id"])
        after_commit(
            lambda: provider.call(
                "POST", f"transactions/{tx['id']}/transitions", json={"name": "accept", "params": {}}
            )
        )
        machine.finished_deals_hold_nothing_in_escrow()
        # a deal marked finished without its release still holds the customer's money
        Transaction.objects.filter(pk=tx["id"]).update(state="completed")
        with pytest.raises(AssertionError):
            machine.finished_deals_hold_nothing_in_escrow()
    finally:
        machine.teardown()
