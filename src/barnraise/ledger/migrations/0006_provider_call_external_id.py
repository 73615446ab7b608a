"""ProviderCall.external_id: an authorization is found by its id through an index, where the
lookup by a key of `result` scanned every provider call."""

from typing import Any

from django.db import migrations, models


def backfill(apps: Any, schema_editor: Any) -> None:
    ProviderCall = apps.get_model("ledger", "ProviderCall")
    calls = ProviderCall.objects.filter(operation="authorize").exclude(result={})
    for call in calls.iterator(chunk_size=1000):
        call.external_id = str(call.result.get("id", ""))[:255]
        call.save(update_fields=["external_id"])


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_snapshot_totals")]

    operations = [
        migrations.AddField(
            model_name="providercall",
            name="external_id",
            field=models.CharField(blank=True, db_index=True, max_length=255),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
