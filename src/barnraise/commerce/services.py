"""Writes for commerce: starting deals, offers, and moving them (all through the engine)."""

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError
from django.db import transaction as db
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts.models import User
from barnraise.accounts.services import user_require_verified_email
from barnraise.catalog.models import Listing
from barnraise.commerce import cancellation, engine, processes, registry, selectors
from barnraise.commerce.actions import quote
from barnraise.commerce.models import OPEN_OFFER_STATES, Transaction
from barnraise.commerce.processes.definitions import Process
from barnraise.db import fetch, write_unit
from barnraise.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from barnraise.ids import uuid7
from barnraise.money import Money

DEFAULT_PROCESS = {"sale": "purchase", "rental": "booking", "service": "booking", "request": "request"}


def allowed_processes(listing: Listing) -> list[Process]:
    """The processes a listing allows: its category's choice, else its kind's default."""
    names = listing.category.processes or [DEFAULT_PROCESS[listing.kind]]
    found = [processes.latest(name) for name in names]
    return [p for p in found if p is not None and (listing.kind in p.kinds or p.name == "inquiry")]


def _published(listing_id: Any) -> Listing:
    listing = fetch(Listing, related=("category", "author"), public_id=listing_id)
    if listing is None or listing.status != Listing.Status.PUBLISHED:
        raise NotFound()
    return listing


def _first_step(process: Process, listing: Listing, name: str | None) -> str:
    if name:
        return name
    if process.name == "booking":
        return "book" if listing.instant_booking else "request"
    return "inquire" if process.name == "inquiry" else "request"


def _takes_payment(process: Process, name: str) -> bool:
    step = process.transition(name)
    return step is not None and step.takes_payment


def _paid(
    *,
    payment_method: Any,
    price: Callable[[], Money],
    tx_id: Any,
    step: str,
    payer_id: Any,
    run: Callable[[dict[str, Any]], engine.Outcome],
) -> engine.Outcome:
    """Price the step (a dry run), authorize the payment, outside any transaction and lock,
    then run the transition with it; if the transition fails, the authorization is voided. A
    decline writes nothing. A checkout the customer confirmed in the browser for a deal that
    then cannot open (the dry run or the authorization refuses it) is voided too."""
    hooks = registry.payment_hooks()
    reference = f"transaction:{tx_id}"
    try:
        notes = hooks.authorize(
            amount=price(),
            payment_method=payment_method,
            reference=reference,
            idempotency_key=f"transaction:{tx_id}:{step}:{uuid7().hex}",
            payer_id=payer_id,
        )
    except BaseException:
        if hooks.release is not None:
            hooks.release(payment_method=payment_method, payer_id=payer_id, reference=reference)
        raise
    try:
        return run(notes)
    except BaseException:
        hooks.abandon(notes)
        raise


def opening_pays_ahead(tx: Transaction) -> bool:
    """Whether the step that opens `tx` (priced by a dry run) may be paid nearer the date: it
    has an `ahead` alternative (booking v3), taken when the payment method is a saved card and
    the deal starts beyond the provider's authorization window."""
    process = processes.get(tx.process, tx.process_version)
    step = process.transition(_first_step(process, tx.listing, None))
    return step is not None and bool(step.ahead)


def _is_ahead(process: Process, name: str) -> bool:
    return any(t.ahead == name for t in process.transitions)


def _ahead(
    process: Process, name: str, priced: Transaction, payment_method: Any, payer: User
) -> tuple[str, dict[str, Any]] | None:
    """The step's `ahead` alternative and its notes, when the deal starts beyond the payment
    provider's authorization window and is paid with one of the payer's saved cards (the
    ledger's `defer` hook decides): the card is kept and authorized nearer the date."""
    step = process.transition(name)
    named = _is_ahead(process, name)  # the client named the ahead step itself
    defer = registry.payment_hooks().defer
    if step is None or not (step.ahead or named) or defer is None:
        return None
    notes = defer(
        amount=Money(priced.total_amount_minor, priced.currency),
        payment_method=payment_method,
        payer_id=payer.pk,
        start=priced.start,
    )
    if notes is None and named:
        raise InvalidInput(
            details={
                "payment_method": [
                    _("This step is for a booking beyond the authorization window, paid with a saved card.")
                ]
            }
        )
    return None if notes is None else (step.ahead or name, notes)


def _deferred(
    process: Process, name: str, dry: Callable[[], Transaction], payment_method: Any, payer: User, tx_id: Any
) -> tuple[str, dict[str, Any]] | None:
    """`_ahead` for a step that has an ahead alternative, after its dry run (`dry`, kept for the
    step itself); a checkout the customer confirmed is voided if the dry run refuses the deal,
    as `_paid` does."""
    step = process.transition(name)
    if step is None or not (step.ahead or _is_ahead(process, name)):
        return None
    try:
        return _ahead(process, name, dry(), payment_method, payer)
    except BaseException:
        release = registry.payment_hooks().release
        if release is not None:
            release(payment_method=payment_method, payer_id=payer.pk, reference=f"transaction:{tx_id}")
        raise


def _opening(
    *, actor: User, listing_id: Any, process: str | None, transition: str | None
) -> tuple[Listing, Process, str]:
    """The listing a customer opens a deal on, the process chosen and its first step."""
    user_require_verified_email(user=actor)
    listing = _published(listing_id)
    if listing.author_id == actor.pk:
        raise Conflict(_("This is your own listing."))
    allowed = allowed_processes(listing)
    wanted = process or (allowed[0].name if allowed else None)
    chosen = next((p for p in allowed if p.name == wanted), None)
    if chosen is None or chosen.name == "request":
        names = [p.name for p in allowed if p.name != "request"]
        raise InvalidInput(
            details={"process": [_("This listing allows: %s.") % (", ".join(names) or _("offers only"))]}
        )
    return listing, chosen, _first_step(chosen, listing, transition)


def transaction_create(
    *,
    actor: User,
    listing_id: Any,
    process: str | None = None,
    transition: str | None = None,
    params: dict[str, Any],
    idempotency_key: str | None = None,
    dry_run: bool = False,
    payment_method: str | None = None,
) -> engine.Outcome:
    """A customer opens a deal on a listing: an inquiry, a purchase or a booking.

    A deal that takes money (`hold_payment`) is priced and checked by a dry run first, then the
    card is authorized for the total, then the deal opens. A declined card opens nothing.
    """
    with write_unit(unless=dry_run):  # on SQLite: the card's records and the deal in one turn of the process
        listing, chosen, name = _opening(
            actor=actor, listing_id=listing_id, process=process, transition=transition
        )
        if idempotency_key and not dry_run:
            earlier = Transaction.objects.filter(customer=actor, idempotency_key=idempotency_key).first()
            if earlier is not None:
                return engine.Outcome(earlier, None, replayed=True)

        def open_deal(
            *, dry: bool, notes: dict[str, Any] | None = None, tx_id: Any = None, step: str = name
        ) -> engine.Outcome:
            return engine.start(
                listing=listing,
                customer=actor,
                provider=listing.author,
                process=chosen,
                name=step,
                params=params,
                actor=actor,
                idempotency_key=idempotency_key,
                dry_run=dry,
                notes=notes,
                tx_id=tx_id,
                durable=True,  # the deal's own database transaction, not a savepoint in another
            )

        try:
            if dry_run or not (_takes_payment(chosen, name) or _is_ahead(chosen, name)):
                return open_deal(dry=dry_run)
            tx_id = uuid7()
            priced: list[Transaction] = []

            def dry() -> Transaction:
                if not priced:
                    priced.append(open_deal(dry=True).tx)
                return priced[0]

            def price() -> Money:
                return Money(dry().total_amount_minor, dry().currency)

            ahead = _deferred(chosen, name, dry, payment_method, actor, tx_id)
            if ahead is not None:  # beyond the authorization window, with a saved card
                step, notes = ahead
                return open_deal(dry=False, notes={**notes, "quote": quote(dry())}, tx_id=tx_id, step=step)
            return _paid(
                payment_method=payment_method,
                price=price,
                tx_id=tx_id,
                step=name,
                payer_id=actor.pk,
                # The deal opens at the price the card was authorized for: not priced again.
                run=lambda notes: open_deal(
                    dry=False, notes={**notes, "quote": quote(priced[0])}, tx_id=tx_id
                ),
            )
        except IntegrityError:
            # Two requests with one key raced; the loser replays the winner's deal.
            earlier = Transaction.objects.filter(customer=actor, idempotency_key=idempotency_key).first()
            if idempotency_key is None or earlier is None:
                raise
            return engine.Outcome(earlier, None, replayed=True)


# What a quote runs of a booking's first step: its pricing and its check of free seats, both
# of which write nothing in a dry run. The step's other actions (payment, acceptance) are left out.
QUOTE_ACTIONS = ("set_line_items", "reserve_booking")


def booking_quote(*, listing_id: Any, params: dict[str, Any], customer: User | None = None) -> Transaction:
    """What a booking of `params` (start, end, seats) would cost, for anyone, signed in or not:
    an unsaved transaction priced by the booking step's own actions (`set_line_items`, then
    `reserve_booking` without a hold), so the quote is the price the booking is charged.

    InvalidInput naming the field for a bad window, NotAvailable when the seats are taken,
    NotFound for a listing that is not published or takes no bookings. Writes nothing.
    A signed-in `customer` is priced as themselves (their tax number may reverse-charge a tax).
    """
    listing = _published(listing_id)
    chosen = next((p for p in allowed_processes(listing) if p.name == "booking"), None)
    if chosen is None:
        raise NotFound(_("This listing takes no bookings."))
    step = chosen.transition(_first_step(chosen, listing, None))
    assert step is not None  # noqa: S101 - shipped with the code
    tx = Transaction(
        process=chosen.name,
        process_version=chosen.version,
        state="initial",
        listing=listing,
        provider=listing.author,
        currency=listing.currency,
        cancellation_policy=cancellation.snapshot(listing.cancellation_policy),
    )
    if customer is not None:
        tx.customer = customer
    ctx = registry.Context(
        tx=tx,
        process=chosen,
        transition=step,
        actor=None,
        role="customer",
        params=params,
        now=timezone.now(),
        dry_run=True,
    )
    for name in step.actions:
        if name in QUOTE_ACTIONS:
            registry.action(name)(ctx)
    return tx


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
    earlier = _earlier_offer(actor, listing, idempotency_key if not dry_run else None)
    if earlier is not None:
        return engine.Outcome(earlier, None, replayed=True)
    # Checked here for a dry run and a clear answer; the database's unique constraint
    # (tx_one_open_offer) decides between two offers sent at once.
    if _has_open_offer(actor, listing):
        raise Conflict(_("You already have an open offer here; update it instead."))
    try:
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
            durable=True,
        )
    except IntegrityError:
        earlier = _earlier_offer(actor, listing, idempotency_key)
        if earlier is not None:  # the same request sent twice at once: the winner's offer
            return engine.Outcome(earlier, None, replayed=True)
        if _has_open_offer(actor, listing):
            raise Conflict(_("You already have an open offer here; update it instead.")) from None
        raise


def _earlier_offer(actor: User, listing: Listing, idempotency_key: str | None) -> Transaction | None:
    if not idempotency_key:
        return None
    return Transaction.objects.filter(
        provider=actor, listing=listing, idempotency_key=idempotency_key
    ).first()


def _has_open_offer(actor: User, listing: Listing) -> bool:
    return Transaction.objects.filter(
        listing=listing, provider=actor, process="request", state__in=OPEN_OFFER_STATES
    ).exists()


def transaction_transition(
    *,
    actor: User,
    transaction_id: Any,
    name: str,
    params: dict[str, Any],
    idempotency_key: str | None = None,
    dry_run: bool = False,
) -> engine.Outcome:
    """Move a deal. A step that takes money (accepting an offer) takes `payment_method` among
    its params: the card is authorized for the deal's total before the step runs."""
    tx = selectors.transaction_visible(actor=actor, transaction_id=transaction_id)
    process = processes.get(tx.process, tx.process_version)
    step = process.transition(name)
    if step is None or step.needs_verified_email:  # closing a conversation does not need it
        user_require_verified_email(user=actor)
    params = dict(params)
    payment_method = params.pop("payment_method", None)

    def run(notes: dict[str, Any] | None = None, dry: bool = dry_run, taken: str = name) -> engine.Outcome:
        with db.atomic(durable=not dry):
            return engine.transition(
                tx,
                taken,
                actor=actor,
                params=params,
                idempotency_key=idempotency_key,
                dry_run=dry,
                notes=notes,
            )

    if dry_run or step is None or not (step.takes_payment or _is_ahead(process, name)):
        return run()
    if idempotency_key and tx.events.filter(idempotency_key=idempotency_key).exists():
        return run()  # a replay: the engine returns the first outcome, nothing is charged again
    priced: list[Transaction] = []

    def dry() -> Transaction:
        # Checks the actor, the state and the guards, and prices the step, before the card is touched.
        if not priced:
            priced.append(run(dry=True).tx)
        return priced[0]

    def price() -> Money:
        return Money(dry().total_amount_minor, dry().currency)

    ahead = _deferred(process, name, dry, payment_method, tx.customer, tx.pk)
    if ahead is not None:  # beyond the authorization window, with a saved card (from an inquiry)
        return run(ahead[1], dry=False, taken=ahead[0])
    return _paid(
        payment_method=payment_method,
        price=price,
        tx_id=tx.pk,
        step=name,
        payer_id=tx.customer_id,
        run=lambda notes: run(notes, dry=False),
    )


def _checkout(*, amount: Money, payer_id: Any, reference: str, idempotency_key: str) -> dict[str, Any]:
    prepare = registry.payment_hooks().prepare
    if prepare is None:
        raise InvalidInput(details={"payment_method": [_("Paying in the browser is not set up here.")]})
    return prepare(amount=amount, payer_id=payer_id, reference=reference, idempotency_key=idempotency_key)


def transaction_checkout(
    *,
    actor: User,
    listing_id: Any,
    process: str | None = None,
    transition: str | None = None,
    params: dict[str, Any],
    idempotency_key: str,
) -> dict[str, Any]:
    """A checkout for the deal these params would open: `id`, `client_secret`, `amount`.

    Priced and checked here by a dry run (never by the page); the customer confirms it in the
    browser, then sends its id as the `payment_method` of `transaction_create`, which opens the
    deal only once the provider holds that amount. The same key answers the same checkout.
    """
    listing, chosen, name = _opening(
        actor=actor, listing_id=listing_id, process=process, transition=transition
    )
    if not _takes_payment(chosen, name):
        raise InvalidInput(details={"process": [_("This step takes no payment.")]})
    priced = transaction_create(
        actor=actor,
        listing_id=listing.public_id,
        process=chosen.name,
        transition=name,
        params=params,
        dry_run=True,
    ).tx
    return _checkout(
        amount=Money(priced.total_amount_minor, priced.currency),
        payer_id=actor.pk,
        reference=f"listing:{listing.public_id}",
        idempotency_key=f"checkout:{actor.pk}:{idempotency_key}",
    )


def transaction_step_checkout(
    *, actor: User, transaction_id: Any, name: str, params: dict[str, Any], idempotency_key: str
) -> dict[str, Any]:
    """A checkout for a deal's paying step (accepting a paid offer), as `transaction_checkout`:
    the step's dry run checks the actor, the state and the guards and prices it."""
    tx = selectors.transaction_visible(actor=actor, transaction_id=transaction_id)
    if tx.customer_id != actor.pk:  # the provider and operators see the deal; only its customer pays
        raise PermissionDenied(_("Only the customer pays for this deal."))
    step = processes.get(tx.process, tx.process_version).transition(name)
    if step is None or not step.takes_payment:
        raise InvalidInput(details={"name": [_("This step takes no payment.")]})
    params = {k: v for k, v in params.items() if k != "payment_method"}
    priced = transaction_transition(
        actor=actor, transaction_id=tx.pk, name=name, params=params, dry_run=True
    ).tx
    return _checkout(
        amount=Money(priced.total_amount_minor, priced.currency),
        payer_id=tx.customer_id,
        reference=f"transaction:{tx.pk}",
        idempotency_key=f"checkout:{actor.pk}:{idempotency_key}",
    )
