"""Dates and date-times a client sends: one rule for the whole API.

A date-time is ISO 8601 with a UTC offset (`2026-05-01T10:00:00+02:00`, or `Z`); one without
is never guessed: 400 `naive_datetime` naming the field, wherever it is sent (bookings, offers,
search, listings). A date is `YYYY-MM-DD`: what listings priced by the day or night are booked
with, in the listing's own time zone; a date-time there is refused too, so a time is never
silently widened to a whole day.
"""

import functools
import re
import zoneinfo
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from barnraise.errors import InvalidInput, NaiveDatetime, UnknownTimeZone

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parsed(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA names the system knows (listing them opens every file of the zone database, so
    once per process)."""
    return frozenset(zoneinfo.available_timezones())


_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")


@functools.lru_cache(maxsize=1024)
def time_zone_known(name: str) -> bool:
    """Is `name` an IANA zone this server has? One file read per new name (not the whole list):
    the pages ask it of every visitor's cookie."""
    if len(name) > 64 or not _ZONE_NAME.fullmatch(name):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def time_zone(value: Any, field: str) -> str:
    """An IANA time zone name (`Europe/Paris`); 400 `unknown_time_zone` naming the field otherwise."""
    text = str(value).strip() if value is not None else ""
    if not time_zone_known(text):
        raise UnknownTimeZone(field)
    return text


def moment(value: Any, field: str, *, message: str | None = None) -> datetime:
    """An aware date-time; NaiveDatetime without an offset, InvalidInput (`message`) if it is none."""
    found = value if isinstance(value, datetime) else _parsed(str(value))
    if found is None:
        raise InvalidInput(
            details={field: [message or _("Use ISO 8601 with an offset, e.g. 2026-05-01T10:00:00+02:00.")]}
        )
    if found.tzinfo is None:
        raise NaiveDatetime(field)
    return found


def day(value: Any, field: str) -> date:
    """A calendar date, `YYYY-MM-DD`. A date-time is refused: without an offset as everywhere
    (NaiveDatetime), with one because a day or a night is booked by its date."""
    text = str(value)
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    found = _parsed(text)
    if found is not None and found.tzinfo is None:
        raise NaiveDatetime(field)
    if found is not None:
        raise InvalidInput(details={field: [_("Booked by the day: give a date, YYYY-MM-DD, not a time.")]})
    raise InvalidInput(details={field: [_("Use a date, YYYY-MM-DD.")]})
