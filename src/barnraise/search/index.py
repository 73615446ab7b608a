"""The search indexes, kept in step with catalog_listing by the database itself.

SQLite: an external-content FTS5 table over the listing's title and description, fed by
triggers. PostgreSQL: stored generated columns (a weighted tsvector and a PostGIS geography
point) with GIN and GiST indexes. Either way every write, from any code path or bulk load, keeps
the index in step without a line of application code.
"""

from typing import Any

from django.db import connection

SQLITE_TABLE = "search_listing_fts"

SQLITE_FTS = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5(
    title, description, content='catalog_listing', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
)"""

# The table name is a constant of this module, never input.
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS search_listing_ai AFTER INSERT ON catalog_listing BEGIN
        INSERT INTO {SQLITE_TABLE}(rowid, title, description) VALUES (new.id, new.title, new.description);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_listing_ad AFTER DELETE ON catalog_listing BEGIN
        INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_listing_au AFTER UPDATE OF title, description
        ON catalog_listing BEGIN
        INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
        INSERT INTO {SQLITE_TABLE}(rowid, title, description) VALUES (new.id, new.title, new.description);
    END""",
]

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS postgis",
    """ALTER TABLE catalog_listing ADD COLUMN IF NOT EXISTS search_vector tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('english', coalesce(title, '')), 'A')
            || setweight(to_tsvector('english', coalesce(description, '')), 'B')
        ) STORED""",
    """ALTER TABLE catalog_listing ADD COLUMN IF NOT EXISTS geog geography(Point, 4326)
        GENERATED ALWAYS AS (
            ST_SetSRID(ST_MakePoint(public_lng, public_lat), 4326)::geography
        ) STORED""",
    "CREATE INDEX IF NOT EXISTS search_listing_vector ON catalog_listing USING GIN (search_vector)",
    "CREATE INDEX IF NOT EXISTS search_listing_geog ON catalog_listing USING GIST (geog)",
]

# Built after a bulk load (benchmarks drop them first: one build beats a million updates).
POSTGRES_INDEX_NAMES = ("search_listing_vector", "search_listing_geog")


def create(schema_editor: Any) -> None:
    """Create the indexes for the database the migration runs on."""
    vendor = schema_editor.connection.vendor
    statements = [SQLITE_FTS, *SQLITE_TRIGGERS] if vendor == "sqlite" else POSTGRES
    for statement in statements:
        schema_editor.execute(statement)
    if vendor == "sqlite":
        schema_editor.execute(f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES ('rebuild')")


def sqlite_triggers_missing() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_listing_%'"
        )
        (count,) = cursor.fetchone()
    return int(count) < len(SQLITE_TRIGGERS)


def rebuild() -> None:
    """Re-create what is missing and, on SQLite, rebuild the text index from the listings."""
    with connection.schema_editor() as editor:
        create(editor)


# Search reads pages of the FTS5 index, its docsize table and the listings they point at, in
# turns. SQLite's default page cache (2 MB per connection) evicts one with the other at a million
# listings; a memory map serves every page straight from the OS cache, shared by all processes.
SQLITE_READ_PRAGMAS = ("PRAGMA cache_size = -32768", "PRAGMA mmap_size = 4294967296")


def tune_sqlite_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created: a bigger page cache and a memory map for SQLite connections."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for pragma in SQLITE_READ_PRAGMAS:
            cursor.execute(pragma)


def ensure_after_migrate(**kwargs: Any) -> None:
    if kwargs.get("app_config") is None or kwargs["app_config"].label != "search":
        return
    if connection.vendor == "sqlite" and sqlite_triggers_missing():
        rebuild()
