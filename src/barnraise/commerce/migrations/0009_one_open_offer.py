"""At most one open offer per provider and request, kept by the database (offer_create checked
first and then inserted, so two offers sent at once could both open).

Deals that already break the rule (from that race) are not changed here: a deal moves only
through its process. The migration stops and names them; withdraw the extra offers (the
provider's `withdraw` step), then migrate again.
"""

from typing import Any

from django.db import migrations, models
from django.db.models import Count


def refuse_duplicates(apps: Any, schema_editor: Any) -> None:
    transaction = apps.get_model("commerce", "Transaction")
    doubled = list(
        transaction.objects.filter(process="request", state__in=("offered", "countered"))
        .values("listing_id", "provider_id")
        .annotate(open_offers=Count("id"))
        .filter(open_offers__gt=1)
    )
    if doubled:
        pairs = ", ".join(f"listing {row['listing_id']} by provider {row['provider_id']}" for row in doubled)
        raise RuntimeError(
            f"Some providers have more than one open offer on a request ({pairs}). "
            "Withdraw all but one of each, then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_category_processes_listing_cancellation_policy"),
        ("commerce", "0008_dispute_records_for_version_1"),
    ]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="transaction",
            constraint=models.UniqueConstraint(
                condition=models.Q(("process", "request"), ("state__in", ("offered", "countered"))),
                fields=("listing", "provider"),
                name="tx_one_open_offer",
            ),
        ),
    ]
