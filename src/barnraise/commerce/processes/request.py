"""Request: a member posts what they need; providers offer, both sides may counter.

The provider starts the transaction with an offer on a request listing; the request's author
is the customer. Accepting one offer declines the others and closes the request.
"""

from datetime import timedelta

from barnraise.commerce.processes import words
from barnraise.commerce.processes.definitions import (
    DISPUTE_STEPS,
    INITIAL,
    PAID_DISPUTE_STEPS,
    At,
    Awaits,
    Process,
    Transition,
    payment_result_steps,
    timed,
)

DAY = timedelta(days=1)

REQUEST_V1 = Process(
    name="request",
    version=1,
    kinds=("request",),
    description="Offers on a posted request, counter-offers, acceptance, delivery and approval "
    "(automatic 14 days after delivery).",
    final_states=("withdrawn", "declined", "cancelled", "resolved", "completed"),
    awaits=(
        Awaits("offered", "customer", words.CUSTOMER_ANSWER),
        Awaits("countered", "provider", words.COUNTER_ANSWER),
        Awaits("accepted", "provider", words.DELIVERY),
        Awaits("delivered", "customer", words.APPROVAL),
    ),
    transitions=(
        Transition(
            "offer",
            (INITIAL,),
            "offered",
            "provider",
            actions=("set_offer_line_items",),
            params=("price", "message", "start", "end"),
            say=words.OFFER,
        ),
        Transition(
            "update_offer",
            ("offered", "countered"),
            "offered",
            "provider",
            actions=("set_offer_line_items",),
            params=("price", "message", "start", "end"),
            say=words.UPDATE_OFFER,
        ),
        Transition(
            "counter",
            ("offered",),
            "countered",
            "customer",
            actions=("set_offer_line_items",),
            params=("price", "message"),
            say=words.COUNTER,
        ),
        Transition(
            "accept_offer",
            ("offered",),
            "accepted",
            "customer",
            actions=("close_other_offers", "reveal_contact_details"),
            say=words.ACCEPT_OFFER,
        ),
        Transition(
            "accept_counter",
            ("countered",),
            "accepted",
            "provider",
            actions=("close_other_offers", "reveal_contact_details"),
            say=words.ACCEPT_COUNTER,
        ),
        Transition(
            "reject", ("offered", "countered"), "declined", "customer", params=("reason",), say=words.REJECT
        ),
        Transition("withdraw", ("offered", "countered"), "withdrawn", "provider", say=words.WITHDRAW),
        Transition(
            "close",
            ("offered", "countered"),
            "declined",
            "system",
            description="Another offer was accepted.",
            say=words.CLOSE,
        ),
        Transition("deliver", ("accepted",), "delivered", "provider", params=("message",), say=words.DELIVER),
        Transition(
            "request_changes",
            ("delivered",),
            "accepted",
            "customer",
            params=("message",),
            say=words.REQUEST_CHANGES,
        ),
        Transition(
            "accept_delivery",
            ("delivered",),
            "completed",
            "customer",
            actions=("open_reviews",),
            say=words.ACCEPT_DELIVERY,
        ),
        timed(
            "auto_accept",
            ("delivered",),
            "completed",
            At("entered_state", 14 * DAY),
            actions=("open_reviews",),
            say=words.AUTO_ACCEPT,
        ),
        Transition(
            "cancel_by_operator",
            ("accepted", "delivered"),
            "cancelled",
            "operator",
            params=("reason",),
            say=words.CANCEL_BY_OPERATOR,
        ),
        *DISPUTE_STEPS,
    ),
)

REQUEST_V2 = Process(
    name="request",
    version=2,
    kinds=("request",),
    description="Version 1 with money. Only the requester, who pays, accepts: their card is "
    "authorized and captured into escrow on acceptance (a provider answers a counter-offer by "
    "updating the offer). The provider is paid when the delivery is accepted.",
    final_states=("withdrawn", "declined", "cancelled", "payment_failed", "resolved", "completed"),
    awaits=(
        Awaits("offered", "customer", words.CUSTOMER_ANSWER),
        Awaits("accepted", "provider", words.DELIVERY),
        Awaits("delivered", "customer", words.APPROVAL),
    ),
    transitions=(
        Transition(
            "offer",
            (INITIAL,),
            "offered",
            "provider",
            actions=("set_offer_line_items",),
            params=("price", "message", "start", "end"),
            say=words.OFFER,
        ),
        Transition(
            "update_offer",
            ("offered", "countered"),
            "offered",
            "provider",
            actions=("set_offer_line_items",),
            params=("price", "message", "start", "end"),
            say=words.UPDATE_OFFER,
        ),
        Transition(
            "counter",
            ("offered",),
            "countered",
            "customer",
            actions=("set_offer_line_items",),
            params=("price", "message"),
            say=words.COUNTER,
        ),
        Transition(
            "accept_offer",
            ("offered",),
            "payment_pending",
            "customer",
            guards=("provider_can_be_paid",),
            actions=("hold_payment", "request_capture", "close_other_offers"),
            takes_payment=True,
            say=words.ACCEPT_OFFER,
        ),
        *payment_result_steps(release=()),
        Transition(
            "reject", ("offered", "countered"), "declined", "customer", params=("reason",), say=words.REJECT
        ),
        Transition("withdraw", ("offered", "countered"), "withdrawn", "provider", say=words.WITHDRAW),
        Transition(
            "close",
            ("offered", "countered"),
            "declined",
            "system",
            description="Another offer was accepted.",
            say=words.CLOSE,
        ),
        Transition("deliver", ("accepted",), "delivered", "provider", params=("message",), say=words.DELIVER),
        Transition(
            "request_changes",
            ("delivered",),
            "accepted",
            "customer",
            params=("message",),
            say=words.REQUEST_CHANGES,
        ),
        Transition(
            "accept_delivery",
            ("delivered",),
            "completed",
            "customer",
            actions=("open_reviews", "release_to_provider"),
            say=words.ACCEPT_DELIVERY,
        ),
        timed(
            "auto_accept",
            ("delivered",),
            "completed",
            At("entered_state", 14 * DAY),
            actions=("open_reviews", "release_to_provider"),
            say=words.AUTO_ACCEPT,
        ),
        Transition(
            "cancel_by_operator",
            ("accepted", "delivered"),
            "cancelled",
            "operator",
            actions=("refund_payment",),
            params=("reason",),
            say=words.CANCEL_BY_OPERATOR,
        ),
        *PAID_DISPUTE_STEPS,
    ),
)
