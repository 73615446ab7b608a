"""Keyset pagination for list endpoints: `limit` (at most 100) and an opaque `cursor`."""

import base64
import json
import uuid
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from ninja import Field

from barnraise.api.schemas import InputSchema
from barnraise.errors import InvalidInput

M = TypeVar("M", bound=Model)


class PageParams(InputSchema):
    limit: int = Field(20, ge=1, le=100, description="Page size, at most 100.")
    cursor: str | None = Field(None, max_length=500, description="`next_cursor` of the page before.")


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(details={"cursor": [_("This cursor is not valid.")]}) from exc
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidInput(details={"cursor": [_("This cursor is not valid.")]})
    return values


def page_by_id(qs: QuerySet[M], params: PageParams) -> tuple[list[M], str | None]:
    """Newest first by a time-ordered UUID primary key; stable under inserts."""
    qs = qs.order_by("-pk")
    if params.cursor:
        (last,) = decode_cursor(params.cursor, 1)
        try:
            qs = qs.filter(pk__lt=uuid.UUID(str(last)))
        except ValueError as exc:
            raise InvalidInput(details={"cursor": [_("This cursor is not valid.")]}) from exc
    rows = list(qs[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return rows, (encode_cursor([str(rows[-1].pk)]) if more and rows else None)
