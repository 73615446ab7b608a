"""Booking windows: checking them against the listing's rules, and holding seats safely.

No double booking: the calendar row is locked (SELECT … FOR UPDATE on PostgreSQL; on SQLite
every write transaction begins IMMEDIATE, so writers are serialized), then the seats free over
the window are counted from the weekly plan, the exceptions and the bookings already held,
and the booking is written in the same transaction.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils.translation import gettext as _

from barnraise import moments
from barnraise.catalog.availability import Span, free_seats, local_date_range
from barnraise.catalog.models import Listing
from barnraise.catalog.selectors import calendar_rules_read, calendar_rules_statements
from barnraise.commerce.models import Booking, Transaction
from barnraise.db import Statement, as_uuid, aware, batch, db_time, db_uuid, marks
from barnraise.errors import InvalidInput, NotAvailable


def window(listing: Listing, start: Any, end: Any, now: datetime) -> tuple[datetime, datetime, Decimal]:
    """(start, end, units) in UTC for a booking of `listing`, or InvalidInput naming the field."""
    if start is None or end is None:
        raise InvalidInput(details={"start" if start is None else "end": [_("Give start and end.")]})
    zone = ZoneInfo(listing.timezone)
    if listing.unit in ("day", "night"):
        first, last = moments.day(start, "start"), moments.day(end, "end")
        begin, finish = local_date_range(first, last, zone)
        units = Decimal((last - first).days)
    else:
        begin, finish = moments.moment(start, "start"), moments.moment(end, "end")
        minutes = int((finish - begin).total_seconds() // 60)
        if minutes % listing.slot_minutes or begin.astimezone(zone).minute % min(listing.slot_minutes, 60):
            raise InvalidInput(details={"end": [_("Book whole slots of %d minutes.") % listing.slot_minutes]})
        units = Decimal(minutes) / Decimal(60) if listing.unit == "hour" else Decimal(1)
    if finish <= begin:
        raise InvalidInput(details={"end": [_("Must be after start.")]})
    if units < listing.min_units or (listing.max_units is not None and units > listing.max_units):
        raise InvalidInput(
            details={
                "end": [
                    _("Book between %(low)s and %(high)s %(unit)s.")
                    % {"low": listing.min_units, "high": listing.max_units or "∞", "unit": listing.unit}
                ]
            }
        )
    if begin < now + timedelta(hours=listing.min_notice_hours):
        raise InvalidInput(details={"start": [_("Book at least %d hours ahead.") % listing.min_notice_hours]})
    if begin > now + timedelta(days=listing.max_advance_days):
        raise InvalidInput(details={"start": [_("Book at most %d days ahead.") % listing.max_advance_days]})
    return begin, finish, units


def taken_on(
    calendar_ids: list[Any], start: datetime, end: datetime, buffer: timedelta = timedelta(0)
) -> dict[Any, list[Span]]:
    """Seats held by pending and accepted bookings near [start, end), per calendar.

    Each booking blocks [its start − buffer, blocked_until): a new booking must keep the buffer
    on both sides.
    """
    if not calendar_ids:
        return {}
    (rows,) = batch([_taken_statement(calendar_ids, start, end, buffer)])
    return _taken_read(rows, buffer)


def _taken_statement(calendar_ids: list[Any], start: datetime, end: datetime, buffer: timedelta) -> Statement:
    # Hand-written: search runs this for every page with a window, and the ORM took ten times
    # as long to build the query as the database to answer it.
    sql = (
        "SELECT calendar_id, start, blocked_until, seats FROM commerce_booking "  # noqa: S608 - our names
        f"WHERE calendar_id IN ({marks(len(calendar_ids))}) AND status IN (%s, %s) "
        "AND start < %s AND blocked_until > %s"
    )
    params = [
        *(db_uuid(as_uuid(c)) for c in calendar_ids),
        Booking.Status.PENDING.value,
        Booking.Status.ACCEPTED.value,
        db_time(end + buffer),
        db_time(start),
    ]
    return sql, params


def _taken_read(rows: list[tuple[Any, ...]], buffer: timedelta) -> dict[Any, list[Span]]:
    found: dict[Any, list[Span]] = {}
    for calendar_id, begin, until, seats in rows:
        found.setdefault(as_uuid(calendar_id), []).append(Span(aware(begin) - buffer, aware(until), seats))
    return found


def reserve(tx: Transaction, listing: Listing, *, hold: bool = True) -> Booking | None:
    """Lock the listing's calendar and check that `tx.seats` are free for the transaction's
    window (else NotAvailable); the booking that holds them, to insert before the lock goes
    (at the end of the database transaction).

    The calendar lock and the three reads it guards (the bookings held, the weekly plan, the
    exceptions) go in one round trip on PostgreSQL. With hold=False (a dry run) only checks,
    without the lock, and returns None: the answer may be stale by the time the deal opens,
    and the real run checks again under the lock.
    """
    if listing.calendar_id is None or tx.start is None or tx.end is None:
        raise NotAvailable(_("This listing takes no bookings."))
    buffer = timedelta(minutes=listing.buffer_minutes)
    statements = [
        _taken_statement([listing.calendar_id], tx.start, tx.end, buffer),
        *calendar_rules_statements([listing.pk], tx.start, tx.end),
    ]
    if hold and connection.features.has_select_for_update:
        statements.insert(0, _lock_statement(listing.calendar_id))
    *_locked, booked, slot_rows, exception_rows = batch(statements)
    slots, exceptions = calendar_rules_read(slot_rows, exception_rows)
    free = free_seats(
        slots=slots.get(listing.pk, []),
        exceptions=exceptions.get(listing.pk, []),
        zone=ZoneInfo(listing.timezone),
        start=tx.start,
        end=tx.end,
        taken=_taken_read(booked, buffer).get(listing.calendar_id, []),
    )
    if free < tx.seats:
        raise NotAvailable(details={"free_seats": free})
    if not hold:
        return None
    return Booking(
        calendar_id=listing.calendar_id,
        transaction=tx,
        start=tx.start,
        end=tx.end,
        blocked_until=tx.end + buffer,
        seats=tx.seats,
    )


def _lock_statement(calendar_id: Any) -> Statement:
    return "SELECT id FROM catalog_calendar WHERE id = %s FOR UPDATE", [db_uuid(as_uuid(calendar_id))]
