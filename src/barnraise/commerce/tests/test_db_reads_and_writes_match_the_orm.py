"""barnraise.db's hand-written reads and writes give what the ORM gives, on both databases."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from barnraise.catalog.models import Listing
from barnraise.commerce.models import Transaction
from barnraise.db import batch, db_uuid, exists, fetch, insert, insert_all
from barnraise.timers.models import Timer


def _values(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_fetch_reads_what_the_orm_reads(listing: Callable[..., Listing]) -> None:
    made = listing("rental", attributes={}, max_units=4, instant_booking=True)
    Listing.objects.filter(pk=made.pk).update(rating_score=4.5, deadline=timezone.now())
    expected = Listing.objects.select_related("category", "author").get(public_id=made.public_id)

    got = fetch(Listing, related=("category", "author"), public_id=str(made.public_id))

    assert got is not None and got.pk == expected.pk
    assert _values(got) == _values(expected)
    assert _values(got.category) == _values(expected.category)
    assert _values(got.author) == _values(expected.author)
    assert got._state.adding is False and got._state.db == "default"
    assert set(got._state.fields_cache) == {"category", "author"}  # joined, as select_related


def test_fetch_finds_nothing_or_refuses_a_bad_value(db: None) -> None:
    assert fetch(Listing, related=("category",), public_id=uuid4()) is None
    with pytest.raises(ValidationError):
        fetch(Listing, public_id="not-a-uuid")


def test_insert_stores_what_save_stores(db: None) -> None:
    due = timezone.now() + timedelta(hours=1)
    fields: dict[str, Any] = {"due_at": due, "handler": "h", "target": "t", "payload": {"a": [1, "b"]}}
    saved = Timer(**fields)
    saved.save()
    inserted = insert(Timer(**fields))

    a, b = Timer.objects.get(pk=saved.pk), Timer.objects.get(pk=inserted.pk)
    assert {k: v for k, v in _values(a).items() if k not in ("id", "created_at")} == {
        k: v for k, v in _values(b).items() if k not in ("id", "created_at")
    }
    assert inserted._state.adding is False


def _stored(model: Any, pk: Any) -> dict[str, Any]:
    """The row as the database holds it, by column (not through the ORM's converters)."""
    table, key = model._meta.db_table, model._meta.pk
    columns = [f.column for f in model._meta.concrete_fields]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quoted} FROM {table} WHERE {key.column} = %s",  # noqa: S608 - our names
            [key.get_db_prep_value(pk, connection)],
        )
        return dict(zip(columns, cursor.fetchone(), strict=True))


def test_insert_stores_keys_moments_and_nulls_as_save_does(
    listing: Callable[..., Listing], customer: Any
) -> None:
    made = listing("rental", attributes={}, max_units=4)
    start = timezone.now() + timedelta(days=3)

    def deal() -> Transaction:  # UUID keys to three tables, aware datetimes, NULLs, JSON
        return Transaction(
            process="booking",
            process_version=1,
            state="requested",
            listing=made,
            customer=customer.user,
            provider=made.author,
            currency="EUR",
            start=start,
            end=start + timedelta(hours=2),
            seats=1,
        )

    saved, inserted = deal(), insert(deal())
    saved.save()
    a, b = _stored(Transaction, saved.pk), _stored(Transaction, inserted.pk)
    made_now = {"id", "created_at", "updated_at", "entered_state_at"}  # defaults: each row's own
    assert {k: v for k, v in a.items() if k not in made_now} == {
        k: v for k, v in b.items() if k not in made_now
    }
    assert {k: type(v) for k, v in a.items()} == {k: type(v) for k, v in b.items()}


@pytest.mark.parametrize("server_side_binding", [False, True])
def test_statements_run_in_order_with_either_binding(
    db: None, server_side_binding: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several statements at once (one text on PostgreSQL, bound on the client), or one by one
    where the deployment has Django bind on the server; a statement alone is bound on the server."""
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "server_side_binding", server_side_binding)
    due = timezone.now() + timedelta(hours=1)
    first, second = (Timer(due_at=due, handler="h", target=t) for t in ("a", "b"))
    insert_all([first, second])
    sql = "SELECT target, handler FROM commerce_timer WHERE id = %s"
    rows = batch([(sql, [db_uuid(t.pk)]) for t in (second, first)])
    assert rows == [[("b", "h")], [("a", "h")]]
    assert exists("SELECT 1 FROM commerce_timer WHERE target = %s", ["a"])
    assert not exists("SELECT 1 FROM commerce_timer WHERE target = %s", ["c"])
