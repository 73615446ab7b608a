"""A member's public profile: work history, responsiveness, badges, reputation and reviews."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from barnraise.accounts import portfolio
from barnraise.accounts import selectors as accounts_selectors
from barnraise.accounts.models import User
from barnraise.commerce.models import Transaction, TransactionEvent
from barnraise.errors import NotFound
from barnraise.reputation import selectors
from barnraise.reputation.models import Role

# Responsiveness looks at the requests of the last year, at most this many of them.
RESPONSE_WINDOW = timedelta(days=365)
RESPONSE_SAMPLE = 200
# A request answered within this counts towards the response rate (Airbnb's rule).
RESPONSE_WITHIN = timedelta(hours=24)
DONE_STATES = ("completed", "disputed", "resolved")


@dataclass(frozen=True)
class Responsiveness:
    requests: int
    rate: float | None  # share answered within RESPONSE_WITHIN
    median_minutes: int | None  # of the answered ones


def member_public(*, user_id: Any) -> User:
    user = User.objects.filter(pk=user_id, is_active=True, deleted_at=None).first()
    if user is None:
        raise NotFound()
    return user


def completed_by_category(*, user_id: Any) -> list[dict[str, Any]]:
    """Completed deals per category, as provider and as customer, most first."""
    rows = (
        Transaction.objects.filter(Q(provider_id=user_id) | Q(customer_id=user_id), state__in=DONE_STATES)
        .values("listing__category__slug", "listing__category__name")
        .annotate(
            as_provider=Count("pk", filter=Q(provider_id=user_id)),
            as_customer=Count("pk", filter=Q(customer_id=user_id)),
        )
        .order_by("listing__category__slug")
    )
    found = [
        {
            "category": row["listing__category__slug"],
            "name": row["listing__category__name"],
            "as_provider": row["as_provider"],
            "as_customer": row["as_customer"],
        }
        for row in rows
    ]
    return sorted(found, key=lambda r: -(r["as_provider"] + r["as_customer"]))


def responsiveness(*, user_id: Any, now: datetime | None = None) -> Responsiveness:
    """How quickly a provider answers what customers start: the time from the customer's first
    event on a deal to the provider's first event after it, over the last year's requests."""
    now = now or timezone.now()
    deal_ids = list(
        Transaction.objects.filter(provider_id=user_id, created_at__gte=now - RESPONSE_WINDOW)
        .exclude(state="initial")
        .order_by("-pk")
        .values_list("pk", flat=True)[:RESPONSE_SAMPLE]
    )
    events = TransactionEvent.objects.filter(transaction_id__in=deal_ids).order_by("id")
    firsts: dict[Any, tuple[Any, datetime]] = {}
    answers: dict[Any, datetime] = {}
    for tx_id, actor_id, at in events.values_list("transaction_id", "actor_id", "created_at"):
        if tx_id not in firsts:
            firsts[tx_id] = (actor_id, at)
        elif actor_id == user_id and tx_id not in answers:
            answers[tx_id] = at
    started = {tx_id: at for tx_id, (actor_id, at) in firsts.items() if actor_id != user_id}
    if not started:
        return Responsiveness(0, None, None)
    delays = [answers[tx_id] - at for tx_id, at in started.items() if tx_id in answers]
    in_time = sum(1 for d in delays if d <= RESPONSE_WITHIN)
    minutes = int(median(d.total_seconds() for d in delays) // 60) if delays else None
    return Responsiveness(len(started), in_time / len(started), minutes)


def _reputation(row: Any) -> dict[str, Any]:
    if row is None:
        return {"score": None, "mean": None, "reviews": 0, "counterparties": 0, "job_success": None}
    return {
        "score": round(row.score, 2) if row.score is not None else None,
        "mean": round(row.mean, 2) if row.mean is not None else None,
        "reviews": row.reviews,
        "counterparties": row.counterparties,
        "job_success": round(row.job_success, 3) if row.job_success is not None else None,
    }


def profile_of(*, user_id: Any, reviews_each: int = 10) -> dict[str, Any]:
    """Everything the public profile shows, JSON-ready except the reviews (model rows)."""
    user = member_public(user_id=user_id)
    reputations = selectors.reputations_of(user_id=user.pk)
    response = responsiveness(user_id=user.pk)
    return {
        "user": user,
        "member_since": user.date_joined,
        "reputation": {role.value: _reputation(reputations[role]) for role in Role},
        "completed_by_category": completed_by_category(user_id=user.pk),
        "response": {
            "requests": response.requests,
            "rate": round(response.rate, 3) if response.rate is not None else None,
            "median_minutes": response.median_minutes,
        },
        "badges": accounts_selectors.badges_of(user=user),
        # Verified work (linked to a completed deal) comes first: it weighs more than a test.
        "portfolio": list(portfolio.portfolio_of(user=user)[:12]),
        "reviews": {
            role.value: list(selectors.reviews_received(user_id=user.pk, role=role)[:reviews_each])
            for role in Role
        },
    }
