"""The database itself refuses unbalanced entries and changes to the ledger, on both engines."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, connection, transaction

from barnraise.ledger.journal import account_for
from barnraise.ledger.models import AccountKind, EntryStatus, JournalEntry, Posting

pytestmark = pytest.mark.django_db


def _open_entry(key: str) -> JournalEntry:
    return JournalEntry.objects.create(kind="transfer", idempotency_key=key, fingerprint="x")


def _accounts() -> tuple[object, object]:
    return (
        account_for(AccountKind.EXTERNAL_FUNDING, currency="EUR"),
        account_for(AccountKind.PLATFORM_REVENUE, currency="EUR"),
    )


class _Undo(Exception):
    pass


@contextmanager
def undone() -> Iterator[None]:
    """Run a block and roll it back: open entries must not outlive the test on PostgreSQL, whose
    deferred trigger refuses them when the test case checks constraints at the end."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


def _raw(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_to_post_an_unbalanced_entry():
    with undone():
        # given an open entry whose postings sum to +1
        funding, revenue = _accounts()
        entry = _open_entry("raw-unbalanced")
        Posting.objects.bulk_create(
            [
                Posting(entry=entry, account=funding, amount_minor=101, currency="EUR"),
                Posting(entry=entry, account=revenue, amount_minor=-100, currency="EUR"),
            ]
        )
        # when it is marked posted with raw SQL, then the trigger refuses
        with pytest.raises(IntegrityError, match="sum to zero"):
            _raw(
                "UPDATE ledger_journalentry SET status = 'posted' WHERE idempotency_key = %s",
                ["raw-unbalanced"],
            )
        assert JournalEntry.objects.get(pk=entry.pk).status == EntryStatus.OPEN


def test_the_database_refuses_an_entry_with_one_posting_or_none():
    with undone():
        empty = _open_entry("raw-empty")
        with pytest.raises(IntegrityError, match="two postings"):
            _raw("UPDATE ledger_journalentry SET status = 'posted' WHERE idempotency_key = %s", ["raw-empty"])
        assert JournalEntry.objects.get(pk=empty.pk).status == EntryStatus.OPEN


def test_a_balanced_entry_posts_and_then_nothing_about_it_can_change():
    # given a posted, balanced entry
    funding, revenue = _accounts()
    entry = _open_entry("raw-ok")
    Posting.objects.bulk_create(
        [
            Posting(entry=entry, account=funding, amount_minor=100, currency="EUR"),
            Posting(entry=entry, account=revenue, amount_minor=-100, currency="EUR"),
        ]
    )
    _raw("UPDATE ledger_journalentry SET status = 'posted' WHERE idempotency_key = %s", ["raw-ok"])
    posting_id = Posting.objects.filter(entry=entry).values_list("id", flat=True).first()
    # when anyone updates or deletes a posting, or changes or deletes the entry, then refused
    with pytest.raises(IntegrityError, match="immutable"):
        _raw("UPDATE ledger_posting SET amount_minor = 5 WHERE id = %s", [posting_id])
    with pytest.raises(IntegrityError, match="immutable"):
        _raw("DELETE FROM ledger_posting WHERE id = %s", [posting_id])
    with pytest.raises(IntegrityError, match="open to posted"):
        _raw("UPDATE ledger_journalentry SET memo = 'edited' WHERE idempotency_key = %s", ["raw-ok"])
    with pytest.raises(IntegrityError, match="open to posted"):
        _raw("UPDATE ledger_journalentry SET status = 'open' WHERE idempotency_key = %s", ["raw-ok"])
    with pytest.raises(IntegrityError, match="immutable"):
        _raw("DELETE FROM ledger_journalentry WHERE idempotency_key = %s", ["raw-ok"])
    # and no posting can be added to it afterwards
    with pytest.raises(IntegrityError, match="open entry"), transaction.atomic():
        Posting.objects.create(entry=entry, account=funding, amount_minor=1, currency="EUR")
    assert sorted(Posting.objects.filter(entry=entry).values_list("amount_minor", flat=True)) == [-100, 100]
    assert JournalEntry.objects.get(pk=entry.pk).memo == ""


def test_a_posting_must_be_in_its_accounts_currency_and_not_zero():
    with undone():
        funding, _ = _accounts()
        entry = _open_entry("raw-currency")
        with pytest.raises(IntegrityError, match="currency"), transaction.atomic():
            Posting.objects.create(entry=entry, account=funding, amount_minor=100, currency="JPY")
        with pytest.raises(IntegrityError), transaction.atomic():
            Posting.objects.create(entry=entry, account=funding, amount_minor=0, currency="EUR")
        assert not Posting.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred triggers are PostgreSQL's")
def test_postgresql_refuses_to_commit_an_entry_left_open():
    # given an entry left open; when the transaction ends (constraints checked now), then refused
    with pytest.raises(IntegrityError, match="left open"), transaction.atomic():
        _open_entry("raw-left-open")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ledger_entry_posted_at_commit IMMEDIATE")
    assert not JournalEntry.objects.exists()
