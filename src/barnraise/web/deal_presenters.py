"""What the deal pages show, shaped for their templates: money, line items, the deal panel,
the steps a viewer may take with the inputs they need, the timeline and the inbox rows."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import get_language, ngettext, to_locale
from django.utils.translation import gettext_lazy as _

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.commerce import engine, processes
from barnraise.commerce.models import Transaction, TransactionEvent
from barnraise.commerce.processes import words
from barnraise.commerce.processes.definitions import Transition
from barnraise.commerce.services import allowed_processes
from barnraise.eventlog.models import Event, EventType
from barnraise.ledger.escrow.scheduled import authorization_lead, charge_date
from barnraise.ledger.selectors import DealPayout, event_amount, payout_summary
from barnraise.messaging.models import Message
from barnraise.money import Money
from barnraise.web.deal_forms import day_based
from barnraise.web.templatetags.moments import place_date

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


def _step(tx: Transaction, name: str) -> Transition:
    """The deal's step of that name, from its process version (what it is called, what it does)."""
    found = processes.get(tx.process, tx.process_version).transition(name)
    return found or Transition(name, (), "", "system")  # a step the version has not: its words


def step_label(tx: Transaction, name: str) -> str:
    return _step(tx, name).button


def event_text(tx: Transaction, name: str) -> str:
    return _step(tx, name).done


def state_label(state: str) -> str:
    """What a deal in `state` is called where people see it (the process data's words)."""
    return str(words.STATES.get(state, _("In progress")))


def waiting_for(tx: Transaction) -> str:
    """What the deal waits for in its state, as its process version says ("" for no one)."""
    awaits = processes.get(tx.process, tx.process_version).awaiting(tx.state)
    return str(_("Waiting for %(what)s.") % {"what": awaits.what}) if awaits else ""


def charge_words(
    *, start: datetime | None, amount_minor: int, listing: Listing, saved: bool, to_customer: bool = True
) -> str:
    """When a booking beyond the payment provider's authorization window is charged, in a
    sentence: "Your card will be charged on Tue 12 Jan, 6 days before check-in; we'll save it
    for that." ("we've saved it" once it is, and the provider's words on their side); "" for a
    booking held at once (booking v3, docs/money.md)."""
    due = charge_date(start=start, amount_minor=amount_minor)
    if due is None:
        return ""
    days = max(1, round(authorization_lead().total_seconds() / 86400))
    values = {"date": place_date(due, listing), "days": days}
    if not to_customer:
        return (
            ngettext(
                "The customer's saved card will be charged on %(date)s, %(days)d day before the start.",
                "The customer's saved card will be charged on %(date)s, %(days)d days before the start.",
                days,
            )
            % values
        )
    night = listing.unit == "night"
    if night and saved:
        sentence = ngettext(
            "Your card will be charged on %(date)s, %(days)d day before check-in; we've saved it for that.",
            "Your card will be charged on %(date)s, %(days)d days before check-in; we've saved it for that.",
            days,
        )
    elif night:
        sentence = ngettext(
            "Your card will be charged on %(date)s, %(days)d day before check-in; we'll save it for that.",
            "Your card will be charged on %(date)s, %(days)d days before check-in; we'll save it for that.",
            days,
        )
    elif saved:
        sentence = ngettext(
            "Your card will be charged on %(date)s, %(days)d day before the start; we've saved it for that.",
            "Your card will be charged on %(date)s, %(days)d days before the start; we've saved it for that.",
            days,
        )
    else:
        sentence = ngettext(
            "Your card will be charged on %(date)s, %(days)d day before the start; we'll save it for that.",
            "Your card will be charged on %(date)s, %(days)d days before the start; we'll save it for that.",
            days,
        )
    return sentence % values


@dataclass
class LineRow:
    label: str
    units: str
    unit_price: str
    amount: str
    detail: str = ""  # under the label: "2 × €15.00", or a tax's base and terms


def _detail(item: dict[str, Any]) -> str:
    """What a line's small print says: units × unit price, or for a tax what it taxes, whether
    it is included, and a reverse charge's sentence."""
    currency = str(item["currency"])
    if item.get("kind") != "tax":
        return f"{item.get('units', '')} × {money(int(item.get('unit_price', 0)), currency)}"
    if item.get("note"):
        return str(item["note"])
    taxable = money(abs(int(item.get("taxable_minor", 0))), currency)
    if item.get("inclusive"):
        return str(_("included in %(amount)s") % {"amount": taxable})
    return str(_("on %(amount)s") % {"amount": taxable})


def line_rows(items: list[dict[str, Any]], *, for_provider: bool = False) -> list[LineRow]:
    """The price breakdown a party sees: the customer sees what they pay; the provider also
    sees the commission taken from their share (lines the provider pays)."""
    return [
        LineRow(
            label=str(item.get("label", "")),
            units=str(item.get("units", "")),
            unit_price=money(int(item.get("unit_price", 0)), str(item["currency"])),
            amount=money(int(item["amount_minor"]), str(item["currency"])),
            detail=_detail(item),
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
    refund: str = ""  # a step that gives money back: what comes back if it is taken now


def _input_for(name: str, listing: Listing) -> str:
    if name in TEXTAREAS:
        return "textarea"
    if name in ("start", "end"):
        return "date" if day_based(listing) else "datetime-local"
    return {"seats": "number", "quantity": "number", "price": "money", "refund": "money"}.get(name, "text")


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
        if definition.takes_payment:
            fields.append(StepField("payment_method", str(_("Card number")), "card"))
        found.append(Step(name, definition.button, bool(definition.say and definition.say.danger), fields))
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


MONEY_WORDS: dict[str, Any] = {
    EventType.PAYMENT_CAPTURED: _("took the payment of %(amount)s from the customer's card"),
    EventType.PAYMENT_HOLD_RELEASED: _(
        "released the hold of %(amount)s on the customer's card: nothing was charged"
    ),
    EventType.PAYMENT_RETURNED: _("refunded %(amount)s to the customer"),
    EventType.PAYMENT_REFUNDED: _("refunded %(amount)s to the customer"),
    EventType.PAYMENT_EARNED: _("credited %(amount)s to the provider's balance"),
}


def money_rows(tx: Transaction, events: Iterable[Event], viewer: User) -> list[EventRow]:
    """The deal's money in words (captures, refunds, the provider's earnings): what the
    provider earns is shown to the provider only, as the price breakdown is."""
    rows = []
    for event in events:
        words = MONEY_WORDS.get(event.type)
        if words is None or (event.type == EventType.PAYMENT_EARNED and viewer.pk != tx.provider_id):
            continue
        told = event_amount(event)
        amount = money(told.amount_minor, told.currency)
        who = _("An operator") if event.type == EventType.PAYMENT_REFUNDED else _("Barnraise")
        rows.append(EventRow(str(who), str(words % {"amount": amount}), event.created_at, []))
    return rows


def payout_rows(tx: Transaction, payouts: Iterable[DealPayout], viewer: User) -> list[EventRow]:
    """The payouts of the provider's share of the deal, to the provider only (the customer does
    not see the provider's payouts): paid, on its way, or failed and back in the balance."""
    if viewer.pk != tx.provider_id:
        return []
    return [EventRow(str(_("Barnraise")), payout_summary(p), p.when, []) for p in payouts]


def timeline(
    tx: Transaction,
    events: list[TransactionEvent],
    messages: Iterable[Message] = (),
    money_events: Iterable[EventRow] = (),
    charge_due: datetime | None = None,
) -> list[EventRow]:
    """The deal's steps, its money and its messages, oldest first: each message as its sender
    wrote it, masked as the reader sees it, cut short (the conversation above has it whole);
    last, when a saved card is still to be charged (`charge_due`), that moment, planned."""
    rows = [
        EventRow(_who(e, tx), event_text(tx, e.name), e.created_at, _notes(e.params or {}, tx.currency))
        for e in events
    ]
    rows += money_events
    for m in messages:
        if m.removed_at is None:
            notes = [(str(_("Message")), _excerpt(m.body))]
            rows.append(EventRow(m.sender.name, str(_("wrote")), m.created_at, notes, m.pk))
    rows.sort(key=lambda row: row.when)
    if charge_due is not None:
        planned = str(_("the saved card is charged for the booking"))
        rows.append(EventRow(str(_("Planned:")), planned, charge_due, []))
    return rows


def other_party(tx: Transaction, viewer: User) -> User:
    return tx.provider if viewer.pk == tx.customer_id else tx.customer


def contact_of(tx: Transaction, viewer: User) -> dict[str, str] | None:
    """Once revealed: how to reach the other party, and where (the listing's address)."""
    if tx.contact_revealed_at is None:
        return None
    other = other_party(tx, viewer)
    return {"name": other.name, "email": other.email, "address": tx.listing.address}


@dataclass
class InboxRow:
    tx: Transaction
    other: User
    state: str
    total: str
    quick: list[Step]


def inbox_rows(rows: list[Transaction], viewer: User) -> list[InboxRow]:
    """Each deal with the one-click answers (`Say.quick`) the viewer may give now."""
    found = []
    for tx in rows:
        process = processes.get(tx.process, tx.process_version)
        quick = [
            Step(step.name, step.button, step.say.danger, [])
            for step in (process.transition(n) for n in engine.available_transitions(tx, viewer))
            if step is not None and step.say is not None and step.say.quick
        ]
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
