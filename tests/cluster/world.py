"""Prepare and inspect the cluster's database: run inside Django, with the cluster's environment.

`python -m tests.cluster.world setup M N OUT.json`: M members seeded as `barnraise seed` makes
them (verified emails, the demo password); the first N become providers
whose payout accounts are opened at the fake Stripe and onboarded there (what the owner does at
Stripe's page, then the return page asks Stripe how it stands: here the same door,
`payout_account_fetch`); a category for the journey's goods; the dispute window set to 0 days,
so a completed deal's settlement timer is due at once and the worker settles it during the run.

`python -m tests.cluster.world check TOLD.json OUT.json`: the end-of-run invariants that need
the database (deals, payments, timers, ledger), written as JSON for the driver.
"""

import json
import os
import random
import sys
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import django

CATEGORY = "cluster-goods"


def setup(members: int, providers: int, out: Path) -> None:
    from barnraise.catalog.models import Category
    from barnraise.catalog.services import category_create
    from barnraise.commerce.models import CommercePolicy
    from barnraise.demo import data, seed
    from barnraise.ledger import payouts

    policy, _ = CommercePolicy.objects.get_or_create(pk=1)
    policy.dispute_window_days = 0
    policy.save()
    if not Category.objects.filter(slug=CATEGORY).exists():
        category_create(slug=CATEGORY, name="Cluster goods", kinds=["sale"])
    # Members with verified emails, as `barnraise seed` makes them; not its demo deals, which
    # pay through the sandbox.
    members_made = seed.seed_members(members, random.Random(7))
    base = os.environ["STRIPE_API_BASE"]
    for member in members_made[:providers]:
        account = payouts.payout_account_open(actor=member)
        request = urllib.request.Request(f"{base}/__cluster__/onboard/{account.external_id}", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
        payouts.payout_account_fetch(actor=member)  # what the onboarding return page does
    world = {
        "providers": [m.email for m in members_made[:providers]],
        "customers": [m.email for m in members_made[providers:]],
        "password": seed.DEMO_PASSWORD,
        "currency": data.CURRENCY,
        "category": CATEGORY,
    }
    out.write_text(json.dumps(world, indent=2))


def unsettled() -> None:
    """Print how much work the faults left for the sweepers: provider calls still pending
    (retried a minute after they were last touched), and timers due but not fired."""
    from django.utils import timezone

    from barnraise.ledger.models import ProviderCall
    from barnraise.timers.models import Timer

    calls = ProviderCall.objects.filter(status="pending").exclude(operation="authorize").count()
    timers = Timer.objects.filter(status=Timer.Status.PENDING, due_at__lte=timezone.now()).count()
    print(json.dumps({"provider_calls": calls, "timers": timers}))


def check(told_path: Path, out: Path) -> None:
    from django.db.models import Count

    from barnraise.commerce.models import Transaction, TransactionEvent
    from barnraise.ledger.models import Payment
    from barnraise.timers.models import Timer

    told = json.loads(told_path.read_text())
    problems: list[str] = []
    ids = set(told["deals"])
    found = {str(i) for i in Transaction.objects.filter(id__in=ids).values_list("id", flat=True)}
    for missing in sorted(ids - found):
        problems.append(f"deal {missing} was answered 201 but does not exist")
    # Each journey lists a fresh listing with a stock of one and buys it once: two deals on one
    # listing would be a request that acted twice.
    doubled = (
        Transaction.objects.filter(listing__public_id__in=told["listings"])
        .values("listing_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    for row in doubled:
        problems.append(f"listing {row['listing_id']} has {row['n']} deals, the journey made one")
    # Timers: every one due well before the end fired, once (a fired timer's transition is one event).
    cutoff = datetime.fromtimestamp(told["timers_due_before"], tz=UTC)
    overdue = (
        Timer.objects.filter(due_at__lte=cutoff)
        .exclude(status=Timer.Status.FIRED)
        .exclude(status=Timer.Status.CANCELLED)
    )
    for timer in overdue[:20]:
        problems.append(f"timer {timer.handler} {timer.target} due {timer.due_at} is {timer.status}")
    twice = (
        TransactionEvent.objects.filter(actor_role="system")
        .values("transaction_id", "name")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    for row in twice:
        problems.append(f"system step {row['name']} ran {row['n']} times on deal {row['transaction_id']}")
    payments = {
        p.authorization_id: {
            "status": p.status,
            "amount_minor": p.amount_minor,
            "refunded_minor": p.refunded_minor,
            "settled": p.settled,
        }
        for p in Payment.objects.all()
    }
    result = {
        "problems": problems,
        "deals_told": len(ids),
        "deals_in_database": Transaction.objects.count(),
        "timers": dict(Counter(Timer.objects.values_list("status", flat=True))),
        "settle_timers_fired": Timer.objects.filter(handler="ledger.settle_payment", status="fired").count(),
        "payments": payments,
    }
    out.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "barnraise.config.settings")
    django.setup()
    if sys.argv[1] == "unsettled":
        unsettled()
    elif sys.argv[1] == "setup":
        setup(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
    else:
        check(Path(sys.argv[2]), Path(sys.argv[3]))
