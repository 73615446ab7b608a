"""Cancellation policies: how much of the price a customer gets back, by notice given.

Operators edit policies in the admin. A transaction keeps a snapshot of its listing's policy,
so later edits never change a deal already made.
"""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from barnraise.commerce.models import CancellationPolicy
from barnraise.copies import LocalCopy
from barnraise.money import Money

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


def _notice(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def _share(percent: int, *, first: bool) -> str:
    if percent >= 100:
        return _("Full refund") if first else _("full refund")
    if percent <= 0:
        return _("No refund") if first else _("nothing")
    if percent == 50:
        return _("Half refunded") if first else _("half")
    return (_("%(p)d%% refunded") if first else _("%(p)d%%")) % {"p": percent}


def describe(policy: dict[str, Any]) -> str:
    """The policy in plain words, from its schedule: "Full refund until 5 days before the
    start, half after." (as `refund_percent` applies it)."""
    rows = sorted(policy.get("schedule") or [], key=lambda r: -int(r["hours_before"]))
    if not rows:
        return _("Full refund whenever you cancel.")
    parts = []
    for n, row in enumerate(rows):
        share = _share(int(row["refund_percent"]), first=n == 0)
        hours = int(row["hours_before"])
        if hours > 0:
            parts.append(
                _("%(share)s until %(notice)s before the start") % {"share": share, "notice": _notice(hours)}
            )
        elif n == 0:
            parts.append(_("%(share)s until the start") % {"share": share})
        else:
            parts.append(_("%(share)s after") % {"share": share})
    if int(rows[-1]["hours_before"]) > 0:
        parts.append(_("nothing after") if int(rows[-1]["refund_percent"]) else "")
    return ", ".join(p for p in parts if p) + "."


def listing_choices() -> dict[str, dict[str, str]]:
    """Every policy a listing may name, with its summary (registered with catalog)."""
    found = {}
    for slug, text in POLICIES.get().items():
        policy = json.loads(text)
        found[slug] = {"slug": slug, "name": str(policy["name"]), "summary": describe(policy)}
    return found


def refund_words(refund: dict[str, Any], policy: dict[str, Any], *, to_customer: bool) -> str:
    """What a step that gives money back (its dry run's `refund` effect) does, in words, for the
    customer (`to_customer`) or the provider: "You'll get back $45.00 of $90.00. The host's
    policy: full refund until 5 days before the start, half after."
    """
    currency = str(refund["currency"])
    back = Money(int(refund["amount_minor"]), currency).format()
    paid = Money(int(refund["paid_minor"]), currency).format()
    if refund.get("hold_released"):
        if to_customer:
            return _("Nothing was taken from your card yet: the hold of %(paid)s is released in full.") % {
                "paid": paid
            }
        return _("Nothing was taken from the customer's card yet: the hold of %(paid)s is released.") % {
            "paid": paid
        }
    if to_customer:
        said = _("You'll get back %(back)s of %(paid)s.") % {"back": back, "paid": paid}
    else:
        said = _("The customer gets back %(back)s of %(paid)s.") % {"back": back, "paid": paid}
    if refund.get("by_policy") and policy:
        terms = describe(policy)
        said += " " + _("The host's policy: %(terms)s") % {"terms": terms[:1].lower() + terms[1:]}
    return said
