"""Booking: time on a calendar, in seats. Request and accept, or book instantly."""

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

BOOKING_V1 = Process(
    name="booking",
    version=1,
    kinds=("rental", "service"),
    description="A window of time with seats. The provider accepts or declines a request, or "
    "the listing books instantly. Completes a day after the booking ends.",
    final_states=("declined", "expired", "cancelled", "resolved", "completed", "closed"),
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
        ),
        Transition(
            "book",
            (INITIAL, "inquiry"),
            "accepted",
            "customer",
            guards=("listing_books_instantly",),
            actions=("set_line_items", "reserve_booking", "accept_booking", "reveal_contact_details"),
            params=("start", "end", "seats", "message"),
        ),
        Transition(
            "accept",
            ("requested",),
            "accepted",
            "provider",
            actions=("accept_booking", "reveal_contact_details"),
        ),
        Transition(
            "decline", ("requested",), "declined", "provider", actions=("cancel_booking",), params=("reason",)
        ),
        timed(
            "expire",
            ("requested",),
            "expired",
            At("entered_state", 3 * DAY),
            At("booking_start"),
            actions=("cancel_booking",),
            description="Unanswered requests lapse.",
        ),
        Transition(
            "cancel_by_customer",
            ("requested", "accepted"),
            "cancelled",
            "customer",
            guards=("before_start",),
            actions=("cancel_booking",),
            params=("reason",),
        ),
        Transition(
            "cancel_by_provider",
            ("accepted",),
            "cancelled",
            "provider",
            guards=("before_start",),
            actions=("cancel_booking",),
            params=("reason",),
        ),
        Transition(
            "cancel_by_operator",
            ("requested", "accepted"),
            "cancelled",
            "operator",
            actions=("cancel_booking",),
            params=("reason",),
        ),
        timed("complete", ("accepted",), "completed", At("booking_end", DAY), actions=("open_reviews",)),
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
        ),
        Transition(
            "accept",
            ("requested",),
            "payment_pending",
            "provider",
            guards=("provider_can_be_paid",),
            actions=("accept_booking", "request_capture"),
        ),
        *payment_result_steps(release=("cancel_booking",)),
        Transition(
            "decline",
            ("requested",),
            "declined",
            "provider",
            actions=("cancel_booking", "void_payment"),
            params=("reason",),
        ),
        timed(
            "expire",
            ("requested",),
            "expired",
            At("entered_state", 3 * DAY),
            At("booking_start"),
            actions=("cancel_booking", "void_payment"),
            description="Unanswered requests lapse.",
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
        ),
        Transition(
            "cancel_by_operator",
            ("requested", "accepted"),
            "cancelled",
            "operator",
            actions=("cancel_booking", "refund_payment"),
            params=("reason",),
        ),
        timed(
            "complete",
            ("accepted",),
            "completed",
            At("booking_end", DAY),
            actions=("open_reviews", "release_to_provider"),
        ),
        *PAID_DISPUTE_STEPS,
    ),
)
