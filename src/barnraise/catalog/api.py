from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from barnraise.accounts.models import User
from barnraise.api.auth import bearer_or_anonymous, caller, caller_or_none
from barnraise.api.pagination import PageParams, a_text, decode_cursor, encode_cursor
from barnraise.api.schemas import ErrorOut, Page
from barnraise.catalog import cancellation_policies, selectors, services
from barnraise.catalog.models import Listing
from barnraise.catalog.schemas import (
    AvailabilityIn,
    AvailabilityIO,
    CategoryOut,
    ListingIn,
    ListingOut,
    ListingPatch,
)
from barnraise.errors import NaiveDatetime
from barnraise.markup import render_markdown
from barnraise.money import Money
from barnraise.replica import replica_reads

router = Router(tags=["listings"])
categories_router = Router(tags=["listings"])


def listing_out(listing: Listing, viewer: User | None, distance_km: float | None = None) -> dict[str, Any]:
    is_author = viewer is not None and listing.author_id == viewer.pk
    return {
        "id": listing.public_id,
        "kind": listing.kind,
        "category": {"slug": listing.category.slug, "name": listing.category.name},
        "title": listing.title,
        "description": listing.description,
        "description_html": render_markdown(listing.description),
        "attributes": listing.attributes,
        "price": Money(listing.price_amount_minor, listing.currency).as_json(),
        "unit": listing.unit,
        "stock": listing.stock,
        "seats": listing.seats,
        "location": {"lat": listing.public_lat, "lng": listing.public_lng},
        "timezone": listing.timezone,
        "slot_minutes": listing.slot_minutes,
        "min_units": listing.min_units,
        "max_units": listing.max_units,
        "buffer_minutes": listing.buffer_minutes,
        "min_notice_hours": listing.min_notice_hours,
        "max_advance_days": listing.max_advance_days,
        "instant_booking": listing.instant_booking,
        "check_in": listing.check_in,
        "check_out": listing.check_out,
        "cancellation_policy": cancellation_policies.policy_view(listing.cancellation_policy),
        "deadline": listing.deadline,
        "status": listing.status,
        "rejection_reason": listing.rejection_reason if is_author else None,
        "rating_score": listing.rating_score,
        "author": {"id": listing.author.id, "name": listing.author.name},
        "photos": [
            {
                "id": p.id,
                "url": p.image.url,
                "thumbnail_url": p.thumbnail.url,
                "width": p.width,
                "height": p.height,
                "alt_text": p.alt_text,
            }
            for p in listing.photos.all()
        ],
        "created_at": listing.created_at,
        "updated_at": listing.updated_at,
        "distance_km": distance_km,
        "exact_location": {"lat": listing.lat, "lng": listing.lng} if is_author else None,
        "address": listing.address if is_author else None,
    }


def _fields(data: ListingIn | ListingPatch, *, also: tuple[str, ...]) -> dict[str, Any]:
    """API shapes to the service's flat fields (services.EDITABLE_FIELDS, and `also`); only what
    the client sent. `price` and `location` carry two fields each, `category` is a slug."""
    provided = data.model_fields_set
    raw = data.dict(exclude_unset=True)
    fields: dict[str, Any] = {
        k: v for k, v in raw.items() if (k in services.EDITABLE_FIELDS or k in also) and k != "category"
    }
    if "price" in provided and data.price is not None:
        fields["price_amount_minor"] = data.price.amount_minor
        fields["currency"] = data.price.currency
    if "location" in provided and data.location is not None:
        fields["lat"], fields["lng"] = data.location.lat, data.location.lng
    if "category" in provided and data.category is not None:
        fields["category"] = selectors.category_by_slug(data.category)
    if fields.get("deadline") is not None and fields["deadline"].tzinfo is None:
        raise NaiveDatetime("deadline")
    return {k: v for k, v in fields.items() if v is not None or k in ("deadline", "max_units")}


@router.post("", response={201: ListingOut}, summary="Create a listing")
def listing_create(request: HttpRequest, data: ListingIn) -> Status[dict[str, Any]]:
    """Published at once, or `pending_approval` when the marketplace reviews listings first.
    Needs a verified email (403 `email_unverified`)."""
    user = caller(request)
    fields = _fields(data, also=("kind",))
    listing = services.listing_create(actor=user, publish=data.publish, **fields)
    return Status(201, listing_out(selectors.listing_visible(public_id=listing.public_id, viewer=user), user))


@router.get("/{listing_id}", auth=bearer_or_anonymous, response=ListingOut, summary="A listing")
def listing_detail(request: HttpRequest, listing_id: UUID) -> dict[str, Any]:
    viewer = caller_or_none(request)
    if viewer is not None:  # a member (perhaps the author) reads the primary: their edits at once
        return listing_out(selectors.listing_visible(public_id=listing_id, viewer=viewer), viewer)
    with replica_reads():  # anyone else may read a moment behind (barnraise.replica)
        return listing_out(selectors.listing_visible(public_id=listing_id, viewer=None), None)


@router.patch(
    "/{listing_id}",
    response={200: ListingOut, 409: ErrorOut},
    summary="Change your listing (409 `conflict` once it is closed)",
)
def listing_update(request: HttpRequest, listing_id: UUID, data: ListingPatch) -> dict[str, Any]:
    user = caller(request)
    changes = _fields(data, also=("status",))
    services.listing_update(actor=user, public_id=listing_id, changes=changes)
    return listing_out(selectors.listing_visible(public_id=listing_id, viewer=user), user)


@router.delete("/{listing_id}", response=ListingOut, summary="Close your listing")
def listing_close(request: HttpRequest, listing_id: UUID) -> dict[str, Any]:
    user = caller(request)
    services.listing_close(actor=user, public_id=listing_id)
    return listing_out(selectors.listing_visible(public_id=listing_id, viewer=user), user)


@router.get(
    "/{listing_id}/availability",
    auth=bearer_or_anonymous,
    response=AvailabilityIO,
    summary="The weekly plan and exceptions",
)
def availability_get(request: HttpRequest, listing_id: UUID) -> dict[str, Any]:
    listing = selectors.listing_visible(public_id=listing_id, viewer=caller_or_none(request))
    return selectors.availability_of(listing)


@router.put("/{listing_id}/availability", response=AvailabilityIO, summary="Replace the availability")
def availability_put(request: HttpRequest, listing_id: UUID, data: AvailabilityIn) -> dict[str, Any]:
    """Weekly plan in the listing's local time; exceptions as UTC instants with offsets."""
    for index, exc in enumerate(data.exceptions):
        if exc.start.tzinfo is None or exc.end.tzinfo is None:
            raise NaiveDatetime(f"exceptions[{index}]")
    listing = services.availability_set(
        actor=caller(request),
        public_id=listing_id,
        weekly=[slot.dict() for slot in data.weekly],
        exceptions=[exc.dict() for exc in data.exceptions],
    )
    return selectors.availability_of(listing)


@categories_router.get("", auth=None, response=Page[CategoryOut], summary="All categories, tree order")
def categories(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    after = decode_cursor(params.cursor, a_text)[0] if params.cursor else None
    found = selectors.categories_all(after_path=after, limit=params.limit + 1)
    rows = [
        {
            "id": c.id,
            "slug": c.slug,
            "name": c.name,
            "parent": c.parent.slug if c.parent else None,
            "path": c.path,
            "kinds": c.kinds,
            "attribute_schema": c.attribute_schema,
        }
        for c in found[: params.limit]
    ]
    more = len(found) > params.limit
    return {"results": rows, "next_cursor": encode_cursor([rows[-1]["path"]]) if more else None}
