"""Deal forms: what the deal panel and the transaction page's step forms post, parsed into the
params the commerce services take. Parsing only: the services hold the rules.

Times come in as the browser's date or datetime-local values, without an offset; they are read
in the LISTING's time zone (the page says which), never the visitor's or the server's.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.http import QueryDict
from django.utils.translation import gettext as _

from barnraise.catalog.models import Listing
from barnraise.errors import DomainError, InvalidInput, NaiveDatetime
from barnraise.money import currency_decimals

TEXT_PARAMS = ("message", "reason", "tracking", "outcome", "payment_method")
WHOLE_PARAMS = ("seats", "quantity")
TEXT_MAX = 5000


@dataclass
class Parsed:
    """Params for a service, the errors found before calling it, and the values to show again."""

    params: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    top_error: str = ""
    # Where the customer confirms a card their bank wants to authenticate.
    action_url: str = ""

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def day_based(listing: Listing) -> bool:
    """Days and nights are booked by date; hours and jobs by local date and time."""
    return listing.unit in ("day", "night")


def _moment(parsed: Parsed, name: str, raw: str, listing: Listing) -> None:
    if day_based(listing):
        try:
            parsed.params[name] = date.fromisoformat(raw).isoformat()
        except ValueError:
            parsed.add(name, _("Choose a date."))
        return
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError:
        parsed.add(name, _("Choose a date and a time."))
        return
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=ZoneInfo(listing.timezone))
    parsed.params[name] = naive.isoformat()


def _whole(parsed: Parsed, name: str, raw: str) -> None:
    try:
        parsed.params[name] = int(raw)
    except ValueError:
        parsed.add(name, _("Enter a whole number."))


def price_minor(raw: str, currency: str) -> int | None:
    """ "12.50" in the currency's normal units as minor units (1250), or None when it is not one."""
    try:
        amount = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    minor = amount.scaleb(currency_decimals(currency))
    return int(minor) if minor == minor.to_integral_value() else None


def parse_params(
    names: tuple[str, ...] | list[str],
    data: QueryDict,
    *,
    listing: Listing,
    currency: str,
    required: tuple[str, ...] = (),
) -> Parsed:
    """The named params from posted form data; blank optional ones are left out."""
    parsed = Parsed()
    for name in names:
        raw = data.get(name, "").strip()
        parsed.values[name] = raw
        if not raw:
            if name in required:
                parsed.add(name, _("This field is required."))
            continue
        if name in ("start", "end"):
            _moment(parsed, name, raw, listing)
        elif name in WHOLE_PARAMS:
            _whole(parsed, name, raw)
        elif name in ("price", "refund"):
            minor = price_minor(raw, currency)
            if minor is None:
                parsed.add(name, _("Enter an amount, for example 12.50."))
            else:
                parsed.params[name] = {"amount_minor": minor, "currency": currency}
        elif name in TEXT_PARAMS:
            if len(raw) > TEXT_MAX:
                parsed.add(name, _("Use at most %d characters.") % TEXT_MAX)
            parsed.params[name] = raw
    return parsed


def add_domain_error(parsed: Parsed, error: DomainError, fields: tuple[str, ...] | list[str]) -> None:
    """A service's refusal: field details beside the fields the form has, the rest on top."""
    if error.code == "authentication_required" and isinstance(error.details, dict):
        # Where the bank's check is; the payment element confirms in the page, so this is only
        # reached by a form sent without it. No id is ever put back into a field.
        parsed.action_url = str(error.details.get("authentication_url", ""))
    details = error.details if isinstance(error, InvalidInput | NaiveDatetime) else None
    placed = False
    if isinstance(details, dict):
        for key, messages in details.items():
            name = str(key).removeprefix("params.").split(".", 1)[0]
            texts = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            if name in fields:
                parsed.errors.setdefault(name, []).extend(texts)
                placed = True
            else:
                parsed.top_error = " ".join([parsed.top_error, *texts]).strip()
                placed = placed or bool(texts)
    if not placed:
        parsed.top_error = error.message
