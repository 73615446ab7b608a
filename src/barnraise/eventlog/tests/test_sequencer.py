"""The sequencer: one gap-free sequence over every subject, given after commit, never twice."""

import threading
from typing import Any

import pytest
from django.db import connection, transaction

from barnraise.accounts.services import operator_create
from barnraise.catalog.services import category_create
from barnraise.commerce.models import TransactionEvent
from barnraise.conftest import after_commit, payout_ready
from barnraise.eventlog.models import Event, EventType
from barnraise.eventlog.services import NotInTransaction, Subject, record
from barnraise.eventlog.tasks import events_pump
from barnraise.ledger.journal import account_for, entry_post
from barnraise.ledger.models import AccountKind
from barnraise.money import Money

LISTING = {
    "kind": "sale",
    "category": "things",
    "title": "Oak table",
    "price": {"amount_minor": 4000, "currency": "EUR"},
    "unit": "item",
    "stock": 1,
    "location": {"lat": 50.85, "lng": 4.35},
}


def sequences() -> list[int | None]:
    found = list(Event.objects.values_list("sequence", flat=True))
    return sorted(found + list(TransactionEvent.objects.values_list("sequence", flat=True)), key=str)


@pytest.mark.django_db
def test_events_of_every_subject_are_numbered_in_one_gap_free_sequence_after_commit(api_as):
    # given a listing, a deal about it and a payout, all committed but not yet sequenced
    category_create(slug="things", name="Things", kinds=["sale"], processes=["inquiry"])
    seller, buyer = api_as(), api_as()
    listing = seller.call("POST", "listings", json=LISTING).json()
    deal = buyer.call("POST", "transactions", json={"listing_id": listing["id"], "message": "Still there?"})
    payout_ready(seller.user)
    available = account_for(AccountKind.MEMBER_AVAILABLE, owner=seller.user, currency="EUR")
    funding = account_for(AccountKind.EXTERNAL_FUNDING, currency="EUR")
    entry_post(
        kind="transfer",
        reference="test:f",
        lines=[(funding, Money(900, "EUR")), (available, Money(-900, "EUR"))],
        idempotency_key="test:f",
    )
    seller.call("POST", "me/payouts", json={"currency": "EUR"})
    assert deal.status_code == 201, deal.content
    unnumbered = Event.objects.count() + TransactionEvent.objects.count()
    assert set(sequences()) == {None}
    # when the worker pumps the log
    after_commit(events_pump.call)
    # then every event has a number, 1 to N without a gap, in the order they were written
    assert sequences() == list(range(1, unnumbered + 1))
    root = operator_create(email="a@example.com", name="A", password="pw-123456789", groups=["admin"])
    feed = api_as(root).call("GET", "events").json()["results"]
    assert [(e["sequence"], e["type"]) for e in feed] == [
        (1, "catalog:listing:created"),
        (2, "commerce:deal:inquire"),
        (3, "ledger:payout_account:opened"),
        (4, "ledger:payout_account:updated"),  # onboarded at the sandbox
        (5, "ledger:payout:requested"),  # paid later: the provider is called after commit
    ]


@pytest.mark.django_db(transaction=True)
def test_an_event_is_written_only_inside_its_change_s_transaction_and_goes_with_it(make_user):
    # given
    member = make_user()
    subject = Subject("listing", "L1", member.pk)
    # when one is written outside any transaction, and one in a transaction that rolls back
    with pytest.raises(NotInTransaction):
        record(subject, EventType.LISTING_CLOSED, actor=member, payload={})
    with pytest.raises(RuntimeError), transaction.atomic():
        record(subject, EventType.LISTING_CLOSED, actor=member, payload={})
        raise RuntimeError("the change failed")
    # then neither is in the log, and the next one is number 1
    assert not Event.objects.exists()
    with transaction.atomic():
        record(subject, EventType.LISTING_CLOSED, actor=member, payload={})
    events_pump.call()
    assert list(Event.objects.values_list("sequence", flat=True)) == [1]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sequencers_running_at_once_never_give_a_number_twice_nor_leave_a_gap(make_user):
    # given 40 committed, unnumbered events
    member = make_user()
    for n in range(40):
        with transaction.atomic():
            record(Subject("listing", f"L{n}", member.pk), EventType.LISTING_CLOSED, actor=None, payload={})
    errors: list[Exception] = []
    barrier = threading.Barrier(4)

    def sequence() -> None:
        from barnraise.eventlog import sequencer

        try:
            barrier.wait()
            while sequencer.sequence_pending(batch=3):
                pass
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    # when four sequencers run at the same moment
    threads = [threading.Thread(target=sequence) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert errors == []
    assert sorted(Event.objects.values_list("sequence", flat=True)) == list(range(1, 41))


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer: no commit comes late")
@pytest.mark.django_db(transaction=True)
def test_an_event_that_commits_late_is_numbered_after_those_already_read(make_user):
    # given a change written but not committed yet (on its own connection)
    member = make_user()
    written, release = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def slow_change() -> None:
        try:
            with transaction.atomic():
                record(
                    Subject("listing", "slow", member.pk), EventType.LISTING_CLOSED, actor=None, payload={}
                )
                written.set()
                release.wait(10)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    slow = threading.Thread(target=slow_change)
    slow.start()
    written.wait(10)
    # when a quicker change commits and a reader follows the log
    with transaction.atomic():
        record(Subject("listing", "quick", member.pk), EventType.LISTING_CLOSED, actor=None, payload={})
    events_pump.call()
    first: Any = list(Event.objects.exclude(sequence=None).values_list("subject_id", "sequence"))
    release.set()
    slow.join()
    events_pump.call()
    # then the late one gets the next number, past the reader's position: nothing is missed
    assert errors == []
    assert first == [("quick", 1)]
    assert Event.objects.get(subject_id="slow").sequence == 2
