"""What the deal pages show, shaped for their templates: money, line items, the deal panel,
the steps a viewer may take with the inputs they need, the timeline and the inbox rows."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.commerce import engine, processes
from barnraise.commerce.models import Transaction, TransactionEvent
from barnraise.commerce.services import allowed_processes
from barnraise.messaging.models import Message
from barnraise.money import Money
from barnraise.web.deal_forms import day_based

# Button labels, and what the timeline says happened; unknown names read as their words.
STEP_LABELS: dict[str, tuple[Any, Any]] = {
    "inquire": (_("Ask a question"), _("asked a question")),
    "request": (_("Request"), _("sent a request")),
    "book": (_("Book now"), _("booked")),
    "accept": (_("Accept"), _("accepted")),
    "decline": (_("Decline"), _("declined")),
    "expire": (_("Expire"), _("the request expired unanswered")),
    "cancel_by_customer": (_("Cancel"), _("cancelled")),
    "cancel_by_provider": (_("Cancel"), _("cancelled")),
    "cancel_by_operator": (_("Cancel as operator"), _("cancelled (operator)")),
    "complete": (_("Complete"), _("the deal completed")),
    "dispute": (_("Open a dispute"), _("opened a dispute")),
    "dispute_by_provider": (_("Open a dispute"), _("opened a dispute")),
    "chargeback": (_("Chargeback"), _("the card issuer reversed the payment")),
    "resolve": (_("Resolve"), _("resolved the dispute")),
    "close_inquiry": (_("Close the conversation"), _("closed the conversation")),
    "close": (_("Close"), _("closed")),
    "close_by_provider": (_("Close the conversation"), _("closed the conversation")),
    "mark_shipped": (_("Mark as handed over"), _("handed it over")),
    "confirm_receipt": (_("Confirm receipt"), _("confirmed receipt")),
    "auto_complete": (_("Complete"), _("completed automatically")),
    "offer": (_("Make an offer"), _("made an offer")),
    "update_offer": (_("Update the offer"), _("updated the offer")),
    "counter": (_("Counter-offer"), _("made a counter-offer")),
    "accept_offer": (_("Accept the offer"), _("accepted the offer")),
    "accept_counter": (_("Accept the counter-offer"), _("accepted the counter-offer")),
    "reject": (_("Reject"), _("rejected")),
    "withdraw": (_("Withdraw the offer"), _("withdrew the offer")),
    "deliver": (_("Mark as delivered"), _("delivered")),
    "request_changes": (_("Ask for changes"), _("asked for changes")),
    "accept_delivery": (_("Approve the delivery"), _("approved the delivery")),
    "auto_accept": (_("Approve"), _("approved automatically")),
}
DANGER_PREFIXES = ("decline", "cancel", "reject", "withdraw", "dispute")
PARAM_LABELS: dict[str, Any] = {
    "message": _("Message"),
    "reason": _("Reason"),
    "tracking": _("Tracking number or hand-over note"),
    "price": _("Price"),
    "outcome": _("Outcome"),
    "refund": _("Refund to the customer"),
    "start": _("From"),
    "end": _("Until"),
    "seats": _("Seats"),
    "quantity": _("Quantity"),
}
# Inputs the transaction page offers per param; offers' optional dates stay API-only.
FORM_PARAMS = (
    "start",
    "end",
    "seats",
    "quantity",
    "price",
    "tracking",
    "reason",
    "message",
    "outcome",
    "refund",
)
TEXTAREAS = ("message", "reason", "outcome")


def money(amount_minor: int, currency: str) -> str:
    locale = to_locale(get_language() or settings.LANGUAGE_CODE)
    return Money(int(amount_minor), currency).format(locale)


def step_label(name: str) -> str:
    return str(STEP_LABELS.get(name, (name.replace("_", " ").capitalize(), ""))[0])


def event_text(name: str) -> str:
    return str(STEP_LABELS.get(name, ("", name.replace("_", " ")))[1])


def state_label(state: str) -> str:
    return state.replace("_", " ").capitalize()


@dataclass
class LineRow:
    label: str
    units: str
    unit_price: str
    amount: str


def line_rows(items: list[dict[str, Any]], *, for_provider: bool = False) -> list[LineRow]:
    """The price breakdown a party sees: the customer sees what they pay; the provider also
    sees the commission taken from their share (lines the provider pays)."""
    return [
        LineRow(
            label=str(item.get("label", "")),
            units=str(item.get("units", "")),
            unit_price=money(int(item.get("unit_price", 0)), str(item["currency"])),
            amount=money(int(item["amount_minor"]), str(item["currency"])),
        )
        for item in items
        if for_provider or item.get("paid_by", "customer") == "customer"
    ]


@dataclass
class Panel:
    """The listing page's deal panel for a visitor who is not the author."""

    mode: str  # "booking", "purchase", "offer" or "" (questions only)
    process: str
    button: str
    date_input: str  # "date" or "datetime-local"
    ask_process: str | None
    listing: Listing


def deal_panel(listing: Listing) -> Panel:
    allowed = allowed_processes(listing)
    main = next((p for p in allowed if p.name in ("booking", "purchase", "request")), None)
    ask = next((p for p in allowed if any(t.name == "inquire" for t in p.initial_transitions())), None)
    mode = {"request": "offer"}.get(main.name, main.name) if main else ""
    if mode == "booking":
        button = str(_("Book now") if listing.instant_booking else _("Request to book"))
    else:
        button = str({"purchase": _("Buy"), "offer": _("Send the offer")}.get(mode, ""))
    return Panel(
        mode=mode,
        process=main.name if main else "",
        button=button,
        date_input="date" if day_based(listing) else "datetime-local",
        ask_process=ask.name if ask else None,
        listing=listing,
    )


@dataclass
class StepField:
    name: str
    label: str
    input: str  # "textarea", "text", "number", "date", "datetime-local", "money"
    value: str = ""
    errors: list[str] = field(default_factory=list)
    required: bool = False  # the step's guards refuse it without this (a dispute's reason)


@dataclass
class Step:
    name: str
    label: str
    danger: bool
    fields: list[StepField]
    error: str = ""
    action_url: str = ""  # where the customer confirms a card the bank wants to authenticate


def _input_for(name: str, listing: Listing) -> str:
    if name in TEXTAREAS:
        return "textarea"
    if name in ("start", "end"):
        return "date" if day_based(listing) else "datetime-local"
    return {"seats": "number", "quantity": "number", "price": "money", "refund": "money"}.get(name, "text")


def takes_payment(definition: Any) -> bool:
    """The step holds the customer's card (its actions include the ledger's `hold_payment`)."""
    return "hold_payment" in definition.actions


def steps_for(tx: Transaction, viewer: User) -> list[Step]:
    process = processes.get(tx.process, tx.process_version)
    found = []
    # steps_available has run the guards (e.g. book only on instant listings); a step whose
    # guards ask for params (a dispute's reason) is listed with those fields required.
    for name, asked in engine.steps_available(tx, viewer).items():
        definition = process.transition(name)
        if definition is None:
            continue
        fields = [
            StepField(p, str(PARAM_LABELS.get(p, p)), _input_for(p, tx.listing), required=p in asked)
            for p in definition.params
            if p in FORM_PARAMS and not (p in ("start", "end") and process.name == "request")
        ]
        if takes_payment(definition):
            fields.append(StepField("payment_method", str(_("Card number")), "card"))
        found.append(Step(name, step_label(name), name.startswith(DANGER_PREFIXES), fields))
    return found


@dataclass
class EventRow:
    who: str
    what: str
    when: datetime
    notes: list[tuple[str, str]]
    message_id: Any = None  # a message's row, linked to it in the conversation


def _who(event: TransactionEvent, tx: Transaction) -> str:
    if event.actor_role == "customer":
        return tx.customer.name
    if event.actor_role == "provider":
        return tx.provider.name
    return str(_("An operator") if event.actor_role == "operator" else _("Barnraise"))


def _notes(params: dict[str, Any], currency: str) -> list[tuple[str, str]]:
    notes = []
    for name in ("price", "refund", "message", "reason", "tracking", "outcome"):
        value = params.get(name)
        if (
            name in ("price", "refund")
            and isinstance(value, dict)
            and isinstance(value.get("amount_minor"), int)
        ):
            notes.append((str(PARAM_LABELS[name]), money(value["amount_minor"], currency)))
        elif isinstance(value, str) and value:
            notes.append((str(PARAM_LABELS[name]), value))
    return notes


EXCERPT = 140


def _excerpt(body: str) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rstrip() + "…"


def timeline(
    tx: Transaction, events: list[TransactionEvent], messages: Iterable[Message] = ()
) -> list[EventRow]:
    """The deal's steps and its messages, oldest first: each message as its sender wrote it,
    masked as the reader sees it, cut short (the conversation above has it whole)."""
    rows = [
        EventRow(_who(e, tx), event_text(e.name), e.created_at, _notes(e.params or {}, tx.currency))
        for e in events
    ]
    for m in messages:
        if m.removed_at is None:
            notes = [(str(_("Message")), _excerpt(m.body))]
            rows.append(EventRow(m.sender.name, str(_("wrote")), m.created_at, notes, m.pk))
    rows.sort(key=lambda row: row.when)
    return rows


def other_party(tx: Transaction, viewer: User) -> User:
    return tx.provider if viewer.pk == tx.customer_id else tx.customer


def contact_of(tx: Transaction, viewer: User) -> dict[str, str] | None:
    """Once revealed: how to reach the other party, and where (the listing's address)."""
    if tx.contact_revealed_at is None:
        return None
    other = other_party(tx, viewer)
    return {"name": other.name, "email": other.email, "address": tx.listing.address}


QUICK_STEPS = ("accept", "decline")


@dataclass
class InboxRow:
    tx: Transaction
    other: User
    state: str
    total: str
    quick: list[Step]


def inbox_rows(rows: list[Transaction], viewer: User) -> list[InboxRow]:
    found = []
    for tx in rows:
        available = engine.available_transitions(tx, viewer)
        quick = [Step(n, step_label(n), n == "decline", []) for n in QUICK_STEPS if n in available]
        found.append(
            InboxRow(
                tx,
                other_party(tx, viewer),
                state_label(tx.state),
                money(tx.total_amount_minor, tx.currency),
                quick,
            )
        )
    return found


def state_choices() -> list[tuple[str, str]]:
    """Every state a deal can be in, for the inbox filter."""
    seen: list[str] = []
    for process in processes.PROCESSES.values():
        seen += [s for s in process.states if s not in seen and s != "initial"]
    return [(s, state_label(s)) for s in sorted(seen)]
