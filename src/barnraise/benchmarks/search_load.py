"""Bulk-loading the search benchmark's data set (COPY / executemany, indexes built after)."""

import json
import random
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from barnraise.benchmarks.search_data import (
    CATEGORY_SHARE,
    EXCEPTION_COLUMNS,
    GENERATOR_VERSION,
    LISTING_COLUMNS,
    META_TABLE,
    SLOT_COLUMNS,
    Generator,
    Target,
)


def load(t: Target, progress: bool) -> dict[str, Any]:
    """Migrate the empty bench database and bulk-load it; returns the data set's description."""
    from django.core.management import call_command
    from django.db import connection
    from tqdm import tqdm

    from barnraise.catalog.models import Listing
    from barnraise.demo.seed import seed_categories
    from barnraise.search import index

    started = time.perf_counter()
    call_command("migrate", "--no-input", "--verbosity", "0")
    categories = {slug: c.pk for slug, c in seed_categories().items()}
    category_ids = {
        slug: (pk.hex if t.vendor == "sqlite" else pk)
        for slug, pk in categories.items()
        if slug in CATEGORY_SHARE
    }
    authors = _authors(max(20, min(5000, t.listings // 200)))
    author_ids = [a.hex if t.vendor == "sqlite" else a for a in authors]
    gen = Generator(t.seed, t.listings, t.vendor, author_ids, category_ids)
    columns, extras = _listing_columns(Listing)
    connection.ensure_connection()
    raw = connection.connection
    chunk = 10_000
    _before_load(t.vendor, raw)
    counts = {"listings": 0, "weekly_slots": 0, "exceptions": 0}
    with tqdm(total=t.listings, desc="listings", unit="listing", disable=not progress) as bar:
        for first in range(1, t.listings + 1, chunk):
            batch = gen.batch(first, min(chunk, t.listings - first + 1))
            rows = [(*row, *extras) for row in batch.listings] if extras else batch.listings
            _insert(t.vendor, raw, "catalog_listing", columns, rows)
            _insert(t.vendor, raw, "catalog_weeklyslot", SLOT_COLUMNS, batch.slots)
            _insert(t.vendor, raw, "catalog_availabilityexception", EXCEPTION_COLUMNS, batch.exceptions)
            counts["listings"] += len(batch.listings)
            counts["weekly_slots"] += len(batch.slots)
            counts["exceptions"] += len(batch.exceptions)
            bar.update(len(batch.listings))
    loaded = time.perf_counter()
    if progress:
        print("building search indexes…", file=sys.stderr, flush=True)
    _after_load(t.vendor, raw, index)
    indexed = time.perf_counter()
    meta = {
        "generator": GENERATOR_VERSION,
        "complete": True,
        "listings": t.listings,
        "seed": t.seed,
        "rows": counts,
        "load_seconds": round(loaded - started, 1),
        "index_seconds": round(indexed - loaded, 1),
        "loaded_at": datetime.now(UTC).isoformat(),
    }
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (value TEXT NOT NULL)")
        cursor.execute(f"DELETE FROM {META_TABLE}")
        cursor.execute(f"INSERT INTO {META_TABLE} (value) VALUES (%s)", [json.dumps(meta)])
    return meta


def read_meta() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {META_TABLE}")
        row = cursor.fetchone()
    result: dict[str, Any] = json.loads(row[0])
    return result


def _authors(count: int) -> list[uuid.UUID]:
    from barnraise.accounts.models import User

    users = [
        User(
            id=uuid.UUID(int=random.Random(i).getrandbits(128), version=4),  # noqa: S311
            email=f"member{i}@bench.barnraise.example",
            name=f"Member {i}",
            password="!",  # noqa: S106 - an unusable password
        )
        for i in range(count)
    ]
    User.objects.bulk_create(users, batch_size=500)
    return [u.id for u in users]


def _listing_columns(model: Any) -> tuple[list[str], tuple[Any, ...]]:
    """Our columns, plus any column added since, filled with its field default."""
    from django.db import connection

    columns = list(LISTING_COLUMNS)
    known = set(columns)
    extras: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.attname not in known:
            columns.append(f.column)
            extras.append(f.get_db_prep_save(f.get_default(), connection))
    return columns, tuple(extras)


def _before_load(vendor: str, raw: Any) -> None:
    from barnraise.search import index

    if vendor == "sqlite":
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-524288")  # 512 MB: the unique public_id index is random
        for name in ("search_listing_ai", "search_listing_ad", "search_listing_au"):
            raw.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    with raw.cursor() as cur:
        for name in index.POSTGRES_INDEX_NAMES:
            cur.execute(f"DROP INDEX IF EXISTS {name}")
    raw.commit()


def _insert(
    vendor: str, raw: Any, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in columns)
    if vendor == "sqlite":
        marks = ", ".join("?" for _ in columns)
        raw.execute("BEGIN")
        raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        raw.execute("COMMIT")
        return
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    raw.commit()


def _after_load(vendor: str, raw: Any, index: Any) -> None:
    if vendor == "sqlite":
        index.rebuild()  # re-creates the triggers and rebuilds FTS5 from the listings
        raw.execute("ANALYZE")
        raw.execute("PRAGMA optimize")
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.execute("PRAGMA synchronous=NORMAL")
        return
    with raw.cursor() as cur:
        for table in ("catalog_listing", "catalog_weeklyslot", "catalog_availabilityexception"):
            top = f"(SELECT coalesce(max(id), 1) FROM {table})"
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {top})")
        cur.execute("SET maintenance_work_mem = '512MB'")
    raw.commit()
    index.rebuild()
    was = raw.autocommit
    raw.autocommit = True  # VACUUM cannot run in a transaction
    try:
        raw.execute("VACUUM ANALYZE")
    finally:
        raw.autocommit = was


def _document_frequency(vendor: str, raw: Any, term: str) -> int:
    from barnraise.search.index import SQLITE_TABLE

    if vendor == "sqlite":
        sql = f"SELECT count(*) FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH ?"
        return int(raw.execute(sql, [f'"{term}"']).fetchone()[0])
    with raw.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM catalog_listing WHERE search_vector @@ plainto_tsquery('english', %s)",
            [term],
        )
        return int(cur.fetchone()[0])
