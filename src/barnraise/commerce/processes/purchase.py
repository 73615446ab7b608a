"""Purchase: goods from stock. Reserved at request, handed over, confirmed or auto-completed."""

from datetime import timedelta

from barnraise.commerce.processes.definitions import (
    DISPUTE_STEPS,
    INITIAL,
    INQUIRY_STEPS,
    At,
    Process,
    Transition,
    timed,
)

DAY = timedelta(days=1)

PURCHASE_V1 = Process(
    name="purchase",
    version=1,
    kinds=("sale",),
    description="Stock is reserved at request. The provider accepts and hands over; the customer "
    "confirms receipt, or it completes by itself 14 days after shipping.",
    final_states=("declined", "expired", "cancelled", "resolved", "completed", "closed"),
    transitions=(
        *INQUIRY_STEPS,
        Transition(
            "request",
            (INITIAL, "inquiry"),
            "requested",
            "customer",
            actions=("set_line_items", "reserve_stock"),
            params=("quantity", "message"),
        ),
        Transition("accept", ("requested",), "accepted", "provider", actions=("reveal_contact_details",)),
        Transition(
            "decline", ("requested",), "declined", "provider", actions=("release_stock",), params=("reason",)
        ),
        timed(
            "expire",
            ("requested",),
            "expired",
            At("entered_state", 3 * DAY),
            actions=("release_stock",),
            description="Auto-decline after 3 days without an answer.",
        ),
        Transition("mark_shipped", ("accepted",), "shipped", "provider", params=("tracking",)),
        Transition("confirm_receipt", ("shipped",), "completed", "customer", actions=("open_reviews",)),
        timed(
            "auto_complete",
            ("shipped",),
            "completed",
            At("entered_state", 14 * DAY),
            actions=("open_reviews",),
        ),
        Transition(
            "cancel_by_customer",
            ("requested",),
            "cancelled",
            "customer",
            actions=("release_stock",),
            params=("reason",),
        ),
        Transition(
            "cancel_by_provider",
            ("requested", "accepted"),
            "cancelled",
            "provider",
            actions=("release_stock",),
            params=("reason",),
        ),
        Transition(
            "cancel_by_operator",
            ("requested", "accepted", "shipped"),
            "cancelled",
            "operator",
            actions=("release_stock",),
            params=("reason",),
        ),
        *DISPUTE_STEPS,
    ),
)
