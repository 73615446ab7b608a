from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from barnraise.ids import uuid7


class Kind(models.TextChoices):
    SALE = "sale", _("goods for sale")
    RENTAL = "rental", _("rental")
    SERVICE = "service", _("service")
    REQUEST = "request", _("request")


class Unit(models.TextChoices):
    ITEM = "item", _("per item")
    HOUR = "hour", _("per hour")
    DAY = "day", _("per day")
    NIGHT = "night", _("per night")
    JOB = "job", _("per job")


# Which pricing units each kind may use.
KIND_UNITS: dict[str, tuple[str, ...]] = {
    Kind.SALE: (Unit.ITEM,),
    Kind.RENTAL: (Unit.HOUR, Unit.DAY, Unit.NIGHT),
    Kind.SERVICE: (Unit.HOUR, Unit.JOB),
    Kind.REQUEST: (Unit.JOB, Unit.HOUR),
}


class Category(models.Model):
    """A node of the category tree, with the attribute schema its listings follow."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=100)
    path = models.CharField(
        max_length=500,
        editable=False,
        db_index=True,
        help_text=_("Slugs from the root, '/tools/power-tools/'; finds subcategories."),
    )
    kinds = models.JSONField(default=list, blank=True, help_text=_("Kinds allowed here."))
    processes = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "Transaction processes its listings allow; empty: the kind's default. "
            '["inquiry"] makes a classifieds category.'
        ),
    )
    attribute_schema = models.JSONField(default=list, blank=True)
    listing_defaults = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            'What a new listing here starts with, e.g. {"unit": "night", "check_in": "15:00", '
            '"check_out": "11:00"}; the rest comes from its kind (catalog/defaults.py).'
        ),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("path",)
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class CatalogPolicy(models.Model):
    """Marketplace policy for listings, edited by operators in the admin. One row."""

    approval_required = models.BooleanField(
        default=False, help_text=_("New and edited listings wait for an operator's approval.")
    )
    max_photos = models.PositiveSmallIntegerField(default=10)
    max_photo_bytes = models.PositiveIntegerField(default=10 * 1024 * 1024)

    class Meta:
        verbose_name = verbose_name_plural = _("catalog policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class Calendar(models.Model):
    """Where bookings attach. A listing references one; later one provider's listings may share."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calendars")
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"calendar {self.id}"


class Listing(models.Model):
    """What a member offers (sale, rental, service) or asks for (request).

    The integer primary key is internal: the search indexes (SQLite FTS5, PostgreSQL GIN/GiST)
    key on it. `public_id` is the opaque id every API and page uses.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PENDING_APPROVAL = "pending_approval", _("pending approval")
        PUBLISHED = "published", _("published")
        CLOSED = "closed", _("closed")

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="listings")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="listings")
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=10_000, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    price_amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    unit = models.CharField(max_length=5, choices=Unit.choices)
    stock = models.PositiveIntegerField(null=True, blank=True)
    seats = models.PositiveSmallIntegerField(default=1)
    calendar = models.ForeignKey(
        Calendar, null=True, blank=True, on_delete=models.PROTECT, related_name="listings"
    )
    # The exact place is private; the public point is fuzzed once, at write time.
    lat = models.FloatField()
    lng = models.FloatField()
    address = models.CharField(max_length=300, blank=True)
    public_lat = models.FloatField()
    public_lng = models.FloatField()
    timezone = models.CharField(max_length=64, default="UTC")
    # Booking rules for rentals and hourly services.
    slot_minutes = models.PositiveSmallIntegerField(default=60)
    min_units = models.PositiveSmallIntegerField(default=1)
    max_units = models.PositiveSmallIntegerField(null=True, blank=True)
    buffer_minutes = models.PositiveSmallIntegerField(default=0)
    min_notice_hours = models.PositiveSmallIntegerField(default=0)
    max_advance_days = models.PositiveSmallIntegerField(default=365)
    instant_booking = models.BooleanField(default=False)
    # Stays (priced per night or day): when the guest may arrive and must leave, local time.
    check_in = models.TimeField(null=True, blank=True)
    check_out = models.TimeField(null=True, blank=True)
    cancellation_policy = models.CharField(
        max_length=40, default="moderate", help_text=_("A cancellation policy's slug; copied onto each deal.")
    )
    # Requests: when the work is needed by.
    deadline = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    rejection_reason = models.CharField(max_length=500, blank=True)
    rating_score = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    published_at = models.DateTimeField(null=True, blank=True)
    # A draft made step by step in the listing wizard: the steps saved so far (web/wizard);
    # null for a listing made in one go (the API, the one-page form), which has every field.
    wizard_steps = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["status", "kind"]),
            models.Index(fields=["author", "-created_at"]),
            models.Index(fields=["public_lat", "public_lng"]),
        ]

    def __str__(self) -> str:
        return self.title


class Photo(models.Model):
    """A listing photo, re-encoded without metadata, with a thumbnail."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="listings/%Y/%m/")
    thumbnail = models.ImageField(upload_to="listings/%Y/%m/thumbs/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return f"photo {self.position} of {self.listing_id}"


class WeeklySlot(models.Model):
    """Part of a listing's weekly plan: on `weekday`, from `start` to `end` local time, `seats` free."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="weekly_slots")
    weekday = models.PositiveSmallIntegerField(help_text=_("0 = Monday … 6 = Sunday"))
    start = models.TimeField()
    end = models.TimeField(help_text=_("00:00 means midnight at the end of the day."))
    seats = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ("weekday", "start")
        indexes: ClassVar = [models.Index(fields=["listing", "weekday"])]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start}-{self.end} × {self.seats}"


class AvailabilityException(models.Model):
    """A dated override of the weekly plan: from `start` to `end` (UTC) only `seats` are free."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="exceptions")
    start = models.DateTimeField()
    end = models.DateTimeField()
    seats = models.PositiveSmallIntegerField(default=0, help_text=_("0 closes the listing then."))
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("start",)
        indexes: ClassVar = [models.Index(fields=["listing", "start"])]

    def __str__(self) -> str:
        return f"{self.start}–{self.end} × {self.seats}"
