"""The built-in actions and guards. Registered by CommerceConfig.ready()."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from barnraise import moments
from barnraise.accounts.models import User
from barnraise.catalog import services as catalog_services
from barnraise.commerce import bookings, pricing
from barnraise.commerce.models import Booking, CommercePolicy, StockReservation, Transaction
from barnraise.commerce.registry import Context, register_action, register_guard
from barnraise.errors import Conflict, InvalidInput, NotAvailable
from barnraise.money import Money, check_currency


def policy() -> CommercePolicy:
    current, _created = CommercePolicy.objects.get_or_create(pk=1)
    return current


# What pricing sets on a transaction: a dry run's, kept as `quote`, opens the deal it priced.
QUOTED = (
    "start",
    "end",
    "seats",
    "quantity",
    "line_items",
    "total_amount_minor",
    "provider_payout_minor",
    "platform_fee_minor",
    "tax_payable_minor",
    "tax_jurisdiction",
)


def quote(tx: Transaction) -> dict[str, Any]:
    """The price a dry run gave `tx`, for the `quote` note of the step it priced."""
    return {name: getattr(tx, name) for name in QUOTED}


def set_line_items(ctx: Context) -> None:
    """Price the deal from the listing: a booking's window and seats, or a purchase's quantity.

    With a `quote` note (the service priced the step by a dry run with the same params, then
    had the card authorized for that total), the deal opens at the quoted price.
    """
    tx, listing = ctx.tx, ctx.tx.listing
    quoted = ctx.notes.get("quote")
    if quoted is not None:
        for name, value in quoted.items():
            setattr(tx, name, value)
        return
    if ctx.process.name == "booking":
        seats = ctx.params.get("seats", 1)
        if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= listing.seats:
            raise InvalidInput(details={"seats": [_("Choose 1 to %d seats.") % listing.seats]})
        tx.start, tx.end, units = bookings.window(
            listing, ctx.params.get("start"), ctx.params.get("end"), ctx.now
        )
        tx.seats = seats
        base = pricing.base_items(listing, units, seats)
    else:
        quantity = ctx.params.get("quantity", 1)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 10_000:
            raise InvalidInput(details={"quantity": [_("Choose a quantity from 1 to 10,000.")]})
        tx.quantity = quantity
        base = pricing.base_items(listing, Decimal(quantity))
    store_price(
        tx,
        pricing.with_fees(
            listing,
            base,
            tx.currency,
            customer=_party(tx.customer_id, tx),
            provider=_party(tx.provider_id, tx),
        ),
    )


def _party(user_id: Any, tx: Transaction) -> User | None:
    """A party of the deal whose tax number may matter, or None (a quote has no customer yet)."""
    if user_id is None:
        return None
    return tx.customer if user_id == tx.customer_id else tx.provider


def store_price(tx: Transaction, priced: pricing.Priced) -> None:
    """Computed once when the deal is priced; later steps and rule changes never touch it."""
    tx.line_items = priced.line_items
    tx.total_amount_minor = priced.total.amount_minor
    tx.provider_payout_minor = priced.provider_payout.amount_minor
    tx.platform_fee_minor = priced.platform_fee.amount_minor
    tx.tax_payable_minor = priced.tax_payable.amount_minor
    tx.tax_jurisdiction = priced.tax_jurisdiction


def set_offer_line_items(ctx: Context) -> None:
    """An offer or counter-offer names its price, in the request's currency."""
    price = ctx.params.get("price")
    if (
        not isinstance(price, dict)
        or not isinstance(price.get("amount_minor"), int)
        or isinstance(price.get("amount_minor"), bool)
    ):
        raise InvalidInput(details={"price": [_("Give {amount_minor, currency}.")]})
    currency = check_currency(str(price.get("currency", "")), "price.currency")
    if currency != ctx.tx.currency:
        raise InvalidInput(
            details={"price.currency": [_("Offer in %s, the request's currency.") % ctx.tx.currency]}
        )
    if not 0 < price["amount_minor"] <= 10**12:
        raise InvalidInput(details={"price.amount_minor": [_("Must be positive.")]})
    tx = ctx.tx
    base = [pricing.line_item("offer", _("Offer"), Money(price["amount_minor"], currency), Decimal(1))]
    store_price(
        tx,
        pricing.with_fees(
            tx.listing,
            base,
            currency,
            customer=_party(tx.customer_id, tx),
            provider=_party(tx.provider_id, tx),
        ),
    )
    if ctx.params.get("start") and ctx.params.get("end"):
        tx.start = moments.moment(ctx.params["start"], "start")
        tx.end = moments.moment(ctx.params["end"], "end")


def reserve_booking(ctx: Context) -> None:
    held = bookings.reserve(ctx.tx, ctx.tx.listing, hold=not ctx.dry_run)
    if held is not None:
        ctx.insert(held)  # still under the calendar's lock: the step's transaction holds it to commit


def accept_booking(ctx: Context) -> None:
    Booking.objects.filter(transaction=ctx.tx).update(status=Booking.Status.ACCEPTED)


def cancel_booking(ctx: Context) -> None:
    Booking.objects.filter(transaction=ctx.tx).update(status=Booking.Status.CANCELLED)


def reserve_stock(ctx: Context) -> None:
    """Take the quantity from stock with one conditional update: stock never goes below zero."""
    if not catalog_services.stock_take(listing_id=ctx.tx.listing_id, quantity=ctx.tx.quantity):
        raise NotAvailable(_("Not enough left in stock."))
    StockReservation.objects.create(
        transaction=ctx.tx, listing_id=ctx.tx.listing_id, quantity=ctx.tx.quantity
    )


def release_stock(ctx: Context) -> None:
    held = StockReservation.objects.filter(transaction=ctx.tx, status=StockReservation.Status.HELD)
    for reservation in held:
        catalog_services.stock_return(listing_id=reservation.listing_id, quantity=reservation.quantity)
    held.update(status=StockReservation.Status.RELEASED)


def reveal_contact_details(ctx: Context) -> None:
    ctx.tx.contact_revealed_at = ctx.now


def open_reviews(ctx: Context) -> None:
    ctx.tx.reviews_open_until = ctx.now + timedelta(days=policy().review_window_days)


def close_other_offers(ctx: Context) -> None:
    """Accepting one offer declines the open others and takes the request out of search."""
    from barnraise.commerce.engine import transition

    others = (
        Transaction.objects.filter(
            listing_id=ctx.tx.listing_id, process="request", state__in=("offered", "countered")
        )
        .exclude(pk=ctx.tx.pk)
        .order_by("pk")
    )
    for other in others:
        transition(other, "close", actor=None, params={}, dry_run=ctx.dry_run)
    catalog_services.listing_mark_fulfilled(listing_id=ctx.tx.listing_id)


def guard_requires_acceptance(ctx: Context) -> None:
    if ctx.tx.listing.instant_booking:
        raise Conflict(_("This listing books instantly: use the `book` transition."))


def guard_books_instantly(ctx: Context) -> None:
    if not ctx.tx.listing.instant_booking:
        raise Conflict(_("The provider accepts each booking: use the `request` transition."))


def guard_before_start(ctx: Context) -> None:
    if ctx.tx.start is not None and ctx.now >= ctx.tx.start:
        raise Conflict(_("The booking has started; only an operator can cancel it now."))


def guard_within_dispute_window(ctx: Context) -> None:
    if ctx.now > ctx.tx.entered_state_at + timedelta(days=policy().dispute_window_days):
        raise Conflict(_("The window for disputes has closed."))


def register_builtins() -> None:
    steps: dict[str, Any] = {
        "set_line_items": set_line_items,
        "set_offer_line_items": set_offer_line_items,
        "reserve_booking": reserve_booking,
        "accept_booking": accept_booking,
        "cancel_booking": cancel_booking,
        "reserve_stock": reserve_stock,
        "release_stock": release_stock,
        "reveal_contact_details": reveal_contact_details,
        "open_reviews": open_reviews,
        "close_other_offers": close_other_offers,
    }
    from barnraise.commerce import disputes

    steps["record_dispute"] = disputes.record_dispute
    steps["close_dispute"] = disputes.close_dispute
    # These write nothing in a dry run: they price and check (reserve_booking holds no seats).
    dry_run_readers = {"set_line_items", "set_offer_line_items", "reserve_booking", "reveal_contact_details"}
    for name, step in steps.items():
        register_action(name, step, dry_run_writes=name not in dry_run_readers)
    register_guard("reason_given", disputes.guard_reason_given)
    register_guard("listing_requires_acceptance", guard_requires_acceptance)
    register_guard("listing_books_instantly", guard_books_instantly)
    register_guard("before_start", guard_before_start)
    register_guard("within_dispute_window", guard_within_dispute_window)
