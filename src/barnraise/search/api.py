import json
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from barnraise.api.auth import bearer_or_anonymous, caller
from barnraise.api.pagination import PageParams, page_by_id
from barnraise.api.schemas import InputSchema, Page, StrictBool
from barnraise.api.strict import own_input
from barnraise.catalog.schemas import ListingSummaryOut
from barnraise.catalog.selectors import marketplace_area
from barnraise.money import Money
from barnraise.places import gazetteer, geocoder
from barnraise.search import query, selectors, services

router = Router(tags=["search"])
search_router = Router(tags=["listings"])  # GET /listings; POST /listings is catalog's


class SearchParams(InputSchema):
    """Documented here; parsed by barnraise.search.query, which also reads `attr.<name>`."""

    q: str | None = Field(None, description="Words to find in titles and descriptions.")
    kind: str | None = Field(None, description="sale, rental, service or request.")
    category: str | None = Field(None, description="A category slug; includes subcategories.")
    lat: str | None = Field(None, description="With lng: search around this point.")
    lng: str | None = None
    radius_km: str | None = Field(None, description="Around lat/lng; default 25, at most 500.")
    bbox: str | None = Field(None, description="minLng,minLat,maxLng,maxLat (the map's view).")
    min_price: str | None = Field(None, description="Minor units; needs currency.")
    max_price: str | None = Field(None, description="Minor units; needs currency.")
    currency: str | None = None
    start: str | None = Field(None, description="With end: free for the whole window (with offset).")
    end: str | None = None
    seats: str | None = Field(None, description="Seats needed in the window; default 1.")
    sort: str | None = Field(None, description="relevance, distance, price, -price, rating, newest.")
    limit: str | None = Field(None, description="At most 100; default 20.")
    cursor: str | None = None


# GET /api/v1/listings documents these without ninja parsing them into SearchParams on every
# search (search.query.parse reads the query string itself): 0.2-0.3 ms a request.
SEARCH_PARAMETERS = [
    {
        "in": "query",
        "name": name,
        "required": False,
        "schema": {"type": "string"},
        **({"description": field.description} if field.description else {}),
    }
    for name, field in SearchParams.model_fields.items()
]


class SearchMatchesOut(Schema):
    count: int = Field(description="How many listings match, counted up to a cap (1,000).")
    capped: bool = Field(description="True when more than `count` match: show it as 1,000+.")


class SearchPageOut(Page[ListingSummaryOut]):
    matches: SearchMatchesOut


class SavedSearchIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    params: dict[str, str] = Field(description='The search\'s query parameters, e.g. {"q": "bike"}.')
    alerts: StrictBool = True


class SavedSearchOut(Schema):
    id: UUID
    name: str
    params: dict[str, Any]
    alerts: bool
    created_at: datetime
    last_run_at: datetime | None


@router.get("", response=Page[SavedSearchOut], summary="Your saved searches")
def saved_searches(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    rows, cursor = page_by_id(selectors.saved_searches_for(user=caller(request)), params)
    return {"results": rows, "next_cursor": cursor}


@router.post("", response={201: SavedSearchOut}, summary="Save a search and get a daily digest")
def saved_search_create(request: HttpRequest, data: SavedSearchIn) -> Status[Any]:
    saved = services.saved_search_create(
        actor=caller(request), name=data.name, params=data.params, alerts=data.alerts
    )
    return Status(201, saved)


@router.delete("/{saved_search_id}", response={204: None}, summary="Forget a saved search")
def saved_search_delete(request: HttpRequest, saved_search_id: UUID) -> Status[None]:
    services.saved_search_delete(actor=caller(request), saved_search_id=saved_search_id)
    return Status(204, None)


@lru_cache(maxsize=8192)
def _price(amount_minor: int, currency: str) -> dict[str, object]:
    """Formatted with babel, which is slow enough to cache: search results repeat prices."""
    return Money(amount_minor, currency).as_json()


def listing_summary_out(hit: selectors.Summary) -> dict[str, Any]:
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


@search_router.get(
    "",
    auth=bearer_or_anonymous,
    response=SearchPageOut,
    summary="Search listings",
    openapi_extra={"parameters": SEARCH_PARAMETERS},
)
@own_input  # search.query.parse refuses unknown parameters itself, and reads attr.<name>
def listings_search(request: HttpRequest) -> HttpResponse:
    """Text, kind, category, place (point and radius, or the map's bbox), price, a window of
    free time, and `attr.<name>=value` for a category's filterable attributes. Keyset paging.
    Each result is a summary; GET /listings/{id} has the description, rules and photos.
    `matches` is how many match, counted up to a cap (`capped` past it)."""
    parsed = query.parse(request.GET.dict())
    total = selectors.count_capped(parsed)
    results = selectors.listing_summaries_search(parsed)
    page = {
        "results": [listing_summary_out(hit) for hit in results.hits],
        "next_cursor": results.next_cursor,
        "matches": {"count": total.count, "capped": total.capped},
    }
    # Built to the documented schema from plain JSON values, so it is encoded directly: ninja's
    # response validation (a pydantic model per result, through its getter wrappers) took about
    # as long as the search itself. A test holds the output to SearchPageOut.
    body = json.dumps(page, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), content_type="application/json; charset=utf-8")


places_router = Router(tags=["places"])


class PlacesParams(InputSchema):
    q: str = Field(min_length=1, max_length=200, description="The start of a place's name: 'Burl'.")
    limit: int = Field(5, ge=1, le=20)


class LocateParams(InputSchema):
    q: str = Field(min_length=1, max_length=300, description="An address or a place's name.")


class PointOut(Schema):
    lat: float
    lng: float


class PlaceOut(Schema):
    id: int = Field(description="GeoNames' id of the place.")
    name: str
    region: str = Field(description="The region's name where the data has one (US states); else empty.")
    country: str
    country_code: str
    label: str = Field(description="What to show: 'Burlington, Vermont, United States'.")
    location: PointOut
    radius_km: int = Field(description="How far a search for this place reaches (lat, lng, radius_km).")
    time_zone: str


class PlacesOut(Schema):
    results: list[PlaceOut]
    attribution: str


class LocatedOut(Schema):
    location: PointOut
    label: str
    precision: str = Field(description="`address` from the geocoder, or `town` when only the town was found.")
    time_zone: str = Field(description="The town's IANA zone when the point is a town's; else empty.")


def place_out(place: gazetteer.Place) -> dict[str, Any]:
    return {
        "id": place.id,
        "name": place.name,
        "region": place.region,
        "country": place.country,
        "country_code": place.country_code,
        "label": place.label,
        "location": {"lat": place.lat, "lng": place.lng},
        "radius_km": place.radius_km,
        "time_zone": place.time_zone,
    }


@places_router.get("", auth=bearer_or_anonymous, response=PlacesOut, summary="Places whose name starts so")
def places(request: HttpRequest, params: Query[PlacesParams]) -> dict[str, Any]:
    found = gazetteer.suggest(params.q, near=marketplace_area(), limit=params.limit)
    return {"results": [place_out(place) for place in found], "attribution": gazetteer.ATTRIBUTION}


@places_router.get(
    "/locate", auth=bearer_or_anonymous, response=LocatedOut, summary="An address or place as a point"
)
def places_locate(request: HttpRequest, params: Query[LocateParams]) -> dict[str, Any]:
    located = geocoder.locate(params.q, near=marketplace_area())
    if located is None:
        raise geocoder.PlaceNotFound()
    return {
        "location": {"lat": located.lat, "lng": located.lng},
        "label": located.label,
        "precision": located.precision,
        "time_zone": located.time_zone,
    }
