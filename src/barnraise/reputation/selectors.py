"""Reads for reviews and reputation: the formulas' inputs, stored scores, public reviews."""

from typing import Any

from django.db.models import Avg, Case, Exists, F, FloatField, OuterRef, Q, QuerySet, When

from barnraise.catalog.models import Category
from barnraise.commerce.models import Transaction, TransactionEvent
from barnraise.reputation import scoring
from barnraise.reputation.models import CategoryAspects, Reputation, ReputationPolicy, Review, Role


def policy() -> ReputationPolicy:
    current, _created = ReputationPolicy.objects.get_or_create(pk=1)
    return current


def aspects_for(category: Category | None) -> list[dict[str, str]]:
    """The sub-ratings of a category: its own, else its nearest ancestor's, else none."""
    if category is None:
        return []
    slugs = [s for s in category.path.split("/") if s]
    rows = {
        row.category.slug: row.aspects
        for row in CategoryAspects.objects.filter(category__slug__in=slugs).select_related("category")
    }
    for slug in reversed(slugs):
        if slug in rows:
            return [a for a in rows[slug] if isinstance(a, dict) and a.get("key")]
    return []


# A review's value on the 1–5 scale in SQL, as scoring.review_value computes it.
_VALUE = Case(
    When(private_score=None, then=F("rating") * 1.0),
    default=(F("rating") + 1.0 + F("private_score") * 0.4) / 2.0,
    output_field=FloatField(),
)


def marketplace_mean(*, role: str, default: float) -> float:
    """C: the mean value of every published review of members in this role."""
    found = (
        Review.objects.filter(subject_role=role, hidden_at=None)
        .exclude(published_at=None)
        .aggregate(c=Avg(_VALUE))["c"]
    )
    return float(found) if found is not None else default


def _rated(reviews: QuerySet[Review]) -> list[scoring.Rated]:
    rows = (
        reviews.filter(hidden_at=None)
        .exclude(published_at=None)
        .values_list("author_id", "rating", "private_score", "published_at")
    )
    return [scoring.Rated(author, stars, private, at) for author, stars, private, at in rows if at]


def rated_of(*, user_id: Any, role: str) -> list[scoring.Rated]:
    return _rated(Review.objects.filter(subject_id=user_id, subject_role=role))


def rated_of_listing(*, listing_id: Any) -> list[scoring.Rated]:
    return _rated(Review.objects.filter(listing_id=listing_id, subject_role=Role.PROVIDER))


def outcomes_of(*, user_id: Any, role: str) -> list[scoring.Outcome]:
    """Deals that count for job success: completed (disputed or not), and those this member
    cancelled. Deals cancelled by the other side or an operator, declined or expired do not."""
    other = "customer_id" if role == Role.PROVIDER else "provider_id"
    cancelled_by_member = TransactionEvent.objects.filter(
        transaction=OuterRef("pk"), actor_role=role, to_state="cancelled"
    )
    rows = (
        Transaction.objects.filter(**{f"{role}_id": user_id})
        .filter(Q(state__in=("completed", "disputed", "resolved")) | Q(Exists(cancelled_by_member)))
        .values_list(other, "state", "total_amount_minor", "currency")
    )
    return [
        scoring.Outcome(party, state == "completed", amount, currency)
        for party, state, amount, currency in rows
    ]


def reputations_of(*, user_id: Any) -> dict[str, Reputation | None]:
    rows = {r.role: r for r in Reputation.objects.filter(user_id=user_id)}
    return {role: rows.get(role) for role in Role}


def reputation_of_listing(*, listing_id: Any) -> Reputation | None:
    return Reputation.objects.filter(listing_id=listing_id).first()


def reviews_received(*, user_id: Any, role: str | None = None) -> QuerySet[Review]:
    """Published reviews of a member, newest first (ids are time-ordered); hidden ones left out."""
    reviews = Review.objects.filter(subject_id=user_id, hidden_at=None).exclude(published_at=None)
    if role:
        reviews = reviews.filter(subject_role=role)
    return reviews.select_related("author", "subject", "listing").order_by("-id")


def reviews_of_listing(*, listing_id: Any, limit: int = 6) -> list[Review]:
    """Published reviews that customers wrote of the provider for this listing, newest first."""
    reviews = Review.objects.filter(listing_id=listing_id, subject_role=Role.PROVIDER).exclude(
        published_at=None
    )
    return list(reviews.select_related("author").order_by("-published_at", "-id")[:limit])


def review_of(*, transaction_id: Any, author_id: Any) -> Review | None:
    return Review.objects.filter(transaction_id=transaction_id, author_id=author_id).first()


def reviews_of_transaction(*, transaction_id: Any) -> list[Review]:
    rows = Review.objects.filter(transaction_id=transaction_id).select_related("author", "subject", "listing")
    return list(rows.order_by("id"))


def review_prompt(*, tx: Transaction, viewer: Any, now: Any) -> dict[str, Any] | None:
    """What the deal page shows a party about reviews, or None when reviews are not open."""
    if tx.reviews_open_until is None or viewer.pk not in (tx.customer_id, tx.provider_id):
        return None
    reviews = reviews_of_transaction(transaction_id=tx.pk)
    mine = next((r for r in reviews if r.author_id == viewer.pk), None)
    theirs = next((r for r in reviews if r.author_id != viewer.pk), None)
    return {
        "open": mine is None
        and tx.state in ("completed", "disputed", "resolved")
        and now <= tx.reviews_open_until,
        "until": tx.reviews_open_until,
        "mine": mine,
        "theirs": theirs if theirs is not None and theirs.published_at and not theirs.hidden_at else None,
        "theirs_hidden": theirs is not None and theirs.published_at is None,
        "aspects": aspects_for(tx.listing.category),
    }


def export_for(user: Any) -> list[dict[str, Any]]:
    """The reviews a member wrote, for their data export (private score included: it is theirs)."""
    return [
        {
            "transaction": str(r.transaction_id),
            "rating": r.rating,
            "sub_ratings": r.sub_ratings,
            "text": r.text,
            "private_score": r.private_score,
            "created_at": r.created_at.isoformat(),
            "published_at": r.published_at.isoformat() if r.published_at else None,
        }
        for r in Review.objects.filter(author=user).order_by("id")
    ]


def received_export_for(user: Any) -> list[dict[str, Any]]:
    """The published reviews others wrote about a member, for their data export (the author's
    private score stays the author's)."""
    return [
        {
            "transaction": str(r.transaction_id),
            "author": r.author.name,
            "role": r.subject_role,
            "rating": r.rating,
            "sub_ratings": r.sub_ratings,
            "text": r.text,
            "published_at": r.published_at.isoformat() if r.published_at else None,
            "reply": r.reply,
        }
        for r in Review.objects.filter(subject=user, published_at__isnull=False, hidden_at__isnull=True)
        .select_related("author")
        .order_by("published_at", "id")
    ]


def work_is_verified(user: Any, transaction_id: Any) -> bool:
    """Portfolio hook: is this a completed deal that `user` provided?"""
    return Transaction.objects.filter(pk=transaction_id, provider_id=user.pk, state="completed").exists()
