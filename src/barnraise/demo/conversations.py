"""Demo conversations: a few messages on the demo customer's deals, one of them screened."""

from barnraise.accounts.models import User
from barnraise.commerce.selectors import transactions_for
from barnraise.errors import DomainError
from barnraise.messaging.selectors import member_has_written
from barnraise.messaging.services import message_send

# (who writes: "customer" or "provider", text); the first deal is not accepted yet, so the
# number in its thread is hidden from the provider.
THREADS = [
    [
        ("customer", "Could you call me on zero six one two, 34 56 78 90 to arrange the details?"),
        ("provider", "Let's keep it here until the booking is accepted, it is safer for both of us."),
    ],
    [
        ("customer", "Hello! Is parking easy near you? I would come by car."),
        ("provider", "Yes, there is free parking in the street after 6 pm."),
        ("customer", "Perfect, thank you."),
    ],
]


def seed_conversations(customer: User) -> int:
    """Messages on the customer's first deals. Skipped when the customer has written any."""
    if member_has_written(member=customer):
        return 0
    deals = transactions_for(actor=customer, role="customer", state=None).order_by("id")
    sent = 0
    for tx, thread in zip(deals, THREADS, strict=False):
        for role, text in thread:
            author = tx.customer if role == "customer" else tx.provider
            try:
                message_send(actor=author, transaction_id=tx.pk, body=text)
            except DomainError:  # a rate limit or an unverified demo member: skip the rest
                break
            sent += 1
    return sent
