"""Demo deals: the two demo logins see bookings, purchases and offers in many states."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.accounts.services import user_profile_update
from barnraise.catalog.models import Listing
from barnraise.commerce import engine
from barnraise.commerce.models import Transaction
from barnraise.commerce.services import offer_create, transaction_create
from barnraise.errors import DomainError
from barnraise.ledger.escrow.settlement import settle_many
from barnraise.ledger.models import Payment, ProviderCall, ProviderCallStatus
from barnraise.ledger.payments import provider_call_make
from barnraise.ledger.payouts import payout_account_open, payout_request, sandbox_onboarding_finish
from barnraise.ledger.providers import provider as payment_provider
from barnraise.ledger.providers.sandbox import SandboxProvider
from barnraise.ledger.refunds import refund_issue
from barnraise.ledger.saved_cards import saved_list, setup_begin
from barnraise.ledger.selectors import member_balances
from barnraise.money import Money

TEST_CARD = "4242424242424242"  # the sandbox card that always succeeds


def _window(listing: Listing, days: int, hours: int = 2) -> dict[str, str]:
    zone = ZoneInfo(listing.timezone)
    day = (timezone.now().astimezone(zone) + timedelta(days=days)).date()
    if listing.unit in ("day", "night"):
        return {"start": day.isoformat(), "end": (day + timedelta(days=2)).isoformat()}
    start = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()}


def _provider_calls_now() -> None:
    """Make the pending payment-provider calls at once, as the worker would in a moment."""
    for call_id in ProviderCall.objects.filter(status=ProviderCallStatus.PENDING).values_list(
        "pk", flat=True
    ):
        provider_call_make(call_id=call_id)


def _refund_part(tx: Transaction, operator: User) -> None:
    """An operator gives back a quarter of a completed deal, as the console's refund does."""
    payment = Payment.objects.get(reference=f"transaction:{tx.pk}")
    amount = Money(payment.amount_minor // 4, payment.currency)
    refund_issue(actor=operator, deal_id=tx.pk, amount=amount, reason="The heating failed one night.")


def _then(tx: Transaction, steps: list[tuple[str, User | None]]) -> None:
    """Take the steps that apply: an instant booking is accepted already. `refund` (by an
    operator) is the console's refund of part of a completed deal."""
    _provider_calls_now()
    for name, actor in steps:
        tx.refresh_from_db()
        if name == "refund" and actor is not None:
            if tx.state == "completed":
                _refund_part(tx, actor)
                _provider_calls_now()
        elif name in engine.available_transitions(tx, actor) or (actor is None and tx.state != "completed"):
            engine.transition(tx, name, actor=actor)
            _provider_calls_now()


def seed_payout_accounts(people: list[User], *, bank_account_due: User | None = None) -> None:
    """Every demo member can be paid: a sandbox payout account that finished onboarding, but
    `bank_account_due`'s (the customer login, who provides nothing in the demo's paid deals),
    which left the bank account for later, so the wallet shows what onboarding still needs."""
    for person in people:
        account = payout_account_open(actor=person)
        if person == bank_account_due:
            if not account.details_submitted:  # once: a member who finished it since stays done
                sandbox_onboarding_finish(
                    actor=person, external_id=account.external_id, leave_due=("external_account",)
                )
        elif not account.ready:
            sandbox_onboarding_finish(actor=person, external_id=account.external_id)


def seed_saved_card(member: User) -> None:
    """The customer login keeps a card at the sandbox (the saved-cards page lists it and the
    payment element offers it), saved as its page saves one. Once; only with the sandbox."""
    if payment_provider().name != "sandbox" or saved_list(member=member):
        return
    setup = setup_begin(member=member)
    SandboxProvider().setup_confirm(
        setup_id=setup.id, client_secret=setup.client_secret, card_number=TEST_CARD
    )


def _seed_far_ahead(customer: User, provider: User, bookable: list[Listing]) -> int:
    """A booking a month ahead, beyond the sandbox's 7-day authorization window, paid with the
    customer's saved card: accepted, it waits to be charged nearer the date (booking v3 on), and
    its page says when. With the sandbox only (where the demo saves the card)."""
    cards = saved_list(member=customer) if payment_provider().name == "sandbox" else []
    if not cards:
        return 0
    for listing in bookable:
        for later in range(30, 37):
            try:
                outcome = transaction_create(
                    actor=customer,
                    listing_id=listing.public_id,
                    params={**_window(listing, later), "message": "Booking early for the summer."},
                    payment_method=cards[0].id,
                )
            except DomainError:
                continue
            _then(outcome.tx, [("accept_ahead", provider)])
            return 1
    return 0


def seed_payout(provider: User) -> None:
    """The provider's completed deals settle now, as if their dispute windows had closed, and
    half their balance is paid out: the deal's timeline shows "Paid out … to your bank account",
    and the wallet still has money to pay out."""
    with transaction.atomic():
        due = Payment.objects.filter(payee=provider, pending_minor__gt=0, frozen=False)
        settle_many(list(due.values_list("pk", flat=True)), now=timezone.now())
    for balance in member_balances(member=provider):  # half: the wallet keeps some to pay out
        if balance.available.amount_minor > 1:
            payout_request(
                actor=provider, currency=balance.currency, amount_minor=balance.available.amount_minor // 2
            )
    _provider_calls_now()


def seed_deals(
    customer: User, provider: User, people: list[User], rng: random.Random, operator: User | None = None
) -> int:
    """A handful of deals per demo login, in different states. Skipped when any exist.

    Not one database transaction: each card is authorized before its deal opens, outside any
    transaction, as on the site.
    """
    seed_payout_accounts(people, bank_account_due=customer)
    seed_saved_card(customer)
    # The provider deals as a business: their name and tax number are on their papers.
    user_profile_update(actor=provider, business_name=f"{provider.name} Rentals", tax_number="BE0403170701")
    if Transaction.objects.filter(customer=customer).exclude(state="initial").exists():
        return 0
    made = 0
    bookable = list(
        Listing.objects.filter(author=provider, kind__in=("rental", "service"), status="published")[:6]
    )
    buyable = list(Listing.objects.filter(kind="sale", status="published").exclude(author=customer)[:4])
    plans: list[list[tuple[str, User | None]]] = [
        [],  # requested: waits for the provider (Bob's inbox)
        [("accept", provider)],
        # a fee invoice for the provider; an operator then refunds a quarter of it, so the
        # provider also has a credit note for the commission on that quarter
        [("accept", provider), ("complete", None), *([("refund", operator)] if operator else [])],
        [("decline", provider)],
        # paid, then cancelled a week ahead: the cancellation policy gives it all back, which the
        # deal's timeline, the notifications and the wallet's "What I paid, what came back" show
        [("accept", provider), ("cancel_by_customer", customer)],
        # taken, then refunded in full: a receipt and a refund receipt in the customer's wallet
        [("accept", provider), ("cancel_by_provider", provider)],
    ]
    for days, (listing, steps) in enumerate(zip(bookable, plans, strict=False), start=3):
        # The first free window from `days` ahead: a listing may be closed on that weekday.
        for later in range(days, days + 7):
            try:
                outcome = transaction_create(
                    actor=customer,
                    listing_id=listing.public_id,
                    params={**_window(listing, later), "message": "Is this free?"},
                    payment_method=TEST_CARD,
                )
            except DomainError:
                continue
            _then(outcome.tx, steps)
            made += 1
            break
    made += _seed_far_ahead(customer, provider, bookable)
    for listing, names in zip(buyable, [[], ["accept"], ["accept", "mark_shipped"]], strict=False):
        outcome = transaction_create(
            actor=customer, listing_id=listing.public_id, params={"quantity": 1}, payment_method=TEST_CARD
        )
        seller: User | None = outcome.tx.provider
        _then(outcome.tx, [(name, seller) for name in names])
        made += 1
    seed_payout(provider)
    request = Listing.objects.filter(author=customer, kind="request", status="published").first()
    if request is not None:
        for helper in rng.sample([p for p in people if p.pk != customer.pk], 2):
            amount = request.price_amount_minor + rng.randint(-10, 10) * 100
            offer_create(
                actor=helper,
                listing_id=request.public_id,
                params={
                    "price": {"amount_minor": max(amount, 500), "currency": request.currency},
                    "message": "I can help this week.",
                },
            )
            made += 1
    return made
