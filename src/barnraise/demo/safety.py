"""Demo reports: what a living marketplace's operators find in their queue on a Monday.

Two members report listings they saw (one misleading, one that asked to pay outside the
marketplace), filed through the members' own door, so the console's queue has work in it.
"""

import random

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.trust.models import Report
from barnraise.trust.services import report_file

REPORTS = (
    (Report.Reason.MISLEADING, "The photos show a newer model than the one I was handed."),
    (Report.Reason.OFFPLATFORM, "The owner asked me to pay by bank transfer instead of booking here."),
)


def seed_reports(people: list[User], rng: random.Random) -> int:
    """File the demo's reports once (none if any report exists)."""
    if Report.objects.exists() or len(people) < 3:
        return 0
    filed = 0
    reporters = people[2:]
    for (reason, details), reporter in zip(REPORTS, reporters, strict=False):
        others = Listing.objects.filter(status=Listing.Status.PUBLISHED).exclude(author=reporter)
        # Not the demo logins' own listings where the marketplace has others.
        strangers = others.exclude(author__in=people[:2])
        candidates = list((strangers if strangers.exists() else others).order_by("id")[:5])
        if not candidates:
            continue
        listing = rng.choice(candidates)
        report_file(
            actor=reporter,
            subject=Report.Subject.LISTING,
            subject_id=str(listing.public_id),
            reason=reason,
            details=details,
        )
        filed += 1
    return filed
