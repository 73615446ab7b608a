"""Line items: what a transaction costs, computed once and stored with it.

A priced deal has its `base` items (the listing's price, or an offer's), then the marketplace's
fees from the FeeRule that applies to the listing's category:

- `customer_fee`: the service fee the customer pays on top, % of the base + a fixed amount,
  clamped to the currency's minimum and maximum;
- `provider_commission`: what the provider gives up, a negative amount marked
  `"paid_by": "provider"`, so it never changes what the customer pays.

Every fee is rounded once, by `Money.percent` (that is, `round_minor`).

Then the taxes of the operator's table (`barnraise.commerce.taxes`, docs/taxes.md): one line per
taxed amount, with `"kind": "tax"`.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.commerce import taxes
from barnraise.commerce.models import FeeAmount, FeeRule
from barnraise.copies import LocalCopy
from barnraise.errors import CurrencyNotSupported
from barnraise.money import Money

CUSTOMER = "customer"
PROVIDER = "provider"


def line_item(
    code: str, label: str, unit_price: Money, units: Decimal, *, paid_by: str = CUSTOMER
) -> dict[str, Any]:
    amount = unit_price.times(units)
    return {
        "code": code,
        "label": label,
        "unit_price": unit_price.amount_minor,
        "units": str(units.normalize()),
        "amount_minor": amount.amount_minor,
        "currency": amount.currency,
        "paid_by": paid_by,
    }


def base_items(listing: Listing, units: Decimal, seats: int = 1) -> list[dict[str, Any]]:
    price = Money(listing.price_amount_minor, listing.currency)
    label = (
        listing.title
        if seats == 1
        else _("%(title)s × %(seats)d seats") % {"title": listing.title, "seats": seats}
    )
    return [line_item("base", label, price, units * seats)]


@dataclass(frozen=True, slots=True)
class FeeTerms:
    """One rule's fees in one currency."""

    customer_percent: Decimal
    commission_percent: Decimal
    fixed: Money
    minimum: Money
    maximum: Money | None

    def customer_fee(self, base: Money) -> Money:
        fee = base.percent(self.customer_percent) + self.fixed
        if fee < self.minimum:
            fee = self.minimum
        if self.maximum is not None and self.maximum < fee:
            fee = self.maximum
        return fee

    def commission(self, base: Money) -> Money:
        return base.percent(self.commission_percent)


def _terms(rule: FeeRule, amounts: FeeAmount) -> FeeTerms:
    currency, maximum = amounts.currency, amounts.customer_max_minor
    return FeeTerms(
        customer_percent=rule.customer_fee_percent,
        commission_percent=rule.provider_commission_percent,
        fixed=Money(amounts.customer_fixed_minor, currency),
        minimum=Money(amounts.customer_min_minor, currency),
        maximum=None if maximum is None else Money(maximum, currency),
    )


def _rules_load() -> list[tuple[str, dict[str, FeeTerms]]]:
    """Each active rule as (its category's path, "" for the default; its terms by currency),
    the most specific (longest path) first."""
    rules = FeeRule.objects.filter(active=True).select_related("category").prefetch_related("amounts")
    found = [
        (
            rule.category.path if rule.category else "",
            {a.currency: _terms(rule, a) for a in rule.amounts.all()},
        )
        for rule in rules
    ]
    return sorted(found, key=lambda rule: -len(rule[0]))


# Every deal is priced, twice when it takes a card; commerce.apps connects the signals.
FEE_RULES = LocalCopy("fee_rules", _rules_load)


def fee_terms_for(listing: Listing, currency: str) -> FeeTerms | None:
    """The fees of the active rule of the listing's category or its nearest ancestor, else the
    default rule's. None when no rule applies (a fresh install before the operator sets fees).

    A rule without amounts for `currency` refuses it with 422 `currency_not_supported`.
    """
    path = listing.category.path
    terms = next((by_currency for prefix, by_currency in FEE_RULES.get() if path.startswith(prefix)), None)
    if terms is None:
        return None
    if currency not in terms:
        raise CurrencyNotSupported(details={"currency": currency})
    return terms[currency]


@dataclass(frozen=True, slots=True)
class Priced:
    """What a transaction stores: its line items and the amounts derived from them.

    `total = provider_payout + platform_fee + tax_payable` always."""

    line_items: list[dict[str, Any]]
    total: Money
    provider_payout: Money
    platform_fee: Money
    tax_payable: Money
    tax_jurisdiction: str = ""


def with_fees(
    listing: Listing,
    base: list[dict[str, Any]],
    currency: str,
    *,
    customer: User | None = None,
    provider: User | None = None,
) -> Priced:
    """Add the fees and the taxes that apply to the listing to its `base` items, and sum up.

    `customer` and `provider` are the parties (a payer's tax number decides a reverse charge);
    None for a price shown to nobody in particular."""
    base_amount = total(base, currency)
    items = list(base)
    customer_fee = commission = Money.zero(currency)
    terms = fee_terms_for(listing, currency)
    if terms is not None:
        customer_fee = terms.customer_fee(base_amount)
        commission = terms.commission(base_amount)
        items.append(line_item("customer_fee", _("Service fee"), customer_fee, Decimal(1)))
        items.append(
            line_item("provider_commission", _("Commission"), -commission, Decimal(1), paid_by=PROVIDER)
        )
    tax_items, payout_change, tax_payable, jurisdiction = _taxes(
        listing,
        currency,
        customer=customer,
        provider=provider,
        price=base_amount,
        fee=customer_fee,
        commission=commission,
    )
    items.extend(tax_items)
    grand_total = total(items, currency)
    provider_payout = base_amount - commission + payout_change
    return Priced(
        line_items=items,
        total=grand_total,
        provider_payout=provider_payout,
        platform_fee=grand_total - provider_payout - tax_payable,
        tax_payable=tax_payable,
        tax_jurisdiction=jurisdiction,
    )


def _taxes(
    listing: Listing,
    currency: str,
    *,
    customer: User | None,
    provider: User | None,
    price: Money,
    fee: Money,
    commission: Money,
) -> tuple[list[dict[str, Any]], Money, Money, str]:
    """The tax lines of a deal, how they change the provider's payout, what the marketplace
    remits, and the jurisdiction ("" when untaxed). See docs/taxes.md for the arithmetic."""
    zero = Money.zero(currency)
    rate = taxes.rate_for(listing)
    if rate is None:
        return [], zero, zero, ""
    facilitator = taxes.is_facilitator()
    lines: list[dict[str, Any]] = []
    payout_change = remitted = zero
    if rate.applies_to_price and price.amount_minor:
        remitter = taxes.MARKETPLACE if facilitator else taxes.PROVIDER
        line = taxes.tax_line(
            rate, on="price", taxable=price, paid_by=CUSTOMER, remitted_by=remitter, payer=customer
        )
        tax = Money(line["amount_minor"], currency)
        if not rate.inclusive:
            payout_change = payout_change + tax  # the customer pays it on top, to the provider…
        if facilitator:
            payout_change = payout_change - tax  # …unless the marketplace collects it
            remitted = remitted + tax
        lines.append(line)
    if rate.applies_to_fees:
        if fee.amount_minor:
            line = taxes.tax_line(
                rate,
                on="service_fee",
                taxable=fee,
                paid_by=CUSTOMER,
                remitted_by=taxes.MARKETPLACE,
                payer=customer,
            )
            remitted = remitted + Money(line["amount_minor"], currency)
            lines.append(line)
        if commission.amount_minor:
            line = taxes.tax_line(
                rate,
                on="commission",
                taxable=commission,
                paid_by=PROVIDER,
                remitted_by=taxes.MARKETPLACE,
                payer=provider,
            )
            tax = -Money(line["amount_minor"], currency)
            if not rate.inclusive:
                payout_change = payout_change - tax  # the provider pays it on top of the commission
            remitted = remitted + tax
            lines.append(line)
    return lines, payout_change, remitted, rate.jurisdiction if lines else ""


def total(items: list[dict[str, Any]], currency: str) -> Money:
    """What the customer pays for these items (items the provider pays, and taxes already
    included in another line, are left out)."""
    amount = Money.zero(currency)
    for item in items:
        if item.get("paid_by", CUSTOMER) == CUSTOMER and taxes.added(item):
            amount = amount + Money(int(item["amount_minor"]), str(item["currency"]))
    return amount
