"""A dispute record for every deal disputed on a process version 1, from its events.

Version 1's dispute steps wrote no `Dispute` row until they were given `record_dispute` and
`close_dispute`: such deals were missing from the operators' queue and the parties' dispute
pages (and opening one through the disputes endpoint answered 500).
"""

from typing import Any

from django.db import migrations


def record(apps: Any, schema_editor: Any) -> None:
    transaction = apps.get_model("commerce", "Transaction")
    event = apps.get_model("commerce", "TransactionEvent")
    dispute = apps.get_model("commerce", "Dispute")
    for tx in transaction.objects.filter(state__in=("disputed", "resolved"), disputes__isnull=True):
        opened = event.objects.filter(transaction=tx, to_state="disputed").order_by("-pk").first()
        if opened is None:
            continue
        resolved = event.objects.filter(transaction=tx, name="resolve").order_by("-pk").first()
        params = opened.params if isinstance(opened.params, dict) else {}
        dispute.objects.create(
            transaction=tx,
            opened_by_id=opened.actor_id,
            opened_as=opened.actor_role,
            reason=str(params.get("reason") or "")[:2000],
            status="resolved" if tx.state == "resolved" and resolved is not None else "open",
            outcome=str((resolved.params or {}).get("outcome") or "")[:2000] if resolved else "",
            refund_minor=0 if resolved else None,
            resolved_by_id=resolved.actor_id if resolved else None,
            resolved_at=resolved.created_at if resolved else None,
            created_at=opened.created_at,
        )


class Migration(migrations.Migration):
    dependencies = [("commerce", "0007_evidence_pages")]

    operations = [migrations.RunPython(record, migrations.RunPython.noop)]
