"""Writes for reviews and reputation: writing, revealing and replying to reviews; scores."""

from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.catalog import services as catalog_services
from barnraise.commerce.models import Transaction, TransactionEvent
from barnraise.errors import (
    AlreadyReplied,
    AlreadyReviewed,
    Conflict,
    InvalidInput,
    NotFound,
    NotReviewable,
    PermissionDenied,
    ReviewWindowClosed,
)
from barnraise.eventlog.models import EventType
from barnraise.eventlog.services import Subject, record
from barnraise.notifications.services import notification_send
from barnraise.reputation import scoring, selectors
from barnraise.reputation.models import Reputation, Review, Role
from barnraise.timers import services as timers
from barnraise.timers.models import Timer

REVEAL_HANDLER = "reputation.reveal_reviews"
# A completed deal that was disputed afterwards was still completed: both sides may review it.
REVIEWABLE_STATES = ("completed", "disputed", "resolved")
# Deal states that change a member's job success.
OUTCOME_STATES = ("completed", "disputed", "resolved", "cancelled")


def _clean_review(
    tx: Transaction, rating: Any, text: Any, sub_ratings: Any, private_score: Any
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        errors["rating"] = [_("Give a whole number of stars from 1 to 5.")]
    if not isinstance(text, str) or len(text) > 5000:
        errors["text"] = [_("Text of at most 5,000 characters.")]
    if private_score is not None and (
        not isinstance(private_score, int) or isinstance(private_score, bool) or not 0 <= private_score <= 10
    ):
        errors["private_score"] = [_("A whole number from 0 to 10.")]
    allowed = {a["key"] for a in selectors.aspects_for(tx.listing.category)}
    if not isinstance(sub_ratings, dict):
        errors["sub_ratings"] = [_("An object of aspect: stars.")]
    else:
        for key, value in sub_ratings.items():
            if key not in allowed:
                errors[f"sub_ratings.{key}"] = [_("Not an aspect of this category.")]
            elif not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                errors[f"sub_ratings.{key}"] = [_("Give 1 to 5 stars.")]
    if errors:
        raise InvalidInput(details=errors)
    return {
        "rating": rating,
        "text": text.strip(),
        "sub_ratings": sub_ratings,
        "private_score": private_score,
    }


def review_create(
    *,
    actor: User,
    transaction_id: Any,
    rating: Any,
    text: Any = "",
    sub_ratings: Any = None,
    private_score: Any = None,
) -> Review:
    """A party reviews the other, once, within the window. Both in: both are published."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        # The deal's row is locked so that two reviews arriving together see each other.
        tx = (
            Transaction.objects.select_for_update()
            .select_related("listing__category")
            .filter(pk=transaction_id)
            .first()
        )
        if tx is None or actor.pk not in (tx.customer_id, tx.provider_id):
            raise NotFound()
        if tx.state not in REVIEWABLE_STATES or tx.reviews_open_until is None:
            raise NotReviewable(details={"state": tx.state})
        if now > tx.reviews_open_until:
            raise ReviewWindowClosed(details={"closed_at": tx.reviews_open_until.isoformat()})
        fields = _clean_review(tx, rating, text, {} if sub_ratings is None else sub_ratings, private_score)
        if Review.objects.filter(transaction=tx, author=actor).exists():
            raise AlreadyReviewed()
        is_customer = actor.pk == tx.customer_id
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    transaction=tx,
                    author=actor,
                    subject_id=tx.provider_id if is_customer else tx.customer_id,
                    subject_role=Role.PROVIDER if is_customer else Role.CUSTOMER,
                    listing=tx.listing,
                    category=tx.listing.category,
                    created_at=now,
                    **fields,
                )
        except IntegrityError as exc:
            raise AlreadyReviewed() from exc
        if Review.objects.filter(transaction=tx).count() == 2:
            reviews_publish(tx=tx)
            timers.cancel_pending(target=f"transaction:{tx.pk}", handler=REVEAL_HANDLER)
    review.refresh_from_db()
    return review


def reviews_publish(*, tx: Transaction) -> list[Review]:
    """Publish the deal's hidden reviews, rescore everyone they touch and tell the reviewed."""
    now = timezone.now()
    hidden = list(Review.objects.filter(transaction=tx, published_at=None).select_related("subject"))
    if not hidden:
        return []
    Review.objects.filter(pk__in=[r.pk for r in hidden]).update(published_at=now)
    reputation_recompute(user_ids=[tx.customer_id, tx.provider_id], listing_ids=[tx.listing_id])
    for review in hidden:
        notification_send(
            recipient=review.subject,
            kind="review_published",
            context={"listing": tx.listing.title, "rating": review.rating},
            url=f"/members/{review.subject_id}/",
        )
    return hidden


def reviews_reveal_due(timer: Timer) -> None:
    """Timer handler: the window has closed, so whatever was written is published."""
    tx = Transaction.objects.select_related("listing").filter(pk=timer.payload["transaction"]).first()
    if tx is not None:
        reviews_publish(tx=tx)


def review_reply(*, actor: User, review_id: Any, text: str) -> Review:
    """The reviewed member answers a published review, once, in public."""
    text = text.strip() if isinstance(text, str) else ""
    if not text or len(text) > 2000:
        raise InvalidInput(details={"text": [_("Write 1 to 2,000 characters.")]})
    with transaction.atomic(durable=True):
        review = Review.objects.filter(pk=review_id).exclude(published_at=None).first()
        if review is None:
            raise NotFound()
        if review.subject_id != actor.pk:
            raise PermissionDenied(_("Only the member reviewed may reply."))
        replied = Review.objects.filter(pk=review.pk, reply="").update(reply=text, replied_at=timezone.now())
        if not replied:
            raise AlreadyReplied()
    review.refresh_from_db()
    return review


def review_hide(*, actor: User, review_id: Any, reason: str) -> Review:
    """An operator hides a review that breaks the rules, with a reason its author is told. It
    leaves the profile and the listing, and the scores are computed again without it."""
    operators.require_operator(actor, operators.SUPPORT)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 2000:
        raise InvalidInput(details={"reason": [_("Tell the author why, in 1 to 2,000 characters.")]})
    with transaction.atomic(durable=True):
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None:
            raise NotFound()
        if review.hidden_at is not None:
            raise Conflict(_("This review is already hidden."))
        review.hidden_at, review.hidden_by, review.hidden_reason = timezone.now(), actor, reason
        review.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        record(
            Subject("review", str(review.pk), member_id=review.author_id),
            EventType.REVIEW_HIDDEN,
            actor=actor,
            payload={"from": "shown", "to": "hidden"},
        )
        notification_send(
            recipient=review.author,
            kind="review_hidden",
            context={"reason": reason},
            url=f"/transactions/{review.transaction_id}/",
        )
        reputation_recompute(user_ids=[review.subject_id], listing_ids=[review.listing_id])
    return review


def _store(defaults: dict[str, Any], **key: Any) -> None:
    Reputation.objects.update_or_create(defaults=defaults, **key)


def reputation_recompute(*, user_ids: list[Any], listing_ids: list[Any]) -> None:
    """Recompute and store the scores of these members (both roles) and listings."""
    policy = selectors.policy()
    now = timezone.now()
    rate = partial(
        scoring.bayesian,
        now=now,
        prior_weight=policy.prior_weight,
        half_life_days=float(policy.half_life_days),
    )
    priors = {role: selectors.marketplace_mean(role=role, default=policy.default_prior_mean) for role in Role}
    for role in Role:
        prior = priors[role]
        for user_id in set(user_ids):
            score = rate(selectors.rated_of(user_id=user_id, role=role), prior_mean=prior)
            success = scoring.job_success(
                selectors.outcomes_of(user_id=user_id, role=role), min_count=policy.job_success_min_count
            )
            _store(
                {
                    "score": score.score,
                    "mean": score.mean,
                    "reviews": score.reviews,
                    "counterparties": score.counterparties,
                    "job_success": success.share,
                    "deals_counted": success.counted,
                    "computed_at": now,
                },
                user_id=user_id,
                role=role,
            )
    for listing_id in set(listing_ids):
        score = rate(selectors.rated_of_listing(listing_id=listing_id), prior_mean=priors[Role.PROVIDER])
        _store(
            {
                "score": score.score,
                "mean": score.mean,
                "reviews": score.reviews,
                "counterparties": score.counterparties,
                "computed_at": now,
            },
            listing_id=listing_id,
            role="",
        )
        # Search sorts and boosts by the listing's stored score (docs/search.md).
        catalog_services.listing_rating_set(listing_id=listing_id, score=score.score)


def _reviews_open(tx: Transaction) -> None:
    """Schedule the reveal and ask each party who has not reviewed yet. Delivery is at least
    once, and a new consumer reads the log from its start: both are safe to repeat."""
    until = tx.reviews_open_until
    if until is None:
        return
    target = f"transaction:{tx.pk}"
    timers.cancel_pending(target=target, handler=REVEAL_HANDLER)
    written = set(Review.objects.filter(transaction=tx).values_list("author_id", flat=True))
    if len(written) < 2:
        timers.schedule(
            handler=REVEAL_HANDLER,
            target=target,
            due_at=until,
            payload={"transaction": str(tx.pk)},
        )
    if timezone.now() >= until:
        return
    for party, other in ((tx.customer, tx.provider), (tx.provider, tx.customer)):
        if party.pk in written:
            continue
        notification_send(
            recipient=party,
            kind="review_to_write",
            context={"listing": tx.listing.title, "other": other.name, "until": until},
            url=f"/transactions/{tx.pk}/",
        )


def on_event(event: TransactionEvent) -> None:
    """Event-log consumer: a completed deal opens reviews; any outcome changes job success."""
    tx = event.transaction
    if event.to_state not in OUTCOME_STATES:
        return
    with transaction.atomic():
        if event.to_state == "completed":
            _reviews_open(tx)
        reputation_recompute(user_ids=[tx.customer_id, tx.provider_id], listing_ids=[])


def reputations_refresh(*, batch: int = 200) -> int:
    """Recompute every stored score: reviews age (the half-life) and the marketplace mean moves.
    Run nightly by the worker; each batch is its own short transaction. Returns how many."""
    users = list(Reputation.objects.exclude(user=None).values_list("user_id", flat=True).distinct())
    listings = list(Reputation.objects.exclude(listing=None).values_list("listing_id", flat=True))
    for start in range(0, max(len(users), len(listings)), batch):
        with transaction.atomic():
            reputation_recompute(
                user_ids=users[start : start + batch], listing_ids=listings[start : start + batch]
            )
    return len(users) + len(listings)
