"""Saved cards: a member's customer at the payment provider, setting a card up, listing and
removing the cards saved there.

The cards themselves live at the provider (a number never reaches this server); the only row
here is `PaymentCustomer`, the member's customer id at the provider. Provider calls are made
outside any transaction, with idempotency keys that make a retry (or a race) safe: the customer
is created once per member and provider, whoever asks first.
"""

from django.db import IntegrityError, transaction

from barnraise.accounts.models import User
from barnraise.errors import NotFound
from barnraise.eventlog.models import EventType
from barnraise.eventlog.services import Subject, record
from barnraise.ids import uuid7
from barnraise.ledger.models import PaymentCustomer
from barnraise.ledger.providers import ProviderRefused, SavedMethod, SetupStart, provider


def _subject(customer: PaymentCustomer) -> Subject:
    return Subject("payment_customer", str(customer.pk), customer.member_id)


def customer_find(*, member: User) -> PaymentCustomer | None:
    return PaymentCustomer.objects.filter(member=member, provider=provider().name).first()


def customer_ensure(*, member: User) -> PaymentCustomer:
    """The member's customer at the current provider, created there on first call."""
    existing = customer_find(member=member)
    if existing is not None:
        return existing
    name = provider().name
    external_id = provider().create_customer(
        owner_reference=f"member:{member.pk}", idempotency_key=f"payment-customer:{name}:{member.pk}"
    )
    try:
        with transaction.atomic():
            customer = PaymentCustomer.objects.create(member=member, provider=name, external_id=external_id)
            record(
                _subject(customer),
                EventType.PAYMENT_CUSTOMER_CREATED,
                actor=member,
                payload={"provider": name, "external_id": external_id},
            )
    except IntegrityError:  # a concurrent request stored it first (the same key: the same customer)
        return PaymentCustomer.objects.get(member=member, provider=name)
    return customer


def setup_begin(*, member: User) -> SetupStart:
    """Start saving a card: the member's page confirms the answer's client secret."""
    customer = customer_ensure(member=member)
    return provider().setup_start(
        customer_id=customer.external_id, idempotency_key=f"setup:{customer.pk}:{uuid7().hex}"
    )


def saved_list(*, member: User) -> list[SavedMethod]:
    customer = customer_find(member=member)
    if customer is None:
        return []
    return provider().saved_methods(customer_id=customer.external_id)


def saved_remove(*, member: User, method_id: str) -> None:
    """Forget one of the member's saved cards; 404 `not_found` for any card not theirs."""
    customer = customer_find(member=member)
    if customer is None:
        raise NotFound()
    try:
        provider().saved_method_remove(
            customer_id=customer.external_id,
            method_id=method_id,
            idempotency_key=f"saved-card-remove:{customer.pk}:{uuid7().hex}",
        )
    except ProviderRefused as refused:
        if refused.reason == "no_such_payment_method":
            raise NotFound() from None
        raise
    with transaction.atomic():
        record(
            _subject(customer), EventType.SAVED_CARD_REMOVED, actor=member, payload={"method_id": method_id}
        )
