"""Marketplace fees through the API: the default rule from the migration (customer 5% + 0.50,
at least 0.50, at most 50.00; provider commission 10%), category rules, currencies."""

from decimal import Decimal

import pytest

from barnraise.catalog.models import Listing
from barnraise.catalog.services import category_create
from barnraise.commerce.models import Booking, FeeAmount, FeeRule, Transaction
from barnraise.commerce.tests.conftest import slot, step
from barnraise.conftest import TEST_CARD, after_commit

pytestmark = pytest.mark.django_db


def default_rule():
    return FeeRule.objects.get(category=None, active=True)


def edit(rows, **fields):
    """Change rows as an operator does in the admin: each saved (pricing keeps a copy of the
    rules, which a save drops)."""
    for row in rows:
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()


def book(client, listing, hours=2, **fields):
    start, end = slot(hours=hours)
    body = {
        "listing_id": str(listing.public_id),
        "start": start,
        "end": end,
        "payment_method": TEST_CARD,
        **fields,
    }
    return after_commit(lambda: client.call("POST", "transactions", json=body))


def buy(client, listing, quantity=1, query=""):
    body = {"listing_id": str(listing.public_id), "quantity": quantity, "payment_method": TEST_CARD}
    return after_commit(lambda: client.call("POST", f"transactions{query}", json=body))


def money(tx, field):
    return tx[field]["amount_minor"]


def fees(tx):
    """{code: amount_minor} of the priced line items."""
    return {item["code"]: item["amount"]["amount_minor"] for item in tx["line_items"]}


def test_default_rule_prices_a_booking(customer, provider, listing):
    # given a room at €15.00 an hour and the default rule
    room = listing(price_amount_minor=1500)
    # when the customer books two hours (€30.00)
    created = book(customer, room)
    # then the customer pays 5% + €0.50 on top, and the provider gives up 10%
    assert created.status_code == 201, created.json()
    tx = created.json()
    assert fees(tx) == {"base": 3000, "customer_fee": 200, "provider_commission": -300}
    assert [item["paid_by"] for item in tx["line_items"]] == ["customer", "customer", "provider"]
    # and every line's amounts are money, its units a decimal string
    base = tx["line_items"][0]
    assert (base["units"], base["unit_price"], base["amount"]) == (
        "2",
        {"amount_minor": 1500, "currency": "EUR", "formatted": "€15.00"},
        {"amount_minor": 3000, "currency": "EUR", "formatted": "€30.00"},
    )
    assert tx["total"] == {"amount_minor": 3200, "currency": "EUR", "formatted": "€32.00"}
    assert money(tx, "provider_payout") == 2700 and money(tx, "platform_fee") == 500
    stored = Transaction.objects.get(pk=tx["id"])
    assert (stored.total_amount_minor, stored.provider_payout_minor, stored.platform_fee_minor) == (
        3200,
        2700,
        500,
    )
    # and accepting it keeps the price
    accepted = step(provider, tx["id"], "accept").json()
    assert (money(accepted, "total"), money(accepted, "provider_payout")) == (3200, 2700)


def test_default_rule_prices_a_purchase(customer, listing):
    bike = listing("sale", price_amount_minor=20000, stock=3)
    tx = buy(customer, bike, quantity=2).json()
    assert fees(tx) == {"base": 40000, "customer_fee": 2050, "provider_commission": -4000}
    assert money(tx, "total") == 42050
    assert money(tx, "provider_payout") == 36000 and money(tx, "platform_fee") == 6050


@pytest.mark.parametrize(
    ("price", "customer_fee", "commission"),
    [
        (1010, 50 + 50, 101),  # 5% is 50.5: half to even, 50
        (1030, 52 + 50, 103),  # 51.5 -> 52
        (1005, 50 + 50, 100),  # 50.25 -> 50; 10% is 100.5 -> 100
        (1015, 51 + 50, 102),  # 50.75 -> 51; 101.5 -> 102
    ],
)
def test_a_fractional_percentage_is_rounded_once(customer, listing, price, customer_fee, commission):
    bike = listing("sale", price_amount_minor=price)
    tx = buy(customer, bike).json()
    assert fees(tx) == {"base": price, "customer_fee": customer_fee, "provider_commission": -commission}
    assert money(tx, "total") == price + customer_fee
    assert money(tx, "provider_payout") == price - commission


def test_a_fractional_rule_percentage(customer, listing):
    edit(
        FeeRule.objects.filter(pk=default_rule().pk),
        customer_fee_percent=Decimal("2.75"),
        provider_commission_percent=Decimal("12.50"),
    )
    bike = listing("sale", price_amount_minor=1234)
    tx = buy(customer, bike).json()
    # 2.75% of 1234 = 33.935 -> 34, + 50; 12.5% of 1234 = 154.25 -> 154
    assert fees(tx) == {"base": 1234, "customer_fee": 84, "provider_commission": -154}


def test_the_service_fee_is_clamped_to_the_minimum_and_maximum(customer, listing):
    # given a minimum above what the percentage gives on a small price
    edit(
        FeeAmount.objects.filter(rule=default_rule(), currency="EUR"),
        customer_fixed_minor=0,
        customer_min_minor=100,
    )
    small = listing("sale", price_amount_minor=1000)
    # then the fee is the minimum: 5% of €10.00 is €0.50, below €1.00
    assert fees(buy(customer, small).json())["customer_fee"] == 100
    # and on a large price it stops at the maximum (€50.00), while the commission is not capped
    large = listing("sale", price_amount_minor=500_000)
    tx = buy(customer, large).json()
    assert fees(tx) == {"base": 500_000, "customer_fee": 5000, "provider_commission": -50_000}
    assert money(tx, "total") == 505_000 and money(tx, "platform_fee") == 55_000


def test_a_category_rule_overrides_the_default_for_its_subcategories(customer, listing, cats):
    # given tools > power tools, and a rule on tools without fixed fee or maximum
    tools = category_create(slug="tools", name="Tools", kinds=["sale"])
    power = category_create(slug="power-tools", name="Power tools", parent=tools, kinds=["sale"])
    rule = FeeRule.objects.create(
        category=tools, customer_fee_percent=Decimal(8), provider_commission_percent=Decimal(15)
    )
    FeeAmount.objects.create(rule=rule, currency="EUR", customer_max_minor=None)
    # when a drill in power tools is bought
    drill = listing("sale", category=power, price_amount_minor=200_000)
    tx = buy(customer, drill).json()
    # then the tools rule applies, uncapped
    assert fees(tx) == {"base": 200_000, "customer_fee": 16_000, "provider_commission": -30_000}
    # and a bike elsewhere keeps the default
    bike = listing("sale", category=cats["bikes"], price_amount_minor=200_000)
    assert fees(buy(customer, bike).json())["customer_fee"] == 5000
    # and when the tools rule is switched off (saved, as the admin does), the default applies
    rule.active = False
    rule.save()
    assert fees(buy(customer, drill).json())["customer_fee"] == 5000


def test_a_currency_without_amounts_is_refused_and_nothing_is_written(customer, listing):
    # given a room priced in Swiss francs, which the default rule has no amounts for
    room = listing(currency="CHF", price_amount_minor=1500)
    bike = listing("sale", currency="CHF", stock=3)
    # when the customer books or buys, for real or as a dry run
    refused = [book(customer, room), buy(customer, bike), buy(customer, bike, query="?dry_run=true")]
    # then each is refused and nothing changed
    for response in refused:
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "currency_not_supported"
        assert response.json()["error"]["details"] == {"currency": "CHF"}
    assert Transaction.objects.count() == 0 and Booking.objects.count() == 0
    assert Listing.objects.get(pk=bike.pk).stock == 3


def test_zero_and_three_decimal_currencies(customer, listing):
    rule = default_rule()
    FeeAmount.objects.create(
        rule=rule, currency="JPY", customer_fixed_minor=50, customer_min_minor=50, customer_max_minor=5000
    )
    FeeAmount.objects.create(
        rule=rule, currency="KWD", customer_fixed_minor=150, customer_min_minor=150, customer_max_minor=15000
    )
    # ¥1,234: 5% is 61.7 -> ¥62 + ¥50; 10% is 123.4 -> ¥123
    yen = buy(customer, listing("sale", currency="JPY", price_amount_minor=1234)).json()
    assert fees(yen) == {"base": 1234, "customer_fee": 112, "provider_commission": -123}
    assert yen["total"]["formatted"] == "¥1,346"
    # KWD 12.345: 5% is 617.25 fils -> 617 + 150; 10% is 1234.5 -> 1234 (half to even)
    dinar = buy(customer, listing("sale", currency="KWD", price_amount_minor=12345)).json()
    assert fees(dinar) == {"base": 12345, "customer_fee": 767, "provider_commission": -1234}
    assert money(dinar, "total") == 13112 and money(dinar, "provider_payout") == 11111
    assert "13.112" in dinar["total"]["formatted"]


def test_an_offer_price_gets_fees(customer, api_as, listing):
    need = listing("request", actor=customer.user, title="Paint my fence")
    alice = api_as(name="Alice")
    offer = alice.call(
        "POST", f"listings/{need.public_id}/offers", json={"price": {"amount_minor": 9000, "currency": "EUR"}}
    ).json()
    assert fees(offer) == {"offer": 9000, "customer_fee": 500, "provider_commission": -900}
    assert money(offer, "total") == 9500 and money(offer, "provider_payout") == 8100
    # a counter-offer is a new price, priced afresh
    countered = step(customer, offer["id"], "counter", price={"amount_minor": 8000, "currency": "EUR"}).json()
    assert fees(countered) == {"offer": 8000, "customer_fee": 450, "provider_commission": -800}
    assert money(countered, "platform_fee") == 1250


def test_a_dry_run_shows_the_whole_breakdown_and_writes_nothing(customer, listing):
    bike = listing("sale", price_amount_minor=20000, stock=3)
    quote = buy(customer, bike, query="?dry_run=true")
    assert quote.status_code == 200 and quote.json()["dry_run"] is True
    assert fees(quote.json()) == {"base": 20000, "customer_fee": 1050, "provider_commission": -2000}
    assert money(quote.json(), "provider_payout") == 18000
    assert money(quote.json(), "platform_fee") == 3050
    assert Transaction.objects.count() == 0 and Listing.objects.get(pk=bike.pk).stock == 3


def test_changing_a_rule_leaves_existing_transactions_alone(customer, provider, listing):
    # given a booking priced under the default rule
    room = listing(price_amount_minor=1500)
    tx = book(customer, room).json()
    before = Transaction.objects.get(pk=tx["id"])
    # when the operator raises the fees
    edit(
        FeeRule.objects.filter(pk=default_rule().pk),
        customer_fee_percent=Decimal(20),
        provider_commission_percent=Decimal(30),
    )
    edit(FeeAmount.objects.filter(currency="EUR"), customer_fixed_minor=999, customer_min_minor=999)
    # and the deal moves on
    accepted = step(provider, tx["id"], "accept").json()
    # then its stored amounts are the ones it was priced with
    after = Transaction.objects.get(pk=tx["id"])
    assert after.line_items == before.line_items
    assert (after.total_amount_minor, after.provider_payout_minor, after.platform_fee_minor) == (
        3200,
        2700,
        500,
    )
    assert money(accepted, "total") == 3200 and fees(accepted) == fees(tx)
    # while a new booking gets the new fees: 20% of 3000 + 9.99
    assert fees(book(customer, listing(price_amount_minor=1500)).json())["customer_fee"] == 1599


def test_without_fee_rules_no_fees_apply(no_fees, customer, listing):
    tx = buy(customer, listing("sale", price_amount_minor=20000)).json()
    assert fees(tx) == {"base": 20000}
    assert money(tx, "total") == money(tx, "provider_payout") == 20000
    assert money(tx, "platform_fee") == 0


def test_a_deal_opens_at_the_price_its_card_was_authorized_for(customer, listing, monkeypatch):
    # given a room at €15.00 an hour, whose fees the operator raises while the card is authorized
    from barnraise.commerce import registry

    room = listing(price_amount_minor=1500)
    hooks = registry.payment_hooks()
    authorized = []

    def authorize_then_raise_fees(**call):
        authorized.append(call["amount"].amount_minor)
        edit([default_rule()], customer_fee_percent=Decimal("20"))
        return hooks.authorize(**call)

    monkeypatch.setattr(
        registry, "_payment_hooks", [registry.PaymentHooks(authorize_then_raise_fees, hooks.abandon)]
    )
    # when the customer books two hours (€30.00, priced at 5% + €0.50 before the change)
    created = book(customer, room)
    # then the deal opens at the price the card was authorized for, not priced again
    assert created.status_code == 201, created.json()
    assert authorized == [3200]
    assert money(created.json(), "total") == 3200
    assert Transaction.objects.get(pk=created.json()["id"]).total_amount_minor == 3200
    # and the next booking pays the new fees
    assert money(book(customer, room, hours=1).json(), "total") > 1500 * 105 // 100 + 50
