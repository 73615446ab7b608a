"""PostgreSQL: a weighted tsvector with GIN, and a PostGIS geography point with GiST."""

import json
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg

from barnraise.replica import read_connection
from barnraise.search.backends.base import SUMMARIES, Dialect

T = TypeVar("T")

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
        Django's connection (the replica's inside `replica_reads()`), in its transaction, but is
        not in Django's query log. (A pooler in transaction mode must support prepared
        statements: PgBouncer 1.21 or later.)"""
        connection = read_connection()
        connection.ensure_connection()
        raw = connection.connection

        def fetch(cursor: psycopg.Cursor[Any]) -> list[tuple[Any, ...]]:
            cursor.execute(SUMMARIES_BY_ARRAY, [ids], prepare=True)
            return list(cursor.fetchall())

        with connection.wrap_database_errors:
            try:
                return _preparing(raw, fetch)
            except psycopg.errors.FeatureNotSupported:
                # "cached plan must not change result type": a migration changed a column since
                # this connection prepared the statement. Outside a transaction (the error
                # aborted any it was in), forget every prepared statement (psycopg does when it
                # runs DEALLOCATE ALL itself) and prepare it again.
                if connection.in_atomic_block or not raw.autocommit:
                    raise
                _preparing(raw, lambda cursor: cursor.execute("DEALLOCATE ALL", prepare=False))
                return _preparing(raw, fetch)


# Django keeps psycopg's preparing off (prepare_threshold None), which also refuses a statement
# that asks for it. Around the summaries it is lifted to a threshold no statement reaches, so
# nothing is prepared unless it asks, and Django's own statements stay out of psycopg's
# bookkeeping.
PREPARE_ONLY_WHEN_ASKED = 2**31


def _preparing(raw: Any, run: Callable[[psycopg.Cursor[Any]], T]) -> T:
    threshold = raw.prepare_threshold
    raw.prepare_threshold = PREPARE_ONLY_WHEN_ASKED if threshold is None else threshold
    try:
        with psycopg.Cursor(raw) as cursor:
            return run(cursor)
    finally:
        raw.prepare_threshold = threshold
