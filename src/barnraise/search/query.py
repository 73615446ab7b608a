"""The search query: parsed from query-string parameters, validated, normalised.

Every problem raises InvalidInput whose details name the parameter, so clients can point at it.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from barnraise import moments
from barnraise.api.pagination import a_number, a_row_id, an_integer, decode_cursor, encode_cursor, the_tag
from barnraise.catalog.attributes import filter_value
from barnraise.catalog.models import Kind
from barnraise.catalog.selectors import category_paths
from barnraise.errors import InvalidInput, UnknownField
from barnraise.money import check_currency

SORTS = ("relevance", "distance", "price", "-price", "rating", "newest")
MAX_RADIUS_KM = 500.0
DEFAULT_RADIUS_KM = 25.0
WORD_RE = re.compile(r"\w+", re.UNICODE)
KNOWN = {
    "q",
    "kind",
    "category",
    "lat",
    "lng",
    "radius_km",
    "bbox",
    "min_price",
    "max_price",
    "currency",
    "start",
    "end",
    "seats",
    "sort",
    "limit",
    "cursor",
}


@dataclass
class SearchQuery:
    words: list[str] = field(default_factory=list)
    kind: str | None = None
    category_path: str | None = None
    point: tuple[float, float] | None = None  # (lat, lng)
    radius_km: float | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lng, min_lat, max_lng, max_lat
    currency: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    window: tuple[datetime, datetime] | None = None
    seats: int = 1
    attrs: dict[str, Any] = field(default_factory=dict)
    sort: str = "newest"
    limit: int = 20
    after: list[Any] | None = None  # the decoded cursor: the sort key of the last row seen

    def as_params(self) -> dict[str, Any]:
        """A JSON-able description, for saved searches."""
        return {k: v for k, v in self.__dict__.items() if v not in (None, [], {}) and k != "after"}


def _error(param: str, message: str) -> InvalidInput:
    return InvalidInput(_("The parameter %s is not valid.") % param, details={param: [message]})


def _float(params: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(str(raw))
    except ValueError:
        raise _error(name, _("Must be a number.")) from None
    if not low <= value <= high or value != value:
        raise _error(name, _("Must lie between %(low)s and %(high)s.") % {"low": low, "high": high})
    return value


def _int(params: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if not re.fullmatch(r"\d{1,13}", str(raw)):
        raise _error(name, _("Must be a whole number."))
    value = int(str(raw))
    if not low <= value <= high:
        raise _error(name, _("Must lie between %(low)s and %(high)s.") % {"low": low, "high": high})
    return value


def _datetime(params: Mapping[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    # A query string's "+" arrives as a space.
    try:
        return moments.moment(str(raw).replace(" ", "+"), name)
    except InvalidInput:  # a naive one is NaiveDatetime, as everywhere
        raise _error(name, _("Use ISO 8601, e.g. 2026-05-01T10:00:00+02:00.")) from None


def _geo(params: Mapping[str, str], query: SearchQuery) -> None:
    lat, lng = _float(params, "lat", -90, 90), _float(params, "lng", -180, 180)
    if (lat is None) != (lng is None):
        raise _error("lat" if lat is None else "lng", _("Give lat and lng together."))
    if lat is not None and lng is not None:
        query.point = (lat, lng)
        query.radius_km = _float(params, "radius_km", 0.1, MAX_RADIUS_KM) or DEFAULT_RADIUS_KM
    elif params.get("radius_km"):
        raise _error("radius_km", _("Give lat and lng with a radius."))
    if params.get("bbox"):
        parts = str(params["bbox"]).split(",")
        try:
            min_lng, min_lat, max_lng, max_lat = (float(p) for p in parts)
        except ValueError:
            raise _error("bbox", _("Use minLng,minLat,maxLng,maxLat.")) from None
        if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise _error("bbox", _("Use minLng,minLat,maxLng,maxLat within the world."))
        query.bbox = (min_lng, min_lat, max_lng, max_lat)


def _price(params: Mapping[str, str], query: SearchQuery) -> None:
    query.min_price = _int(params, "min_price", 0, 10**12)
    query.max_price = _int(params, "max_price", 0, 10**12)
    if params.get("currency"):
        query.currency = check_currency(str(params["currency"]))
    if (query.min_price is not None or query.max_price is not None) and not query.currency:
        raise _error("currency", _("Prices are compared within one currency: give currency."))
    if query.min_price is not None and query.max_price is not None and query.min_price > query.max_price:
        raise _error("max_price", _("Must be at least min_price."))


def _window(params: Mapping[str, str], query: SearchQuery) -> None:
    start, end = _datetime(params, "start"), _datetime(params, "end")
    if (start is None) != (end is None):
        raise _error("end" if end is None else "start", _("Give start and end together."))
    if start is not None and end is not None:
        if end <= start:
            raise _error("end", _("Must be after start."))
        query.window = (start, end)
    query.seats = _int(params, "seats", 1, 1000) or 1


def _attributes(params: Mapping[str, str], query: SearchQuery) -> None:
    names = [key for key in params if key.startswith("attr.")]
    if not names:
        return
    if not query.category_path:
        raise _error(names[0], _("Attribute filters need a category."))
    schema = category_paths().attributes_under(query.category_path)
    for key in names:
        definition = schema.get(key[5:])
        if definition is None or not definition.get("filterable"):
            raise _error(key, _("No filterable attribute of this name in the category."))
        try:
            query.attrs[definition["name"]] = filter_value(definition, str(params[key]))
        except ValueError as exc:
            raise _error(key, str(exc)) from None


def parse(params: Mapping[str, str]) -> SearchQuery:
    unknown = [k for k in params if k not in KNOWN and not k.startswith("attr.")]
    if unknown:
        raise UnknownField(details={name: [_("Unknown parameter.")] for name in unknown})
    query = SearchQuery(words=WORD_RE.findall(str(params.get("q") or "").lower())[:12])
    if params.get("kind"):
        if params["kind"] not in Kind.values:
            raise _error("kind", _("Choose one of: %s.") % ", ".join(Kind.values))
        query.kind = str(params["kind"])
    if params.get("category"):
        path = category_paths().path_by_slug.get(str(params["category"]))
        if path is None:
            raise _error("category", _("No category with this slug."))
        query.category_path = path
    _geo(params, query)
    _price(params, query)
    _window(params, query)
    _attributes(params, query)
    sort = str(params.get("sort") or ("relevance" if query.words else "newest"))
    if sort not in SORTS:
        raise _error("sort", _("Choose one of: %s.") % ", ".join(SORTS))
    if sort == "relevance" and not query.words:
        raise _error("sort", _("Sorting by relevance needs q."))
    if sort == "distance" and not query.point:
        raise _error("sort", _("Sorting by distance needs lat and lng."))
    query.sort = sort
    query.limit = _int(params, "limit", 1, 100) or 20
    if params.get("cursor"):
        query.after = after_cursor(str(params["cursor"]), sort)
    return query


# The sort key's kind, by sort (backends.base.ORDER): a listing id, a price in minor units, or
# a score, rank or distance.
SORT_KEYS = {"newest": an_integer, "price": an_integer, "-price": an_integer}


def search_cursor(sort: str, key: Any, row_id: int) -> str:
    """The cursor of the page after the row with this sort key and id: tied to its sort."""
    return encode_cursor([sort, key, row_id])


def after_cursor(cursor: str, sort: str) -> list[Any]:
    """[sort key, listing id] of a cursor made under `sort`; InvalidCursor for anything else
    (a forged cursor, or one from another sort, whose key would be compared with the wrong column)."""
    _sort, key, row_id = decode_cursor(cursor, the_tag(sort), SORT_KEYS.get(sort, a_number), a_row_id)
    return [key, row_id]
