"""Taxes on a deal: the operator's `TaxRate` table applied to the price and the fees when the
deal is priced (docs/taxes.md).

The jurisdiction is the listing's place: the gazetteer's populated place nearest to the
listing's exact point gives its country and, where the gazetteer names its region (a US state,
a Canadian province, a German Land), its region's code ("US-VT", "CA-08"). The rate of a
jurisdiction is the most specific active row: a region's over its country's, a category's (or
its nearest ancestor's) over one for every category.

Each tax is a line item of its own (`"kind": "tax"`), on one taxed line: the price (the sum of
the base items), the customer's service fee, or the provider's commission. A line is rounded
once, half to even (`round_minor`):

- exclusive: tax = taxable × rate / 100, added to what its payer pays;
- inclusive: tax = taxable × rate / (100 + rate), already inside the taxed amount.

Reverse charge: where the rate says so and the line's payer has given a tax number, the line
shows the tax as the payer's to account for and charges nothing. No other law is computed.

Who remits: the tax on the marketplace's fees is the operator's (its own supply); the tax on the
price is the provider's, paid to them with the price, unless `CommercePolicy.
marketplace_facilitator` is on, when the operator collects and remits it too. What the operator
remits is `tax_payable` on the transaction, and the ledger posts it to the `tax_payable` account.

The table changes through one door, `tax_rate_save` (the admin calls it): each new rate, change
and switching off is an event in the log, shown with the tax report.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.commerce.models import CommercePolicy, TaxRate
from barnraise.copies import LocalCopy
from barnraise.eventlog.models import Event, EventType
from barnraise.eventlog.services import Subject, record
from barnraise.money import Money, round_minor
from barnraise.places import gazetteer

CUSTOMER = "customer"
PROVIDER = "provider"
MARKETPLACE = "marketplace"


@dataclass(frozen=True, slots=True)
class Rate:
    id: int
    label: str
    country: str
    region: str
    category_path: str  # "" for every category
    percent: Decimal
    inclusive: bool
    applies_to_price: bool
    applies_to_fees: bool
    reverse_charge: bool

    @property
    def jurisdiction(self) -> str:
        return f"{self.country}-{self.region}" if self.region else self.country

    def name(self) -> str:
        """ "VAT 20%": the label and the rate, as every line shows it."""
        return f"{self.label} {self.percent.normalize():f}%"

    def of(self, taxable: Money) -> Money:
        """The tax on `taxable`, rounded once."""
        if self.inclusive:
            share = Decimal(taxable.amount_minor) * self.percent / (100 + self.percent)
        else:
            share = Decimal(taxable.amount_minor) * self.percent / 100
        return Money(round_minor(share), taxable.currency)


def _rates_load() -> tuple[list[Rate], bool]:
    """The active rates, and whether the marketplace is the facilitator."""
    rows = TaxRate.objects.filter(active=True).select_related("category").order_by("pk")
    rates = [
        Rate(
            id=row.pk,
            label=row.label,
            country=row.country.upper(),
            region=row.region.upper(),
            category_path=row.category.path if row.category else "",
            percent=row.percent,
            inclusive=row.inclusive,
            applies_to_price=row.applies_to_price,
            applies_to_fees=row.applies_to_fees,
            reverse_charge=row.reverse_charge,
        )
        for row in rows
    ]
    policy = CommercePolicy.objects.first()
    return rates, bool(policy and policy.marketplace_facilitator)


# commerce.apps clears it when a rate or the policy changes.
TAX_RATES = LocalCopy("tax_rates", _rates_load)


def place_of(listing: Listing) -> tuple[str, str]:
    """(country code, region code) of the listing's place; ("", "") where nothing is near."""
    place = gazetteer.nearest(round(listing.lat, 3), round(listing.lng, 3))
    return (place.country_code.upper(), place.region_code.upper()) if place else ("", "")


def rate_for(listing: Listing) -> Rate | None:
    """The rate that applies to a deal on this listing, or None (no tax)."""
    rates, _facilitator = TAX_RATES.get()
    if not rates:
        return None  # no table: no gazetteer lookup either
    country, region = place_of(listing)
    path = listing.category.path
    found = [
        rate
        for rate in rates
        if rate.country == country and rate.region in ("", region) and path.startswith(rate.category_path)
    ]
    if not found:
        return None
    # Region over country, then the nearest category, then the oldest row.
    return min(found, key=lambda rate: (rate.region == "", -len(rate.category_path), rate.id))


def is_facilitator() -> bool:
    return TAX_RATES.get()[1]


def reverse_charged(rate: Rate, payer: User | None) -> bool:
    return rate.reverse_charge and payer is not None and bool((payer.tax_number or "").strip())


def tax_line(
    rate: Rate, *, on: str, taxable: Money, paid_by: str, remitted_by: str, payer: User | None
) -> dict[str, Any]:
    """One tax line item, self-describing: what it taxes, at what rate, where, and how much.

    `amount_minor` is what the line charges: negative for the provider's (like the commission),
    0 when reverse-charged. An inclusive line's amount is inside the taxed amount already, so it
    never adds to a total (`pricing.total` leaves it out)."""
    reverse = reverse_charged(rate, payer)
    tax = Money.zero(taxable.currency) if reverse else rate.of(taxable)
    signed = -tax if paid_by == PROVIDER else tax
    item: dict[str, Any] = {
        "kind": "tax",
        "code": f"tax_{on}",
        "label": rate.name(),
        "units": "1",
        "unit_price": signed.amount_minor,
        "amount_minor": signed.amount_minor,
        "currency": taxable.currency,
        "paid_by": paid_by,
        "tax_on": on,
        "taxable_minor": taxable.amount_minor,
        "rate_percent": f"{rate.percent.normalize():f}",
        "inclusive": rate.inclusive,
        "jurisdiction": rate.jurisdiction,
        "remitted_by": remitted_by,
        "reverse_charge": reverse,
    }
    if reverse:
        item["note"] = _("Reverse charge: the %(who)s accounts for the %(tax)s") % {
            "who": _("customer") if paid_by == CUSTOMER else _("provider"),
            "tax": rate.label,
        }
    return item


def is_tax(item: dict[str, Any]) -> bool:
    return item.get("kind") == "tax"


def added(item: dict[str, Any]) -> bool:
    """Whether a line adds to what its payer pays: every line but an inclusive tax."""
    return not (is_tax(item) and item.get("inclusive"))


# What an edit of the table records: every field an operator sets.
TAX_RATE_FIELDS = (
    "label",
    "country",
    "region",
    "category",
    "percent",
    "inclusive",
    "applies_to_price",
    "applies_to_fees",
    "reverse_charge",
    "active",
)


def _field_values(rate: TaxRate) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in TAX_RATE_FIELDS:
        value = getattr(rate, name) if name != "category" else rate.category_id and str(rate.category_id)
        values[name] = f"{value.normalize():f}" if isinstance(value, Decimal) else value
    return values


def tax_rate_save(*, actor: User | None, rate: TaxRate) -> TaxRate:
    """The one door to the tax table: add `rate` (no pk yet) or save the changes made to it.

    Checked as the model checks it (a region of its country, no active twin), saved, and
    recorded in the same transaction: `commerce:tax_rate:created`, `…:changed` with each changed
    field's before and after, or `…:deactivated` when it is switched off. Saving no change
    records nothing. Only `admin` and `finance` operators may; no actor is the system (the
    demo's seed)."""
    if actor is not None:
        operators.require_operator(actor, operators.ADMIN, operators.FINANCE)
    rate.full_clean()
    with transaction.atomic():
        before = None
        if rate.pk is not None:
            stored = TaxRate.objects.select_for_update().filter(pk=rate.pk).first()
            before = _field_values(stored) if stored is not None else None
        after = _field_values(rate)
        rate.save()
        payload: dict[str, Any]
        if before is None:
            type, payload = EventType.TAX_RATE_CREATED, {"fields": after}
        else:
            changed = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
            if not changed:
                return rate
            switched_off = before["active"] and not after["active"]
            type = EventType.TAX_RATE_DEACTIVATED if switched_off else EventType.TAX_RATE_CHANGED
            payload = {"changed": changed}
        payload.update(jurisdiction=rate.jurisdiction, label=rate.label, percent=after["percent"])
        record(Subject("tax_rate", str(rate.pk)), type, actor=actor, payload=payload)
    return rate


def tax_rate_history(*, limit: int = 20) -> list[Event]:
    """The latest edits of the tax table, newest first, with who made them."""
    return list(Event.objects.filter(subject_type="tax_rate").select_related("actor").order_by("-id")[:limit])
