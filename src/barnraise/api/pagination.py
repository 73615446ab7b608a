"""Keyset pagination for list endpoints: `limit` (at most 100) and an opaque `cursor`.

A cursor is the keyset of the last row seen, as base64 of a JSON list. It is opaque to clients
but not trusted: `decode_cursor` checks every value against what the list's own cursors hold
(a type and a range), so a forged one answers 422 `invalid_cursor`, never a database error.
"""

import base64
import json
import math
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from ninja import Field

from barnraise.api.schemas import InputSchema
from barnraise.errors import InvalidCursor

M = TypeVar("M", bound=Model)
MAX_BIGINT = 2**63 - 1  # the widest integer column either database holds
MAX_TEXT = 500


class PageParams(InputSchema):
    limit: int = Field(20, ge=1, le=100, description="Page size, at most 100.")
    cursor: str | None = Field(None, max_length=500, description="`next_cursor` of the page before.")


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# What one value of a cursor may be. Each takes the decoded JSON value and returns it checked
# (and converted), or raises ValueError/TypeError.


def an_integer(value: Any) -> int:
    """A whole number a BIGINT column holds (not a boolean: JSON's true is not 1)."""
    if not isinstance(value, int) or isinstance(value, bool) or not -MAX_BIGINT <= value <= MAX_BIGINT:
        raise ValueError(value)
    return value


def a_row_id(value: Any) -> int:
    """An integer primary key: 0 up to the largest BIGINT."""
    if an_integer(value) < 0:
        raise ValueError(value)
    return int(value)


def a_number(value: Any) -> float:
    """A finite number (a score, a rank, a distance): JSON's 1e999 decodes to infinity."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError(value)
    number = float(value)  # OverflowError for an integer past any float
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def a_text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValueError(value)
    return value


def a_uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(a_text(value))


def a_moment(value: Any) -> datetime:
    """An ISO 8601 date-time with its offset."""
    moment = datetime.fromisoformat(a_text(value))
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment


def the_tag(expected: str) -> Callable[[Any], str]:
    """A fixed first value naming what the cursor pages through (e.g. the sort it was made in)."""

    def check(value: Any) -> str:
        if value != expected:
            raise ValueError(value)
        return expected

    return check


def decode_cursor(cursor: str, *fields: Callable[[Any], Any]) -> list[Any]:
    """The cursor's values, each checked by its field; else InvalidCursor (422 `invalid_cursor`)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(fields):
            raise ValueError(values)
        return [check(value) for check, value in zip(fields, values, strict=True)]
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise InvalidCursor() from exc


def page_by_id(qs: QuerySet[M], params: PageParams) -> tuple[list[M], str | None]:
    """Newest first by a time-ordered UUID primary key; stable under inserts."""
    qs = qs.order_by("-pk")
    if params.cursor:
        (last,) = decode_cursor(params.cursor, a_uuid)
        qs = qs.filter(pk__lt=last)
    rows = list(qs[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return rows, (encode_cursor([str(rows[-1].pk)]) if more and rows else None)
