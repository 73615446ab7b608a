"""Build the search SQL from a SearchQuery. Dialects supply text, distance and JSON pieces."""

import math
from dataclasses import dataclass
from typing import Any, Protocol

from barnraise.db import marks
from barnraise.search.query import SearchQuery

EARTH_KM = 6371.0088


# The first columns of every search statement; then the sort key, the distance and (sorted by
# relevance) the candidate count.
ROW_COLUMNS = "l.id, l.kind, l.timezone, l.min_notice_hours, l.max_advance_days, l.calendar_id"
SORT_KEY, DISTANCE, CANDIDATE_COUNT = 6, 7, 8


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    key: Any  # the sort value; with id it is the keyset cursor
    distance_km: float | None
    kind: str
    timezone: str
    min_notice_hours: int
    max_advance_days: int
    calendar_id: Any  # where bookings hold seats (windows count them); as the driver gives it


# Ranking every match of a common word is what makes text search slow (bm25 or ts_rank over
# 5% of a million rows). Sorted by relevance, a search ranks only its candidates: the newest
# CANDIDATES listings that match the words and pass every filter. Fewer matches: all are ranked.
CANDIDATES = 500
# Sorted by newest, a search first walks this many newest listings (see selectors.id_floors).
NEWEST_WINDOW = 20_000
# Text with a place, sorted by relevance, on PostgreSQL: its candidates come from a walk this
# long. Every listing walked is a heap fetch plus a tsvector test (~0.7 us each), so the walk
# costs ~7 ms per 10,000; in a dense city that still finds 100-150 candidates for a common word.
PLACED_TEXT_WINDOW = 10_000


def walk_window(query: SearchQuery) -> int:
    """How many newest listings a primary-key walk reads for this query (see id_floors)."""
    return PLACED_TEXT_WINDOW if query.sort == "relevance" else NEWEST_WINDOW


class Dialect(Protocol):
    """What differs between databases. Every method returns SQL with %s placeholders."""

    # True when the rank can only be computed where the text index is queried (FTS5's bm25).
    rank_with_match: bool
    # The column to walk candidates by, newest first (the text index's own row id if it has one).
    candidate_order: str
    # True when the last word is first tried as a whole word, and as a prefix only if that finds
    # fewer than CANDIDATES (an FTS5 prefix query merges the doclists of every completion first).
    exact_first: bool

    def primary_key_walk(self, id_floor: int, window: int) -> tuple[str, list[Any]]:
        """FROM clause (aliased l) that reads the `window` listings above `id_floor` newest-first
        by primary key, whatever the planner guesses about the place, status or category indexes."""
        ...

    def text_join(self, words: list[str], prefix: bool = True) -> tuple[str, str, str, Any]:
        """(JOIN clause, WHERE clause, rank expression, (join, where, rank) params). With
        `prefix`, the last word also matches longer words (search as you type)."""
        ...

    def distance(self, lat: float, lng: float) -> tuple[str, list[Any]]: ...

    def within(self, lat: float, lng: float, radius_km: float) -> tuple[str, list[Any]]: ...

    def attribute(self, name: str, value: Any) -> tuple[str, list[Any]]: ...

    def summaries(self, ids: list[int]) -> list[tuple[Any, ...]]:
        """The SUMMARY_COLUMNS of these listings, in no particular order."""
        ...


def radius_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    """A lat/lng box around a circle, for the B-tree index before the exact distance test."""
    dlat = math.degrees(radius_km / EARTH_KM)
    dlng = math.degrees(radius_km / (EARTH_KM * max(math.cos(math.radians(lat)), 1e-6)))
    return lat - dlat, min(lng - dlng, lng + dlng), lat + dlat, max(lng - dlng, lng + dlng)


ORDER = {  # sort -> (ascending?, SQL key expression or a marker)
    "newest": (False, "l.id"),
    "price": (True, "l.price_amount_minor"),
    "-price": (False, "l.price_amount_minor"),
    "rating": (False, "COALESCE(l.rating_score, -1.0)"),
    "distance": (True, "distance"),
    "relevance": (False, "rank"),
}


# Sorted by relevance, the text rank is multiplied by this: 1.2 for a 5-star listing, 0.8 for a
# 1-star one, 1 unrated (docs/trust.md). A column of the row already read for the match: no join.
RATING_BOOST = "(1.0 + 0.1 * (COALESCE(l.rating_score, 3.0) - 3.0))"


# What a search result shows, for a page of ids: the listing, its category and author, and its
# first photo, in one statement (the ORM's select_related + prefetch costs several milliseconds).
SUMMARY_COLUMNS = (
    "l.id, l.public_id, l.kind, l.title, l.price_amount_minor, l.currency, l.unit, "
    "l.public_lat, l.public_lng, l.rating_score, c.slug, c.name, u.id, u.name, "
    "p.id, p.thumbnail, p.alt_text, u.badges"
)


SUMMARIES = (
    f"SELECT {SUMMARY_COLUMNS} FROM catalog_listing l "
    "JOIN catalog_category c ON c.id = l.category_id "
    "JOIN accounts_user u ON u.id = l.author_id "
    "LEFT JOIN catalog_photo p ON p.id = ("
    "SELECT p1.id FROM catalog_photo p1 WHERE p1.listing_id = l.id "
    "ORDER BY p1.position, p1.id LIMIT 1) "
)


def summaries_sql(count: int) -> str:
    """The summaries of `count` listing ids (given as parameters), in no particular order."""
    return SUMMARIES + f"WHERE l.id IN ({marks(count)})"


@dataclass
class Built:
    sql: str
    params: list[Any]


@dataclass
class Conditions:
    """What a listing must meet to match a query (keyset and id floor aside): joins and WHERE
    terms, the text match last (PostgreSQL tests equally cheap conditions in the order written,
    and a tsvector match costs more than a column comparison), and the text rank."""

    joins: list[str]
    join_params: list[Any]
    where: list[str]
    params: list[Any]
    text_where: list[str]
    text_params: list[Any]
    rank: str
    rank_params: list[Any]


def conditions(query: SearchQuery, dialect: Dialect, prefix: bool = True) -> Conditions:
    """The matching conditions of `query`, shared by the search and its count."""
    found = Conditions([], [], ["l.status = 'published'"], [], [], [], "NULL", [])
    if query.words:
        join, text_where, found.rank, (jp, wp, rp) = dialect.text_join(query.words, prefix)
        if join:
            found.joins.append(join)
        found.join_params += jp
        found.rank_params += rp
        found.text_where.append(text_where)
        found.text_params += wp
    where, params = found.where, found.params
    if query.point:
        lat, lng = query.point
        min_lat, min_lng, max_lat, max_lng = radius_box(lat, lng, query.radius_km or 0)
        where.append("l.public_lat BETWEEN %s AND %s AND l.public_lng BETWEEN %s AND %s")
        params += [min_lat, max_lat, min_lng, max_lng]
        within, within_params = dialect.within(lat, lng, query.radius_km or 0)
        where.append(within)
        params += within_params
    if query.bbox:
        min_lng, min_lat, max_lng, max_lat = query.bbox
        where.append("l.public_lat BETWEEN %s AND %s AND l.public_lng BETWEEN %s AND %s")
        params += [min_lat, max_lat, min_lng, max_lng]
    _filters(query, dialect, where, params)
    return found


def count_capped_sql(query: SearchQuery, dialect: Dialect, cap: int, prefix: bool = True) -> Built:
    """How many listings match, counting no further than cap + 1: the same conditions as the
    search, under a LIMIT, so the count stops early however many match."""
    found = conditions(query, dialect, prefix)
    where = [*found.where, *found.text_where]
    sql = (
        f"SELECT count(*) FROM (SELECT 1 FROM catalog_listing l {' '.join(found.joins)} "
        f"WHERE {' AND '.join(where)} LIMIT %s) n"
    )
    return Built(sql, [*found.join_params, *found.params, *found.text_params, cap + 1])


def build(
    query: SearchQuery, dialect: Dialect, limit: int, id_floor: int | None = None, prefix: bool = True
) -> Built:
    """The search statement. `id_floor` keeps ranked candidates above an id (see CANDIDATES);
    `prefix` lets the last word match as a prefix. Sorted by relevance, the statement has an
    column CANDIDATE_COUNT: how many candidates were ranked."""
    selects = [ROW_COLUMNS]
    found = conditions(query, dialect, prefix)
    joins, where, params = found.joins, list(found.where), list(found.params)
    select_params, join_params, rank = found.rank_params, found.join_params, found.rank
    # Under an id floor the plan must walk the primary key newest-first, whatever the planner
    # guesses about the place, status or category indexes.
    walk, walk_params = "catalog_listing l", list[Any]()
    if id_floor is not None and query.sort != "relevance":
        walk, walk_params = dialect.primary_key_walk(id_floor, walk_window(query))
    distance = "NULL"
    distance_params: list[Any] = []
    if query.point:
        distance, distance_params = dialect.distance(*query.point)
    if id_floor is not None and query.sort != "relevance":
        where.append("l.id > %s")
        params.append(id_floor)
    where += found.text_where
    params += found.text_params
    if query.sort == "relevance":
        return _ranked(
            query, dialect, limit, id_floor, joins, where, (select_params, join_params, params), rank
        )
    ascending, key = ORDER[query.sort]
    key_sql = {"distance": distance, "rank": rank}.get(key, key)
    key_params = {"distance": distance_params, "rank": select_params}.get(key, [])
    if query.after is not None:
        value, last_id = query.after
        op = ">" if ascending else "<"
        where.append(f"(({key_sql}) {op} %s OR (({key_sql}) = %s AND l.id {op} %s))")
        params += [*key_params, value, *key_params, value, int(last_id)]
    direction = "ASC" if ascending else "DESC"
    # Only this module's own SQL fragments are formatted in; every value is a parameter.
    sql = (
        f"SELECT {', '.join(selects)}, ({key_sql}) AS sort_key, ({distance}) AS distance_km "
        f"FROM {walk} {' '.join(joins)} WHERE {' AND '.join(where)} "
        f"ORDER BY sort_key {direction}, l.id {direction} LIMIT %s"
    )
    return Built(sql, [*key_params, *distance_params, *walk_params, *join_params, *params, limit])


def _ranked(
    query: SearchQuery,
    dialect: Dialect,
    limit: int,
    id_floor: int | None,
    joins: list[str],
    where: list[str],
    parts: tuple[list[Any], list[Any], list[Any]],
    rank: str,
) -> Built:
    """Relevance: the newest CANDIDATES matches (an index walk in id order), then ranked."""
    rank_params, join_params, where_params = parts
    distance, distance_params = dialect.distance(*query.point) if query.point else ("NULL", [])
    source, source_params = "catalog_listing l", list[Any]()
    if id_floor is not None:  # a place filter too: candidates from a newest-first walk (see id_floors)
        where = [*where, "l.id > %s"]
        where_params = [*where_params, id_floor]
        source, source_params = dialect.primary_key_walk(id_floor, walk_window(query))
    # The rank is computed as the candidates are found, on the row already read; only the page's
    # rows are then joined back to the listings (not all CANDIDATES of them).
    keyset = ""
    keyset_params: list[Any] = []
    if query.after is not None:
        value, last_id = query.after
        keyset = "WHERE (c.rank < %s OR (c.rank = %s AND c.id < %s))"
        keyset_params = [value, value, int(last_id)]
    sql = (
        f"WITH c AS MATERIALIZED (SELECT l.id AS id, ({rank}) * {RATING_BOOST} AS rank FROM {source} "
        f"{' '.join(joins)} WHERE {' AND '.join(where)} "
        f"ORDER BY {dialect.candidate_order} DESC LIMIT {CANDIDATES}), "
        f"t AS (SELECT c.id AS id, c.rank AS rank FROM c {keyset} "
        f"ORDER BY c.rank DESC, c.id DESC LIMIT %s) "
        f"SELECT {ROW_COLUMNS}, "
        f"t.rank AS sort_key, ({distance}) AS distance_km, "
        f"(SELECT count(*) FROM c) AS candidates "
        f"FROM t JOIN catalog_listing l ON l.id = t.id "
        f"ORDER BY sort_key DESC, l.id DESC"
    )
    params = [
        *rank_params,
        *source_params,
        *join_params,
        *where_params,
        *keyset_params,
        limit,
        *distance_params,
    ]
    return Built(sql, params)


def _filters(query: SearchQuery, dialect: Dialect, where: list[str], params: list[Any]) -> None:
    if query.kind:
        where.append("l.kind = %s")
        params.append(query.kind)
    if query.window:
        where.append("l.kind IN ('rental', 'service')")
    if query.category_path:
        where.append(
            "l.category_id IN (SELECT c.id FROM catalog_category c WHERE c.path >= %s AND c.path < %s)"
        )
        params += [query.category_path, query.category_path + "~"]
    if query.currency:
        where.append("l.currency = %s")
        params.append(query.currency)
    if query.min_price is not None:
        where.append("l.price_amount_minor >= %s")
        params.append(query.min_price)
    if query.max_price is not None:
        where.append("l.price_amount_minor <= %s")
        params.append(query.max_price)
    for name, value in query.attrs.items():
        sql, attr_params = dialect.attribute(name, value)
        where.append(sql)
        params += attr_params
