"""Payout items: which deals' credits each payout pays out (docs/money.md, "Payouts on a deal").

The payouts made before are allocated here as they would have been, oldest first: each live
payout (not failed) in the order they were made, over the credits its account had before it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Min, Sum

from barnraise.ledger.allocation import PAYOUT_PREFIX, AllocationShort, plan


def allocate_earlier_payouts(apps, schema_editor):  # type: ignore[no-untyped-def]
    Payout = apps.get_model("ledger", "Payout")
    Posting = apps.get_model("ledger", "Posting")
    PayoutItem = apps.get_model("ledger", "PayoutItem")
    allocated: dict[tuple[object, str], dict[str, int]] = {}
    for payout in Payout.objects.exclude(status="failed").order_by("created_at", "id").iterator():
        own = Posting.objects.filter(
            entry__reference=f"{PAYOUT_PREFIX}{payout.pk}",
            entry__kind="payout",
            account__kind="member_available",
            account__owner_id=payout.owner_id,
            amount_minor__gt=0,
        ).first()
        if own is None:
            continue
        rows = (
            Posting.objects.filter(account_id=own.account_id, entry__status="posted", id__lt=own.pk)
            .exclude(entry__reference__startswith=PAYOUT_PREFIX)
            .values("entry__reference")
            .annotate(total=Sum("amount_minor"), first=Min("id"))
            .order_by("first")
        )
        so_far = allocated.setdefault((payout.owner_id, payout.currency), {})
        try:
            items = plan([(r["entry__reference"], -r["total"]) for r in rows], so_far, payout.amount_minor)
        except AllocationShort:
            continue  # books that do not cover it are ledger_verify's to report
        for reference, amount in items:
            so_far[reference] = so_far.get(reference, 0) + amount
        PayoutItem.objects.bulk_create(
            PayoutItem(
                payout_id=payout.pk,
                owner_id=payout.owner_id,
                reference=reference,
                amount_minor=amount,
                currency=payout.currency,
            )
            for reference, amount in items
        )


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0011_taxes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PayoutItem',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('reference', models.CharField(help_text='The credit\'s entry reference: "transaction:<uuid>".', max_length=80)),
                ('amount_minor', models.BigIntegerField()),
                ('currency', models.CharField(max_length=3)),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('payout', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='items', to='ledger.payout')),
            ],
            options={
                'indexes': [models.Index(fields=['reference'], name='ledger_payo_referen_1af3b4_idx'), models.Index(fields=['owner', 'currency'], name='ledger_payo_owner_i_3de9cf_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('amount_minor__gt', 0)), name='ledger_payout_item_positive'), models.UniqueConstraint(fields=('payout', 'reference'), name='ledger_payout_item_once')],
            },
        ),
        migrations.RunPython(allocate_earlier_payouts, migrations.RunPython.noop),
    ]
