"""Ledger services: accounts, balanced entries, idempotency, funds, snapshots and verification."""

import dataclasses

import pytest
from click.testing import CliRunner

from barnraise.cli import main
from barnraise.errors import InvalidInput
from barnraise.ledger.errors import CurrencyMismatch, IdempotencyKeyReused, InsufficientFunds, UnbalancedEntry
from barnraise.ledger.journal import (
    AccountKey,
    NewEntry,
    account_for,
    accounts_for,
    balances_snapshot,
    entries_post,
    entry_post,
)
from barnraise.ledger.models import (
    Account,
    AccountKind,
    BalanceSnapshot,
    JournalEntry,
    Posting,
    SnapshotTotal,
)
from barnraise.ledger.selectors import balance_of, member_balances, trial_balance, trial_balance_report
from barnraise.ledger.verify import ledger_verify
from barnraise.money import Money

pytestmark = pytest.mark.django_db


def test_account_for_returns_one_account_per_kind_owner_reference_and_currency(make_user):
    member = make_user()
    first = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency="eur")
    again = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency="EUR")
    other = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency="JPY")
    revenue = account_for(AccountKind.PLATFORM_REVENUE, currency="EUR")
    assert first == again and first.currency == "EUR" and other != first
    assert account_for(AccountKind.PLATFORM_REVENUE, currency="EUR") == revenue
    escrow = account_for(AccountKind.ESCROW, reference="transaction:1", currency="EUR")
    assert escrow != account_for(AccountKind.ESCROW, reference="transaction:2", currency="EUR")


def test_accounts_for_opens_a_batch_in_order_and_finds_those_made_before(make_user):
    member = make_user()
    made_before = account_for(AccountKind.ESCROW, reference="transaction:2", currency="EUR")
    keys = [
        AccountKey(AccountKind.ESCROW, "EUR", reference="transaction:1"),
        AccountKey(AccountKind.ESCROW, "eur", reference="transaction:2"),
        AccountKey(AccountKind.MEMBER_PENDING, "USD", owner=member),
        AccountKey(AccountKind.ESCROW, "EUR", reference="transaction:3"),
    ]
    first = accounts_for(keys)
    assert [a.reference for a in first] == ["transaction:1", "transaction:2", "", "transaction:3"]
    assert first[1] == made_before and first[2].owner_id == member.pk and first[2].currency == "USD"
    assert accounts_for(keys) == first  # the second call only reads
    assert Account.objects.filter(kind=AccountKind.ESCROW).count() == 3
    with pytest.raises(InvalidInput):
        accounts_for([keys[0], AccountKey(AccountKind.ESCROW, "EUR")])
    assert Account.objects.count() == 4  # a bad key refuses the whole batch


def test_account_for_refuses_nonsense(make_user):
    with pytest.raises(InvalidInput):
        account_for("piggy_bank", currency="EUR")
    with pytest.raises(InvalidInput):
        account_for(AccountKind.MEMBER_PENDING, currency="EUR")
    with pytest.raises(InvalidInput):
        account_for(AccountKind.PLATFORM_REVENUE, owner=make_user(), currency="EUR")
    with pytest.raises(InvalidInput):
        account_for(AccountKind.ESCROW, currency="EUR")
    with pytest.raises(InvalidInput):
        account_for(AccountKind.PLATFORM_REVENUE, currency="XXQ")


def test_entry_post_writes_a_balanced_posted_entry_and_balances_follow(make_user, fund):
    # given a member funded with 10.00 EUR
    member = make_user()
    fund(member, 1000)
    available = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency="EUR")
    payouts = account_for(AccountKind.EXTERNAL_PAYOUTS, currency="EUR")
    # when 4.00 is paid out
    entry = entry_post(
        kind="payout",
        reference="payout:1",
        lines=[(available, Money(400, "EUR")), (payouts, Money(-400, "EUR"))],
        idempotency_key="payout-1",
    )
    # then the entry is posted and the balances read on their normal side
    assert entry.status == "posted" and entry.postings.count() == 2
    assert balance_of(available) == Money(600, "EUR")
    assert balance_of(payouts) == Money(400, "EUR")
    assert balance_of(account_for(AccountKind.EXTERNAL_FUNDING, currency="EUR")) == Money(1000, "EUR")
    assert trial_balance() == {"EUR": 0}
    assert member_balances(member=member)[0].available == Money(600, "EUR")


def test_the_same_key_replays_and_different_content_is_refused(make_user, fund):
    member = make_user()
    first = fund(member, 500, key="k1")
    assert fund(member, 500, key="k1") == first
    with pytest.raises(IdempotencyKeyReused) as raised:
        fund(member, 501, key="k1")
    assert raised.value.code == "idempotency_key_reused"
    assert JournalEntry.objects.count() == 1 and Posting.objects.count() == 2


@pytest.mark.parametrize(
    "amounts",
    [[], [100], [100, -99], [0, 0], [100, -100, 1]],
)
def test_unbalanced_or_empty_entries_are_refused_and_write_nothing(amounts):
    accounts = [
        account_for(AccountKind.EXTERNAL_FUNDING, currency="EUR"),
        account_for(AccountKind.PLATFORM_REVENUE, currency="EUR"),
        account_for(AccountKind.PROCESSOR_FEES, currency="EUR"),
    ]
    lines = [(accounts[i], Money(amount, "EUR")) for i, amount in enumerate(amounts)]
    with pytest.raises(UnbalancedEntry) as raised:
        entry_post(kind="correction", lines=lines, idempotency_key="bad")
    assert raised.value.code == "unbalanced_entry"
    assert not JournalEntry.objects.exists() and not Posting.objects.exists()


def test_balanced_in_total_but_not_per_currency_is_refused():
    eur = account_for(AccountKind.EXTERNAL_FUNDING, currency="EUR")
    jpy = account_for(AccountKind.PLATFORM_REVENUE, currency="JPY")
    with pytest.raises(UnbalancedEntry):
        entry_post(
            kind="correction",
            lines=[(eur, Money(100, "EUR")), (jpy, Money(-100, "JPY"))],
            idempotency_key="fx",
        )
    assert not JournalEntry.objects.exists()


def test_an_amount_in_another_currency_than_its_account_is_refused():
    eur = account_for(AccountKind.EXTERNAL_FUNDING, currency="EUR")
    revenue = account_for(AccountKind.PLATFORM_REVENUE, currency="EUR")
    with pytest.raises(CurrencyMismatch):
        entry_post(
            kind="correction",
            lines=[(eur, Money(100, "USD")), (revenue, Money(-100, "USD"))],
            idempotency_key="usd",
        )
    assert not JournalEntry.objects.exists()


def test_available_never_goes_negative(make_user, fund):
    # given 3.00 available
    member = make_user()
    fund(member, 300)
    available = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency="EUR")
    payouts = account_for(AccountKind.EXTERNAL_PAYOUTS, currency="EUR")
    # when 3.01 is paid out, then refused and nothing changed
    with pytest.raises(InsufficientFunds) as raised:
        entry_post(
            kind="payout",
            lines=[(available, Money(301, "EUR")), (payouts, Money(-301, "EUR"))],
            idempotency_key="too-much",
        )
    assert raised.value.details["available_minor"] == 300
    assert balance_of(available) == Money(300, "EUR") and JournalEntry.objects.count() == 1
    # and exactly 3.00 is fine
    entry_post(
        kind="payout",
        lines=[(available, Money(300, "EUR")), (payouts, Money(-300, "EUR"))],
        idempotency_key="all",
    )
    assert balance_of(available) == Money(0, "EUR")


def test_snapshots_keep_balances_and_the_trial_balance_equal_to_the_postings(make_user, fund):
    # given two members funded in EUR and JPY, a snapshot run, then more postings
    alice, bob = make_user(), make_user()
    fund(alice, 1000)
    fund(bob, 700, "JPY")
    assert balances_snapshot() == 4  # two members, two funding accounts
    assert balances_snapshot() == 0  # nothing new
    fund(alice, 50)
    alice_eur = account_for(AccountKind.MEMBER_AVAILABLE, owner=alice, currency="EUR")
    # then balances are snapshot + postings since, and equal the full recomputation
    assert balance_of(alice_eur) == Money(1050, "EUR")
    assert trial_balance() == {"EUR": 0, "JPY": 0}
    assert balances_snapshot() == 2
    assert BalanceSnapshot.objects.filter(account=alice_eur).count() == 2
    assert balance_of(alice_eur) == Money(1050, "EUR")
    result = ledger_verify()
    assert result.problems == [] and result.entries == 3 and result.postings == 6 and result.snapshots == 6


def test_ledger_verify_and_the_cli_report_a_snapshot_that_disagrees_with_the_postings(make_user, fund):
    # given a snapshot that lies
    member = make_user()
    fund(member, 1000)
    balances_snapshot()
    account = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency="EUR")
    BalanceSnapshot.objects.create(
        account=account, currency="EUR", up_to_posting_id=10**9, balance_minor=-999
    )
    # when verified, then the problem is named and the CLI exits 1
    problems = ledger_verify().problems
    assert any(f"snapshot of account {account.pk}" in p for p in problems)
    assert any(f"snapshot run at posting {10**9} has no totals" in p for p in problems)
    result = CliRunner().invoke(main, ["ledger", "verify"])
    assert result.exit_code == 1 and "problem:" in result.output


def test_the_cli_says_so_when_the_ledger_is_sound(make_user, fund):
    fund(make_user(), 1000)
    result = CliRunner().invoke(main, ["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "1 entries, 2 postings" in result.output and "No problems found." in result.output


def _payout(member, amount_minor, key):
    available = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency="EUR")
    payouts = account_for(AccountKind.EXTERNAL_PAYOUTS, currency="EUR")
    return NewEntry(
        kind="payout",
        reference=f"payout:{key}",
        lines=[(available, Money(amount_minor, "EUR")), (payouts, Money(-amount_minor, "EUR"))],
        idempotency_key=key,
    )


def test_entries_post_posts_a_batch_in_order_and_a_replay_writes_nothing(make_user, fund):
    # given two funded members
    alice, bob = make_user(), make_user()
    fund(alice, 1000)
    fund(bob, 500)
    batch = [_payout(alice, 300, "p-a1"), _payout(bob, 500, "p-b1"), _payout(alice, 700, "p-a2")]
    # when the batch is posted
    entries = entries_post(batch)
    # then every entry is posted, in the order given, and the balances follow
    assert [e.idempotency_key for e in entries] == ["p-a1", "p-b1", "p-a2"]
    assert {e.status for e in JournalEntry.objects.filter(kind="payout")} == {"posted"}
    assert [
        b.available.amount_minor for b in member_balances(member=alice) + member_balances(member=bob)
    ] == [0, 0]
    # and the same batch again, with one new entry, returns the same entries and adds only the new one
    fund(bob, 100, key="top-up")
    again = entries_post([*batch, _payout(bob, 100, "p-b2")])
    assert [e.pk for e in again[:3]] == [e.pk for e in entries]
    assert JournalEntry.objects.filter(kind="payout").count() == 4 and trial_balance() == {"EUR": 0}


def test_a_batch_is_all_or_nothing(make_user, fund):
    member = make_user()
    fund(member, 1000)
    before = (JournalEntry.objects.count(), Posting.objects.count())
    # each payout fits the balance, but together they overdraw it: refused, nothing written
    with pytest.raises(InsufficientFunds):
        entries_post([_payout(member, 600, "x1"), _payout(member, 600, "x2")])
    # a key used twice in one batch with different content: refused, nothing written
    with pytest.raises(IdempotencyKeyReused):
        entries_post([_payout(member, 100, "y1"), _payout(member, 200, "y1")])
    # an entry that reuses a posted entry's key with other content spoils the whole batch
    entry_post(**{**_payout(member, 100, "z1").__dict__})
    with pytest.raises(IdempotencyKeyReused):
        entries_post([_payout(member, 50, "z2"), _payout(member, 101, "z1")])
    # an unbalanced entry anywhere in the batch: refused before anything is written
    funding = account_for(AccountKind.EXTERNAL_FUNDING, currency="EUR")
    available = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency="EUR")
    lopsided = NewEntry(
        kind="transfer",
        lines=[(funding, Money(5, "EUR")), (available, Money(-4, "EUR"))],
        idempotency_key="u1",
    )
    with pytest.raises(UnbalancedEntry):
        entries_post([_payout(member, 10, "z3"), lopsided])
    assert (JournalEntry.objects.count(), Posting.objects.count()) == (before[0] + 1, before[1] + 2)
    assert member_balances(member=member)[0].available == Money(900, "EUR")


def test_the_trial_balance_reads_the_run_totals_per_kind_plus_the_postings_since(make_user, fund):
    # given a snapshot run over two fundings, then a payout after it
    alice, bob = make_user(), make_user()
    fund(alice, 1000)
    fund(bob, 250)
    balances_snapshot()
    entries_post([_payout(alice, 400, "after-run")])
    # then the run's totals are kept per currency and kind
    totals = {(t.currency, t.kind): t.balance_minor for t in SnapshotTotal.objects.all()}
    assert totals == {("EUR", "external_funding"): 1250, ("EUR", "member_available"): -1250}
    # and the report adds the postings since, on each kind's normal side
    report = trial_balance_report()
    assert report.totals == {"EUR": 0} and report.postings_since_snapshot == 2
    assert report.by_kind == {
        "EUR": {"external_funding": 1250, "external_payouts": 400, "member_available": 850}
    }
    assert ledger_verify().problems == []


def test_a_run_total_that_lies_is_caught_by_the_trial_balance_and_by_verify(make_user, fund):
    fund(make_user(), 1000)
    balances_snapshot()
    SnapshotTotal.objects.filter(kind="member_available").update(balance_minor=-999)
    assert trial_balance() == {"EUR": 1}
    problems = ledger_verify().problems
    assert any("snapshot total of member_available EUR" in p for p in problems)
    assert any("trial balance is not zero" in p for p in problems)


def test_a_batch_keeps_memos_whole_and_refuses_one_too_long(make_user, fund):
    # ten entries: enough parameters for PostgreSQL's array inserts
    member = make_user()
    fund(member, 1000)
    batch = [_payout(member, 10, f"m{i}") for i in range(10)]
    batch[3] = dataclasses.replace(batch[3], memo="m" * 200)
    entries_post(batch)
    assert JournalEntry.objects.get(idempotency_key="m3").memo == "m" * 200
    before = (JournalEntry.objects.count(), Posting.objects.count())
    longer = [_payout(member, 10, f"n{i}") for i in range(10)]
    longer[5] = dataclasses.replace(longer[5], memo="n" * 201)
    with pytest.raises(InvalidInput) as refused:
        entries_post(longer)
    assert "memo" in refused.value.details
    assert (JournalEntry.objects.count(), Posting.objects.count()) == before
