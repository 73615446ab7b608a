"""Taxes through the deals, as members and operators see them: the booking's price breakdown,
the ledger's `tax_payable`, refunds in proportion (docs/taxes.md).

The default fees apply (customer 5% + €0.50, commission 10%) to two hours of a €15.00 room in
Brussels (BE): price €30.00, service fee €2.00, commission €3.00.
"""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from barnraise.commerce.models import CommercePolicy, TaxRate, Transaction
from barnraise.ledger import selectors
from barnraise.ledger.models import Account, AccountKind, Payment
from barnraise.ledger.tests.conftest import book, completed_booking, step, sweep_at
from barnraise.ledger.verify import ledger_verify

pytestmark = pytest.mark.django_db


def tax_payable(jurisdiction="BE", currency="EUR"):
    account = Account.objects.filter(
        kind=AccountKind.TAX_PAYABLE, currency=currency, reference=f"tax:{jurisdiction}"
    ).first()
    return selectors.balance_of(account).amount_minor if account else 0


def assert_books_balance():
    assert all(total == 0 for total in selectors.trial_balance().values())
    assert ledger_verify().problems == []


def vat(percent="21", **fields):
    return TaxRate.objects.create(label="VAT", country="BE", percent=Decimal(percent), **fields)


def facilitator(on=True):
    policy = CommercePolicy.objects.first() or CommercePolicy()
    policy.marketplace_facilitator = on
    policy.save()


def lines_by_code(tx):
    return {line["code"]: line for line in tx["line_items"]}


def assert_lines_sum(tx):
    """The customer's lines (less included taxes) sum to the total; the shares sum to it too."""
    added = sum(
        line["amount"]["amount_minor"]
        for line in tx["line_items"]
        if line["paid_by"] == "customer" and not (line["tax"] and line["tax"]["inclusive"])
    )
    assert added == tx["total"]["amount_minor"]
    shares = tx["provider_payout"]["amount_minor"] + tx["platform_fee"]["amount_minor"]
    assert shares + tx["tax_payable"]["amount_minor"] == tx["total"]["amount_minor"]


def test_an_exclusive_vat_with_the_marketplace_as_facilitator(customer, provider, listing):
    vat()
    facilitator()
    tx = book(customer, listing()).json()
    lines = lines_by_code(tx)
    price_tax, fee_tax, commission_tax = lines["tax_price"], lines["tax_service_fee"], lines["tax_commission"]
    assert price_tax["kind"] == "tax" and price_tax["label"] == "VAT 21%"
    assert price_tax["tax"]["rate_percent"] == "21" and price_tax["tax"]["jurisdiction"] == "BE"
    assert price_tax["tax"]["inclusive"] is False and price_tax["tax"]["remitted_by"] == "marketplace"
    assert price_tax["amount"] == {"amount_minor": 630, "currency": "EUR", "formatted": "€6.30"}
    assert price_tax["tax"]["taxable"]["amount_minor"] == 3000
    assert fee_tax["amount"]["amount_minor"] == 42  # 21% of €2.00
    assert (commission_tax["amount"]["amount_minor"], commission_tax["paid_by"]) == (-63, "provider")
    assert tx["total"]["amount_minor"] == 3000 + 200 + 630 + 42
    assert tx["provider_payout"]["amount_minor"] == 3000 - 300 - 63
    assert tx["tax_payable"]["amount_minor"] == 630 + 42 + 63
    assert tx["platform_fee"]["amount_minor"] == 500
    assert_lines_sum(tx)
    # the card is charged what the breakdown says; on completion the tax is payable
    assert customer.call("GET", f"transactions/{tx['id']}/payment").json()["amount"]["amount_minor"] == 3872
    step(provider, tx["id"], "accept")
    sweep_at(datetime.fromisoformat(tx["end"]) + timedelta(days=1, minutes=1))
    assert tax_payable() == 735
    assert_books_balance()


def test_without_facilitation_the_price_tax_goes_to_the_provider(customer, provider, listing):
    vat()
    facilitator(False)
    tx = book(customer, listing()).json()
    lines = lines_by_code(tx)
    assert lines["tax_price"]["tax"]["remitted_by"] == "provider"
    assert tx["provider_payout"]["amount_minor"] == 3000 + 630 - 300 - 63
    assert tx["tax_payable"]["amount_minor"] == 42 + 63
    assert_lines_sum(tx)
    step(provider, tx["id"], "accept")
    sweep_at(datetime.fromisoformat(tx["end"]) + timedelta(days=1, minutes=1))
    assert tax_payable() == 105
    assert_books_balance()


def test_an_inclusive_rate_changes_no_total(customer, provider, listing):
    vat(inclusive=True, applies_to_fees=False)
    facilitator()
    tx = book(customer, listing()).json()
    lines = lines_by_code(tx)
    assert set(lines) == {"base", "customer_fee", "provider_commission", "tax_price"}
    assert lines["tax_price"]["amount"]["amount_minor"] == 521  # 3000 × 21 / 121 = 520.66
    assert lines["tax_price"]["tax"]["inclusive"] is True
    assert tx["total"]["amount_minor"] == 3200
    assert tx["provider_payout"]["amount_minor"] == 3000 - 300 - 521
    assert_lines_sum(tx)


def test_a_partial_refund_returns_the_tax_in_proportion(customer, provider, listing):
    vat()
    facilitator()
    tx = book(customer, listing(), days=3).json()  # moderate policy, under 120 hours: half back
    step(provider, tx["id"], "accept")
    step(customer, tx["id"], "cancel_by_customer", reason="Plans changed")
    payment = Payment.objects.get(reference=f"transaction:{tx['id']}")
    assert payment.refunded_minor == 1936  # half of 3872
    assert tax_payable() == 368  # 735 × 1936 / 3872 = 367.5, half to even
    assert_books_balance()


def test_an_operator_refund_after_release_takes_the_tax_back_from_tax_payable(customer, provider, listing):
    from barnraise.accounts.services import operator_create
    from barnraise.ledger.refunds import refund_issue
    from barnraise.money import Money

    vat()
    facilitator()
    tx = completed_booking(customer, provider, listing())
    assert tax_payable() == 735
    finance = operator_create(
        email="fin@example.com", name="Fin", password="pw-123456789", groups=["finance"]
    )
    refund_issue(actor=finance, deal_id=tx["id"], amount=Money(968, "EUR"), reason="Noisy")  # a quarter
    assert tax_payable() == 735 - 184  # 735 / 4 = 183.75
    assert_books_balance()


def test_a_business_customer_is_reverse_charged_where_the_rate_says(customer, provider, listing):
    vat(reverse_charge=True)
    facilitator()
    customer.user.tax_number = "BE0123456789"
    customer.user.save(update_fields=["tax_number"])
    tx = book(customer, listing()).json()
    lines = lines_by_code(tx)
    for code in ("tax_price", "tax_service_fee"):
        assert lines[code]["amount"]["amount_minor"] == 0
        assert lines[code]["tax"]["reverse_charge"] is True
        assert lines[code]["tax"]["note"] == "Reverse charge: the customer accounts for the VAT"
    assert lines["tax_commission"]["amount"]["amount_minor"] == -63  # the provider gave no number
    assert tx["total"]["amount_minor"] == 3200
    assert_lines_sum(tx)
    assert Transaction.objects.get(pk=tx["id"]).tax_payable_minor == 63


def test_no_rate_for_the_place_means_no_tax(customer, provider, listing):
    TaxRate.objects.create(label="VAT", country="FR", percent=Decimal("20"))
    tx = book(customer, listing()).json()
    assert not [line for line in tx["line_items"] if line["kind"] == "tax"]
    assert tx["total"]["amount_minor"] == 3200 and tx["tax_payable"]["amount_minor"] == 0
