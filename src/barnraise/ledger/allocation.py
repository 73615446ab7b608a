"""Which credits a payout pays out: its allocation to the member's deals, oldest first.

A member's available balance (one account per currency) is credited by their deals (the
settlement of a deal's share: entries referenced "transaction:<uuid>"), debited by claw-backs of
those deals and by payouts ("payout:<uuid>", credited back when a payout fails). A payout is
allocated, when it is made, to what each credit still has unpaid, first in first out:

    unpaid(credit) = max(0, net postings of its reference on the account − its live items)

where the net counts the claw-backs of the same deal, and the live items are those of payouts
that have not failed. The sum of every credit's unpaid part is at least the balance (a payout's
own postings are not credits; each live payout's items sum to its amount), so a payout, which
never exceeds the balance, is always allocated in full: its items sum to its amount. A
failed payout's items stop counting, so the money it returned is allocated again.

The caller holds the lock on the available account (`payout_request` does), so two payouts for
one member and currency never read the same unpaid credit.
"""

from collections.abc import Iterable

PAYOUT_PREFIX = "payout:"


class AllocationShort(RuntimeError):
    """The credits do not cover the payout: the books and the items disagree (never expected)."""


def plan(credits: Iterable[tuple[str, int]], allocated: dict[str, int], amount: int) -> list[tuple[str, int]]:
    """Split `amount` over `credits` ((reference, net credited), oldest first), after what
    `allocated` already pays out of each; raises AllocationShort if they do not cover it."""
    left = amount
    items: list[tuple[str, int]] = []
    for reference, credited in credits:
        if left <= 0:
            break
        unpaid = credited - allocated.get(reference, 0)
        if unpaid <= 0:
            continue
        take = min(unpaid, left)
        items.append((reference, take))
        left -= take
    if left > 0:
        raise AllocationShort(f"{left} of {amount} is not covered by any credit")
    return items
