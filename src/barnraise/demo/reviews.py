"""Demo reviews: past purchases between members, reviewed as a living marketplace would be.

Most deals get both reviews (published at once), some only one (hidden until the window
closes), a few none; ratings lean high as real ones do, with the odd poor one and its reply.
Some providers show the work as verified pieces of their portfolio.
"""

import random

from barnraise.accounts.models import User
from barnraise.accounts.portfolio import portfolio_item_create
from barnraise.catalog.models import Listing
from barnraise.commerce import engine, processes
from barnraise.commerce.models import Transaction
from barnraise.errors import DomainError
from barnraise.reputation.models import Review
from barnraise.reputation.services import review_create, review_reply

STARS = [5] * 12 + [4] * 6 + [3] * 2 + [2, 1]
PRAISE = {
    5: [
        "Exactly as described, friendly and quick.",
        "Perfect from start to finish.",
        "Would deal again any time.",
    ],
    4: [
        "Good overall; a little slow to answer.",
        "Fine, small scratch not in the photos.",
        "Nice to deal with.",
    ],
    3: ["It did the job, but pickup was a hassle.", "OK, though not quite as pictured."],
    2: ["Late and hard to reach.", "Not in the condition described."],
    1: ["Did not turn up the first time.", "Far from what was promised."],
}
CUSTOMER_NOTES = ["Paid and collected on time.", "Clear and polite.", "Great buyer, easy handover."]
REPLIES = [
    "Sorry about that; the courier let us down. Fixed for next time.",
    "Thanks for the honest feedback.",
]


def _completed_purchase(listing: Listing, customer: User) -> Transaction | None:
    """A purchase taken to completion on process v1 (no payment): the demo's past deals."""
    try:
        tx = engine.start(
            listing=listing,
            customer=customer,
            provider=listing.author,
            process=processes.get("purchase", 1),
            name="request",
            params={"quantity": 1},
            actor=customer,
        ).tx
        tx = engine.transition(tx, "accept", actor=listing.author).tx
        tx = engine.transition(tx, "mark_shipped", actor=listing.author).tx
        return engine.transition(tx, "confirm_receipt", actor=customer).tx
    except DomainError:  # out of stock, a closed listing: skip it
        return None


def seed_reviews(people: list[User], rng: random.Random, deals: int = 60) -> int:
    """Past deals with reviews between the demo members. Skipped when any review exists."""
    if Review.objects.exists() or len(people) < 3:
        return 0
    listings = list(
        Listing.objects.filter(kind="sale", status="published", stock__gt=2, author__in=people).order_by("id")
    )
    if not listings:
        return 0
    written = 0
    for _ in range(deals):
        listing = rng.choice(listings)
        customer = rng.choice([p for p in people if p.pk != listing.author_id])
        tx = _completed_purchase(listing, customer)
        if tx is None:
            continue
        who = rng.random()
        stars = rng.choice(STARS)
        if who < 0.9:  # the customer reviews the provider
            review = review_create(
                actor=customer,
                transaction_id=tx.pk,
                rating=stars,
                text=rng.choice(PRAISE[stars]),
                private_score=min(10, max(0, stars * 2 + rng.randint(-2, 0))),
            )
            written += 1
        if who < 0.7:  # and the provider the customer: both published now
            review_create(
                actor=listing.author,
                transaction_id=tx.pk,
                rating=rng.choice([5, 5, 5, 4]),
                text=rng.choice(CUSTOMER_NOTES),
            )
            written += 1
            if stars <= 3:
                review_reply(actor=listing.author, review_id=review.pk, text=rng.choice(REPLIES))
            if rng.random() < 0.3:
                portfolio_item_create(
                    actor=listing.author,
                    title=listing.title,
                    description=listing.description[:500],
                    transaction_id=tx.pk,
                )
    return written
