"""Reviews and public profiles: /transactions/{id}/reviews, /reviews/{id}/reply, /users/{id}."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from barnraise.accounts.credentials_api import PortfolioItemOut, portfolio_item_out
from barnraise.api.auth import bearer_or_anonymous, caller, caller_or_none
from barnraise.api.pagination import PageParams, page_by_id
from barnraise.api.schemas import ErrorOut, InputSchema, Page
from barnraise.commerce import selectors as commerce_selectors
from barnraise.replica import replica_reads
from barnraise.reputation import profile, selectors, services
from barnraise.reputation.models import Review

reviews_router = Router(tags=["reviews"])
replies_router = Router(tags=["reviews"])
users_router = Router(tags=["profiles"])


class ReviewIn(InputSchema):
    rating: int = Field(description="1 to 5 stars.")
    text: str = Field("", max_length=5000)
    sub_ratings: dict[str, int] | None = Field(
        None, description='Stars per aspect of the listing\'s category, e.g. {"punctuality": 5}.'
    )
    private_score: int | None = Field(
        None, description="0–10: would you recommend them? Never shown; it only feeds reputation."
    )


class MemberBrief(Schema):
    id: UUID
    name: str


class ReviewOut(Schema):
    id: UUID
    transaction_id: UUID
    author: MemberBrief
    subject: MemberBrief
    subject_role: str = Field(description="`provider` or `customer`: the part the reviewed member played.")
    listing_title: str
    rating: int
    sub_ratings: dict[str, int]
    text: str
    published: bool = Field(description="False while hidden: until both have reviewed or the window closes.")
    created_at: datetime
    published_at: datetime | None
    reply: str | None
    replied_at: datetime | None


def review_out(review: Review) -> dict[str, Any]:
    return {
        "id": review.id,
        "transaction_id": review.transaction_id,
        "author": {"id": review.author_id, "name": review.author.name},
        "subject": {"id": review.subject_id, "name": review.subject.name},
        "subject_role": review.subject_role,
        "listing_title": review.listing.title,
        "rating": review.rating,
        "sub_ratings": review.sub_ratings,
        "text": review.text,
        "published": review.published_at is not None,
        "created_at": review.created_at,
        "published_at": review.published_at,
        "reply": review.reply or None,
        "replied_at": review.replied_at,
    }


@reviews_router.post(
    "/{transaction_id}/reviews",
    response={201: ReviewOut, 404: ErrorOut, 409: ErrorOut},
    summary="Review the other party of a completed deal",
)
def review_create(request: HttpRequest, transaction_id: UUID, data: ReviewIn) -> Status[dict[str, Any]]:
    """Once per party, while reviews are open (`review_window_days` after completion). Hidden
    until the other party has reviewed too or the window closes.

    Errors: 409 `not_reviewable` (the deal is not completed: cancelled, declined, running…),
    409 `review_window_closed`, 409 `already_reviewed`; 404 for anyone not a party."""
    review = services.review_create(
        actor=caller(request),
        transaction_id=transaction_id,
        rating=data.rating,
        text=data.text,
        sub_ratings=data.sub_ratings,
        private_score=data.private_score,
    )
    return Status(201, review_out(review))


@reviews_router.get(
    "/{transaction_id}/reviews", response={200: list[ReviewOut], 404: ErrorOut}, summary="A deal's reviews"
)
def reviews_of_transaction(request: HttpRequest, transaction_id: UUID) -> list[dict[str, Any]]:
    """For its parties: their own review, and the other's once published."""
    actor = caller(request)
    tx = commerce_selectors.transaction_visible(actor=actor, transaction_id=transaction_id)
    reviews = selectors.reviews_of_transaction(transaction_id=tx.pk)
    return [review_out(r) for r in reviews if r.author_id == actor.pk or (r.published_at and not r.hidden_at)]


class ReplyIn(InputSchema):
    text: str = Field(max_length=2000)


@replies_router.post(
    "/{review_id}/reply",
    response={200: ReviewOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Reply in public to a review of you",
)
def review_reply(request: HttpRequest, review_id: UUID, data: ReplyIn) -> dict[str, Any]:
    """One reply per review, by the member reviewed, once the review is published.

    Errors: 409 `already_replied`; 403 for anyone else; 404 while the review is hidden."""
    return review_out(services.review_reply(actor=caller(request), review_id=review_id, text=data.text))


class ReviewsQuery(PageParams):
    role: Literal["provider", "customer"] | None = Field(
        None, description="Only reviews of the member as provider, or as customer."
    )


@users_router.get(
    "/{user_id}/reviews",
    auth=bearer_or_anonymous,
    response={200: Page[ReviewOut], 404: ErrorOut},
    summary="Published reviews of a member",
)
def reviews_received(request: HttpRequest, user_id: UUID, query: Query[ReviewsQuery]) -> dict[str, Any]:
    member = profile.member_public(user_id=user_id)
    rows, cursor = page_by_id(selectors.reviews_received(user_id=member.pk, role=query.role), query)
    return {"results": [review_out(r) for r in rows], "next_cursor": cursor}


class ReputationOut(Schema):
    score: float | None = Field(description="Bayesian average, 1–5 (docs/trust.md).")
    mean: float | None = Field(description="The plain mean of the public stars.")
    reviews: int
    counterparties: int
    job_success: float | None = Field(description="0–1; empty below the minimum number of deals.")


class CategoryCount(Schema):
    category: str | None
    name: str | None
    as_provider: int
    as_customer: int


class ResponseOut(Schema):
    requests: int
    rate: float | None = Field(description="Share of requests answered within 24 hours.")
    median_minutes: int | None


class BadgeOut(Schema):
    kind: str
    label: str


class ProfileReviews(Schema):
    provider: list[ReviewOut]
    customer: list[ReviewOut]


class ProfileOut(Schema):
    id: UUID
    name: str
    bio: str
    location: str
    avatar_url: str | None
    member_since: datetime
    reputation: dict[str, ReputationOut] = Field(description="Keyed `provider` and `customer`.")
    completed_by_category: list[CategoryCount]
    response: ResponseOut
    badges: list[BadgeOut]
    portfolio: list[PortfolioItemOut] = Field(description="Verified work first; at most 12.")
    reviews: ProfileReviews = Field(description="The latest ten of each; page with /users/{id}/reviews.")


def profile_out(data: dict[str, Any]) -> dict[str, Any]:
    user = data["user"]
    return {
        "id": user.id,
        "name": user.name,
        "bio": user.bio,
        "location": user.location,
        "avatar_url": user.avatar.url if user.avatar else None,
        "member_since": data["member_since"],
        "reputation": data["reputation"],
        "completed_by_category": data["completed_by_category"],
        "response": data["response"],
        "badges": data["badges"],
        "portfolio": [portfolio_item_out(item) for item in data["portfolio"]],
        "reviews": {role: [review_out(r) for r in rows] for role, rows in data["reviews"].items()},
    }


@users_router.get(
    "/{user_id}",
    auth=bearer_or_anonymous,
    response={200: ProfileOut, 404: ErrorOut},
    summary="A member's public profile",
)
def user_profile(request: HttpRequest, user_id: UUID) -> dict[str, Any]:
    if caller_or_none(request) is not None:  # a member reads the primary: their own edits at once
        return profile_out(profile.profile_of(user_id=user_id))
    with replica_reads():  # anyone else may read a moment behind (barnraise.replica)
        return profile_out(profile.profile_of(user_id=user_id))
