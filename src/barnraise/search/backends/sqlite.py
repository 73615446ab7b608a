"""SQLite: FTS5 with bm25, a B-tree bounding box, and haversine in SQL (math functions)."""

from typing import Any

from django.db import connection

from barnraise.search.backends.base import EARTH_KM, Dialect, summaries_sql
from barnraise.search.index import SQLITE_TABLE


def fts_query(words: list[str], prefix: bool = True) -> str:
    """Each word as a quoted term (no FTS syntax gets through); the last one as a prefix."""
    terms = [f'"{word}"' for word in words]
    if prefix:
        terms[-1] += "*"
    return " AND ".join(terms)


class SqliteDialect(Dialect):
    candidate_order = "f.rowid"
    rank_with_match = True
    exact_first = True

    def text_join(self, words: list[str], prefix: bool = True) -> tuple[str, str, str, Any]:
        join = f"JOIN {SQLITE_TABLE} f ON f.rowid = l.id"
        # bm25 is lower-is-better; title matches weigh ten times a description's.
        rank = f"(-bm25({SQLITE_TABLE}, 10.0, 1.0))"
        return join, f"{SQLITE_TABLE} MATCH %s", rank, ([], [fts_query(words, prefix)], [])

    def primary_key_walk(self, id_floor: int, window: int) -> tuple[str, list[Any]]:
        return "catalog_listing l NOT INDEXED", []

    def distance(self, lat: float, lng: float) -> tuple[str, list[Any]]:
        sql = (
            f"({EARTH_KM} * 2 * asin(sqrt("
            "pow(sin(radians(l.public_lat - %s) / 2), 2) + "
            "cos(radians(%s)) * cos(radians(l.public_lat)) * "
            "pow(sin(radians(l.public_lng - %s) / 2), 2))))"
        )
        return sql, [lat, lat, lng]

    def within(self, lat: float, lng: float, radius_km: float) -> tuple[str, list[Any]]:
        distance, params = self.distance(lat, lng)
        return f"{distance} <= %s", [*params, radius_km]

    def attribute(self, name: str, value: Any) -> tuple[str, list[Any]]:
        if isinstance(value, bool):
            value = 1 if value else 0
        return "json_extract(l.attributes, %s) = %s", [f'$."{name}"', value]

    def summaries(self, ids: list[int]) -> list[tuple[Any, ...]]:
        # sqlite3 keeps each connection's recent statements prepared: nothing to add.
        with connection.cursor() as cursor:
            cursor.execute(summaries_sql(len(ids)), ids)
            return list(cursor.fetchall())
