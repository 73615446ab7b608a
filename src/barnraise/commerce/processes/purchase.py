"""Purchase: goods from stock. Reserved at request, handed over, confirmed or auto-completed."""

from datetime import timedelta

from barnraise.commerce.processes.definitions import (
    DISPUTE_STEPS,
    INITIAL,
    INQUIRY_STEPS,
    PAID_DISPUTE_STEPS,
    At,
    Process,
    Transition,
    payment_result_steps,
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

PURCHASE_V2 = Process(
    name="purchase",
    version=2,
    kinds=("sale",),
    description="Version 1 with money: the card is authorized at the request and captured into "
    "escrow when the provider accepts; the provider is paid at completion.",
    final_states=("declined", "expired", "cancelled", "payment_failed", "resolved", "completed", "closed"),
    transitions=(
        *INQUIRY_STEPS,
        Transition(
            "request",
            (INITIAL, "inquiry"),
            "requested",
            "customer",
            actions=("set_line_items", "reserve_stock", "hold_payment"),
            params=("quantity", "message"),
        ),
        Transition(
            "accept",
            ("requested",),
            "payment_pending",
            "provider",
            guards=("provider_can_be_paid",),
            actions=("request_capture",),
        ),
        *payment_result_steps(release=("release_stock",)),
        Transition(
            "decline",
            ("requested",),
            "declined",
            "provider",
            actions=("release_stock", "void_payment"),
            params=("reason",),
        ),
        timed(
            "expire",
            ("requested",),
            "expired",
            At("entered_state", 3 * DAY),
            actions=("release_stock", "void_payment"),
            description="Auto-decline after 3 days without an answer.",
        ),
        Transition("mark_shipped", ("accepted",), "shipped", "provider", params=("tracking",)),
        Transition(
            "confirm_receipt",
            ("shipped",),
            "completed",
            "customer",
            actions=("open_reviews", "release_to_provider"),
        ),
        timed(
            "auto_complete",
            ("shipped",),
            "completed",
            At("entered_state", 14 * DAY),
            actions=("open_reviews", "release_to_provider"),
        ),
        Transition(
            "cancel_by_customer",
            ("requested",),
            "cancelled",
            "customer",
            actions=("release_stock", "void_payment"),
            params=("reason",),
        ),
        Transition(
            "cancel_by_provider",
            ("requested", "accepted"),
            "cancelled",
            "provider",
            actions=("release_stock", "refund_payment"),
            params=("reason",),
        ),
        Transition(
            "cancel_by_operator",
            ("requested", "accepted", "shipped"),
            "cancelled",
            "operator",
            actions=("release_stock", "refund_payment"),
            params=("reason",),
        ),
        *PAID_DISPUTE_STEPS,
    ),
)
