"""Cancellation policies: how much of the price a customer gets back, by notice given.

Operators edit policies in the admin. A transaction keeps a snapshot of its listing's policy,
so later edits never change a deal already made.
"""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from barnraise.commerce.models import CancellationPolicy
from barnraise.copies import LocalCopy

# Shipped defaults, also created by a data migration: (slug, name, schedule).
# A schedule lists {hours_before, refund_percent}: cancelling at least that many hours before
# the start refunds that share; the first matching row, from the most notice down, applies.
DEFAULTS: list[tuple[str, str, list[dict[str, int]]]] = [
    (
        "flexible",
        "Flexible",
        [{"hours_before": 24, "refund_percent": 100}, {"hours_before": 0, "refund_percent": 0}],
    ),
    (
        "moderate",
        "Moderate",
        [{"hours_before": 120, "refund_percent": 100}, {"hours_before": 0, "refund_percent": 50}],
    ),
    (
        "strict",
        "Strict",
        [{"hours_before": 168, "refund_percent": 50}, {"hours_before": 0, "refund_percent": 0}],
    ),
]


def _policies_load() -> dict[str, str]:
    """Each policy as JSON text: every snapshot is a fresh copy that no deal can share."""
    return {
        policy.slug: json.dumps({"slug": policy.slug, "name": policy.name, "schedule": policy.schedule})
        for policy in CancellationPolicy.objects.all()
    }


# Every booking snapshots its listing's policy; commerce.apps connects the signals.
POLICIES = LocalCopy("cancellation_policies", _policies_load)


def snapshot(slug: str) -> dict[str, Any]:
    """The policy as the transaction keeps it (a copy: later edits never change a deal)."""
    found = POLICIES.get().get(slug)
    return json.loads(found) if found is not None else {}


def refund_percent(policy: dict[str, Any], start: datetime | None, cancelled_at: datetime) -> Decimal:
    """The share of the price refunded when the customer cancels at `cancelled_at`."""
    if start is None or not policy.get("schedule"):
        return Decimal(100)
    notice_hours = Decimal((start - cancelled_at).total_seconds()) / 3600
    for row in sorted(policy["schedule"], key=lambda r: -r["hours_before"]):
        if notice_hours >= row["hours_before"]:
            return Decimal(row["refund_percent"])
    return Decimal(0)
