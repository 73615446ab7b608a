"""The search page's form values, turned into the search query's parameters and back.

The page's form speaks like a person: prices in major units ("12.50"), date-times as the
browser's `datetime-local` inputs give them (no offset) plus the browser's zone in `tz`, which
a small script fills in. Without the script `tz` is empty and the times are read as UTC, and
the page says so. Saved searches and links may also carry the query's own names
(`min_price` in minor units, `start` with an offset); those pass through as they are.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from barnraise.errors import InvalidInput
from barnraise.money import currency_decimals, known_currencies
from barnraise.places import gazetteer
from barnraise.search.query import KNOWN

FORM_ONLY = ("price_from", "price_to", "tz", "saved", "where")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass
class Translated:
    params: dict[str, str]  # for search.query.parse
    form: dict[str, str]  # the values to show in the form
    zone: str  # the zone the window's times were read in
    zone_known: bool  # False when the browser did not say (no JavaScript): UTC
    errors: dict[str, list[str]] = field(default_factory=dict)


def _zone(raw: str) -> tuple[ZoneInfo, bool]:
    try:
        return (ZoneInfo(raw), True) if raw else (ZoneInfo("UTC"), False)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC"), False


def _window_value(raw: str, tz: ZoneInfo) -> tuple[str, str]:
    """(the query's ISO value, the form's datetime-local value) for one end of the window."""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return raw, raw  # the parser names the parameter and says what is wrong
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.isoformat(), moment.astimezone(tz).strftime(LOCAL_FORMAT)


def _minor(raw: str, currency: str, name: str, errors: dict[str, list[str]]) -> str | None:
    try:
        amount = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        errors[name] = [_("Give an amount such as 25 or 12.50.")]
        return None
    if not amount.is_finite() or amount < 0:
        errors[name] = [_("Give an amount of zero or more.")]
        return None
    places = currency_decimals(currency) if currency in known_currencies() else 2
    return str(int((amount * (Decimal(10) ** places)).to_integral_value()))


def _major(raw: str, currency: str) -> str:
    if not raw.isdigit():
        return raw
    places = currency_decimals(currency) if currency in known_currencies() else 2
    return f"{Decimal(raw).scaleb(-places):f}"


def translate(
    given: Mapping[str, str], default_currency: str | None = None, near: tuple[float, float] | None = None
) -> Translated:
    """The page's values → the query's parameters. Empty values are dropped, and so are names
    the page does not know (a tracking tag on a shared link): a page is lenient with its query
    string, where the API refuses unknown fields. A price without a currency is in
    `default_currency` (the marketplace's), and the form shows that currency back. A place
    typed in `where` becomes a point and a radius (the town's reach unless one was chosen),
    ranked toward `near`, and wins over a point the map or "Near me" left in the form."""
    values = {
        k: str(v).strip()
        for k, v in given.items()
        if str(v).strip() != "" and (k in KNOWN or k in FORM_ONLY or k.startswith("attr."))
    }
    tz, zone_known = _zone(values.get("tz", ""))
    params = {k: v for k, v in values.items() if k not in FORM_ONLY}
    form = dict(values)
    errors: dict[str, list[str]] = {}
    currency = values.get("currency", "").upper()
    priced = any(name in values for name in ("price_from", "price_to", "min_price", "max_price"))
    if not currency and priced and default_currency:
        currency = default_currency
    if currency:
        params["currency"] = form["currency"] = currency
    for form_name, param in (("price_from", "min_price"), ("price_to", "max_price")):
        if form_name in values:
            minor = _minor(values[form_name], currency, form_name, errors)
            if minor is not None:
                params[param] = minor
        elif param in values:
            form[form_name] = _major(values[param], currency)
    for name in ("start", "end"):
        if name in values:
            params[name], form[name] = _window_value(values[name], tz)
    if "where" in values:
        place = gazetteer.resolve(values["where"], near=near)
        if place is None:
            unknown = _("We don’t know a place called “%(name)s”. Try the nearest town.")
            errors["where"] = [unknown % {"name": values["where"]}]
        else:
            params.update(lat=f"{place.lat:.5f}", lng=f"{place.lng:.5f}")
            params.setdefault("radius_km", str(place.radius_km))
            form.update(where=place.label, **{k: params[k] for k in ("lat", "lng", "radius_km")})
    if "lat" not in params and "lng" not in params:
        params.pop("radius_km", None)  # a radius without a place means nothing on this page
    return Translated(params, form, str(tz.key), zone_known, errors)


def form_errors_from(error: InvalidInput) -> dict[str, list[str]]:
    """The query's error details in the page's names (min_price → price_from)."""
    renamed = {"min_price": "price_from", "max_price": "price_to"}
    details = error.details if isinstance(error.details, dict) else {}
    out: dict[str, list[str]] = {}
    for key, messages in details.items():
        out.setdefault(renamed.get(str(key), str(key)), []).extend(
            str(m) for m in (messages if isinstance(messages, list) else [messages])
        )
    return out or {"": [error.message]}
