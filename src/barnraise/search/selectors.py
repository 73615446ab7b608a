"""Reads for search: run a query, and the saved searches of a member."""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.catalog.availability import free_seats, taken_for
from barnraise.catalog.models import Listing
from barnraise.catalog.selectors import calendar_rules, listings_with_relations
from barnraise.db import as_uuid
from barnraise.replica import read_connection
from barnraise.search.backends import dialect
from barnraise.search.backends.base import (
    CANDIDATE_COUNT,
    CANDIDATES,
    DISTANCE,
    SORT_KEY,
    Dialect,
    Row,
    build,
    count_capped_sql,
    walk_window,
)
from barnraise.search.models import SavedSearch
from barnraise.search.query import SearchQuery, search_cursor

# With a window, rows are fetched in growing batches and thinned out by the availability check:
# the first batch is a little more than a page (most listings are usually free), then wider.
FIRST_BATCH_FACTOR = 2
BATCH = 200  # the largest batch


@dataclass
class Hit:
    listing: Listing
    distance_km: float | None


# A search's total is counted up to this many (docs/search.md): past it, "1,000+".
COUNT_CAP = 1000


@dataclass(frozen=True)
class Total:
    count: int  # at most the cap
    capped: bool  # True when more than `count` match


@dataclass
class Results:
    hits: list[Hit]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Summary:
    """What a search result shows, read by one hand-written statement (backends.base.SUMMARIES)."""

    id: int
    public_id: str  # UUIDs as their canonical text: the API sends them as text anyway
    kind: str
    title: str
    price_amount_minor: int
    currency: str
    unit: str
    public_lat: float
    public_lng: float
    rating_score: float | None
    category_slug: str
    category_name: str
    author_id: str
    author_name: str
    photo_id: str | None
    photo_thumbnail: str | None  # the storage name of the first photo's thumbnail
    photo_alt_text: str | None
    distance_km: float | None
    author_badges: list[dict[str, str]]  # verifications and credentials (accounts.verification)


@dataclass
class SummaryResults:
    hits: list[Summary]
    next_cursor: str | None


def _rows(query: SearchQuery, limit: int) -> list[Row]:
    d = dialect()
    records: list[Any] = []
    with read_connection().cursor() as cursor:
        for floor in id_floors(query, d, cursor):
            for prefix in prefix_attempts(query, d):
                built = build(query, d, limit, id_floor=floor, prefix=prefix)
                cursor.execute(built.sql, built.params)
                records = cursor.fetchall()
                if prefix or _candidates_full(query, d, floor, records, cursor):
                    break
            if len(records) >= limit:
                break
    return [Row(r[0], r[SORT_KEY], r[DISTANCE], *r[1:SORT_KEY]) for r in records]


def prefix_attempts(query: SearchQuery, d: Dialect) -> tuple[bool, ...]:
    """Whether the last word is a prefix, attempt by attempt. Where a prefix query is expensive
    (FTS5), relevance first takes the word whole; if that fills the CANDIDATES, those are the
    candidates (the word is common: its completions add nothing a user would miss), else the
    prefix runs too (a word being typed, or a rare one)."""
    if query.words and query.sort == "relevance" and d.exact_first:
        return (False, True)
    return (True,)


def _candidates_full(
    query: SearchQuery, d: Dialect, floor: int | None, records: list[Any], cursor: Any
) -> bool:
    """Did the whole-word statement rank CANDIDATES? Its rows say so, if it has any."""
    if records:
        return int(records[0][CANDIDATE_COUNT]) >= CANDIDATES
    if query.after is None:
        return False
    # Past the last page the keyset leaves no row: ask the candidates alone, as page one did.
    first_page = replace(query, after=None)
    built = build(first_page, d, 1, id_floor=floor, prefix=False)
    cursor.execute(built.sql, built.params)
    found = cursor.fetchall()
    return bool(found) and int(found[0][CANDIDATE_COUNT]) >= CANDIDATES


# The newest listing id, read at most once a second per process and database. Any value is
# correct: a walk that fills a page from ids above the floor has found exactly the newest
# matches whatever the floor, and one that does not is followed by the query without a floor.
TOP_ID_SECONDS = 1.0
_top_ids: dict[str, tuple[float, int]] = {}


def _top_id(cursor: Any) -> int:
    key = str(read_connection().settings_dict.get("NAME"))
    now = monotonic()
    cached = _top_ids.get(key)
    if cached is not None and now - cached[0] < TOP_ID_SECONDS:
        return cached[1]
    cursor.execute("SELECT max(id) FROM catalog_listing")
    top = int(cursor.fetchone()[0] or 0)
    _top_ids[key] = (now, top)
    return top


def id_floors(query: SearchQuery, d: Dialect, cursor: Any) -> Iterator[int | None]:
    """Id floors to try in turn, None meaning none. For `newest`, first a walk down the newest
    NEWEST_WINDOW ids by primary key: if it finds a full page, those are exactly the newest
    matches (dense filters, the common case, answer in well under a millisecond); if not, the
    database's own plan (the place index, say) runs without a floor. On PostgreSQL, text with a
    place takes its relevance candidates from a shorter walk first (PLACED_TEXT_WINDOW): a
    bitmap AND of the GIN and place indexes over a dense city costs hundreds of milliseconds."""
    placed_text = query.sort == "relevance" and not d.rank_with_match and (query.point or query.bbox)
    if query.sort != "newest" and not placed_text:
        yield None
        return
    top = _top_id(cursor)
    if top > 0:  # a table smaller than the window is walked whole (floor 0): no sort of a city
        yield max(top - walk_window(query), 0)
    yield None
    yield None


def _free_ids(rows: list[Row], query: SearchQuery) -> set[int]:
    """Ids among `rows` with `query.seats` free for the whole window, within their rules."""
    assert query.window is not None  # noqa: S101 - only called with a window
    if not rows:  # (an empty IN list is an error on PostgreSQL)
        return set()
    start, end = query.window
    now = timezone.now()
    ids = [r.id for r in rows]
    slots, exceptions = calendar_rules(ids, start, end)
    # Seats already held by bookings (commerce registers how to read them with catalog).
    calendars = {r.id: None if r.calendar_id is None else as_uuid(r.calendar_id) for r in rows}
    taken = taken_for(list(calendars.values()), start, end)
    zones: dict[str, ZoneInfo] = {}
    free = set()
    for row in rows:
        if start < now + timedelta(hours=row.min_notice_hours):
            continue
        if start > now + timedelta(days=row.max_advance_days):
            continue
        seats = free_seats(
            slots=slots.get(row.id, []),
            exceptions=exceptions.get(row.id, []),
            zone=zones.get(row.timezone) or zones.setdefault(row.timezone, ZoneInfo(row.timezone)),
            start=start,
            end=end,
            taken=taken.get(calendars.get(row.id), []),
        )
        if seats >= query.seats:
            free.add(row.id)
    return free


def first_batch(query: SearchQuery) -> int:
    """How many rows the first query fetches: one more than a page, more when a window thins them."""
    if query.window is None:
        return query.limit + 1
    return min((query.limit + 1) * FIRST_BATCH_FACTOR, BATCH)


def _matching_rows(query: SearchQuery) -> Iterator[Row]:
    """Rows in sort order; with a window, only those free for it, fetched batch by batch."""
    if query.window is None:
        yield from _rows(query, first_batch(query))
        return
    size = first_batch(query)
    while True:
        batch = _rows(query, size)
        free = _free_ids(batch, query)
        yield from (row for row in batch if row.id in free)
        if len(batch) < size:
            return
        last = batch[-1]
        query.after = [last.key, last.id]
        size = min(size * 4, BATCH)


def _page(query: SearchQuery) -> tuple[list[Row], str | None]:
    """The page's rows in order, and the cursor of the next page if there is one."""
    rows: list[Row] = []
    for row in _matching_rows(query):
        rows.append(row)
        if len(rows) > query.limit:
            break
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = search_cursor(query.sort, rows[-1].key, rows[-1].id) if more and rows else None
    return rows, cursor


def _km(row: Row) -> float | None:
    return None if row.distance_km is None else round(float(row.distance_km), 1)


def count_capped(query: SearchQuery, cap: int | None = None) -> Total:
    """How many listings match `query` (its cursor aside), counted no further than `cap` (by
    default COUNT_CAP): a LIMIT under the search's own conditions, so a common search at a
    million listings stops after cap + 1 rows. With a window, the listings free for it are
    counted, batch by batch as the search finds them, up to the cap too."""
    cap = COUNT_CAP if cap is None else cap
    if query.window is not None:
        counted = 0
        walk = replace(query, after=None, sort="newest", limit=cap, words=list(query.words))
        for _row in _matching_rows(walk):
            counted += 1
            if counted > cap:
                break
        return Total(min(counted, cap), counted > cap)
    d = dialect()
    counted = 0
    with read_connection().cursor() as cursor:
        for prefix in (False, True) if query.words and d.exact_first else (True,):
            # FTS5: the whole word first; its completions only when it finds fewer than the cap.
            built = count_capped_sql(query, d, cap, prefix=prefix)
            cursor.execute(built.sql, built.params)
            counted = int(cursor.fetchone()[0])
            if counted > cap:
                break
    return Total(min(counted, cap), counted > cap)


def listings_search(query: SearchQuery) -> Results:
    """Search, with each hit a full Listing (author, category and photos loaded): for pages."""
    rows, cursor = _page(query)
    listings = listings_with_relations().in_bulk([r.id for r in rows])
    hits = [Hit(listings[r.id], _km(r)) for r in rows if r.id in listings]
    return Results(hits, cursor)


def _uuid(value: Any) -> str:
    """A UUID's canonical text. SQLite keeps 32 hex digits; psycopg returns uuid.UUID."""
    if isinstance(value, uuid.UUID):
        return str(value)
    h = str(value)
    if len(h) != 32:
        return str(uuid.UUID(h))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _badges(value: Any) -> list[dict[str, str]]:
    """The author's badges column: JSON text on SQLite, already decoded on PostgreSQL."""
    found = json.loads(value) if isinstance(value, str) else value
    return [b for b in found if isinstance(b, dict)] if isinstance(found, list) else []


def listing_summaries_search(query: SearchQuery) -> SummaryResults:
    """Search, with each hit a Summary read in one statement: what GET /api/v1/listings returns."""
    rows, cursor = _page(query)
    if not rows:
        return SummaryResults([], cursor)
    found = {record[0]: record for record in dialect().summaries([r.id for r in rows])}
    hits = []
    for row in rows:
        record = found.get(row.id)
        if record is None:  # deleted since the search statement ran
            continue
        (id_, public_id, kind, title, amount, currency, unit, lat, lng, rating) = record[:10]
        (slug, category, author_id, author, photo_id, thumbnail, alt_text, badges) = record[10:]
        hits.append(
            Summary(
                id=id_,
                public_id=_uuid(public_id),
                kind=kind,
                title=title,
                price_amount_minor=amount,
                currency=currency,
                unit=unit,
                public_lat=lat,
                public_lng=lng,
                rating_score=rating,
                category_slug=slug,
                category_name=category,
                author_id=_uuid(author_id),
                author_name=author,
                photo_id=None if photo_id is None else _uuid(photo_id),
                photo_thumbnail=thumbnail,
                photo_alt_text=alt_text,
                distance_km=_km(row),
                author_badges=_badges(badges),
            )
        )
    return SummaryResults(hits, cursor)


def saved_searches_for(*, user: User) -> Any:
    return SavedSearch.objects.filter(user=user).order_by("-id")


def saved_searches_export_for(user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": str(s.id),
            "name": s.name,
            "params": s.params,
            "alerts": s.alerts,
            "created_at": s.created_at.isoformat(),
        }
        for s in SavedSearch.objects.filter(user=user).order_by("id")
    ]
