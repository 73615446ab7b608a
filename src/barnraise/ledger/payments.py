"""Provider calls through an outbox: `ProviderCall` rows made by the worker after commit.

- An action (inside the engine's transaction) calls `provider_call_create`: it only writes a
  row with an idempotency key. After commit the worker runs `provider_call_make`, which reads
  the row, calls `provider()` outside any transaction or lock, then stores the result in one
  short transaction and hands the finished call to the handlers registered for its operation
  (`register_result_handler`), which report it through a `system` transition.
- `provider_calls_sweep` (every minute) makes pending calls again with the same key, and
  reports finished calls whose handlers have not run.
- The first authorization of a new transaction is the exception: `authorize_now` runs before
  the transaction is opened, outside any lock. A decline raises `card_declined` and writes
  nothing; if the caller's write then fails it calls `authorization_abandon`.

A card number is never stored: an authorize call's payload keeps its last four digits.
"""

import logging
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.db import insert
from barnraise.errors import InvalidInput
from barnraise.ledger.errors import IdempotencyKeyReused
from barnraise.ledger.models import ProviderCall, ProviderCallStatus, ProviderOperation
from barnraise.ledger.providers import (
    Authorization,
    AuthorizationStatus,
    CardDeclined,
    ProviderRefused,
    money_from,
    money_json,
    provider,
)
from barnraise.money import Money

logger = logging.getLogger(__name__)
# One line per call made to the provider, with the request id of the work that made it (bound
# by the request, or by the worker for the task the request enqueued). Never the card, the
# payment method or the provider's message: ids, the operation, the outcome and the time.
calls_log = structlog.get_logger("barnraise.provider_calls")

RETRY_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 100
_FAILED_STATUSES = frozenset({"declined", "failed"})

ResultHandler = Callable[[ProviderCall], None]
_handlers: dict[str, list[ResultHandler]] = {}


def register_result_handler(operation: str, handler: ResultHandler) -> None:
    """Call `handler(call)` with each finished call of `operation`, after its result is stored.

    Handlers run outside any transaction and may run more than once (a crash before
    `reported_at` is written): make them idempotent, e.g. by a transition keyed on the call id.
    """
    if operation not in ProviderOperation.values:
        raise ValueError(f"unknown provider operation {operation!r}")
    if handler not in _handlers.setdefault(operation, []):
        _handlers[operation].append(handler)


def unregister_result_handler(operation: str, handler: ResultHandler) -> None:
    if handler in _handlers.get(operation, []):
        _handlers[operation].remove(handler)


_NOT_DIGITS = re.compile(r"\D")


def mask_payment_method(payment_method: str) -> str:
    """A card number becomes its last four digits; a token (no long run of digits) is kept."""
    digits = _NOT_DIGITS.sub("", payment_method)
    if len(digits) >= 12 or not payment_method.strip():
        return f"card:…{digits[-4:]}"
    return payment_method[:64]


def _payload(
    operation: str,
    *,
    amount: Money | None,
    authorization_id: str,
    capture_id: str,
    account_id: str,
    saved_card: tuple[str, str] = ("", ""),
) -> dict[str, Any]:
    if operation == ProviderOperation.AUTHORIZE_SAVED:
        customer_id, method_id = saved_card
        if not customer_id or not method_id or amount is None or amount.amount_minor <= 0:
            raise InvalidInput(details={"saved_card": [_("Give the customer, the card and an amount.")]})
        return {"customer_id": customer_id, "method_id": method_id, "amount": money_json(amount)}
    needs = {
        ProviderOperation.CAPTURE: ("authorization_id", authorization_id, True),
        ProviderOperation.VOID: ("authorization_id", authorization_id, False),
        ProviderOperation.REFUND: ("capture_id", capture_id, True),
        ProviderOperation.PAYOUT: ("account_id", account_id, True),
    }
    if operation not in needs:
        raise InvalidInput(details={"operation": [_("Not an operation made through the outbox.")]})
    field, value, with_amount = needs[ProviderOperation(operation)]
    if not value:
        raise InvalidInput(details={field: [_("This operation needs it.")]})
    payload: dict[str, Any] = {field: value}
    if with_amount:
        if amount is None or amount.amount_minor <= 0:
            raise InvalidInput(details={"amount": [_("Give a positive amount.")]})
        payload["amount"] = money_json(amount)
    return payload


def provider_call_create(
    *,
    operation: str,
    reference: str,
    idempotency_key: str,
    amount: Money | None = None,
    authorization_id: str = "",
    capture_id: str = "",
    account_id: str = "",
    saved_card: tuple[str, str] = ("", ""),
) -> ProviderCall:
    """Write a pending call (capture, void, refund, payout, or an off-session authorization of
    a saved card: `saved_card` = (customer id, card id)); the worker makes it after commit.

    Joins the caller's transaction. The same key with the same request returns the first row;
    with a different one it raises `idempotency_key_reused`.
    """
    if not idempotency_key or len(idempotency_key) > 255:
        raise InvalidInput(details={"idempotency_key": [_("Give a key of 1 to 255 characters.")]})
    payload = _payload(
        operation,
        amount=amount,
        authorization_id=authorization_id,
        capture_id=capture_id,
        account_id=account_id,
        saved_card=saved_card,
    )
    with transaction.atomic():
        call, created = ProviderCall.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={"operation": operation, "reference": reference, "payload": payload},
        )
        if not created:
            if (call.operation, call.reference, call.payload) != (operation, reference, payload):
                raise IdempotencyKeyReused(details={"provider_call": str(call.pk)})
            return call
        transaction.on_commit(lambda: _enqueue(call.pk))
    return call


def _enqueue(call_id: UUID) -> None:
    from barnraise.ledger.tasks import provider_call_run  # the task module imports this one

    provider_call_run.enqueue(str(call_id))


def _perform(call: ProviderCall) -> dict[str, Any]:
    """Make the call through the configured provider; return its answer as JSON."""
    payment = provider()
    payload, key = call.payload, call.idempotency_key
    if call.operation == ProviderOperation.CAPTURE:
        return payment.capture(
            authorization_id=payload["authorization_id"],
            amount=money_from(payload["amount"]),
            idempotency_key=key,
        ).as_json()
    if call.operation == ProviderOperation.VOID:
        return payment.void(authorization_id=payload["authorization_id"], idempotency_key=key).as_json()
    if call.operation == ProviderOperation.REFUND:
        return payment.refund(
            capture_id=payload["capture_id"], amount=money_from(payload["amount"]), idempotency_key=key
        ).as_json()
    if call.operation == ProviderOperation.PAYOUT:
        return payment.payout(
            account_id=payload["account_id"], amount=money_from(payload["amount"]), idempotency_key=key
        ).as_json()
    if call.operation == ProviderOperation.AUTHORIZE_SAVED:
        # Off-session: a bank that wants the customer raises AuthenticationRequired, a refusal
        # stored as the call's error (reason `authentication_required`).
        return payment.authorize_saved(
            amount=money_from(payload["amount"]),
            customer_id=payload["customer_id"],
            method_id=payload["method_id"],
            off_session=True,
            idempotency_key=key,
        ).as_json()
    # An authorize call needs the card number, which is never stored: it is made only by
    # authorize_now. A pending one is left by a crash between the provider and the write.
    raise ProviderRefused("not_replayable", "An authorization is made only by authorize_now.")


def _outcome(result: dict[str, Any]) -> str:
    failed = "error" in result or result.get("status") in _FAILED_STATUSES
    return ProviderCallStatus.FAILED if failed else ProviderCallStatus.SUCCEEDED


def provider_call_make(*, call_id: UUID | str) -> ProviderCall:
    """Make one pending call, outside any lock; safe to run twice (the same idempotency key).

    A refusal by the provider is final (status failed, `result.error`); any other exception
    counts an attempt, keeps the call pending for the sweeper and is not raised.
    """
    call = ProviderCall.objects.get(pk=call_id)
    if call.status != ProviderCallStatus.PENDING:
        _report(call)
        return call
    start = time.perf_counter()
    try:
        result = _perform(call)  # no transaction is open here, so no lock is held
    except ProviderRefused as refused:
        result = {"error": {"reason": refused.reason, "message": refused.message}}
    except Exception as exc:  # transient (network, provider down): the sweeper retries
        logger.warning("provider call %s failed, will retry: %r", call.pk, exc)
        _log_call(call, "retry", start, error=type(exc).__name__)
        ProviderCall.objects.filter(pk=call.pk, status=ProviderCallStatus.PENDING).update(
            attempts=F("attempts") + 1, last_error=repr(exc)[:2000], updated_at=timezone.now()
        )
        call.refresh_from_db()
        return call
    finished = timezone.now()
    with transaction.atomic(durable=True):
        ProviderCall.objects.filter(pk=call.pk, status=ProviderCallStatus.PENDING).update(
            status=_outcome(result),
            result=result,
            attempts=F("attempts") + 1,
            updated_at=finished,
            finished_at=finished,
        )
    call.refresh_from_db()
    _log_call(call, call.status, start, error=(result.get("error") or {}).get("reason"))
    _report(call)
    return call


def _log_call(call: ProviderCall, outcome: str, start: float, **fields: Any) -> None:
    calls_log.info(
        "provider_call",
        provider_call_id=str(call.pk),
        operation=call.operation,
        reference=call.reference,
        outcome=outcome,
        duration_ms=round((time.perf_counter() - start) * 1000, 2),
        **{key: value for key, value in fields.items() if value is not None},
    )


def _report(call: ProviderCall) -> None:
    """Run the result handlers of a finished call once (again after a crash before the mark)."""
    if call.status == ProviderCallStatus.PENDING or call.reported_at is not None:
        return
    for handler in list(_handlers.get(call.operation, [])):
        try:
            handler(call)
        except Exception:  # reported again by the sweeper
            logger.exception("result handler %r failed for provider call %s", handler, call.pk)
            return
    reported = timezone.now()
    ProviderCall.objects.filter(pk=call.pk, reported_at__isnull=True).update(reported_at=reported)
    call.reported_at = reported


def provider_calls_sweep() -> int:
    """Retry pending calls untouched for a minute, with the same key; report unreported ones."""
    cutoff = timezone.now() - RETRY_AFTER
    pending = list(
        ProviderCall.objects.filter(status=ProviderCallStatus.PENDING, updated_at__lt=cutoff)
        .exclude(operation=ProviderOperation.AUTHORIZE)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for call_id in pending:
        provider_call_make(call_id=call_id)
    unreported = ProviderCall.objects.filter(reported_at__isnull=True, finished_at__lt=cutoff).exclude(
        status=ProviderCallStatus.PENDING
    )[:SWEEP_BATCH]
    for call in unreported:
        _report(call)
    return len(pending)


def authorize_now(
    *, amount: Money, payment_method: str, reference: str, idempotency_key: str, payer: str = ""
) -> Authorization:
    """The first authorization of a new transaction: call before opening it, outside any lock.

    Generate the transaction's id first, so that `reference` ("transaction:<id>") names it.
    A decline raises `card_declined` (402) and writes nothing. Otherwise the authorization is
    recorded as a finished `ProviderCall` with the card masked, and returned; if that write
    fails, the authorization is voided and the error raised.
    """
    start = time.perf_counter()
    authorization = provider().authorize(
        amount=amount, payment_method=payment_method, idempotency_key=idempotency_key
    )
    calls_log.info(
        "provider_call",
        operation=ProviderOperation.AUTHORIZE,
        reference=reference,
        outcome=authorization.status,
        external_id=authorization.id,
        duration_ms=round((time.perf_counter() - start) * 1000, 2),
    )
    if authorization.status == AuthorizationStatus.DECLINED:
        raise CardDeclined(details={"decline_code": authorization.decline_code})
    finished = timezone.now()
    try:
        # One INSERT, committed on its own (autocommit). The key is new for every call (its
        # caller adds a fresh id): nothing to look up.
        insert(
            ProviderCall(
                idempotency_key=idempotency_key,
                operation=ProviderOperation.AUTHORIZE,
                reference=reference,
                payload={
                    "amount": money_json(amount),
                    "payment_method": mask_payment_method(payment_method),
                    "payer": payer,
                },
                status=ProviderCallStatus.SUCCEEDED,
                result=authorization.as_json(),
                external_id=authorization.id,
                attempts=1,
                finished_at=finished,
                reported_at=finished,  # the caller has the answer already
            )
        )
    except Exception:
        provider().void(authorization_id=authorization.id, idempotency_key=f"{idempotency_key}:void")
        raise
    return authorization


def authorization_abandon(*, authorization_id: str, reference: str, idempotency_key: str) -> ProviderCall:
    """Void an authorization whose transaction was never written (the write after
    `authorize_now` failed). Records the void and makes it at once; the sweeper retries it."""
    with transaction.atomic(durable=True):
        call = provider_call_create(
            operation=ProviderOperation.VOID,
            reference=reference,
            idempotency_key=idempotency_key,
            authorization_id=authorization_id,
        )
    return provider_call_make(call_id=call.pk)
