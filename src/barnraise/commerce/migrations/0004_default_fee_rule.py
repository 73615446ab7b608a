"""The marketplace's default fees: the customer pays a 5% service fee + 0.50 (at least 0.50,
at most 50.00) and the provider a 10% commission, in USD, EUR and GBP. Operators change them,
and add currencies, in the admin."""

from decimal import Decimal
from typing import Any

from django.db import migrations

CUSTOMER_FEE_PERCENT = Decimal("5.00")
PROVIDER_COMMISSION_PERCENT = Decimal("10.00")
# In major units; each currency's minor units come from babel (JPY would have none).
FIXED, MINIMUM, MAXIMUM = Decimal("0.50"), Decimal("0.50"), Decimal("50.00")
CURRENCIES = ("USD", "EUR", "GBP")


def create_default(apps: Any, schema_editor: Any) -> None:
    from barnraise.money import currency_decimals

    FeeRule = apps.get_model("commerce", "FeeRule")
    FeeAmount = apps.get_model("commerce", "FeeAmount")
    if FeeRule.objects.filter(category__isnull=True, active=True).exists():
        return
    rule = FeeRule.objects.create(
        category=None,
        customer_fee_percent=CUSTOMER_FEE_PERCENT,
        provider_commission_percent=PROVIDER_COMMISSION_PERCENT,
        active=True,
    )
    for currency in CURRENCIES:
        minor = Decimal(10) ** currency_decimals(currency)
        FeeAmount.objects.create(
            rule=rule,
            currency=currency,
            customer_fixed_minor=int(FIXED * minor),
            customer_min_minor=int(MINIMUM * minor),
            customer_max_minor=int(MAXIMUM * minor),
        )


class Migration(migrations.Migration):
    dependencies = [("commerce", "0003_fees")]
    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
