"""Shapes every API context shares: errors, money and pages."""

from typing import Annotated, Any, Generic, TypeVar

from django.utils.translation import gettext
from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import ConfigDict, Strict, model_validator
from pydantic_core import PydanticCustomError

T = TypeVar("T")

# JSON bodies take these so that `true` is not read as 1, nor 1.0 or "1" as an integer.
# (Query strings are text by nature and keep the lax types.)
StrictInt = Annotated[int, Strict()]
StrictFloat = Annotated[float, Strict()]
StrictBool = Annotated[bool, Strict()]


class InputSchema(Schema):
    """The base of every schema a client sends (request bodies, and the models nested in them).

    A field the schema does not name is refused (422 `unknown_field`, see api.strict), rather than
    silently dropped: a client that misspells a field, or sends one we do not take, learns so. A
    body that is not a JSON object (`[1, 2]`, `null`, `42`) is refused too: ninja's schemas read
    fields as attributes of whatever they are given, which left every optional field unset.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        # ninja's root validator hands the fields over a second time wrapped in a DjangoGetter.
        raw = value._obj if isinstance(value, DjangoGetter) else value
        if isinstance(raw, dict | cls):
            return value
        raise PydanticCustomError("object_type", gettext("Must be a JSON object."))


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


class MoneyIn(InputSchema):
    amount_minor: StrictInt = Field(ge=0, le=10**12)
    currency: str = Field(min_length=3, max_length=3)


class Page(Schema, Generic[T]):
    results: list[T]
    next_cursor: str | None = None
