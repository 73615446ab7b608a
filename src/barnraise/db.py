"""Values to and from the database driver for hand-written SQL, as the ORM would convert them.

Hot paths (the ledger's writes, search, the booking calendar) skip the ORM where building the
query cost more than running it; these keep their values the same on SQLite and PostgreSQL.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


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


def exists(sql: str, params: list[Any]) -> bool:
    """Whether `sql` finds a row: a guard asked on every request of its kind, where building
    the ORM's `.exists()` took ten times the query's own time."""
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT 1", params)
        return cursor.fetchone() is not None


@dataclass(frozen=True)
class _Insert:
    sql: str
    fields: list["Field[Any, Any]"]
    generated: str | None  # the attribute of a key the database makes (an auto id)
    returns: bool  # RETURNING gives it back; else the cursor's lastrowid


_inserts: dict[tuple[str, type[Model]], _Insert] = {}


def _insert_plan(model: type[Model]) -> _Insert:
    meta = model._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    generated = pk if pk is not None and getattr(pk, "db_returning", False) else None
    fields = [f for f in meta.concrete_fields if f is not generated]
    returns = generated is not None and connection.features.can_return_columns_from_insert
    columns = ", ".join(quote(str(f.column)) for f in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 - our names
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if returns and generated is not None:
        sql += f" RETURNING {quote(str(generated.column))}"
    return _Insert(sql, fields, generated.attname if generated is not None else None, returns)


def insert(obj: M) -> M:
    """INSERT a new model instance, as `save()` would write it, and return it saved.

    The booking path writes six rows per deal; building each INSERT through the ORM's compiler
    cost more than the database's work. The statement is built once per model, and the values
    go through each field's own `pre_save` and `get_db_prep_save`, so they are stored exactly
    as `save()` stores them. Unlike `save()`, no model signals are sent (nothing in Barnraise
    listens to these models; integrations follow the event log).
    """
    key = (connection.vendor, type(obj))
    plan = _inserts.get(key) or _inserts.setdefault(key, _insert_plan(type(obj)))
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in plan.fields]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, values)
        if plan.generated is not None:
            setattr(obj, plan.generated, cursor.fetchone()[0] if plan.returns else cursor.lastrowid)
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj
