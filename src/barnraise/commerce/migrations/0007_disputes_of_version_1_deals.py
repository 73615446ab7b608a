"""Give every disputed deal its open `Dispute` row.

Deals on version 1 of a process went to `disputed` without one (their dispute step did not record
it), so the operators' queue, which lists `Dispute` rows, never showed them. The row is made from
the event that moved the deal to `disputed`: who opened it, as which party, why and when.
"""

from typing import Any

from django.db import migrations


def record_missing_disputes(apps: Any, schema_editor: Any) -> None:
    Transaction = apps.get_model("commerce", "Transaction")
    TransactionEvent = apps.get_model("commerce", "TransactionEvent")
    Dispute = apps.get_model("commerce", "Dispute")
    missing = Transaction.objects.filter(state="disputed").exclude(disputes__status="open")
    for tx in missing.iterator():
        opened = TransactionEvent.objects.filter(transaction=tx, to_state="disputed").order_by("-id").first()
        if opened is None:
            continue
        reason = opened.params.get("reason") if isinstance(opened.params, dict) else None
        Dispute.objects.create(
            transaction=tx,
            opened_by_id=opened.actor_id,
            opened_as=opened.actor_role,
            reason=str(reason or "")[:2000],
            created_at=opened.created_at,
        )


class Migration(migrations.Migration):
    dependencies = [("commerce", "0006_composite_indexes_cover_keys")]

    operations = [migrations.RunPython(record_missing_disputes, migrations.RunPython.noop)]
