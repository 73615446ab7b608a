import json
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from barnraise.accounts.models import User
from barnraise.api.auth import bearer_or_anonymous, caller, caller_or_none
from barnraise.api.pagination import PageParams, a_text, decode_cursor, encode_cursor
from barnraise.api.schemas import Page
from barnraise.api.strict import own_input
from barnraise.catalog import cancellation_policies, selectors, services
from barnraise.catalog.models import Listing
from barnraise.catalog.schemas import (
    AvailabilityIn,
    AvailabilityIO,
    CategoryOut,
    ListingIn,
    ListingOut,
    ListingPatch,
    ListingSummaryOut,
)
from barnraise.errors import NaiveDatetime
from barnraise.markup import render_markdown
from barnraise.money import Money
from barnraise.search import query as search_query
from barnraise.search import selectors as search_selectors
from barnraise.search.api import SEARCH_PARAMETERS

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


@lru_cache(maxsize=8192)
def _price(amount_minor: int, currency: str) -> dict[str, object]:
    """Formatted with babel, which is slow enough to cache: search results repeat prices."""
    return Money(amount_minor, currency).as_json()


def listing_summary_out(hit: search_selectors.Summary) -> dict[str, Any]:
    """A search result (ListingSummaryOut): no description, rules or author-only fields."""
    photo = None
    if hit.photo_id is not None and hit.photo_thumbnail:
        photo = {
            "id": hit.photo_id,
            "thumbnail_url": default_storage.url(hit.photo_thumbnail),
            "alt_text": hit.photo_alt_text or "",
        }
    return {
        "id": hit.public_id,
        "kind": hit.kind,
        "category": {"slug": hit.category_slug, "name": hit.category_name},
        "title": hit.title,
        "price": dict(_price(hit.price_amount_minor, hit.currency)),
        "unit": hit.unit,
        "location": {"lat": hit.public_lat, "lng": hit.public_lng},
        "rating_score": hit.rating_score,
        "author": {"id": hit.author_id, "name": hit.author_name},
        "photo": photo,
        "distance_km": hit.distance_km,
        "author_badges": hit.author_badges,
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


@router.get(
    "",
    auth=bearer_or_anonymous,
    response=Page[ListingSummaryOut],
    summary="Search listings",
    openapi_extra={"parameters": SEARCH_PARAMETERS},
)
@own_input  # search.query.parse refuses unknown parameters itself, and reads attr.<name>
def listings_search(request: HttpRequest) -> HttpResponse:
    """Text, kind, category, place (point and radius, or the map's bbox), price, a window of
    free time, and `attr.<name>=value` for a category's filterable attributes. Keyset paging.
    Each result is a summary; GET /listings/{id} has the description, rules and photos."""
    results = search_selectors.listing_summaries_search(search_query.parse(request.GET.dict()))
    page = {
        "results": [listing_summary_out(hit) for hit in results.hits],
        "next_cursor": results.next_cursor,
    }
    # Built to the documented schema from plain JSON values, so it is encoded directly: ninja's
    # response validation (a pydantic model per result, through its getter wrappers) took about
    # as long as the search itself. A test holds the output to Page[ListingSummaryOut].
    body = json.dumps(page, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), content_type="application/json; charset=utf-8")


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
    return listing_out(selectors.listing_visible(public_id=listing_id, viewer=viewer), viewer)


@router.patch("/{listing_id}", response=ListingOut, summary="Change your listing")
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
