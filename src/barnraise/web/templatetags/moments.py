"""The one way pages and emails show dates and times (docs/architecture.md, "Time zones").

`{% load moments %}`, then:

- a time tied to a place (a booking, a check-in, a deal's window) in that place's zone:
  `{{ tx.start|place_time:tx.listing }}` → "Tue 3 Mar, 15:00 EST";
  `{{ tx.end|place_clock:tx.listing }}` → "17:00 EST"; `{{ day|place_date:listing }}` → "Tue 3 Mar";
- any other time (messages, notifications, logs) in the viewer's zone: `{{ at|viewer_time }}`
  (the zone the request activated: the member's setting, else the browser's, else the
  marketplace's), or for an email `{{ at|viewer_time:recipient }}` (a member or an IANA name);
  `{{ at|viewer_date }}` for the day alone.

On a page (no recipient given) a viewer's time is markup, not just text:
`<time datetime="…" data-viewer="time">Tue 3 Mar, 15:00 EST</time>` (`clock`, `date`), in the
zone the server knows. A visitor's first page is rendered before their browser has told the
server its zone (the `tz` cookie), so web/static/web/time-zone.js rewrites these elements into
the browser's zone, in this format and with these labels, when it is not the one used
(web/zone_labels.py gives it the abbreviations). Text (an email, `{% autoescape off %}`) stays text.

Every time carries its zone's label: the zone's abbreviation where it has one (EST, CET, UTC),
else the zone's city ("Istanbul time"). Dates are shown without one. The year is given only when
it is not the current one.
"""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from barnraise import moments

register = template.Library()

DAY = "D j M"
DAY_WITH_YEAR = "D j M Y"
CLOCK = "H:i"


def _zone(name: Any) -> ZoneInfo | None:
    text = str(name or "")
    return ZoneInfo(text) if text and moments.time_zone_known(text) else None


def place_zone(place: Any) -> ZoneInfo:
    """A place's zone: an IANA name, or anything with a `timezone` (a listing) or a `listing`
    (a deal). UTC when nothing says."""
    for candidate in (
        place,
        getattr(place, "timezone", None),
        getattr(getattr(place, "listing", None), "timezone", None),
    ):
        zone = _zone(candidate) if isinstance(candidate, str) else None
        if zone is not None:
            return zone
    return ZoneInfo("UTC")


def viewer_zone(who: Any = None) -> ZoneInfo:
    """The viewer's zone: an IANA name or a member (`time_zone`, else the marketplace's) when
    given, else the zone the request activated."""
    if who is None or who == "":
        current = timezone.get_current_timezone()
        return current if isinstance(current, ZoneInfo) else ZoneInfo(str(current))
    if isinstance(who, str):
        return _zone(who) or ZoneInfo(settings.MARKETPLACE_TIME_ZONE)
    return _zone(getattr(who, "time_zone", "")) or ZoneInfo(settings.MARKETPLACE_TIME_ZONE)


def zone_label(local: datetime) -> str:
    """EST, CET, UTC; where the zone has only a number for a name, its city: "Istanbul time"."""
    abbreviation = local.tzname() or ""
    if abbreviation and abbreviation[0] not in "+-":
        return abbreviation
    key = getattr(local.tzinfo, "key", "") or "UTC"
    return _("%(city)s time") % {"city": key.rsplit("/", 1)[-1].replace("_", " ")}


def _day(local: datetime | date, zone: ZoneInfo) -> str:
    this_year = timezone.now().astimezone(zone).year
    return dateformat.format(local, DAY if local.year == this_year else DAY_WITH_YEAR)


def format_time(value: datetime, zone: ZoneInfo) -> str:
    """The day, the clock and the zone's label: "Tue 3 Mar, 15:00 EST"."""
    local = value.astimezone(zone)
    return f"{_day(local, zone)}, {dateformat.format(local, CLOCK)} {zone_label(local)}"


def format_clock(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return f"{dateformat.format(local, CLOCK)} {zone_label(local)}"


def format_date(value: datetime | date, zone: ZoneInfo) -> str:
    local = value.astimezone(zone) if isinstance(value, datetime) else value
    return _day(local, zone)


@register.filter
def place_time(value: datetime | None, place: Any) -> str:
    return format_time(value, place_zone(place)) if value else ""


@register.filter
def place_clock(value: datetime | None, place: Any) -> str:
    return format_clock(value, place_zone(place)) if value else ""


@register.filter
def place_date(value: datetime | date | None, place: Any) -> str:
    return format_date(value, place_zone(place)) if value else ""


def _viewer(value: datetime | date | None, who: Any, autoescape: bool, kind: str, text: str) -> str:
    """On a page, the text inside a `<time>` the browser's script may rewrite (module doc)."""
    if not (autoescape and (who is None or who == "") and isinstance(value, datetime)):
        return text
    instant = value.astimezone(ZoneInfo("UTC")).isoformat(timespec="seconds").replace("+00:00", "Z")
    return mark_safe(  # noqa: S308  # the text is escaped, the rest is ours
        f'<time datetime="{instant}" data-viewer="{kind}">{conditional_escape(text)}</time>'
    )


@register.filter(needs_autoescape=True)
def viewer_time(value: datetime | None, who: Any = None, autoescape: bool = True) -> str:
    return _viewer(value, who, autoescape, "time", format_time(value, viewer_zone(who))) if value else ""


@register.filter(needs_autoescape=True)
def viewer_clock(value: datetime | None, who: Any = None, autoescape: bool = True) -> str:
    return _viewer(value, who, autoescape, "clock", format_clock(value, viewer_zone(who))) if value else ""


@register.filter(needs_autoescape=True)
def viewer_date(value: datetime | date | None, who: Any = None, autoescape: bool = True) -> str:
    return _viewer(value, who, autoescape, "date", format_date(value, viewer_zone(who))) if value else ""


@register.simple_tag
def moment_names() -> SafeString:
    """The attributes time-zone.js formats with: the days' and months' short names as "D" and
    "M" give them, and how a zone without an abbreviation is labelled (`zone_label`)."""
    days = "|".join(str(WEEKDAYS_ABBR[day]) for day in range(7))
    months = "|".join(str(MONTHS_3[month]).title() for month in range(1, 13))
    city = _("%(city)s time") % {"city": "{city}"}
    return mark_safe(  # noqa: S308  # every value is escaped
        f'data-days="{conditional_escape(days)}" data-months="{conditional_escape(months)}" '
        f'data-city="{conditional_escape(city)}"'
    )


def format_span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """A window: "Tue 3 Mar, 15:00–17:00 EST"; across midnight both days, "Tue 3 Mar, 22:00 –
    Wed 4 Mar, 01:00 EST"; labelled once, or at both ends when the label changes between them
    (a clock change)."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    label, last_label = zone_label(first), zone_label(last)
    begin = f"{_day(first, zone)}, {dateformat.format(first, CLOCK)}"
    if label != last_label:
        return f"{begin} {label} – {format_time(end, zone)}"
    if first.date() == last.date():
        return f"{begin}–{dateformat.format(last, CLOCK)} {label}"
    return f"{begin} – {_day(last, zone)}, {dateformat.format(last, CLOCK)} {label}"


@register.filter
def place_span(window: Any, place: Any = None) -> str:
    """A window (anything with `start` and `end`: a deal, a booking, a slot) in its place's zone;
    the place is the window itself (a deal names its listing) unless given."""
    start, end = getattr(window, "start", None), getattr(window, "end", None)
    if not (start and end):
        return ""
    return format_span(start, end, place_zone(window if place is None else place))


@register.filter
def place_isodate(value: datetime | date | None, place: Any) -> str:
    """The day in the place's zone as `YYYY-MM-DD`, for a `<time datetime>`."""
    if not value:
        return ""
    return (value.astimezone(place_zone(place)) if isinstance(value, datetime) else value).isoformat()[:10]
