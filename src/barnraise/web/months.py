"""Month arithmetic for the pages' month grids (the dashboard's bookings, a listing's free dates)."""

from datetime import date


def month_shift(first: date, months: int) -> date:
    """The first day of the month `months` after (or, negative, before) `first`'s month."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
