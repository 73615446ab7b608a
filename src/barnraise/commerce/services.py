"""Writes for commerce: starting deals, offers, and moving them (all through the engine)."""

from typing import Any

from django.db import IntegrityError
from django.db import transaction as db
from django.utils.translation import gettext as _

from barnraise.accounts.models import User
from barnraise.accounts.services import user_require_verified_email
from barnraise.catalog.models import Listing
from barnraise.commerce import engine, processes, selectors
from barnraise.commerce.models import Transaction
from barnraise.commerce.processes.definitions import Process
from barnraise.errors import Conflict, InvalidInput, NotFound

DEFAULT_PROCESS = {"sale": "purchase", "rental": "booking", "service": "booking", "request": "request"}


def allowed_processes(listing: Listing) -> list[Process]:
    """The processes a listing allows: its category's choice, else its kind's default."""
    names = listing.category.processes or [DEFAULT_PROCESS[listing.kind]]
    found = [processes.latest(name) for name in names]
    return [p for p in found if p is not None and (listing.kind in p.kinds or p.name == "inquiry")]


def _published(listing_id: Any) -> Listing:
    listing = Listing.objects.select_related("category", "author").filter(public_id=listing_id).first()
    if listing is None or listing.status != Listing.Status.PUBLISHED:
        raise NotFound()
    return listing


def _first_step(process: Process, listing: Listing, name: str | None) -> str:
    if name:
        return name
    if process.name == "booking":
        return "book" if listing.instant_booking else "request"
    return "inquire" if process.name == "inquiry" else "request"


def transaction_create(
    *,
    actor: User,
    listing_id: Any,
    process: str | None = None,
    transition: str | None = None,
    params: dict[str, Any],
    idempotency_key: str | None = None,
    dry_run: bool = False,
) -> engine.Outcome:
    """A customer opens a deal on a listing: an inquiry, a purchase or a booking."""
    user_require_verified_email(user=actor)
    listing = _published(listing_id)
    if listing.author_id == actor.pk:
        raise Conflict(_("This is your own listing."))
    allowed = allowed_processes(listing)
    chosen = next((p for p in allowed if p.name == (process or allowed[0].name)), None) if allowed else None
    if chosen is None or chosen.name == "request":
        names = [p.name for p in allowed if p.name != "request"]
        raise InvalidInput(
            details={"process": [_("This listing allows: %s.") % (", ".join(names) or _("offers only"))]}
        )
    if idempotency_key and not dry_run:
        earlier = Transaction.objects.filter(customer=actor, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return engine.Outcome(earlier, None, replayed=True)
    try:
        return engine.start(
            listing=listing,
            customer=actor,
            provider=listing.author,
            process=chosen,
            name=_first_step(chosen, listing, transition),
            params=params,
            actor=actor,
            idempotency_key=idempotency_key,
            dry_run=dry_run,
        )
    except IntegrityError:
        # Two requests with one key raced; the loser replays the winner's deal.
        earlier = Transaction.objects.filter(customer=actor, idempotency_key=idempotency_key).first()
        if idempotency_key is None or earlier is None:
            raise
        return engine.Outcome(earlier, None, replayed=True)


def offer_create(
    *,
    actor: User,
    listing_id: Any,
    params: dict[str, Any],
    idempotency_key: str | None = None,
    dry_run: bool = False,
) -> engine.Outcome:
    """A provider answers a request listing with an offer; the request's author is the customer."""
    user_require_verified_email(user=actor)
    listing = _published(listing_id)
    if listing.kind != "request":
        raise InvalidInput(details={"listing_id": [_("Offers answer request listings only.")]})
    if listing.author_id == actor.pk:
        raise Conflict(_("This is your own request."))
    process = processes.latest("request")
    assert process is not None  # noqa: S101 - shipped with the code
    if idempotency_key and not dry_run:
        earlier = Transaction.objects.filter(
            provider=actor, listing=listing, idempotency_key=idempotency_key
        ).first()
        if earlier is not None:
            return engine.Outcome(earlier, None, replayed=True)
    open_offer = Transaction.objects.filter(
        listing=listing, provider=actor, state__in=("offered", "countered")
    ).exists()
    if open_offer:
        raise Conflict(_("You already have an open offer here; update it instead."))
    return engine.start(
        listing=listing,
        customer=listing.author,
        provider=actor,
        process=process,
        name="offer",
        params=params,
        actor=actor,
        idempotency_key=idempotency_key,
        dry_run=dry_run,
    )


def transaction_transition(
    *,
    actor: User,
    transaction_id: Any,
    name: str,
    params: dict[str, Any],
    idempotency_key: str | None = None,
    dry_run: bool = False,
) -> engine.Outcome:
    tx = selectors.transaction_visible(actor=actor, transaction_id=transaction_id)
    if name not in ("close_inquiry", "close", "close_by_provider") and tx.process != "inquiry":
        user_require_verified_email(user=actor)
    with db.atomic(durable=not dry_run):
        return engine.transition(
            tx, name, actor=actor, params=params, idempotency_key=idempotency_key, dry_run=dry_run
        )
