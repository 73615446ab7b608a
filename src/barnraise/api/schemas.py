"""Shapes every API context shares: errors, money and pages."""

from typing import Annotated, Any, Generic, TypeVar

from ninja import Field, Schema
from pydantic import Strict

T = TypeVar("T")

# JSON bodies take these so that `true` is not read as 1, nor 1.0 or "1" as an integer.
# (Query strings are text by nature and keep the lax types.)
StrictInt = Annotated[int, Strict()]
StrictFloat = Annotated[float, Strict()]
StrictBool = Annotated[bool, Strict()]


class ErrorBody(Schema):
    code: str = Field(description="Stable, machine-readable; never renamed.")
    message: str
    details: Any = None


class ErrorOut(Schema):
    error: ErrorBody


class MoneyOut(Schema):
    amount_minor: int = Field(description="Integer minor units (cents for EUR, yen for JPY).")
    currency: str = Field(description="ISO 4217 code.")
    formatted: str


class MoneyIn(Schema):
    amount_minor: StrictInt = Field(ge=0, le=10**12)
    currency: str = Field(min_length=3, max_length=3)


class Page(Schema, Generic[T]):
    results: list[T]
    next_cursor: str | None = None
