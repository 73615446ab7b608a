"""Booking: time on a calendar, in seats. Request and accept, or book instantly."""

from dataclasses import replace
from datetime import timedelta

from barnraise.commerce.processes import words
from barnraise.commerce.processes.definitions import (
    DISPUTE_STEPS,
    INITIAL,
    INQUIRY_STEPS,
    PAID_DISPUTE_STEPS,
    At,
    Awaits,
    Process,
    Transition,
    payment_result_steps,
    timed,
)

DAY = timedelta(days=1)

BOOKING_V1 = Process(
    name="booking",
    version=1,
    kinds=("rental", "service"),
    description="A window of time with seats. The provider accepts or declines a request, or "
    "the listing books instantly. Completes a day after the booking ends.",
    final_states=("declined", "expired", "cancelled", "resolved", "completed", "closed"),
    awaits=(Awaits("requested", "provider", words.PROVIDER_ANSWER),),
    transitions=(
        *INQUIRY_STEPS,
        Transition(
            "request",
            (INITIAL, "inquiry"),
            "requested",
            "customer",
            guards=("listing_requires_acceptance",),
            actions=("set_line_items", "reserve_booking"),
            params=("start", "end", "seats", "message"),
            say=words.REQUEST,
        ),
        Transition(
            "book",
            (INITIAL, "inquiry"),
            "accepted",
            "customer",
            guards=("listing_books_instantly",),
            actions=("set_line_items", "reserve_booking", "accept_booking", "reveal_contact_details"),
            params=("start", "end", "seats", "message"),
            say=words.BOOK,
        ),
        Transition(
            "accept",
            ("requested",),
            "accepted",
            "provider",
            actions=("accept_booking", "reveal_contact_details"),
            say=words.ACCEPT,
        ),
        Transition(
            "decline",
            ("requested",),
            "declined",
            "provider",
            actions=("cancel_booking",),
            params=("reason",),
            say=words.DECLINE,
        ),
        timed(
            "expire",
            ("requested",),
            "expired",
            At("entered_state", 3 * DAY),
            At("booking_start"),
            actions=("cancel_booking",),
            description="Unanswered requests lapse.",
            say=words.EXPIRE,
        ),
        Transition(
            "cancel_by_customer",
            ("requested", "accepted"),
            "cancelled",
            "customer",
            guards=("before_start",),
            actions=("cancel_booking",),
            params=("reason",),
            say=words.CANCEL_BY_CUSTOMER,
        ),
        Transition(
            "cancel_by_provider",
            ("accepted",),
            "cancelled",
            "provider",
            guards=("before_start",),
            actions=("cancel_booking",),
            params=("reason",),
            say=words.CANCEL_BY_PROVIDER,
        ),
        Transition(
            "cancel_by_operator",
            ("requested", "accepted"),
            "cancelled",
            "operator",
            actions=("cancel_booking",),
            params=("reason",),
            say=words.CANCEL_BY_OPERATOR,
        ),
        timed(
            "complete",
            ("accepted",),
            "completed",
            At("booking_end", DAY),
            actions=("open_reviews",),
            say=words.COMPLETE,
        ),
        *DISPUTE_STEPS,
    ),
)

BOOKING_V2 = Process(
    name="booking",
    version=2,
    kinds=("rental", "service"),
    description="Version 1 with money: the card is authorized at the request, captured into "
    "escrow when the provider accepts (or at once for instant booking), released to the "
    "provider at completion and refunded by the cancellation policy.",
    final_states=("declined", "expired", "cancelled", "payment_failed", "resolved", "completed", "closed"),
    awaits=(Awaits("requested", "provider", words.PROVIDER_ANSWER),),
    transitions=(
        *INQUIRY_STEPS,
        Transition(
            "request",
            (INITIAL, "inquiry"),
            "requested",
            "customer",
            guards=("listing_requires_acceptance",),
            actions=("set_line_items", "reserve_booking", "hold_payment"),
            params=("start", "end", "seats", "message"),
            takes_payment=True,
            say=words.REQUEST,
        ),
        Transition(
            "book",
            (INITIAL, "inquiry"),
            "payment_pending",
            "customer",
            guards=("listing_books_instantly", "provider_can_be_paid"),
            actions=(
                "set_line_items",
                "reserve_booking",
                "accept_booking",
                "hold_payment",
                "request_capture",
            ),
            params=("start", "end", "seats", "message"),
            takes_payment=True,
            say=words.BOOK,
        ),
        Transition(
            "accept",
            ("requested",),
            "payment_pending",
            "provider",
            guards=("provider_can_be_paid",),
            actions=("accept_booking", "request_capture"),
            say=words.ACCEPT,
        ),
        *payment_result_steps(release=("cancel_booking",)),
        Transition(
            "decline",
            ("requested",),
            "declined",
            "provider",
            actions=("cancel_booking", "void_payment"),
            params=("reason",),
            say=words.DECLINE,
        ),
        timed(
            "expire",
            ("requested",),
            "expired",
            At("entered_state", 3 * DAY),
            At("booking_start"),
            actions=("cancel_booking", "void_payment"),
            description="Unanswered requests lapse.",
            say=words.EXPIRE,
        ),
        Transition(
            "cancel_by_customer",
            ("requested", "accepted"),
            "cancelled",
            "customer",
            guards=("before_start",),
            actions=("cancel_booking", "refund_by_policy"),
            params=("reason",),
            description="Refunded by the cancellation policy (a request not yet accepted: in full).",
            say=words.CANCEL_BY_CUSTOMER,
        ),
        Transition(
            "cancel_by_provider",
            ("accepted",),
            "cancelled",
            "provider",
            guards=("before_start",),
            actions=("cancel_booking", "refund_payment"),
            params=("reason",),
            description="The customer is refunded in full.",
            say=words.CANCEL_BY_PROVIDER,
        ),
        Transition(
            "cancel_by_operator",
            ("requested", "accepted"),
            "cancelled",
            "operator",
            actions=("cancel_booking", "refund_payment"),
            params=("reason",),
            say=words.CANCEL_BY_OPERATOR,
        ),
        timed(
            "complete",
            ("accepted",),
            "completed",
            At("booking_end", DAY),
            actions=("open_reviews", "release_to_provider"),
            say=words.COMPLETE,
        ),
        *PAID_DISPUTE_STEPS,
    ),
)

BOOKING_V3 = Process(
    name="booking",
    version=3,
    kinds=("rental", "service"),
    description="Version 2, and a booking that starts beyond the payment provider's "
    "authorization window (Stripe: 7 days) paid with a saved card: nothing is held when it "
    "opens; the card is authorized off-session a few days before the start and captured into "
    "escrow. The provider's acceptance takes effect (contact details, the money in escrow) once "
    "the money is held. If the bank asks the customer, they confirm the payment on the deal's "
    "page within 2 days (or before the start), else the booking is cancelled.",
    final_states=("declined", "expired", "cancelled", "payment_failed", "resolved", "completed", "closed"),
    awaits=(
        Awaits("requested", "provider", words.PROVIDER_ANSWER),
        Awaits("payment_action_needed", "customer", words.PAYMENT_CONFIRMATION),
    ),
    transitions=(
        *INQUIRY_STEPS,
        Transition(
            "request",
            (INITIAL, "inquiry"),
            "requested",
            "customer",
            guards=("listing_requires_acceptance",),
            actions=("set_line_items", "reserve_booking", "hold_payment"),
            params=("start", "end", "seats", "message"),
            takes_payment=True,
            say=words.REQUEST,
            ahead="request_ahead",
        ),
        Transition(
            "request_ahead",
            (INITIAL, "inquiry"),
            "requested",
            "customer",
            guards=("listing_requires_acceptance",),
            actions=("set_line_items", "reserve_booking", "schedule_payment"),
            params=("start", "end", "seats", "message"),
            description="A request beyond the authorization window, paid with a saved card later.",
            say=words.REQUEST,
        ),
        Transition(
            "book",
            (INITIAL, "inquiry"),
            "payment_pending",
            "customer",
            guards=("listing_books_instantly", "provider_can_be_paid"),
            actions=(
                "set_line_items",
                "reserve_booking",
                "accept_booking",
                "hold_payment",
                "request_capture",
            ),
            params=("start", "end", "seats", "message"),
            takes_payment=True,
            say=words.BOOK,
            ahead="book_ahead",
        ),
        Transition(
            "book_ahead",
            (INITIAL, "inquiry"),
            "scheduled",
            "customer",
            guards=("listing_books_instantly", "provider_can_be_paid"),
            actions=("set_line_items", "reserve_booking", "accept_booking", "schedule_payment"),
            params=("start", "end", "seats", "message"),
            description="An instant booking beyond the authorization window, paid with a saved card later.",
            say=words.BOOK,
        ),
        Transition(
            "accept",
            ("requested",),
            "payment_pending",
            "provider",
            guards=("provider_can_be_paid", "payment_not_scheduled"),
            actions=("accept_booking", "request_capture"),
            say=words.ACCEPT,
        ),
        Transition(
            "accept_ahead",
            ("requested",),
            "scheduled",
            "provider",
            guards=("provider_can_be_paid", "payment_scheduled"),
            actions=("accept_booking",),
            description="Takes effect once the money is held nearer the date.",
            say=words.ACCEPT_AHEAD,
        ),
        timed(
            "take_payment",
            ("scheduled",),
            "payment_pending",
            At("payment_due"),
            actions=("request_saved_authorization",),
            description="The saved card is authorized off-session, then captured into escrow.",
            say=words.TAKE_PAYMENT,
        ),
        Transition(
            "payment_authorized",
            ("payment_pending",),
            "payment_pending",
            "system",
            actions=("record_saved_hold", "request_capture"),
            description="The bank held the payment on the saved card; it is captured.",
            say=words.PAYMENT_AUTHORIZED,
        ),
        *payment_result_steps(release=("cancel_booking",)),
        Transition(
            "payment_needs_customer",
            ("payment_pending",),
            "payment_action_needed",
            "system",
            description="The bank asked for the customer (authentication, or a decline).",
            say=words.PAYMENT_NEEDS_CUSTOMER,
        ),
        Transition(
            "confirm_payment",
            ("payment_action_needed",),
            "payment_pending",
            "customer",
            actions=("hold_scheduled_payment", "request_capture"),
            takes_payment=True,
            say=words.CONFIRM_PAYMENT,
        ),
        timed(
            "payment_not_confirmed",
            ("payment_action_needed",),
            "cancelled",
            At("entered_state", 2 * DAY),
            At("booking_start"),
            actions=("cancel_booking", "void_payment"),
            description="The customer did not confirm the payment in time.",
            say=words.PAYMENT_NOT_CONFIRMED,
        ),
        Transition(
            "decline",
            ("requested",),
            "declined",
            "provider",
            actions=("cancel_booking", "void_payment"),
            params=("reason",),
            say=words.DECLINE,
        ),
        timed(
            "expire",
            ("requested",),
            "expired",
            At("entered_state", 3 * DAY),
            At("booking_start"),
            actions=("cancel_booking", "void_payment"),
            description="Unanswered requests lapse.",
            say=words.EXPIRE,
        ),
        Transition(
            "cancel_by_customer",
            ("requested", "accepted", "scheduled", "payment_action_needed"),
            "cancelled",
            "customer",
            guards=("before_start",),
            actions=("cancel_booking", "refund_by_policy"),
            params=("reason",),
            description="Refunded by the cancellation policy (nothing taken yet: nothing owed).",
            say=words.CANCEL_BY_CUSTOMER,
        ),
        Transition(
            "cancel_by_provider",
            ("accepted", "scheduled"),
            "cancelled",
            "provider",
            guards=("before_start",),
            actions=("cancel_booking", "refund_payment"),
            params=("reason",),
            description="The customer is refunded in full.",
            say=words.CANCEL_BY_PROVIDER,
        ),
        Transition(
            "cancel_by_operator",
            ("requested", "accepted", "scheduled", "payment_action_needed"),
            "cancelled",
            "operator",
            actions=("cancel_booking", "refund_payment"),
            params=("reason",),
            say=words.CANCEL_BY_OPERATOR,
        ),
        timed(
            "complete",
            ("accepted",),
            "completed",
            At("booking_end", DAY),
            actions=("open_reviews", "release_to_provider"),
            say=words.COMPLETE,
        ),
        *PAID_DISPUTE_STEPS,
    ),
)


# Steps of version 3 that version 4 also takes from a request whose customer must pay again.
_RENEWAL_EXITS = ("decline", "cancel_by_customer", "cancel_by_operator")


# Version 4's own steps come before version 3's ways out, so a party sees them first.
_DECLINE = next(i for i, t in enumerate(BOOKING_V3.transitions) if t.name == "decline")


def _renewable(transition: Transition) -> Transition:
    """A step of version 3, in version 4: the ways out of a request also leave `payment_renewal`."""
    if transition.name not in _RENEWAL_EXITS:
        return transition
    return replace(transition, from_states=(*transition.from_states, "payment_renewal"))


BOOKING_V4 = Process(
    name="booking",
    version=4,
    kinds=("rental", "service"),
    description="Version 3, and a hold that lapses at the card's bank before it is captured "
    "(most cards hold for 7 days): nothing was taken, so nothing is refunded. On a request, "
    "the customer's saved card (the same card, saved) is charged again once the provider "
    "accepts; without one the customer is asked to pay again within 2 days (or before the "
    "start), else the booking is cancelled. After the provider accepted, the saved card is "
    "held again off-session (once; a second lapse asks the customer), or the customer confirms "
    "a new payment. The acceptance takes effect once the money is held again.",
    final_states=BOOKING_V3.final_states,
    awaits=(
        *BOOKING_V3.awaits,
        Awaits("payment_renewal", "customer", words.PAYMENT_AGAIN),
    ),
    transitions=(
        *(_renewable(t) for t in BOOKING_V3.transitions[:_DECLINE]),
        Transition(
            "request_hold_lapsed",
            ("requested",),
            "requested",
            "system",
            actions=("release_lapsed_hold",),
            description="The hold lapsed before the provider answered; the customer's saved "
            "card is charged again once they accept.",
            say=words.REQUEST_HOLD_LAPSED,
        ),
        Transition(
            "request_hold_lapsed_pay_again",
            ("requested",),
            "payment_renewal",
            "system",
            actions=("release_lapsed_hold",),
            description="The hold lapsed before the provider answered, and no card of the "
            "customer's is saved: they are asked to pay again.",
            say=words.REQUEST_HOLD_LAPSED_PAY_AGAIN,
        ),
        Transition(
            "pay_again",
            ("payment_renewal",),
            "requested",
            "customer",
            actions=("hold_scheduled_payment",),
            takes_payment=True,
            say=words.PAY_AGAIN,
        ),
        timed(
            "payment_not_renewed",
            ("payment_renewal",),
            "cancelled",
            At("entered_state", 2 * DAY),
            At("booking_start"),
            actions=("cancel_booking", "void_payment"),
            description="The customer did not pay again in time.",
            say=words.PAYMENT_NOT_RENEWED,
        ),
        Transition(
            "hold_lapsed",
            ("payment_pending",),
            "payment_pending",
            "system",
            actions=("release_lapsed_hold", "request_saved_authorization"),
            description="The hold lapsed before it was captured: the customer's saved card is "
            "held again off-session, then captured.",
            say=words.HOLD_LAPSED,
        ),
        Transition(
            "hold_lapsed_pay_again",
            ("payment_pending",),
            "payment_action_needed",
            "system",
            actions=("release_lapsed_hold",),
            description="The hold lapsed before it was captured and no saved card can be held "
            "again: the customer confirms a new payment.",
            say=words.HOLD_LAPSED_PAY_AGAIN,
        ),
        *(_renewable(t) for t in BOOKING_V3.transitions[_DECLINE:]),
    ),
)
