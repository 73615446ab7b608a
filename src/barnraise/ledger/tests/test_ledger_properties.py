"""Property test: random balanced transfers, bookings with fees, snapshot runs and invalid
entries across EUR, JPY (0 decimals) and KWD (3 decimals); the ledger stays sound at every step.

A model (a dict of raw balances) predicts every outcome: which entries post, which are refused
for insufficient funds, and every account's balance.
"""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Q, Sum
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from barnraise.accounts.models import User
from barnraise.errors import DomainError
from barnraise.ledger.errors import (
    CurrencyMismatch,
    IdempotencyKeyReused,
    InsufficientFunds,
    UnbalancedEntry,
)
from barnraise.ledger.journal import account_for, balances_snapshot, entry_post
from barnraise.ledger.models import Account, AccountKind, JournalEntry, Posting
from barnraise.ledger.selectors import balance_of, normal_sign, trial_balance
from barnraise.ledger.verify import ledger_verify
from barnraise.money import Money

CURRENCIES = ("EUR", "JPY", "KWD")
PLATFORM = (
    AccountKind.EXTERNAL_FUNDING,
    AccountKind.PLATFORM_REVENUE,
    AccountKind.PROCESSOR_FEES,
    AccountKind.EXTERNAL_PAYOUTS,
)
amounts = st.integers(min_value=1, max_value=10**7)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint that teardown rolls back. balances_snapshot() opens
        # durable blocks; inside a test those are allowed only under the test case's atomics.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        connection.atomic_blocks[-1]._from_testcase = True
        self.members = [
            User.objects.create_user(email=f"prop{n}@example.com", password="x" * 12, name="P")
            for n in range(2)
        ]
        self.accounts: dict[str, list[Account]] = {}
        for currency in CURRENCIES:
            self.accounts[currency] = [account_for(kind, currency=currency) for kind in PLATFORM]
            self.accounts[currency] += [
                account_for(AccountKind.ESCROW, reference=f"transaction:{n}", currency=currency)
                for n in range(2)
            ]
            for member in self.members:
                for kind in (AccountKind.MEMBER_PENDING, AccountKind.MEMBER_AVAILABLE):
                    self.accounts[currency].append(account_for(kind, owner=member, currency=currency))
        self.model: dict[object, int] = {}  # account id -> raw balance (debit positive)
        self.posted: list[tuple[str, str, list[tuple[Account, Money]]]] = []  # (key, kind, lines)
        self.keys = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- helpers ----------------------------------------------------------------------------

    def _key(self) -> str:
        self.keys += 1
        return f"prop-{self.keys}"

    def _would_overdraw(self, lines: list[tuple[Account, Money]]) -> bool:
        after: dict[object, int] = {}
        for account, money in lines:
            after[account.pk] = after.get(account.pk, self.model.get(account.pk, 0)) + money.amount_minor
        kinds = {account.pk: account.kind for account, _ in lines}
        debited = {account.pk for account, money in lines if money.amount_minor > 0}
        return any(
            kinds[pk] == AccountKind.MEMBER_AVAILABLE and pk in debited and total > 0
            for pk, total in after.items()
        )

    def _post(self, kind: str, lines: list[tuple[Account, Money]]) -> None:
        key = self._key()
        overdraw = self._would_overdraw(
            [(a, m) for a, m in self._merged(lines) if a.kind == AccountKind.MEMBER_AVAILABLE]
        )
        before = Posting.objects.count()
        try:
            entry_post(kind=kind, reference=f"prop:{key}", lines=lines, idempotency_key=key)
        except InsufficientFunds:
            assert overdraw, "refused for funds the model says were there"
            assert Posting.objects.count() == before
            return
        assert not overdraw, "an overdraft went through"
        for account, money in lines:
            self.model[account.pk] = self.model.get(account.pk, 0) + money.amount_minor
        self.posted.append((key, kind, lines))

    @staticmethod
    def _merged(lines: list[tuple[Account, Money]]) -> list[tuple[Account, Money]]:
        """One line per account with its net amount, for the funds prediction."""
        net: dict[object, tuple[Account, int]] = {}
        for account, money in lines:
            prior = net.get(account.pk, (account, 0))[1]
            net[account.pk] = (account, prior + money.amount_minor)
        return [(account, Money(total, account.currency)) for account, total in net.values() if total]

    # -- rules ------------------------------------------------------------------------------

    @rule(data=st.data(), currency=st.sampled_from(CURRENCIES))
    def transfer(self, data: st.DataObject, currency: str) -> None:
        """A balanced entry across 2-4 random accounts of one currency."""
        pool = self.accounts[currency]
        picked = data.draw(st.lists(st.sampled_from(pool), min_size=2, max_size=4, unique_by=lambda a: a.pk))
        parts = data.draw(st.lists(st.integers(-(10**6), 10**6).filter(bool), min_size=1, max_size=3))
        parts = parts[: len(picked) - 1]
        if sum(parts) == 0:
            parts[0] += 1
        amounts_ = [*parts, -sum(parts)]
        self._post("transfer", [(a, Money(n, currency)) for a, n in zip(picked, amounts_, strict=False)])

    @rule(
        data=st.data(),
        currency=st.sampled_from(CURRENCIES),
        price=amounts,
        rate=st.decimals(min_value=0, max_value=30, places=2),
    )
    def booking(self, data: st.DataObject, currency: str, price: int, rate: Decimal) -> None:
        """Capture into escrow, release minus a rounded commission, settle part to available."""
        funding, revenue = self.accounts[currency][0], self.accounts[currency][1]
        escrow = self.accounts[currency][len(PLATFORM) + data.draw(st.integers(0, 1))]
        member = data.draw(st.integers(0, len(self.members) - 1))
        pending = account_for(AccountKind.MEMBER_PENDING, owner=self.members[member], currency=currency)
        available = account_for(AccountKind.MEMBER_AVAILABLE, owner=self.members[member], currency=currency)
        total = Money(price, currency)
        commission = total.percent(rate)
        self._post("capture", [(funding, total), (escrow, -total)])
        self._post("release", [(escrow, total), (pending, -(total - commission)), (revenue, -commission)])
        share = (total - commission).percent(Decimal(data.draw(st.integers(0, 100))))
        if share.amount_minor:  # a zero entry is refused as empty: callers skip it
            self._post("settle", [(pending, share), (available, -share)])

    @rule(data=st.data(), currency=st.sampled_from(CURRENCIES))
    def payout(self, data: st.DataObject, currency: str) -> None:
        """Pay out up to a little more than is available: sometimes refused."""
        member = self.members[data.draw(st.integers(0, len(self.members) - 1))]
        available = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency=currency)
        have = -self.model.get(available.pk, 0)
        amount = data.draw(st.integers(1, max(1, have + 5)))
        payouts = self.accounts[currency][3]
        self._post("payout", [(available, Money(amount, currency)), (payouts, Money(-amount, currency))])

    @rule()
    def snapshot(self) -> None:
        balances_snapshot()

    @rule(data=st.data(), off=st.integers(-5, 5).filter(bool), currency=st.sampled_from(CURRENCIES))
    def invalid_entry(self, data: st.DataObject, off: int, currency: str) -> None:
        """Unbalanced, empty, wrong-currency or reused-key entries change nothing."""
        a, b = self.accounts[currency][0], self.accounts[currency][1]
        other = next(c for c in CURRENCIES if c != currency)
        attempts: list[tuple[type[DomainError], list[tuple[Account, Money]], str]] = [
            (UnbalancedEntry, [(a, Money(100, currency)), (b, Money(-100 + off, currency))], self._key()),
            (UnbalancedEntry, [], self._key()),
            (UnbalancedEntry, [(a, Money(0, currency)), (b, Money(0, currency))], self._key()),
            (CurrencyMismatch, [(a, Money(100, other)), (b, Money(-100, other))], self._key()),
        ]
        if self.posted:
            key, _, lines = data.draw(st.sampled_from(self.posted))
            attempts.append((IdempotencyKeyReused, [(a, Money(7, currency)), (b, Money(-7, currency))], key))
        error, lines, key = data.draw(st.sampled_from(attempts))
        before = (JournalEntry.objects.count(), Posting.objects.count())
        with pytest.raises(error):
            entry_post(kind="correction", reference="prop:bad", lines=lines, idempotency_key=key)
        assert (JournalEntry.objects.count(), Posting.objects.count()) == before

    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        """The same key and content returns the first entry and posts nothing new."""
        if not self.posted:
            return
        key, kind, lines = data.draw(st.sampled_from(self.posted))
        before = Posting.objects.count()
        entry = entry_post(kind=kind, reference=f"prop:{key}", lines=lines, idempotency_key=key)
        assert entry.idempotency_key == key and Posting.objects.count() == before

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def every_entry_sums_to_zero_per_currency(self) -> None:
        bad = Posting.objects.values("entry_id", "currency").annotate(t=Sum("amount_minor")).filter(~Q(t=0))
        assert not bad.exists()

    @invariant()
    def the_trial_balance_is_zero(self) -> None:
        assert all(total == 0 for total in trial_balance().values())

    @invariant()
    def balances_equal_the_postings_and_the_model(self) -> None:
        full = dict(
            Posting.objects.values("account_id")
            .annotate(t=Sum("amount_minor"))
            .values_list("account_id", "t")
        )
        for pool in self.accounts.values():
            for account in pool:
                raw = full.get(account.pk, 0)
                assert raw == self.model.get(account.pk, 0)
                assert balance_of(account).amount_minor == normal_sign(account.kind) * raw
                if account.kind == AccountKind.MEMBER_AVAILABLE:
                    assert balance_of(account).amount_minor >= 0

    @invariant()
    def verify_finds_nothing(self) -> None:
        assert ledger_verify().problems == []


@pytest.mark.django_db
def test_the_ledger_stays_sound_under_random_operations():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=min(settings.default.max_examples, 12), stateful_step_count=20, deadline=None
        ),
    )
