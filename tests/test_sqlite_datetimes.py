"""SQLite: Barnraise's backend stores an aware datetime exactly as Django's own backend does."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseOperations  # base first: operations imports it back


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 3, 30, 0, 123456, tzinfo=ZoneInfo("Europe/Paris")),  # after the change
        datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),  # the second 1:30
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Kolkata")),
        datetime(2026, 6, 1, 12, 0),  # naive: left to Django's own handling
        None,
    ],
)
def test_datetimes_are_stored_as_djangos_backend_stores_them(moment: datetime | None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("Barnraise's SQLite backend only")
    stock = DatabaseOperations(connection)
    assert connection.ops.adapt_datetimefield_value(moment) == stock.adapt_datetimefield_value(moment)
