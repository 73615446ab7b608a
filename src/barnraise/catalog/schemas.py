"""API shapes of the catalog."""

from datetime import datetime, time
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import WithJsonSchema

from barnraise.api.schemas import InputSchema, MoneyIn, MoneyOut, StrictBool, StrictFloat, StrictInt

KindName = Literal["sale", "rental", "service", "request"]
UnitName = Literal["item", "hour", "day", "night", "job"]


class PointIn(InputSchema):
    lat: StrictFloat = Field(ge=-90, le=90)
    lng: StrictFloat = Field(ge=-180, le=180)


class PointOut(Schema):
    lat: float
    lng: float


class RulesFields(InputSchema):
    slot_minutes: StrictInt | None = Field(None, ge=1, le=1440)
    min_units: StrictInt | None = Field(None, ge=1, le=1000)
    max_units: StrictInt | None = Field(None, ge=1, le=1000)
    buffer_minutes: StrictInt | None = Field(None, ge=0, le=1440)
    min_notice_hours: StrictInt | None = Field(None, ge=0, le=8760)
    max_advance_days: StrictInt | None = Field(None, ge=1, le=730)
    instant_booking: StrictBool | None = None
    check_in: time | None = Field(None, description="Stays: guests arrive from this local time, e.g. 15:00.")
    check_out: time | None = Field(None, description="Stays: guests leave by this local time, e.g. 11:00.")
    cancellation_policy: str | None = Field(
        None,
        max_length=40,
        description="Bookings: the slug of one of the marketplace's cancellation policies "
        "(`flexible`, `moderate`, `strict` ship by default; a new listing gets `moderate`), "
        "copied onto each deal. Any other: 422 `unknown_cancellation_policy`, listing them.",
    )


class ListingIn(RulesFields):
    kind: KindName
    category: str = Field(max_length=80, description="A category slug from GET /categories.")
    title: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=10_000, description="Markdown.")
    attributes: dict[str, Any] = Field(default_factory=dict)
    price: MoneyIn
    unit: UnitName
    stock: StrictInt | None = Field(None, ge=0, le=1_000_000)
    seats: StrictInt | None = Field(None, ge=1, le=1000)
    location: PointIn
    address: str = Field("", max_length=300, description="Private until a deal is accepted.")
    timezone: str = Field("UTC", max_length=64, description="IANA name, e.g. America/New_York.")
    deadline: datetime | None = Field(None, description="Requests: needed by (with offset).")
    publish: StrictBool = Field(True, description="False keeps it a draft.")


class ListingPatch(RulesFields):
    category: str | None = Field(None, max_length=80)
    title: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=10_000)
    attributes: dict[str, Any] | None = None
    price: MoneyIn | None = None
    unit: UnitName | None = None
    stock: StrictInt | None = Field(None, ge=0, le=1_000_000)
    seats: StrictInt | None = Field(None, ge=1, le=1000)
    location: PointIn | None = None
    address: str | None = Field(None, max_length=300)
    timezone: str | None = Field(None, max_length=64)
    deadline: datetime | None = None
    status: Literal["draft", "published"] | None = None


class CategoryBrief(Schema):
    slug: str
    name: str


class AuthorOut(Schema):
    id: UUID
    name: str


class PhotoOut(Schema):
    id: UUID
    url: str
    thumbnail_url: str
    width: int
    height: int
    alt_text: str


class CancellationPolicyOut(Schema):
    slug: str
    name: str
    summary: str = Field(
        description='In plain words, e.g. "Full refund until 5 days before the start, half after."'
    )


class ListingOut(Schema):
    id: UUID
    kind: str
    category: CategoryBrief
    title: str
    description: str
    description_html: str
    attributes: dict[str, Any]
    price: MoneyOut
    unit: str
    stock: int | None
    seats: int
    location: PointOut = Field(description="Public point, within ~300 m of the real place.")
    timezone: str
    slot_minutes: int
    min_units: int
    max_units: int | None
    buffer_minutes: int
    min_notice_hours: int
    max_advance_days: int
    instant_booking: bool
    check_in: time | None = None
    check_out: time | None = None
    cancellation_policy: CancellationPolicyOut = Field(
        description="Bookings are refunded by it when the customer cancels."
    )
    deadline: datetime | None
    status: str
    rejection_reason: str | None = None
    rating_score: float | None
    author: AuthorOut
    photos: list[PhotoOut]
    created_at: datetime
    updated_at: datetime
    distance_km: float | None = None
    exact_location: PointOut | None = Field(None, description="Only for the author.")
    address: str | None = Field(None, description="Only for the author.")


class PhotoBrief(Schema):
    id: UUID
    thumbnail_url: str
    alt_text: str


class ListingSummaryOut(Schema):
    """A search result: what a results list and its map show. GET /listings/{id} has the rest."""

    id: UUID
    kind: str
    category: CategoryBrief
    title: str
    price: MoneyOut
    unit: str
    location: PointOut = Field(description="Public point, within ~300 m of the real place.")
    rating_score: float | None
    author: AuthorOut
    photo: PhotoBrief | None = Field(None, description="The first photo, as a thumbnail.")
    distance_km: float | None = None
    author_badges: list[dict[str, str]] = Field(
        default_factory=list, description="The author's verifications and credentials: `{kind, label}`."
    )


# A time of day on the listing's own clock, so without an offset: not JSON Schema's `time`
# format, which is RFC 3339's and requires one.
LocalTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "examples": ["09:00", "17:30:00"],
        }
    ),
]


class WeeklySlotIO(Schema):
    weekday: StrictInt = Field(ge=0, le=6, description="0 = Monday.")
    start: LocalTime = Field(description="HH:MM[:SS] in the listing's time zone, without an offset.")
    end: LocalTime = Field(
        description="HH:MM[:SS] in the listing's time zone, without an offset; 00:00 means midnight at "
        "the end of the day."
    )
    seats: StrictInt = Field(1, ge=0, le=1000)


class ExceptionIO(Schema):
    start: datetime
    end: datetime
    seats: StrictInt = Field(0, ge=0, le=1000)
    note: str = Field("", max_length=200)


class AvailabilityIO(Schema):
    weekly: list[WeeklySlotIO] = Field(default_factory=list, max_length=200)
    exceptions: list[ExceptionIO] = Field(default_factory=list, max_length=500)


class WeeklySlotIn(InputSchema, WeeklySlotIO):
    pass


class ExceptionIn(InputSchema, ExceptionIO):
    pass


class AvailabilityIn(InputSchema):
    weekly: list[WeeklySlotIn] = Field(default_factory=list, max_length=200)
    exceptions: list[ExceptionIn] = Field(default_factory=list, max_length=500)


class CategoryOut(Schema):
    id: UUID
    slug: str
    name: str
    parent: str | None
    path: str
    kinds: list[str]
    attribute_schema: list[dict[str, Any]]
