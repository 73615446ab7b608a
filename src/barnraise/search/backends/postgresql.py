"""PostgreSQL: a weighted tsvector with GIN, and a PostGIS geography point with GiST."""

import json
from typing import Any

import psycopg
from django.db import connection

from barnraise.search.backends.base import SUMMARIES, Dialect

# One text for any number of ids, so one prepared statement per connection.
SUMMARIES_BY_ARRAY = SUMMARIES + "WHERE l.id = ANY(%s::bigint[])"


def ts_query(words: list[str], prefix: bool = True) -> str:
    """Words joined with AND; the last one as a prefix. Only \\w characters reach here."""
    terms = list(words)
    if prefix:
        terms[-1] += ":*"
    return " & ".join(terms)


POINT = "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography"


class PostgresDialect(Dialect):
    candidate_order = "l.id"
    rank_with_match = False
    exact_first = False

    def text_join(self, words: list[str], prefix: bool = True) -> tuple[str, str, str, Any]:
        query = ts_query(words, prefix)
        rank = "ts_rank_cd(l.search_vector, to_tsquery('english', %s))::float8"
        return "", "l.search_vector @@ to_tsquery('english', %s)", rank, ([], [query], [query])

    def primary_key_walk(self, id_floor: int, window: int) -> tuple[str, list[Any]]:
        # The subquery is planned alone: a backward primary-key range scan that the filters above
        # stop early, instead of a bitmap AND of every index the planner thinks selective.
        # (The caller's own `l.id > floor` keeps it exact if the newest rows are not dense.)
        return "(SELECT * FROM catalog_listing ORDER BY id DESC LIMIT %s) l", [window]

    def distance(self, lat: float, lng: float) -> tuple[str, list[Any]]:
        return f"(ST_Distance(l.geog, {POINT}) / 1000.0)", [lng, lat]

    def within(self, lat: float, lng: float, radius_km: float) -> tuple[str, list[Any]]:
        return f"ST_DWithin(l.geog, {POINT}, %s)", [lng, lat, radius_km * 1000.0]

    def attribute(self, name: str, value: Any) -> tuple[str, list[Any]]:
        return "l.attributes @> %s::jsonb", [json.dumps({name: value})]

    def summaries(self, ids: list[int]) -> list[tuple[Any, ...]]:
        """Through a prepared statement: Django's cursors bind parameters client-side and never
        prepare, so PostgreSQL would plan this four-table join on every search (0.3-0.5 ms of
        server CPU, more than running it). Its plan does not depend on the ids, so the generic
        plan PostgreSQL keeps after the first runs is the right one. The statement runs on
        Django's connection, in its transaction, but is not in Django's query log. (A pooler in
        transaction mode must support prepared statements: PgBouncer 1.21 or later.)"""
        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(SUMMARIES_BY_ARRAY, [ids], prepare=True)
            return list(cursor.fetchall())
