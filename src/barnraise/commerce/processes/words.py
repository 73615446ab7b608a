"""What people read about steps and states, and who is told of a step.

`Say` and `Awaits` are the shapes; below them, the built-in steps' wording: each process's
transitions take theirs from here (`Transition(..., say=ACCEPT)`), so a step worded alike in
several processes is worded once. Wording is not behaviour: it may change after a version's
release (see `definitions.Process.behaviour`).
"""

from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Party = Literal["customer", "provider"]
Text = str | Promise  # a gettext_lazy sentence, translated when shown


@dataclass(frozen=True)
class Say:
    """What people read about a step, and who is told when it happens.

    `button` labels the step where a party may take it; `done` says what happened, after the
    actor's name, in the deal's timeline ("accepted"); `headline` titles the notification
    (`%(listing)s` is the listing's title; none: "Update on …"); `notify` are the parties told
    (besides the actor, who already knows); `danger` styles the button as one that ends or
    leaves the deal; `quick` offers it as a one-click answer in the inbox.
    """

    button: Text
    done: Text
    headline: Text | None = None
    notify: tuple[Party, ...] = ()
    danger: bool = False
    quick: bool = False


@dataclass(frozen=True)
class Awaits:
    """Whose move a deal in `state` waits for, and what it is ("the provider's answer")."""

    state: str
    party: Party
    what: Text


BOTH: tuple[Party, ...] = ("customer", "provider")

_ACCEPTED = _("Accepted: “%(listing)s”")
_DECLINED = _("Declined: “%(listing)s”")
_COMPLETED = _("Completed: “%(listing)s”. How did it go?")
_OFFERED = _("An offer on your request “%(listing)s”")

INQUIRE = Say(
    _("Ask a question"), _("asked a question"), _("New question about “%(listing)s”"), ("provider",)
)
CLOSE_INQUIRY = Say(_("Close the conversation"), _("closed the conversation"))
CLOSE = Say(_("Close"), _("closed"), _DECLINED, ("provider",))
CLOSE_BY_PROVIDER = Say(_("Close the conversation"), _("closed the conversation"))
REQUEST = Say(_("Request"), _("sent a request"), _("New request for “%(listing)s”"), ("provider",))
BOOK = Say(_("Book now"), _("booked"), _("New booking of “%(listing)s”"), ("provider",))
ACCEPT = Say(_("Accept"), _("accepted"), _ACCEPTED, ("customer",), quick=True)
DECLINE = Say(_("Decline"), _("declined"), _DECLINED, ("customer",), danger=True, quick=True)
EXPIRE = Say(
    _("Expire"),
    _("the request expired unanswered"),
    _("Your request for “%(listing)s” expired"),
    ("customer",),
)
CANCEL_BY_CUSTOMER = Say(_("Cancel"), _("cancelled"), None, ("provider",), danger=True)
CANCEL_BY_PROVIDER = Say(_("Cancel"), _("cancelled"), None, ("customer",), danger=True)
CANCEL_BY_OPERATOR = Say(_("Cancel as operator"), _("cancelled (operator)"), None, BOTH, danger=True)
COMPLETE = Say(_("Complete"), _("the deal completed"), _COMPLETED, BOTH)
AUTO_COMPLETE = Say(_("Complete"), _("completed automatically"), _COMPLETED, BOTH)
MARK_SHIPPED = Say(_("Mark as handed over"), _("handed it over"), None, ("customer",))
CONFIRM_RECEIPT = Say(_("Confirm receipt"), _("confirmed receipt"), _COMPLETED, ("provider",))
OFFER = Say(_("Make an offer"), _("made an offer"), _OFFERED, ("customer",))
UPDATE_OFFER = Say(_("Update the offer"), _("updated the offer"), _OFFERED, ("customer",))
COUNTER = Say(
    _("Counter-offer"), _("made a counter-offer"), _("A counter-offer on “%(listing)s”"), ("provider",)
)
ACCEPT_OFFER = Say(_("Accept the offer"), _("accepted the offer"), _ACCEPTED, ("provider",))
ACCEPT_COUNTER = Say(_("Accept the counter-offer"), _("accepted the counter-offer"), _ACCEPTED, ("customer",))
REJECT = Say(_("Reject"), _("rejected"), _DECLINED, ("provider",), danger=True)
WITHDRAW = Say(_("Withdraw the offer"), _("withdrew the offer"), danger=True)
DELIVER = Say(_("Mark as delivered"), _("delivered"), None, ("customer",))
REQUEST_CHANGES = Say(_("Ask for changes"), _("asked for changes"), None, ("provider",))
ACCEPT_DELIVERY = Say(_("Approve the delivery"), _("approved the delivery"), _COMPLETED, ("provider",))
AUTO_ACCEPT = Say(_("Approve"), _("approved automatically"), _COMPLETED, BOTH)
DISPUTE = Say(
    _("Open a dispute"), _("opened a dispute"), _("A dispute was opened on “%(listing)s”"), BOTH, danger=True
)
DISPUTE_BY_PROVIDER = Say(_("Open a dispute"), _("opened a dispute"), danger=True)
CHARGEBACK = Say(_("Chargeback"), _("the card issuer reversed the payment"))
RESOLVE = Say(_("Resolve"), _("resolved the dispute"), _("The dispute on “%(listing)s” is resolved"), BOTH)
PAYMENT_CAPTURED = Say(_("Take the payment"), _("the payment is held safely until the deal is done"))
PAYMENT_FAILED = Say(
    _("Mark the payment failed"),
    _("the payment did not go through"),
    _("The payment for “%(listing)s” failed"),
    BOTH,
)
# A booking paid with a saved card nearer the date (booking v3).
ACCEPT_AHEAD = Say(
    _("Accept"),
    _("accepted; the payment is taken nearer the date"),
    _ACCEPTED,
    ("customer",),
    quick=True,
)
TAKE_PAYMENT = Say(_("Take the payment"), _("the saved card is being charged for the booking"))
PAYMENT_AUTHORIZED = Say(_("Hold the payment"), _("the bank held the payment"))
PAYMENT_NEEDS_CUSTOMER = Say(
    _("Ask the customer to confirm the payment"),
    _("the bank asked the customer to confirm the payment"),
    _("Confirm your payment for “%(listing)s” to keep the booking"),
    ("customer",),
)
CONFIRM_PAYMENT = Say(_("Confirm the payment"), _("confirmed the payment"))
PAYMENT_NOT_CONFIRMED = Say(
    _("Cancel: the payment was not confirmed"),
    _("the booking was cancelled because the payment could not be taken"),
    _("Cancelled: the payment for “%(listing)s” could not be taken"),
    BOTH,
)
# A hold that lapsed at the card's bank before it was captured (booking v4).
_LAPSED = _("The hold on your card expired: pay again for “%(listing)s” within 2 days to keep the booking")
HOLD_LAPSED = Say(
    _("Hold the payment again"),
    _("the hold on the card expired, so the saved card is being charged again"),
    _("The hold on your card expired: your saved card is charged again for “%(listing)s”"),
    ("customer",),
)
HOLD_LAPSED_PAY_AGAIN = Say(
    _("Ask the customer to pay again"),
    _("the hold on the card expired; the customer was asked to pay again"),
    _LAPSED,
    ("customer",),
)
REQUEST_HOLD_LAPSED = Say(
    _("Keep the saved card for the acceptance"),
    _("the hold on the card expired; the saved card is charged again when the request is accepted"),
    _("The hold on your card expired: your saved card is charged again if “%(listing)s” is accepted"),
    ("customer",),
)
REQUEST_HOLD_LAPSED_PAY_AGAIN = Say(
    _("Ask the customer to pay again"),
    _("the hold on the card expired; the customer was asked to pay again"),
    _LAPSED,
    ("customer",),
)
PAY_AGAIN = Say(
    _("Pay again"), _("paid again"), _("The payment for “%(listing)s” is held again"), ("provider",)
)
PAYMENT_NOT_RENEWED = Say(
    _("Cancel: the customer did not pay again"),
    _("the booking was cancelled because the hold on the card expired and no new payment came"),
    _("Cancelled: the payment for “%(listing)s” expired and was not made again"),
    BOTH,
)

# What a deal waits for, by state (see each process's `awaits`).
PROVIDER_ANSWER = _("the provider's answer")
HAND_OVER = _("the provider to hand it over")
RECEIPT = _("the customer to confirm receipt")
CUSTOMER_ANSWER = _("the customer's answer to the offer")
COUNTER_ANSWER = _("the provider's answer to the counter-offer")
DELIVERY = _("the provider's delivery")
APPROVAL = _("the customer's approval of the delivery")
PAYMENT_CONFIRMATION = _("the customer to confirm the payment")
PAYMENT_AGAIN = _("the customer to pay again")

# When the provider is paid, in the deal's own terms, by the listing's kind and pricing unit
# (`catalog.models.KIND_UNITS`): "You'll be paid €180.00 after check-out." A kind's own entry
# (unit "") covers its other units; `DEAL_DONE` anything else.
PAID_WHEN: dict[tuple[str, str], Text] = {
    ("rental", "night"): _("after check-out"),
    ("rental", "day"): _("once the rental period is over"),
    ("rental", "hour"): _("once the booked hours are over"),
    ("service", "hour"): _("once the booked hours are done"),
    ("service", ""): _("after the job is done"),
    ("sale", ""): _("once the buyer has received it"),
    ("request", ""): _("once the customer approves the work"),
}
DEAL_DONE = _("once the deal is complete")


def paid_when(kind: str, unit: str) -> str:
    """When a deal's provider is paid, as the end of a sentence ("after check-out")."""
    found = PAID_WHEN.get((kind, unit)) or PAID_WHEN.get((kind, "")) or DEAL_DONE
    return str(found)


# What a deal in each state is called where people see it (a badge, the inbox, the dashboard):
# never the state's own name. `barnraise.E008` fails a process with a state missing here.
STATES: dict[str, Text] = {
    "initial": _("Not started"),
    "inquiry": _("Question asked"),
    "requested": _("Requested"),
    "payment_pending": _("Waiting for the payment"),
    "payment_failed": _("Payment failed"),
    "scheduled": _("Booked: paid nearer the date"),
    "payment_action_needed": _("Waiting for the customer to confirm the payment"),
    "payment_renewal": _("Waiting for the customer to pay again"),
    "accepted": _("Accepted"),
    "declined": _("Declined"),
    "expired": _("Expired"),
    "cancelled": _("Cancelled"),
    "completed": _("Completed"),
    "closed": _("Closed"),
    "open": _("Open for offers"),
    "offered": _("Offer made"),
    "countered": _("Counter-offer made"),
    "withdrawn": _("Offer withdrawn"),
    "shipped": _("On its way"),
    "delivered": _("Delivered"),
    "disputed": _("In dispute"),
    "resolved": _("Dispute settled"),
}
