"""ProviderCall: made after commit and outside any transaction, retried with the same key,
reported to the registered handlers, and never holding a card number."""

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from barnraise.ledger import payments
from barnraise.ledger.errors import IdempotencyKeyReused
from barnraise.ledger.models import ProviderCall, SandboxRecord
from barnraise.ledger.payments import (
    authorization_abandon,
    authorize_now,
    provider_call_create,
    provider_call_make,
    provider_calls_sweep,
    register_result_handler,
    unregister_result_handler,
)
from barnraise.ledger.providers import CardDeclined, provider
from barnraise.ledger.providers.sandbox import SandboxProvider
from barnraise.money import Money

EUR_50 = Money(5000, "EUR")
CARD = "4242424242424242"


class Spy:
    """Wraps the sandbox; records, per call, whether a transaction was open at that moment."""

    def __init__(self, fail_times: int = 0) -> None:
        self.real = SandboxProvider()
        self.calls: list[tuple[str, bool, str]] = []
        self.fail_times = fail_times

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.real, name)

        def spied(**kwargs: Any) -> Any:
            self.calls.append((name, connection.in_atomic_block, kwargs.get("idempotency_key", "")))
            if self.fail_times:
                self.fail_times -= 1
                raise ConnectionError("sandbox unreachable")
            return method(**kwargs)

        return spied


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    spy = Spy()
    monkeypatch.setattr(payments, "provider", lambda name=None: spy)
    yield spy


@pytest.fixture
def reports() -> Iterator[list[ProviderCall]]:
    seen: list[ProviderCall] = []

    def handler(call: ProviderCall) -> None:
        seen.append(call)

    for operation in ("capture", "void", "refund", "payout"):
        register_result_handler(operation, handler)
    yield seen
    for operation in ("capture", "void", "refund", "payout"):
        unregister_result_handler(operation, handler)


def _authorized(card: str = CARD) -> str:
    return provider().authorize(amount=EUR_50, payment_method=card, idempotency_key=f"auth-{card}").id


@pytest.mark.django_db(transaction=True)
def test_a_capture_is_made_after_commit_outside_any_transaction_and_reported(spy, reports):
    # given an authorization
    authorization_id = _authorized()
    # when an action writes a capture call inside its transaction
    with transaction.atomic(durable=True):
        call = provider_call_create(
            operation="capture",
            reference="transaction:1",
            idempotency_key="transaction:1:capture",
            authorization_id=authorization_id,
            amount=EUR_50,
        )
        assert spy.calls == []  # nothing is called before commit
    # then the worker made it after commit, with no transaction open, and reported the result
    call.refresh_from_db()
    assert spy.calls == [("capture", False, "transaction:1:capture")]
    assert call.status == "succeeded" and call.attempts == 1 and call.result["status"] == "captured"
    assert call.finished_at is not None and call.reported_at is not None
    assert [reported.pk for reported in reports] == [call.pk]
    assert reports[0].result == call.result


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_action_makes_no_call(spy):
    authorization_id = _authorized()
    with pytest.raises(RuntimeError), transaction.atomic(durable=True):
        provider_call_create(
            operation="capture",
            reference="transaction:1",
            idempotency_key="transaction:1:capture",
            authorization_id=authorization_id,
            amount=EUR_50,
        )
        raise RuntimeError("the transition failed")
    assert spy.calls == [] and not ProviderCall.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_call_stays_pending_and_the_sweeper_retries_it_with_the_same_key(spy, reports):
    # given a provider that cannot be reached once
    authorization_id = _authorized()
    spy.fail_times = 1
    with transaction.atomic(durable=True):
        call = provider_call_create(
            operation="capture",
            reference="transaction:2",
            idempotency_key="transaction:2:capture",
            authorization_id=authorization_id,
            amount=EUR_50,
        )
    call.refresh_from_db()
    assert call.status == "pending" and call.attempts == 1 and "unreachable" in call.last_error
    assert reports == []
    # when the sweeper runs within the minute, then later
    assert provider_calls_sweep() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert provider_calls_sweep() == 1
    # then the call was made again with the same key, and succeeded once
    call.refresh_from_db()
    assert [entry[2] for entry in spy.calls] == ["transaction:2:capture"] * 2
    assert all(in_atomic is False for _name, in_atomic, _key in spy.calls)
    assert call.status == "succeeded" and call.attempts == 2 and len(reports) == 1


@pytest.mark.django_db(transaction=True)
def test_making_a_call_twice_charges_once_and_reports_once(spy, reports):
    authorization_id = _authorized()
    with transaction.atomic(durable=True):
        call = provider_call_create(
            operation="capture",
            reference="transaction:3",
            idempotency_key="transaction:3:capture",
            authorization_id=authorization_id,
            amount=EUR_50,
        )
    # when a second worker makes the same call (its row read while still pending)
    ProviderCall.objects.filter(pk=call.pk).update(status="pending")
    again = provider_call_make(call_id=call.pk)
    # then the provider replayed the same capture
    assert again.status == "succeeded" and again.result == ProviderCall.objects.get(pk=call.pk).result
    assert SandboxRecord.objects.filter(kind="capture").count() == 1
    assert len(reports) == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_request_fails_for_good_and_is_reported(spy, reports):
    with transaction.atomic(durable=True):
        call = provider_call_create(
            operation="refund",
            reference="transaction:4",
            idempotency_key="transaction:4:refund",
            capture_id="sbx_cap_missing",
            amount=EUR_50,
        )
    call.refresh_from_db()
    assert call.status == "failed" and call.result["error"]["reason"] == "no_such_capture"
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert provider_calls_sweep() == 0
    assert len(spy.calls) == 1 and len(reports) == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_is_run_again_by_the_sweeper(spy):
    attempts: list[str] = []

    def flaky(call: ProviderCall) -> None:
        attempts.append(call.status)
        if len(attempts) == 1:
            raise RuntimeError("the transition could not be written")

    register_result_handler("void", flaky)
    try:
        authorization_id = _authorized()
        with transaction.atomic(durable=True):
            call = provider_call_create(
                operation="void",
                reference="t:5",
                idempotency_key="t:5:void",
                authorization_id=authorization_id,
            )
        assert ProviderCall.objects.get(pk=call.pk).reported_at is None
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            provider_calls_sweep()
    finally:
        unregister_result_handler("void", flaky)
    assert attempts == ["succeeded", "succeeded"]
    assert ProviderCall.objects.get(pk=call.pk).reported_at is not None


@pytest.mark.django_db
def test_the_same_key_with_another_request_is_refused():
    provider_call_create(
        operation="payout", reference="payout:1", idempotency_key="payout:1", account_id="a", amount=EUR_50
    )
    again = provider_call_create(
        operation="payout", reference="payout:1", idempotency_key="payout:1", account_id="a", amount=EUR_50
    )
    with pytest.raises(IdempotencyKeyReused):
        provider_call_create(
            operation="payout",
            reference="payout:1",
            idempotency_key="payout:1",
            account_id="a",
            amount=EUR_50 + EUR_50,
        )
    assert ProviderCall.objects.count() == 1 and again.idempotency_key == "payout:1"


@pytest.mark.django_db(transaction=True)
def test_authorize_now_runs_outside_any_transaction_and_keeps_only_the_last_four_digits(spy):
    authorization = authorize_now(
        amount=EUR_50,
        payment_method="4242 4242 4242 4242",
        reference="transaction:9",
        idempotency_key="tx9:auth",
    )
    call = ProviderCall.objects.get(idempotency_key="tx9:auth")
    assert spy.calls == [("authorize", False, "tx9:auth")]
    assert (
        authorization.status == "authorized" and call.status == "succeeded" and call.operation == "authorize"
    )
    assert call.payload == {
        "amount": {"amount_minor": 5000, "currency": "EUR"},
        "payment_method": "card:…4242",
        "payer": "",
    }
    assert call.result == authorization.as_json() and call.external_id == authorization.id
    for model in (ProviderCall, SandboxRecord):
        for row in model.objects.values():
            assert "4242424242424242" not in str(row) and "4242 4242 4242 4242" not in str(row)


@pytest.mark.django_db(transaction=True)
def test_a_declined_first_authorization_raises_402_and_writes_nothing(spy):
    with pytest.raises(CardDeclined) as declined:
        authorize_now(
            amount=EUR_50,
            payment_method="4000000000000002",
            reference="transaction:7",
            idempotency_key="tx7:auth",
        )
    assert declined.value.status == 402 and declined.value.code == "card_declined"
    assert declined.value.details == {"decline_code": "card_declined"}
    assert not ProviderCall.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_authorize_now_voids_the_authorization_when_its_record_cannot_be_written(spy, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseError("disk full")

    monkeypatch.setattr(payments, "insert", broken)
    with pytest.raises(DatabaseError):
        authorize_now(
            amount=EUR_50, payment_method=CARD, reference="transaction:8", idempotency_key="tx8:auth"
        )
    assert [name for name, _in_atomic, _key in spy.calls] == ["authorize", "void"]
    assert SandboxRecord.objects.filter(kind="void").count() == 1


@pytest.mark.django_db(transaction=True)
def test_authorization_abandon_voids_when_the_transaction_write_failed(spy, reports):
    authorization = authorize_now(
        amount=EUR_50, payment_method=CARD, reference="transaction:10", idempotency_key="tx10:auth"
    )
    call = authorization_abandon(
        authorization_id=authorization.id, reference="transaction:10", idempotency_key="tx10:void"
    )
    assert call.status == "succeeded" and call.result["status"] == "voided"
    assert all(in_atomic is False for _name, in_atomic, _key in spy.calls)
    assert [reported.pk for reported in reports] == [call.pk]


def test_payment_provider_stripe_fails_at_start_up_and_unknown_names_too():
    # stripe without its keys (test_stripe.py has the other misconfigurations)
    for value, expected in (("stripe", "needs STRIPE_SECRET_KEY"), ("paypal", "not a payment provider")):
        env = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")}
        env["PAYMENT_PROVIDER"] = value
        result = subprocess.run(  # our own interpreter, fixed arguments
            [sys.executable, "-c", "import barnraise.config.settings"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr and expected in result.stderr
