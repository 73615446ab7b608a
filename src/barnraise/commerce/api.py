import re
from datetime import datetime
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from barnraise.accounts.models import User
from barnraise.api.auth import caller
from barnraise.api.pagination import MAX_BIGINT, PageParams, page_by_id
from barnraise.api.schemas import ErrorOut, InputSchema, MoneyIn, MoneyOut, Page, StrictInt
from barnraise.commerce import cancellation, engine, processes, registry, selectors, services
from barnraise.commerce.models import Transaction, TransactionEvent
from barnraise.commerce.processes.definitions import Process
from barnraise.errors import InvalidCursor, InvalidInput, NotFound
from barnraise.eventlog.models import Event
from barnraise.eventlog.selectors import events_visible
from barnraise.money import Money

router = Router(tags=["transactions"])
offers_router = Router(tags=["transactions"])
processes_router = Router(tags=["processes"])
events_router = Router(tags=["events"])


class PartyOut(Schema):
    id: UUID
    name: str


class ListingBrief(Schema):
    id: UUID
    title: str


class EventOut(Schema):
    sequence: int | None
    name: str
    actor_role: str
    from_state: str
    to_state: str
    params: dict[str, Any]
    created_at: datetime


class TaxOut(Schema):
    on: str = Field(description="What is taxed: price, service_fee or commission.")
    rate_percent: str = Field(description='The rate as a decimal string, "20" for 20%.')
    inclusive: bool = Field(description="True: the tax is inside the taxed amount, not added to the total.")
    jurisdiction: str = Field(description='Where: a country code, or country-region ("US-CA").')
    taxable: MoneyOut = Field(description="The amount taxed.")
    remitted_by: str = Field(description="marketplace (the operator remits it) or provider.")
    reverse_charge: bool = Field(description="True: the payer accounts for the tax; nothing is charged.")
    note: str = Field(description='What to print with it ("Reverse charge: …"); may be empty.')


class LineItemOut(Schema):
    code: str = Field(description="base, offer, customer_fee, provider_commission, or a deployment's own.")
    label: str
    units: str = Field(
        description='A decimal string ("2", "1.5"): hours, days, nights or items, times the seats.'
    )
    unit_price: MoneyOut
    amount: MoneyOut = Field(description="units × unit_price; negative for what the provider gives up.")
    paid_by: str = Field(description="customer (added to the total) or provider (taken from the payout).")
    kind: str = Field("", description='"tax" for a tax line; empty for the others.')
    tax: TaxOut | None = Field(None, description="A tax line's terms (docs/taxes.md); null on other lines.")


def _tax_out(item: dict[str, Any], currency: str) -> dict[str, Any] | None:
    if item.get("kind") != "tax":
        return None
    return {
        "on": str(item.get("tax_on", "")),
        "rate_percent": str(item.get("rate_percent", "0")),
        "inclusive": bool(item.get("inclusive")),
        "jurisdiction": str(item.get("jurisdiction", "")),
        "taxable": Money(int(item.get("taxable_minor", 0)), currency).as_json(),
        "remitted_by": str(item.get("remitted_by", "")),
        "reverse_charge": bool(item.get("reverse_charge")),
        "note": str(item.get("note", "")),
    }


def line_items_out(items: list[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    """The stored line items in the API's money shape."""
    out = []
    for item in items:
        money = str(item.get("currency") or currency)
        amount = Money(int(item.get("amount_minor", 0)), money)
        unit_price = item.get("unit_price")
        out.append(
            {
                "code": str(item.get("code", "")),
                "label": str(item.get("label", "")),
                "units": str(item.get("units", "1")),
                "unit_price": (amount if unit_price is None else Money(int(unit_price), money)).as_json(),
                "amount": amount.as_json(),
                "paid_by": str(item.get("paid_by", "customer")),
                "kind": str(item.get("kind", "")),
                "tax": _tax_out(item, money),
            }
        )
    return out


def _money_param(value: Any) -> Any:
    """A parameter that is an amount ({amount_minor, currency}, e.g. an offer's price or a
    refund), in the money shape; anything else as given."""
    if (
        isinstance(value, dict)
        and set(value) == {"amount_minor", "currency"}
        and type(value["amount_minor"]) is int
        and isinstance(value["currency"], str)
    ):
        return Money(value["amount_minor"], value["currency"]).as_json()
    return value


def event_out(event: TransactionEvent) -> dict[str, Any]:
    return {
        "sequence": event.sequence,
        "name": event.name,
        "actor_role": event.actor_role,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "params": {name: _money_param(value) for name, value in event.params.items()},
        "created_at": event.created_at,
        "transaction_id": event.transaction_id,
    }


class ContactOut(Schema):
    customer_email: str
    provider_email: str
    address: str


class RefundOut(Schema):
    amount: MoneyOut = Field(description="What goes back to the customer.")
    of: MoneyOut = Field(description="What the customer paid (less anything already refunded).")
    hold_released: bool = Field(description="Nothing was taken yet: the card's hold is released in full.")
    summary: str = Field(description="The same, in words, with the cancellation policy that decides it.")


class DealFields(Schema):
    process: str
    process_version: int
    state: str
    customer: PartyOut
    provider: PartyOut
    listing: ListingBrief
    quantity: int
    start: datetime | None = Field(
        description="Bookings and offers: in the listing's time zone, with its offset (a place's time)."
    )
    end: datetime | None
    seats: int
    line_items: list[LineItemOut] = Field(
        description="The price breakdown; amounts are money, units decimal strings."
    )
    total: MoneyOut = Field(
        description="What the customer pays: the price, the service fee and the taxes added on top."
    )
    provider_payout: MoneyOut = Field(description="What the provider gets: the price less commission.")
    platform_fee: MoneyOut = Field(
        description="What the marketplace keeps: service fee and commission, less the tax on them."
    )
    tax_payable: MoneyOut = Field(
        description="The tax the marketplace collects and remits (total = provider_payout + "
        "platform_fee + tax_payable)."
    )
    cancellation_policy: dict[str, Any] = Field(
        description="Bookings: the listing's policy as the deal was made ({slug, name, schedule, "
        "summary}); later edits never change it. Empty for other deals."
    )
    available_transitions: list[str]
    events: list[EventOut]
    contact: ContactOut | None = Field(None, description="Once accepted: how to reach each other.")
    refund_preview: RefundOut | None = Field(
        None,
        description="A dry run of a step that gives money back (a cancellation): what the customer "
        "would get back now, computed by the step itself. Null otherwise.",
    )
    dry_run: bool = False


class DealPayoutOut(Schema):
    id: UUID = Field(description="The payout's id (as in `GET /me/payouts`).")
    status: Literal["pending", "paid", "failed"] = Field(
        description="`failed`: the money is back in the provider's balance and a later payout pays it out."
    )
    amount: MoneyOut = Field(description="What this payout paid out of this deal's share.")
    payout_amount: MoneyOut = Field(
        description="The whole payout, which may cover other deals or pay this one in parts."
    )
    created_at: datetime
    finished_at: datetime | None
    summary: str = Field(description='In words: "Paid out $180.00 to your bank account on 12 March."')


class TransactionOut(DealFields):
    id: UUID
    payouts: list[DealPayoutOut] = Field(
        default_factory=list,
        description="The deal's detail, to its provider only: the payouts of the provider's share, "
        "oldest first (empty for anyone else, and in lists).",
    )


class DealPreviewOut(DealFields):
    """A new deal as it would open (a dry run: no `id`, nothing was written), or the deal an
    earlier request with the same Idempotency-Key opened."""

    id: UUID | None = Field(None, description="Left out of a dry run, which opens no deal.")


def _local(moment: datetime | None, listing: Any) -> datetime | None:
    """A place's time (a booking's start or end) with the place's offset; the rest is UTC."""
    return None if moment is None else moment.astimezone(ZoneInfo(listing.timezone))


def tx_out(
    outcome_or_tx: engine.Outcome | Transaction, viewer: User, *, dry_run: bool = False
) -> dict[str, Any]:
    tx = outcome_or_tx.tx if isinstance(outcome_or_tx, engine.Outcome) else outcome_or_tx
    events: list[TransactionEvent] = []
    if dry_run and isinstance(outcome_or_tx, engine.Outcome) and outcome_or_tx.event is not None:
        events = [outcome_or_tx.event]
    elif not dry_run:
        events = selectors.events_of(tx)
    refund = None
    if dry_run and isinstance(outcome_or_tx, engine.Outcome) and "refund" in outcome_or_tx.effects:
        refund = refund_out(outcome_or_tx.effects["refund"], tx, viewer)
    contact = None
    if tx.contact_revealed_at is not None:
        contact = {
            "customer_email": tx.customer.email,
            "provider_email": tx.provider.email,
            "address": tx.listing.address,
        }
    return {
        # a dry run of a new deal has an id in memory only: it names nothing
        **({} if dry_run and tx._state.adding else {"id": tx.id}),
        "process": tx.process,
        "process_version": tx.process_version,
        "state": tx.state,
        "customer": tx.customer,
        "provider": tx.provider,
        "listing": {"id": tx.listing.public_id, "title": tx.listing.title},
        "quantity": tx.quantity,
        "start": _local(tx.start, tx.listing),
        "end": _local(tx.end, tx.listing),
        "seats": tx.seats,
        "line_items": line_items_out(tx.line_items, tx.currency),
        "total": Money(tx.total_amount_minor, tx.currency).as_json(),
        "provider_payout": Money(tx.provider_payout_minor, tx.currency).as_json(),
        "platform_fee": Money(tx.platform_fee_minor, tx.currency).as_json(),
        "tax_payable": Money(tx.tax_payable_minor, tx.currency).as_json(),
        "cancellation_policy": (
            {**tx.cancellation_policy, "summary": cancellation.describe(tx.cancellation_policy)}
            if tx.cancellation_policy
            else {}
        ),
        "available_transitions": engine.available_transitions(tx, viewer),
        "events": [event_out(e) for e in events],
        "contact": contact,
        "refund_preview": refund,
        "dry_run": dry_run,
    }


def refund_out(refund: dict[str, Any], tx: Transaction, viewer: User) -> dict[str, Any]:
    currency = str(refund["currency"])
    return {
        "amount": Money(int(refund["amount_minor"]), currency).as_json(),
        "of": Money(int(refund["paid_minor"]), currency).as_json(),
        "hold_released": bool(refund["hold_released"]),
        "summary": cancellation.refund_words(
            refund, tx.cancellation_policy, to_customer=viewer.pk != tx.provider_id
        ),
    }


class TransactionIn(InputSchema):
    listing_id: UUID
    process: str | None = Field(None, max_length=40, description="One the listing allows; default its first.")
    transition: str | None = Field(
        None, max_length=40, description="The first step, e.g. `inquire`; default: the deal."
    )
    quantity: StrictInt | None = Field(None, ge=1, le=10_000, description="Purchases.")
    start: str | None = Field(
        None,
        max_length=40,
        description="Bookings. A listing priced by the hour or the job: an ISO 8601 date-time with "
        "its UTC offset (`2026-05-01T10:00:00+02:00`); without one, 400 `naive_datetime`. By the "
        "day or the night: a date, `YYYY-MM-DD`, in the listing's time zone (a night runs from "
        "`start` to the morning of `end`).",
    )
    end: str | None = Field(None, max_length=40, description="As `start`; the end is excluded.")
    seats: StrictInt | None = Field(None, ge=1, le=1000)
    message: str | None = Field(None, max_length=5000)
    payment_method: str | None = Field(
        None,
        max_length=255,
        description="How the customer pays a deal that takes money: in the sandbox a test card "
        "number (see docs/money.md), with Stripe a `pm_…` id. Never stored; a card shows as its "
        "last four digits. A declined card gets 402 `card_declined` and opens nothing.",
    )


class DryRunQuery(InputSchema):
    dry_run: bool = Field(False, description="Price and check it without writing anything.")


def _key(request: HttpRequest) -> str | None:
    key = request.headers.get("Idempotency-Key")
    return key[:255] if key else None


@router.post(
    "",
    response={200: DealPreviewOut, 201: TransactionOut, 402: ErrorOut, 409: ErrorOut},
    exclude_unset=True,
    summary="Start a deal on a listing (402 `card_declined`, `authentication_required`)",
)
def transaction_create(request: HttpRequest, data: TransactionIn, query: Query[DryRunQuery]) -> Status[Any]:
    """Opens an inquiry, a purchase or a booking. 409 `not_available` when the seats or stock
    are gone; 422 `currency_not_supported` when the marketplace's fees are not set for the
    listing's currency; `?dry_run=true` returns the price breakdown, fees included, without
    writing anything."""
    user = caller(request)
    params = data.dict(exclude_unset=True, exclude={"listing_id", "process", "transition", "payment_method"})
    outcome = services.transaction_create(
        actor=user,
        listing_id=data.listing_id,
        process=data.process,
        transition=data.transition,
        params=params,
        idempotency_key=_key(request),
        dry_run=query.dry_run,
        payment_method=data.payment_method,
    )
    return Status(
        200 if query.dry_run or outcome.replayed else 201, tx_out(outcome, user, dry_run=query.dry_run)
    )


class OfferIn(InputSchema):
    price: MoneyIn
    message: str = Field("", max_length=5000)
    start: str | None = Field(
        None,
        max_length=40,
        description="When, if it matters: ISO 8601 with its UTC offset (else 400 `naive_datetime`).",
    )
    end: str | None = Field(None, max_length=40)


@offers_router.post(
    "/{listing_id}/offers",
    response={200: DealPreviewOut, 201: TransactionOut},
    exclude_unset=True,
    summary="Offer to do a request",
)
def offer_create(
    request: HttpRequest, listing_id: UUID, data: OfferIn, query: Query[DryRunQuery]
) -> Status[Any]:
    user = caller(request)
    params = data.dict(exclude_unset=True)
    params["price"] = data.price.dict()
    outcome = services.offer_create(
        actor=user, listing_id=listing_id, params=params, idempotency_key=_key(request), dry_run=query.dry_run
    )
    return Status(
        200 if query.dry_run or outcome.replayed else 201, tx_out(outcome, user, dry_run=query.dry_run)
    )


class TransactionListQuery(PageParams):
    role: Literal["customer", "provider"] | None = None
    state: str | None = Field(None, max_length=40)


@router.get("", response=Page[TransactionOut], summary="Your deals, newest first")
def transactions_list(request: HttpRequest, query: Query[TransactionListQuery]) -> dict[str, Any]:
    user = caller(request)
    rows, cursor = page_by_id(
        selectors.transactions_for(actor=user, role=query.role, state=query.state), query
    )
    return {"results": [tx_out(tx, user) for tx in rows], "next_cursor": cursor}


@router.get("/{transaction_id}", response=TransactionOut, summary="A deal (parties and operators only)")
def transaction_detail(request: HttpRequest, transaction_id: UUID) -> dict[str, Any]:
    user = caller(request)
    tx = selectors.transaction_visible(actor=user, transaction_id=transaction_id)
    return {**tx_out(tx, user), **registry.deal_details(tx, user)}


class TransitionIn(InputSchema):
    name: str = Field(max_length=40)
    params: dict[str, Any] = Field(default_factory=dict)


@router.post(
    "/{transaction_id}/transitions",
    response={200: TransactionOut, 402: ErrorOut, 409: ErrorOut},
    summary="Take a transition (409 `transition_not_allowed` lists what is allowed now; "
    "422 `unknown_transition` the steps the process has)",
)
def transaction_transition(
    request: HttpRequest, transaction_id: UUID, data: TransitionIn, query: Query[DryRunQuery]
) -> dict[str, Any]:
    user = caller(request)
    outcome = services.transaction_transition(
        actor=user,
        transaction_id=transaction_id,
        name=data.name,
        params=data.params,
        idempotency_key=_key(request),
        dry_run=query.dry_run,
    )
    tx = (
        outcome.tx
        if query.dry_run
        else selectors.transaction_visible(actor=user, transaction_id=transaction_id)
    )
    return tx_out(
        engine.Outcome(tx, outcome.event, effects=outcome.effects) if query.dry_run else tx,
        user,
        dry_run=query.dry_run,
    )


class TransitionDef(Schema):
    name: str
    from_states: list[str]
    to: str
    actor: str
    actions: list[str]
    guards: list[str]
    at: list[str]
    params: list[str] = Field(
        description="What the caller may send in `params`; `payment_method` on a step that takes payment."
    )


class ProcessOut(Schema):
    name: str
    version: int
    description: str
    kinds: list[str]
    states: list[str]
    final_states: list[str]
    transitions: list[TransitionDef]
    diagram: str = Field(description="Mermaid stateDiagram-v2 text.")


def process_out(process: Process) -> dict[str, Any]:
    return {
        "name": process.name,
        "version": process.version,
        "description": process.description,
        "kinds": list(process.kinds),
        "states": process.states,
        "final_states": list(process.final_states),
        "transitions": [
            {
                "name": t.name,
                "from_states": list(t.from_states),
                "to": t.to,
                "actor": t.actor,
                "actions": list(t.actions),
                "guards": list(t.guards),
                "at": [a.describe() for a in t.at],
                "params": list(t.caller_params),
            }
            for t in process.transitions
        ],
        "diagram": process.mermaid(),
    }


@processes_router.get("", auth=None, response=Page[ProcessOut], summary="The processes deals follow")
def processes_list(request: HttpRequest) -> dict[str, Any]:
    found = [processes.latest(name) for name in processes.names()]
    return {"results": [process_out(p) for p in found if p], "next_cursor": None}


@processes_router.get("/{name}", auth=None, response=ProcessOut, summary="One process, with its diagram")
def process_detail(request: HttpRequest, name: str, version: int | None = None) -> dict[str, Any]:
    found = processes.PROCESSES.get((name, version)) if version else processes.latest(name)
    if found is None:
        raise NotFound()
    return process_out(found)


class EventsQuery(InputSchema):
    limit: int = Field(100, ge=1, le=100)
    cursor: str | None = Field(
        None, max_length=500, description="`next_cursor` of the page before: the last sequence number seen."
    )
    after: int | None = Field(None, ge=0, le=MAX_BIGINT, description="The same as `cursor` (older clients).")

    def position(self) -> int:
        """The sequence number to continue after (0: from the start)."""
        if self.cursor is None:
            return self.after or 0
        if self.after is not None:
            raise InvalidInput(details={"after": [_("Give cursor or after, not both.")]})
        if not re.fullmatch(r"[0-9]{1,19}", self.cursor) or int(self.cursor) > MAX_BIGINT:
            raise InvalidCursor()
        return int(self.cursor)


class GlobalEventOut(EventOut):
    type: str = Field(
        description="`source:subject:action`, e.g. commerce:deal:accept, catalog:listing:published."
    )
    subject_type: str = Field(description="deal, listing, payout, payout_hold…")
    subject_id: str = Field(description="The object's public id.")
    transaction_id: UUID | None = Field(description="Deal events: the deal (the same as subject_id).")


def log_event_out(event: Event) -> dict[str, Any]:
    """An event of another object than a deal, in the feed's shape: `name` is the action,
    `from_state`/`to_state` its status before and after, `params` the rest of its payload."""
    payload = dict(event.payload)
    if event.actor_id is None:
        role = "system"
    else:
        role = "owner" if event.actor_id == event.member_id else "operator"
    return {
        "sequence": event.sequence,
        "type": event.type,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "name": event.type.rsplit(":", 1)[-1],
        "actor_role": role,
        "from_state": str(payload.pop("from", "")),
        "to_state": str(payload.pop("to", "")),
        "params": {name: _money_param(value) for name, value in payload.items()},
        "created_at": event.created_at,
        "transaction_id": None,
    }


def deal_event_out(event: TransactionEvent) -> dict[str, Any]:
    subject = {"type": f"commerce:deal:{event.name}", "subject_type": "deal"}
    return {**event_out(event), **subject, "subject_id": str(event.transaction_id)}


@events_router.get(
    "",
    response=Page[GlobalEventOut],
    summary="The event log, in order: what the caller may see",
    description="One gap-free sequence for every object that changes. A member sees the events "
    "of their deals, listings and payouts; operators also see those their groups read (support: "
    "deals and listings; finance: deals, listings, payouts and holds).",
)
def events_list(request: HttpRequest, query: Query[EventsQuery]) -> dict[str, Any]:
    viewer, after, limit = caller(request), query.position(), query.limit
    deals = [
        (e.sequence or 0, deal_event_out(e))
        for e in selectors.events_after(actor=viewer, after=after, limit=limit)
    ]
    others = [
        (e.sequence or 0, log_event_out(e)) for e in events_visible(viewer=viewer, after=after, limit=limit)
    ]
    rows = [row for _sequence, row in sorted(deals + others, key=lambda pair: pair[0])][:limit]
    cursor = str(rows[-1]["sequence"]) if len(rows) == limit else None
    return {"results": rows, "next_cursor": cursor}
