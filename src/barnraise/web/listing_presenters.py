"""What the listing page shows, shaped for its template: attribute labels, breadcrumb, week plan,
the month of free dates."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from barnraise.catalog.models import Category, Listing
from barnraise.catalog.selectors import FreeDay, listing_free_days
from barnraise.web.months import month_shift


@dataclass
class AttributeRow:
    label: str
    value: str


@dataclass
class WeekDay:
    name: str
    spans: list[str]


def _display(definition: dict[str, Any] | None, value: Any) -> str:
    if isinstance(value, bool) or (definition and definition.get("type") == "boolean"):
        return _("Yes") if value else _("No")
    return str(value)


def attribute_rows(listing: Listing) -> list[AttributeRow]:
    """The listing's attributes in schema order, labelled from the category's schema."""
    schema = {d["name"]: d for d in listing.category.attribute_schema}
    values = listing.attributes or {}
    names = [name for name in schema if name in values] + [name for name in values if name not in schema]
    rows = []
    for name in names:
        definition = schema.get(name)
        label = (definition or {}).get("label") or name.replace("_", " ").capitalize()
        rows.append(AttributeRow(str(label), _display(definition, values[name])))
    return rows


def breadcrumb(category: Category) -> list[Category]:
    """The category and its ancestors, root first."""
    trail = [category]
    while trail[0].parent_id is not None and len(trail) < 10:
        parent = trail[0].parent
        if parent is None:
            break
        trail.insert(0, parent)
    return trail


def weekly_summary(availability: dict[str, Any]) -> list[WeekDay]:
    """The weekly plan by day: "09:00–17:00 · 2 seats"; days without slots are left out."""
    days: dict[int, list[str]] = {}
    for slot in availability["weekly"]:
        end = "24:00" if slot["end"].hour == 0 and slot["end"].minute == 0 else slot["end"].strftime("%H:%M")
        seats = ngettext("%(n)d seat", "%(n)d seats", slot["seats"]) % {"n": slot["seats"]}
        days.setdefault(slot["weekday"], []).append(f"{slot['start']:%H:%M}–{end} · {seats}")
    return [WeekDay(str(WEEKDAYS[day]), spans) for day, spans in sorted(days.items())]


@dataclass
class CalendarDay:
    day: date
    state: str
    seats: int
    label: str


@dataclass
class MonthCalendar:
    """A month of free dates, Monday first; cells outside the month are None."""

    month: date
    weeks: list[list[CalendarDay | None]]
    weekdays: list[tuple[str, str]]  # (abbreviation, full name)
    previous: date | None
    following: date | None


STATE_TEXT = {
    "free": "",  # the seats, below
    "full": gettext_lazy("booked up"),
    "closed": gettext_lazy("closed"),
    "past": gettext_lazy("no longer bookable"),
    "beyond": gettext_lazy("not open for booking yet"),
}


def month_asked(value: str | None, today: date) -> date:
    """The first day of the month `?month=YYYY-MM` names, kept between this month and a year
    ahead; anything else is this month (a hand-edited address never breaks the page)."""
    this_month = today.replace(day=1)
    try:
        asked = datetime.strptime(value or "", "%Y-%m").date()  # noqa: DTZ007 - a month, no time
    except ValueError:
        return this_month
    return min(max(asked, this_month), month_shift(this_month, 12))


def _label(free: FreeDay) -> str:
    when = date_format(free.day, "l j F")
    if free.state == "free":
        seats = ngettext("%(n)d seat free", "%(n)d seats free", free.seats) % {"n": free.seats}
        return f"{when}: {seats}"
    return f"{when}: {STATE_TEXT[free.state]}"


def month_calendar(listing: Listing, month: date, today: date) -> MonthCalendar:
    """The month's free dates of a rental or service, from catalog's selector (three reads)."""
    following = month_shift(month, 1)
    days = listing_free_days(listing=listing, first=month, last=following - timedelta(days=1))
    cells: list[CalendarDay | None] = [None] * month.weekday()
    cells += [CalendarDay(d.day, d.state, d.seats, _label(d)) for d in days]
    cells += [None] * (-len(cells) % 7)
    last_open = today + timedelta(days=listing.max_advance_days)
    return MonthCalendar(
        month=month,
        weeks=[cells[i : i + 7] for i in range(0, len(cells), 7)],
        weekdays=[(str(WEEKDAYS_ABBR[n]), str(WEEKDAYS[n])) for n in range(7)],
        previous=month_shift(month, -1) if month > today.replace(day=1) else None,
        following=following if following <= min(last_open, month_shift(today.replace(day=1), 12)) else None,
    )
