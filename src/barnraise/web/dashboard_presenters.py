"""What the provider dashboard shows, read and shaped for its template: the provider's bookings
on a month calendar and in an upcoming list, open requests near them in their categories, and
their earnings per month for the chart. Reads only; every write stays in the owning apps."""

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.dateformat import format as date_format

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.commerce.models import Booking
from barnraise.ledger.models import AccountKind, EntryKind, EntryStatus, Posting
from barnraise.money import Money
from barnraise.search.query import DEFAULT_RADIUS_KM, SearchQuery
from barnraise.search.selectors import Summary, listing_summaries_search
from barnraise.web.deal_presenters import money, state_label
from barnraise.web.months import month_shift

HELD = (Booking.Status.PENDING, Booking.Status.ACCEPTED)
UPCOMING = 8
REQUESTS = 6
ROOT_CATEGORIES = 4  # one search per top-level category the provider offers in, at most
EARNING_MONTHS = 12
LONGEST_SPAN_DAYS = 62  # a long stay is drawn on at most this many days of the grid


@dataclass(frozen=True)
class Entry:
    """One booking as the calendar shows it, in the listing's own time zone."""

    tx_id: Any
    title: str
    customer: str
    start: datetime
    end: datetime
    status: str
    state: str
    all_day: bool
    timezone: str  # the listing's, which its times are shown in (web/templatetags/moments.py)


@dataclass
class Day:
    day: date
    in_month: bool
    is_today: bool
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Month:
    first: date
    weeks: list[list[Day]]
    previous: str
    following: str
    count: int  # bookings that touch this month


def month_from(value: str | None, today: date) -> date:
    """The first day of the month `YYYY-MM` names; this month when it names none we can show."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1) if 2000 <= year <= 2100 else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


def _entry(booking: Booking) -> Entry:
    tx = booking.transaction
    zone = ZoneInfo(tx.listing.timezone)
    return Entry(
        tx_id=tx.id,
        title=tx.listing.title,
        customer=tx.customer.name,
        start=booking.start.astimezone(zone),
        end=booking.end.astimezone(zone),
        status=booking.status,
        state=str(state_label(tx.state)),
        all_day=tx.listing.unit in ("day", "night"),
        timezone=tx.listing.timezone,
    )


def _bookings(provider: User) -> Any:
    return (
        Booking.objects.filter(transaction__provider=provider, status__in=HELD)
        .select_related("transaction__listing", "transaction__customer")
        .order_by("start", "id")
    )


def _days_of(entry: Entry) -> list[date]:
    """The local days a booking covers: a night's stay ends on the morning it leaves."""
    last = (entry.end - timedelta(microseconds=1)).date()
    days = [entry.start.date() + timedelta(days=n) for n in range((last - entry.start.date()).days + 1)]
    return days[:LONGEST_SPAN_DAYS] or [entry.start.date()]


def bookings_month(*, provider: User, first: date, today: date) -> Month:
    """A Monday-first grid of the month `first` starts, each day with the bookings on it."""
    weeks_of_dates = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    grid_start, grid_end = weeks_of_dates[0][0], weeks_of_dates[-1][-1] + timedelta(days=1)
    # Bookings are placed by their listing's local day; a day's margin covers every zone.
    since = datetime.combine(grid_start - timedelta(days=1), time(), tzinfo=ZoneInfo("UTC"))
    until = datetime.combine(grid_end + timedelta(days=1), time(), tzinfo=ZoneInfo("UTC"))
    by_day: dict[date, list[Entry]] = defaultdict(list)
    in_month = 0
    for booking in _bookings(provider).filter(start__lt=until, end__gt=since):
        entry = _entry(booking)
        days = _days_of(entry)
        for day in days:
            by_day[day].append(entry)
        in_month += any(day.year == first.year and day.month == first.month for day in days)
    weeks = [
        [
            Day(day=d, in_month=d.month == first.month, is_today=d == today, entries=by_day.get(d, []))
            for d in week
        ]
        for week in weeks_of_dates
    ]
    return Month(
        first=first,
        weeks=weeks,
        previous=month_shift(first, -1).strftime("%Y-%m"),
        following=month_shift(first, 1).strftime("%Y-%m"),
        count=in_month,
    )


def bookings_upcoming(*, provider: User, limit: int = UPCOMING) -> list[Entry]:
    """The provider's next bookings, still held (requested or accepted), soonest first."""
    return [_entry(b) for b in _bookings(provider).filter(end__gt=timezone.now())[:limit]]


def _root(path: str) -> str:
    return "/" + path.strip("/").split("/")[0] + "/"


def offers_anything(provider: User) -> bool:
    """Whether the member has a published listing others can book or buy (not a request)."""
    return (
        Listing.objects.filter(author=provider, status=Listing.Status.PUBLISHED)
        .exclude(kind="request")
        .exists()
    )


def _offered_areas(provider: User) -> dict[str, tuple[float, float]]:
    """Top-level category path -> the middle of the provider's published offers in it."""
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    offers = (
        Listing.objects.filter(author=provider, status=Listing.Status.PUBLISHED)
        .exclude(kind="request")
        .values_list("category__path", "lat", "lng")
    )
    for path, lat, lng in offers:
        points[_root(path)].append((lat, lng))
    ranked = sorted(points.items(), key=lambda item: (-len(item[1]), item[0]))[:ROOT_CATEGORIES]
    return {
        root: (sum(p[0] for p in found) / len(found), sum(p[1] for p in found) / len(found))
        for root, found in ranked
    }


@dataclass(frozen=True)
class Request:
    public_id: str
    title: str
    category_name: str
    author_name: str
    distance_km: float | None
    price: str


def weekday_names() -> list[tuple[str, str]]:
    """(short, full) names of Monday to Sunday, in the active language."""
    monday = date(2024, 1, 1)
    return [
        (date_format(monday + timedelta(days=n), "D"), date_format(monday + timedelta(days=n), "l"))
        for n in range(7)
    ]


def requests_nearby(*, provider: User, limit: int = REQUESTS) -> list[Request]:
    """Open requests by others within the default radius of where the provider offers, in the
    top-level categories they offer in, nearest first; none whose deadline has passed."""
    hits: dict[int, Summary] = {}
    for root, point in _offered_areas(provider).items():
        query = SearchQuery(
            kind="request",
            category_path=root,
            point=point,
            radius_km=DEFAULT_RADIUS_KM,
            sort="distance",
            limit=limit * 2,
        )
        for hit in listing_summaries_search(query).hits:
            if hit.author_id != str(provider.pk):
                hits.setdefault(hit.id, hit)
    open_ids = set(
        Listing.objects.filter(id__in=list(hits), status=Listing.Status.PUBLISHED)
        .filter(Q(deadline=None) | Q(deadline__gt=timezone.now()))
        .values_list("id", flat=True)
    )
    found = sorted(
        (hit for hit in hits.values() if hit.id in open_ids),
        key=lambda hit: (hit.distance_km or 0.0, -hit.id),
    )
    return [
        Request(
            public_id=hit.public_id,
            title=hit.title,
            category_name=hit.category_name,
            author_name=hit.author_name,
            distance_km=hit.distance_km,
            price=money(hit.price_amount_minor, hit.currency),
        )
        for hit in found[:limit]
    ]


@dataclass(frozen=True)
class Earnings:
    labels: list[str]  # one per month, oldest first
    series: dict[str, list[int]]  # currency -> minor units per month
    totals: list[Money]  # per currency, over the months shown

    def chart(self) -> dict[str, Any]:
        """What the chart script reads: amounts in major units for the axis, per currency."""
        return {
            "labels": self.labels,
            "datasets": [
                {"currency": currency, "data": [float(Money(v, currency).decimal) for v in values]}
                for currency, values in self.series.items()
            ],
        }

    def rows(self) -> list[dict[str, Any]]:
        """The same figures as a table, for readers without the chart (and without JavaScript)."""
        return [
            {"month": label, "amounts": [money(values[i], c) for c, values in self.series.items()]}
            for i, label in enumerate(self.labels)
        ]


def earnings_by_month(*, provider: User, today: date, months: int = EARNING_MONTHS) -> Earnings:
    """What the provider earned per calendar month (UTC), net of refunds and disputes: every
    posting on their pending balances except the move to available when a deal settles."""
    first = month_shift(today.replace(day=1), -(months - 1))
    starts = [month_shift(first, n) for n in range(months)]
    rows = (
        Posting.objects.filter(
            account__owner=provider,
            account__kind=AccountKind.MEMBER_PENDING,
            entry__status=EntryStatus.POSTED,
            entry__created_at__gte=datetime.combine(first, time(), tzinfo=ZoneInfo("UTC")),
        )
        .exclude(entry__kind=EntryKind.SETTLE)
        .annotate(month=TruncMonth("entry__created_at", tzinfo=ZoneInfo("UTC")))
        .values("month", "currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("currency")
    )
    series: dict[str, list[int]] = {}
    for row in rows:
        month = row["month"].date().replace(day=1)
        if month in starts:  # a clock moved back could date an entry after today
            # Credits are negative: a pending balance is credit-normal.
            series.setdefault(row["currency"], [0] * months)[starts.index(month)] -= int(row["total"])
    return Earnings(
        labels=[date_format(start, "M Y") for start in starts],
        series=series,
        totals=[Money(sum(values), currency) for currency, values in series.items()],
    )
