from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts.models import User
from barnraise.catalog.availability import Slot, Span, day_seats, day_starts, local_date_range, taken_for
from barnraise.catalog.models import Category, Listing
from barnraise.copies import LocalCopy
from barnraise.db import Statement, aware, batch, db_time, marks
from barnraise.errors import InvalidInput, NotFound


def listings_export_for(user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": str(listing.public_id),
            "kind": listing.kind,
            "title": listing.title,
            "description": listing.description,
            "price": {"amount_minor": listing.price_amount_minor, "currency": listing.currency},
            "unit": listing.unit,
            "status": listing.status,
            "address": listing.address,
            "lat": listing.lat,
            "lng": listing.lng,
            "created_at": listing.created_at.isoformat(),
        }
        for listing in Listing.objects.filter(author=user).order_by("id")
    ]


def categories_tree() -> list[Category]:
    """Top-level categories in their display order, each with its children prefetched."""
    children = Prefetch("children", queryset=Category.objects.order_by("position", "name"))
    return list(Category.objects.filter(parent=None).order_by("position", "name").prefetch_related(children))


def listings_latest(*, limit: int = 12) -> list[Listing]:
    """The most recently published listings, with their author, category and photos loaded."""
    return list(
        Listing.objects.filter(status=Listing.Status.PUBLISHED)
        .select_related("author", "category")
        .prefetch_related("photos")
        .order_by("-published_at", "-id")[:limit]
    )


# The currencies in use are read by a scan of the published listings: at most this often.
CURRENCY_IN_USE_SECONDS = 300


def marketplace_currency() -> str | None:
    """The marketplace's currency: MARKETPLACE_CURRENCY if the operator set it, else the one
    currency every published listing uses, else None (none published yet, or several)."""
    if settings.MARKETPLACE_CURRENCY:
        return str(settings.MARKETPLACE_CURRENCY)
    found = cache.get("catalog:currency-in-use")
    if found is None:
        codes = list(
            Listing.objects.filter(status=Listing.Status.PUBLISHED)
            .order_by()
            .values_list("currency", flat=True)
            .distinct()[:2]
        )
        found = codes[0] if len(codes) == 1 else ""
        cache.set("catalog:currency-in-use", found, CURRENCY_IN_USE_SECONDS if found else 30)
    return str(found) or None


def marketplace_area() -> tuple[float, float] | None:
    """Where the marketplace is: MARKETPLACE_AREA if the operator set it, else the middle
    (the mean of the public points) of the published listings, read at most every five minutes;
    None before anything is published. Place names are ranked toward it."""
    if settings.MARKETPLACE_AREA:
        lat, lng = settings.MARKETPLACE_AREA
        return float(lat), float(lng)
    found = cache.get("catalog:area")
    if found is None:
        middle = Listing.objects.filter(status=Listing.Status.PUBLISHED).aggregate(
            lat=Avg("public_lat"), lng=Avg("public_lng")
        )
        found = [middle["lat"], middle["lng"]] if middle["lat"] is not None else []
        cache.set("catalog:area", found, CURRENCY_IN_USE_SECONDS if found else 30)
    return (float(found[0]), float(found[1])) if found else None


def listings_with_relations() -> QuerySet[Listing]:
    return Listing.objects.select_related("author", "category").prefetch_related("photos")


def listing_visible(*, public_id: Any, viewer: User | None) -> Listing:
    """A listing as `viewer` may see it: published ones for all, others for the author only."""
    listing = listings_with_relations().filter(public_id=public_id).first()
    if listing is None:
        raise NotFound()
    is_author = viewer is not None and listing.author_id == viewer.pk
    if listing.status != Listing.Status.PUBLISHED and not is_author:
        raise NotFound()
    return listing


def category_by_slug(slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise InvalidInput(details={"category": [_("No category with this slug.")]})
    return category


@dataclass(frozen=True)
class CategoryPaths:
    """The category tree as a search reads it: each slug's path, each path's attribute schema."""

    path_by_slug: dict[str, str]
    schemas: list[tuple[str, list[dict[str, Any]]]]  # (path, attribute_schema), in path order

    def attributes_under(self, path: str) -> dict[str, dict[str, Any]]:
        """The attributes defined at `path` and below, by name; the first in path order wins."""
        found: dict[str, dict[str, Any]] = {}
        for node_path, schema in self.schemas:
            if node_path.startswith(path):
                for definition in schema:
                    found.setdefault(definition["name"], definition)
        return found


def _category_paths_load() -> CategoryPaths:
    rows = list(Category.objects.order_by("path").values_list("slug", "path", "attribute_schema"))
    return CategoryPaths(
        path_by_slug={slug: path for slug, path, _schema in rows},
        schemas=[(path, list(schema or [])) for _slug, path, schema in rows],
    )


# Every search that names a category reads the tree; catalog.apps connects the signals.
CATEGORY_PATHS = LocalCopy("category_paths", _category_paths_load)


def category_paths() -> CategoryPaths:
    return CATEGORY_PATHS.get()


def categories_all(*, after_path: str | None = None, limit: int = 1000) -> list[Category]:
    qs = Category.objects.select_related("parent").order_by("path")
    if after_path is not None:
        qs = qs.filter(path__gt=str(after_path))
    return list(qs[:limit])


def availability_of(listing: Listing) -> dict[str, Any]:
    return {
        "weekly": list(listing.weekly_slots.values("weekday", "start", "end", "seats")),
        "exceptions": list(listing.exceptions.values("start", "end", "seats", "note")),
    }


def listings_by_author(*, user: User) -> list[Listing]:
    """Every listing `user` wrote, newest first, whatever its status (their "My listings")."""
    return list(Listing.objects.filter(author=user).select_related("category").order_by("-created_at", "-id"))


def listings_published_by(*, user_id: Any, limit: int = 24) -> list[Listing]:
    """A member's storefront: their published listings, newest first, with what a card shows."""
    rows = listings_with_relations().filter(author_id=user_id, status=Listing.Status.PUBLISHED)
    return list(rows.order_by("-published_at", "-id")[:limit])


def category_filterable_attributes(*, category: Category) -> list[dict[str, Any]]:
    """The filterable attribute definitions of `category` and its subcategories, as search
    reads them: the first definition of a name wins."""
    found = category_paths().attributes_under(category.path)
    return [definition for definition in found.values() if definition.get("filterable")]


@dataclass(frozen=True)
class FreeDay:
    """One local date of a listing's calendar. `state`: "free" (`seats` can still be booked),
    "full" (open, but booked up), "closed" (no hours or an exception), "past" (too soon to
    book, by the listing's notice) or "beyond" (further ahead than it takes bookings)."""

    day: date
    state: str
    seats: int


def listing_free_days(
    *, listing: Listing, first: date, last: date, now: datetime | None = None
) -> list[FreeDay]:
    """Each local date from `first` to `last` (at most a year of them): can it still be booked,
    and for how many seats? Read from the weekly plan, the exceptions and the bookings held,
    as a booking would count them; three reads whatever the range."""
    last = min(last, first + timedelta(days=366))
    zone = ZoneInfo(listing.timezone)
    now = now or timezone.now()
    earliest = now + timedelta(hours=listing.min_notice_hours)
    latest = now + timedelta(days=listing.max_advance_days)
    start, end = local_date_range(first, last + timedelta(days=1), zone)
    slots = [Slot(s.weekday, s.start, s.end, s.seats) for s in listing.weekly_slots.all()]
    exceptions = [
        Span(e.start, e.end, e.seats) for e in listing.exceptions.filter(start__lt=end, end__gt=start)
    ]
    taken = taken_for([listing.calendar_id], start, end).get(listing.calendar_id, [])
    whole_day = listing.unit in ("day", "night")

    def seats_on(day: date, held: list[Span]) -> int:
        return day_seats(
            slots=slots,
            exceptions=exceptions,
            zone=zone,
            day=day,
            taken=held,
            whole_day=whole_day,
            shortest=timedelta(minutes=listing.slot_minutes),
            earliest=earliest,
        )

    days = []
    day = first
    while day <= last:
        day_start, day_end = local_date_range(day, day + timedelta(days=1), zone)
        seats = 0
        if day_end <= earliest or (whole_day and day_start < earliest):
            state = "past"
        elif day_start > latest:
            state = "beyond"
        elif (seats := seats_on(day, taken)) > 0:
            state = "free"
        else:
            state = "full" if taken and seats_on(day, []) > 0 else "closed"
        days.append(FreeDay(day, state, seats))
        day += timedelta(days=1)
    return days


@dataclass(frozen=True)
class StartTime:
    """A time an hourly booking can start at (in the listing's zone), and the lengths it can
    have from there, in hours."""

    start: datetime
    hours: tuple[int, ...]


def listing_start_times(*, listing: Listing, day: date, now: datetime | None = None) -> list[StartTime]:
    """The times on the local `day` a booking by the hour can start, each with the lengths
    (whole hours, within the listing's fewest and most units) free from there: from the weekly
    plan, the exceptions and the bookings held, by the listing's notice and reach."""
    zone = ZoneInfo(listing.timezone)
    now = now or timezone.now()
    earliest = now + timedelta(hours=listing.min_notice_hours)
    if datetime.combine(day, time(0), tzinfo=zone) > now + timedelta(days=listing.max_advance_days):
        return []
    most = listing.max_units or 24
    start, end = local_date_range(day, day + timedelta(days=2), zone)
    exceptions = [
        Span(e.start, e.end, e.seats) for e in listing.exceptions.filter(start__lt=end, end__gt=start)
    ]
    found = day_starts(
        slots=[Slot(s.weekday, s.start, s.end, s.seats) for s in listing.weekly_slots.all()],
        exceptions=exceptions,
        zone=zone,
        day=day,
        taken=taken_for([listing.calendar_id], start, end).get(listing.calendar_id, []),
        step=timedelta(minutes=max(listing.slot_minutes, 15)),
        earliest=earliest,
        longest=timedelta(hours=most),
    )
    times = []
    for begin, length in found:
        hours = tuple(range(max(listing.min_units, 1), int(length / timedelta(hours=1)) + 1))
        if hours:
            times.append(StartTime(begin, hours))
    return times


# Local time is at most 14 hours from UTC either way: the local days a window can touch.
ZONE_REACH = timedelta(hours=14)


Rules = tuple[dict[int, list[Slot]], dict[int, list[Span]]]


def calendar_rules(listing_ids: list[int], start: datetime, end: datetime) -> Rules:
    """The weekly-plan slots and the dated exceptions of listings that bear on [start, end),
    per listing id. Hand-written: every windowed search runs this over its candidate rows and
    every booking over its listing, and the ORM's conversions cost more than the queries.
    """
    if not listing_ids:  # (an empty IN list is an error on PostgreSQL)
        return {}, {}
    slot_rows, exception_rows = batch(calendar_rules_statements(listing_ids, start, end))
    return calendar_rules_read(slot_rows, exception_rows)


def calendar_rules_statements(listing_ids: list[int], start: datetime, end: datetime) -> list[Statement]:
    """The two reads of `calendar_rules` (for a caller that sends them with its own, in one
    round trip): slots for the weekdays the window can touch in any time zone (a slot never
    crosses midnight), then the exceptions that overlap it. `listing_ids` is not empty."""
    first, last = (start - ZONE_REACH).date(), (end + ZONE_REACH).date()
    weekdays = sorted({(first + timedelta(days=n)).weekday() for n in range(min((last - first).days + 1, 7))})
    return [
        (
            'SELECT listing_id, weekday, CAST(start AS TEXT), CAST("end" AS TEXT), seats '  # noqa: S608 - our names
            f"FROM catalog_weeklyslot WHERE listing_id IN ({marks(len(listing_ids))}) "
            f"AND weekday IN ({marks(len(weekdays))})",
            [*listing_ids, *weekdays],
        ),
        (
            'SELECT listing_id, start, "end", seats FROM catalog_availabilityexception '  # noqa: S608 - our names
            f'WHERE listing_id IN ({marks(len(listing_ids))}) AND start < %s AND "end" > %s',
            [*listing_ids, db_time(end), db_time(start)],
        ),
    ]


def calendar_rules_read(slot_rows: list[tuple[Any, ...]], exception_rows: list[tuple[Any, ...]]) -> Rules:
    """The rows of `calendar_rules_statements`, per listing id. Slot times come as text, parsed
    by time.fromisoformat (Django's own conversion on SQLite is a regular expression)."""
    slots: dict[int, list[Slot]] = {}
    exceptions: dict[int, list[Span]] = {}
    parse = time.fromisoformat
    for listing_id, weekday, slot_start, slot_end, seats in slot_rows:
        slots.setdefault(listing_id, []).append(Slot(weekday, parse(slot_start), parse(slot_end), seats))
    for listing_id, exc_start, exc_end, seats in exception_rows:
        exceptions.setdefault(listing_id, []).append(Span(aware(exc_start), aware(exc_end), seats))
    return slots, exceptions
