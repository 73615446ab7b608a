"""What a new listing starts with: its kind's defaults, then its category's own
(`Category.listing_defaults`, set by operators), so a room starts per night with check-in at
15:00 and check-out at 11:00, a service by the hour open in business hours, goods per item.

The listing wizard (web) offers these on its price, rules and availability steps; the member
changes any of them there.
"""

from datetime import time
from typing import Any

from django.utils.translation import gettext as _

from barnraise.catalog.models import KIND_UNITS, Category, Kind, Unit
from barnraise.errors import InvalidInput

# The weekly plans a default may name: (weekday, start, end); an end of 00:00 is midnight.
HOURS: dict[str, list[tuple[int, time, time]]] = {
    "all_week": [(day, time(0), time(0)) for day in range(7)],
    "business": [(day, time(9), time(17)) for day in range(5)],
}
STAY_CHECK_IN, STAY_CHECK_OUT = time(15), time(11)

KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    Kind.SALE: {"unit": Unit.ITEM, "stock": 1},
    Kind.RENTAL: {"unit": Unit.DAY, "hours": "all_week"},
    Kind.SERVICE: {"unit": Unit.HOUR, "hours": "business"},
    Kind.REQUEST: {"unit": Unit.JOB},
}
# What a category may set, and what each must be.
ALLOWED = {
    "unit": str,
    "check_in": str,
    "check_out": str,
    "stock": int,
    "min_units": int,
    "min_notice_hours": int,
    "slot_minutes": int,
    "instant_booking": bool,
    "hours": str,
}


def defaults_check(defaults: Any) -> dict[str, Any]:
    """An operator's `listing_defaults`, checked: known names, values of the right type."""
    if not isinstance(defaults, dict):
        raise InvalidInput(details={"listing_defaults": [_("Must be an object.")]})
    for name, value in defaults.items():
        kind = ALLOWED.get(name)
        if kind is None:
            raise InvalidInput(details={"listing_defaults": [_("Unknown default: %s.") % name]})
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InvalidInput(details={"listing_defaults": [_("Wrong type for %s.") % name]})
        if name in ("check_in", "check_out"):
            try:
                time.fromisoformat(str(value))
            except ValueError:
                raise InvalidInput(
                    details={"listing_defaults": [_("%s is a time, e.g. 15:00.") % name]}
                ) from None
        if name == "unit" and value not in Unit.values:
            raise InvalidInput(details={"listing_defaults": [_("Unknown unit: %s.") % value]})
        if name == "hours" and value not in HOURS:
            raise InvalidInput(details={"listing_defaults": [_("hours is one of: %s.") % ", ".join(HOURS)]})
    return defaults


def listing_defaults(kind: str, category: Category) -> dict[str, Any]:
    """The fields a new listing of `kind` in `category` starts with (listing_create's names),
    and `hours`: the name of its starting weekly plan (in HOURS) when the kind has a calendar."""
    found: dict[str, Any] = {**KIND_DEFAULTS.get(kind, {}), **(category.listing_defaults or {})}
    if found.get("unit") not in KIND_UNITS.get(kind, ()):
        found["unit"] = KIND_DEFAULTS[kind]["unit"] if kind in KIND_DEFAULTS else Unit.ITEM
    if kind != Kind.SALE:
        found.pop("stock", None)
    if kind in (Kind.RENTAL, Kind.SERVICE):
        found.setdefault("hours", "all_week")
    else:
        found.pop("hours", None)
    if kind == Kind.RENTAL and found["unit"] == Unit.NIGHT:
        found.setdefault("check_in", STAY_CHECK_IN.isoformat("minutes"))
        found.setdefault("check_out", STAY_CHECK_OUT.isoformat("minutes"))
    if kind != Kind.RENTAL or found["unit"] not in (Unit.NIGHT, Unit.DAY):
        found.pop("check_in", None)
        found.pop("check_out", None)
    for name in ("check_in", "check_out"):
        if name in found:
            found[name] = time.fromisoformat(found[name])
    return found


def weekly_plan(hours: str, seats: int) -> list[dict[str, Any]]:
    """The weekly slots of a named plan, as availability_set takes them."""
    return [{"weekday": day, "start": start, "end": end, "seats": seats} for day, start, end in HOURS[hours]]
