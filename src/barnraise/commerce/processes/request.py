"""Request: a member posts what they need; providers offer, both sides may counter.

The provider starts the transaction with an offer on a request listing; the request's author
is the customer. Accepting one offer declines the others and closes the request.
"""

from datetime import timedelta

from barnraise.commerce.processes.definitions import DISPUTE_STEPS, INITIAL, At, Process, Transition, timed

DAY = timedelta(days=1)

REQUEST_V1 = Process(
    name="request",
    version=1,
    kinds=("request",),
    description="Offers on a posted request, counter-offers, acceptance, delivery and approval "
    "(automatic 14 days after delivery).",
    final_states=("withdrawn", "declined", "cancelled", "resolved", "completed"),
    transitions=(
        Transition(
            "offer",
            (INITIAL,),
            "offered",
            "provider",
            actions=("set_offer_line_items",),
            params=("price", "message", "start", "end"),
        ),
        Transition(
            "update_offer",
            ("offered", "countered"),
            "offered",
            "provider",
            actions=("set_offer_line_items",),
            params=("price", "message", "start", "end"),
        ),
        Transition(
            "counter",
            ("offered",),
            "countered",
            "customer",
            actions=("set_offer_line_items",),
            params=("price", "message"),
        ),
        Transition(
            "accept_offer",
            ("offered",),
            "accepted",
            "customer",
            actions=("close_other_offers", "reveal_contact_details"),
        ),
        Transition(
            "accept_counter",
            ("countered",),
            "accepted",
            "provider",
            actions=("close_other_offers", "reveal_contact_details"),
        ),
        Transition("reject", ("offered", "countered"), "declined", "customer", params=("reason",)),
        Transition("withdraw", ("offered", "countered"), "withdrawn", "provider"),
        Transition(
            "close", ("offered", "countered"), "declined", "system", description="Another offer was accepted."
        ),
        Transition("deliver", ("accepted",), "delivered", "provider", params=("message",)),
        Transition("request_changes", ("delivered",), "accepted", "customer", params=("message",)),
        Transition("accept_delivery", ("delivered",), "completed", "customer", actions=("open_reviews",)),
        timed(
            "auto_accept",
            ("delivered",),
            "completed",
            At("entered_state", 14 * DAY),
            actions=("open_reviews",),
        ),
        Transition(
            "cancel_by_operator", ("accepted", "delivered"), "cancelled", "operator", params=("reason",)
        ),
        *DISPUTE_STEPS,
    ),
)
