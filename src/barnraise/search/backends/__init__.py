"""The hot search query, as hand-written SQL: one shared builder, one dialect per database."""

from django.db import connection

from barnraise.search.backends.base import Dialect


def dialect() -> Dialect:
    if connection.vendor == "postgresql":
        from barnraise.search.backends.postgresql import PostgresDialect

        return PostgresDialect()
    from barnraise.search.backends.sqlite import SqliteDialect

    return SqliteDialect()
