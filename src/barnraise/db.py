"""Values to and from the database driver for hand-written SQL, as the ORM would convert them.

Hot paths (the ledger's writes, search, the booking calendar) skip the ORM where building the
query cost more than running it; these keep their values the same on SQLite and PostgreSQL.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from operator import attrgetter
from time import perf_counter
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignKey, Model

M = TypeVar("M", bound=Model)
Statement = tuple[str, list[Any]]  # SQL with %s placeholders, and its parameters


def db_uuid(value: UUID) -> Any:
    """A UUID parameter: PostgreSQL's own type, 32 hex digits on SQLite."""
    return value if connections[DEFAULT_DB_ALIAS].features.has_native_uuid_field else value.hex


def db_time(value: datetime) -> Any:
    """A datetime parameter (aware): as the ORM stores it (naive UTC text on SQLite)."""
    return connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value(value)


def aware(value: datetime) -> datetime:
    """A datetime read back: SQLite's driver gives naive UTC, psycopg aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def as_uuid(value: Any) -> UUID:
    """A UUID read back: SQLite gives its hex text, psycopg a UUID."""
    return value if isinstance(value, UUID) else UUID(str(value))


Run = Callable[[list[Statement]], Iterator[Any]]


class StatementTimer:
    """Times a connection's statements for the metrics: an `execute_wrapper` for those that go
    through Django's cursor (the ORM's), and called by `_statements` for hand-written SQL, which
    keeps its fast path while this is the only wrapper. `observe(kind, seconds)` is given
    "orm" or "direct"."""

    def __init__(self, observe: Callable[[str, float], None]) -> None:
        self.observe = observe

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.observe("orm", perf_counter() - start)


@contextmanager
def _statements(db: BaseDatabaseWrapper) -> Iterator[Run]:
    """`run(statements)` for hand-written SQL: runs them in order and yields, for each, a cursor
    whose current result is its own (read it before taking the next). The body runs inside
    `wrap_database_errors`, so driver errors come out as Django's.

    Statements run on the driver's own cursors, opened on Django's connection once its checks
    have run (health, connection, no broken transaction): Django's cursor wrapper cost some
    fifteen calls a statement, a fifth of a booking. On PostgreSQL a statement on its own is
    bound on the server (`_bound`). While Django logs or wraps queries (DEBUG, tests that count
    them, `execute_wrapper`), they go one by one through its wrapper instead, so those see them
    too; but the metrics' `StatementTimer` alone keeps the fast path, which times them itself.
    """
    timer = next((w for w in db.execute_wrappers if isinstance(w, StatementTimer)), None)
    if db.queries_logged or len(db.execute_wrappers) > (timer is not None):
        with db.cursor() as wrapped, db.wrap_database_errors:

            def logged(statements: list[Statement]) -> Iterator[Any]:
                for sql, params in statements:
                    wrapped.execute(sql, params)
                    yield wrapped.cursor

            yield logged
        return
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        if db.vendor == "postgresql":
            binds = bool(db.settings_dict["OPTIONS"].get("server_side_binding"))
            yield partial(_bound, db.connection, binds, timer)
            return
        raw = db.create_cursor()
        try:

            def plain(statements: list[Statement]) -> Iterator[Any]:
                for sql, params in statements:
                    start = perf_counter()
                    raw.execute(sql, params)
                    if timer is not None:
                        timer.observe("direct", perf_counter() - start)
                    yield raw

            yield plain
        finally:
            raw.close()


def _bound(
    conn: Any, server_side_binding: bool, timer: StatementTimer | None, statements: list[Statement]
) -> Iterator[Any]:
    """PostgreSQL: a statement on its own is bound on the server; several go as one text, bound
    on the client, in one round trip (one by one, where the deployment asked Django to bind on
    the server: OPTIONS `server_side_binding`).

    Django's cursors bind on the client: psycopg builds the statement's text again, quoting
    every value, on every call (about a hundred calls a statement). Bound on the server, the
    values travel as they are: a booking's CPU 2.77 → 2.53 ms on one thread. (Preparing the
    statements too saved nothing more here, and would need a pooler that keeps them.) Several
    statements stay one text on purpose: libpq's pipeline, which would send them bound on the
    server, waits on the socket once per statement, and each wait hands the interpreter to
    another thread: with 32 threads a process booked 246/s through it, 262/s with every
    statement bound on the client, 284/s as here.
    """
    if len(statements) == 1 or server_side_binding:
        for sql, params in statements:
            cursor = psycopg.Cursor(conn)
            start = perf_counter()
            cursor.execute(sql, params)
            if timer is not None:
                timer.observe("direct", perf_counter() - start)
            yield cursor
        return
    cursor = conn.cursor()  # Django's cursor factory: binds on the client
    start = perf_counter()
    cursor.execute(";\n".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
    if timer is not None:  # one round trip: timed as one statement
        timer.observe("direct", perf_counter() - start)
    for n in range(len(statements)):
        if n:
            cursor.nextset()
        yield cursor


def marks(count: int) -> str:
    """`count` placeholders for an IN list."""
    return ", ".join(["%s"] * count)


def exists(sql: str, params: list[Any]) -> bool:
    """Whether `sql` finds a row: a guard asked on every request of its kind, where building
    the ORM's `.exists()` took ten times the query's own time."""
    with _statements(connections[DEFAULT_DB_ALIAS]) as run:
        (cursor,) = run([(f"{sql} LIMIT 1", params)])
        return cursor.fetchone() is not None


# Fields whose value, when it already has this exact type, the ORM stores unchanged (after the
# backend's integer adaptation). Exact classes only: a subclass may convert.
_PLAIN: dict[type["Field[Any, Any]"], type] = {
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
}


@dataclass(frozen=True)
class _Column:
    field: "Field[Any, Any]"
    attname: str
    reads_attribute: bool  # pre_save is the plain attribute read (no auto_now and the like)
    plain: type | None
    integer: str | None  # the internal type, for the backend's integer adaptation
    uuid: bool  # a UUIDField, or a key to one
    moment: bool  # a DateTimeField


@dataclass(frozen=True)
class _Insert:
    sql: str
    columns: list[_Column]
    read: Callable[[Model], tuple[Any, ...]]  # every column's attribute, in one call
    generated: str | None  # the attribute of a key the database makes (an auto id)
    returns: bool  # RETURNING gives it back; else the cursor's lastrowid


_inserts: dict[tuple[str, type[Model]], _Insert] = {}


def _column(f: "Field[Any, Any]") -> _Column:
    plain = _PLAIN.get(type(f))
    integer = f.get_internal_type() if plain is int else None
    stored = f.target_field if isinstance(f, ForeignKey) else f
    return _Column(
        f,
        f.attname,
        type(f).pre_save is Field.pre_save,
        plain,
        integer,
        uuid=type(stored) is models.UUIDField,
        moment=type(f) is models.DateTimeField,
    )


def _insert_plan(model: type[Model]) -> _Insert:
    meta = model._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    generated = pk if pk is not None and getattr(pk, "db_returning", False) else None
    fields = [f for f in meta.concrete_fields if f is not generated]
    # SQLite: the cursor's lastrowid. An INSERT … RETURNING in autocommit holds SQLite's write
    # lock until its row is fetched, after the statement's turn in the line has gone.
    returns = (
        generated is not None
        and connection.features.can_return_columns_from_insert
        and connection.vendor != "sqlite"
    )
    listed = ", ".join(quote(str(f.column)) for f in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({listed}) "  # noqa: S608 - our names
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if returns and generated is not None:
        sql += f" RETURNING {quote(str(generated.column))}"
    columns = [_column(f) for f in fields]
    names = [c.attname for c in columns]
    # attrgetter gives a tuple for two names or more, the bare value for one
    read: Callable[[Model], tuple[Any, ...]] = (
        attrgetter(*names) if len(names) > 1 else lambda obj: (getattr(obj, names[0]),)
    )
    return _Insert(sql, columns, read, generated.attname if generated else None, returns)


def _row(plan: _Insert, obj: Model, db: BaseDatabaseWrapper) -> list[Any]:
    """The row's values for the driver. Inline, not a call per column: it runs for every
    column of every row a booking writes."""
    values = []
    for column, value in zip(plan.columns, plan.read(obj), strict=True):
        if not column.reads_attribute:
            value = column.field.pre_save(obj, True)
        kind = type(value)
        if kind is column.plain:
            if column.integer is not None:
                value = db.ops.adapt_integerfield_value(value, column.integer)
        # What the field's own conversion ends in, for the commonest values: a UUID as the
        # database keeps it, an aware datetime through the backend's adaptation, None as NULL.
        elif column.uuid and kind is UUID:
            value = value if db.features.has_native_uuid_field else value.hex
        elif column.moment and kind is datetime and value.tzinfo is not None:
            value = db.ops.adapt_datetimefield_value(value)
        elif value is not None or not (column.plain or column.uuid or column.moment):
            value = column.field.get_db_prep_save(value, db)
        values.append(value)
    return values


def insert(obj: M) -> M:
    """INSERT a new model instance, as `save()` would write it, and return it saved.

    The booking path writes seven rows per deal; building each INSERT through the ORM's
    compiler cost more than the database's work. The statement is built once per model, and
    the values go through each field's own `pre_save` and `get_db_prep_save`, so they are
    stored exactly as `save()` stores them; a text, integer or boolean field's value that
    already has its type, a UUID, an aware datetime and a NULL take the short way to the value
    those methods would give (`_row`). Unlike `save()`,
    no model signals are sent (nothing in Barnraise listens to these models; integrations
    follow the event log).
    """
    insert_all([obj])
    return obj


def insert_all(objs: list[Model]) -> None:
    """`insert` each of `objs`, in order; on PostgreSQL, in one round trip."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, as the ORM passes it (not the proxy)
    plans = []
    for obj in objs:
        key = (db.vendor, type(obj))
        plans.append(_inserts.get(key) or _inserts.setdefault(key, _insert_plan(type(obj))))
    rows = [(plan.sql, _row(plan, obj, db)) for plan, obj in zip(plans, objs, strict=True)]
    with _statements(db) as run:
        for obj, plan, cursor in zip(objs, plans, run(rows), strict=True):
            if plan.generated is not None:
                setattr(obj, plan.generated, cursor.fetchone()[0] if plan.returns else cursor.lastrowid)
            obj._state.adding = False
            obj._state.db = db.alias


def batch(statements: list[Statement]) -> list[list[tuple[Any, ...]]]:
    """The rows of each of `statements` (SELECTs), run in order in one cursor; on PostgreSQL, in
    one round trip. For statements with nothing to decide between them (the calendar lock, then
    the reads it guards: each runs once the one before it has finished)."""
    with _statements(connections[DEFAULT_DB_ALIAS]) as run:
        # No look at `description` first: psycopg builds a column object per column for it.
        return [cursor.fetchall() for cursor in run(statements)]


@dataclass(frozen=True)
class _Part:
    """One model of a fetch: its columns' fields, each with the converters the ORM applies."""

    model: type[Model]
    via: "ForeignKey[Any, Any] | None"  # the main model's key this part is joined on
    fields: list["Field[Any, Any]"]
    names: list[str]
    converters: list[list[tuple[Callable[..., Any], Any]]]


@dataclass(frozen=True)
class _Fetch:
    sql: str
    lookups: list["Field[Any, Any]"]
    parts: list[_Part]


_fetches: dict[tuple[Any, ...], _Fetch] = {}


def _part(model: type[Model], via: "ForeignKey[Any, Any] | None", alias: str) -> _Part:
    fields = list(model._meta.concrete_fields)
    converters = []
    for f in fields:
        col = f.get_col(alias)  # as the compiler converts a selected column
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        converters.append([(convert, col) for convert in found])
    return _Part(model, via, fields, [f.attname for f in fields], converters)


def _fetch_plan(model: type[Model], related: tuple[str, ...], by: tuple[str, ...]) -> _Fetch:
    quote = connection.ops.quote_name
    parts = [_part(model, None, "t0")]
    joins = []
    for n, name in enumerate(related, 1):
        key = model._meta.get_field(name)
        assert isinstance(key, ForeignKey) and not key.null, f"{name}: a required foreign key"  # noqa: S101
        target = key.related_model
        assert isinstance(target, type)  # noqa: S101 - resolved once the apps are loaded
        parts.append(_part(target, key, f"t{n}"))
        joins.append(
            f"JOIN {quote(target._meta.db_table)} t{n} "
            f"ON t{n}.{quote(str(key.target_field.column))} = t0.{quote(str(key.column))}"
        )
    columns = ", ".join(f"t{n}.{quote(str(f.column))}" for n, part in enumerate(parts) for f in part.fields)
    lookups = [model._meta.get_field(name) for name in by]
    where = " AND ".join(f"t0.{quote(str(f.column))} = %s" for f in lookups)  # type: ignore[union-attr]
    sql = f"SELECT {columns} FROM {quote(model._meta.db_table)} t0 {' '.join(joins)} WHERE {where}"  # noqa: S608 - our names
    return _Fetch(sql, lookups, parts)  # type: ignore[arg-type]


def fetch(model: type[M], *, related: tuple[str, ...] = (), **by: Any) -> M | None:
    """The one row of `model` where each field in `by` equals its value (a unique lookup), with
    the required foreign keys named in `related` joined in, as `select_related` gives them; or
    None.

    For a read on every deal (the listing a booking is for): the ORM compiled this query again
    on every call, at ten times the cost of running it. The statement is built once per model
    and lookup; the values are converted by the same converters the ORM applies, and a bad
    lookup value raises the field's own ValidationError, as a queryset would.
    """
    db = connections[DEFAULT_DB_ALIAS]
    key = (db.vendor, model, related, tuple(by))
    plan = _fetches.get(key) or _fetches.setdefault(key, _fetch_plan(model, related, tuple(by)))
    params = [f.get_db_prep_value(by[f.name], db) for f in plan.lookups]
    with _statements(db) as run:
        (cursor,) = run([(plan.sql, params)])
        row = cursor.fetchone()
    if row is None:
        return None
    at = 0
    found: list[Model] = []
    for part in plan.parts:
        values = list(row[at : at + len(part.fields)])
        at += len(part.fields)
        for i, converters in enumerate(part.converters):
            for convert, col in converters:
                values[i] = convert(values[i], col, db)
        obj = part.model.from_db(db.alias, part.names, values)
        if part.via is not None:
            part.via.set_cached_value(found[0], obj)
        found.append(obj)
    return found[0]  # type: ignore[return-value]


def write_unit(*, unless: bool = False, using: str = DEFAULT_DB_ALIAS) -> AbstractContextManager[None]:
    """Around a unit of work that writes more than once in a row (a paid booking: the card's
    records, then the deal): on SQLite, this process's turn to write is taken once for all of
    it (`barnraise.sqlite`). On PostgreSQL, or `unless` is true (a dry run), nothing."""
    unit = None if unless else getattr(connections[using], "write_unit", None)
    return unit() if unit is not None else nullcontext()


def write_unit_paused(using: str = DEFAULT_DB_ALIAS) -> AbstractContextManager[None]:
    """Around a wait outside the database inside a `write_unit` (a payment provider's network
    call): the other writers of the process go meanwhile."""
    paused = getattr(connections[using], "write_unit_paused", None)
    return paused() if paused is not None else nullcontext()
