"""Values to and from the database driver for hand-written SQL, as the ORM would convert them.

Hot paths (the ledger's writes, search, the booking calendar) skip the ORM where building the
query cost more than running it; these keep their values the same on SQLite and PostgreSQL.
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.db import connection


def db_uuid(value: UUID) -> Any:
    """A UUID parameter: PostgreSQL's own type, 32 hex digits on SQLite."""
    return value if connection.features.has_native_uuid_field else value.hex


def db_time(value: datetime) -> Any:
    """A datetime parameter (aware): as the ORM stores it (naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


def aware(value: datetime) -> datetime:
    """A datetime read back: SQLite's driver gives naive UTC, psycopg aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def as_uuid(value: Any) -> UUID:
    """A UUID read back: SQLite gives its hex text, psycopg a UUID."""
    return value if isinstance(value, UUID) else UUID(str(value))


def marks(count: int) -> str:
    """`count` placeholders for an IN list."""
    return ", ".join(["%s"] * count)
