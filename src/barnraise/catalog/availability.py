"""Availability: a weekly plan in the listing's local time plus dated exceptions, in seats.

The plan is evaluated day by day in the listing's IANA time zone and turned into UTC intervals,
so a daylight-saving change shortens or lengthens that local day as a person would expect:
"09:00–17:00 every day" stays 09:00–17:00 on the wall clock. Exceptions (stored in UTC)
replace the plan while they last. Bookings, when the transaction engine adds them, are passed in
as `taken` intervals and subtract seats.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Slot:
    weekday: int
    start: time
    end: time  # time(0) means the end of the day
    seats: int


@dataclass(frozen=True, slots=True)
class Span:
    start: datetime  # aware, UTC
    end: datetime
    seats: int


def local_day_bounds(day: date, start: time, end: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    begin = datetime.combine(day, start, tzinfo=zone)
    finish = datetime.combine(day + timedelta(days=1) if end == time(0) else day, end, tzinfo=zone)
    return begin.astimezone(UTC), finish.astimezone(UTC)


def local_date_range(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A day or night booking [start, end) in local dates, as a UTC window."""
    return (
        datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC),
        datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC),
    )


def plan_spans(slots: Sequence[Slot], zone: ZoneInfo, start: datetime, end: datetime) -> list[Span]:
    """The weekly plan's intervals that touch [start, end), in UTC."""
    spans: list[Span] = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    by_weekday: dict[int, list[Slot]] = {}
    for slot in slots:
        by_weekday.setdefault(slot.weekday, []).append(slot)
    while day <= last:
        for slot in by_weekday.get(day.weekday(), ()):
            begin, finish = local_day_bounds(day, slot.start, slot.end, zone)
            if begin < end and finish > start and finish > begin:
                spans.append(Span(begin, finish, slot.seats))
        day += timedelta(days=1)
    return spans


def _seats_at(moment: datetime, plan: Iterable[Span], exceptions: Iterable[Span]) -> int:
    overriding = [e.seats for e in exceptions if e.start <= moment < e.end]
    if overriding:
        return min(overriding)
    return max((s.seats for s in plan if s.start <= moment < s.end), default=0)


def free_seats(
    *,
    slots: Sequence[Slot],
    exceptions: Sequence[Span],
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
    taken: Sequence[Span] = (),
) -> int:
    """The fewest seats free at any instant of [start, end): what a booking of it can take."""
    if end <= start:
        return 0
    plan = plan_spans(slots, zone, start, end)
    points = {start}
    for span in (*plan, *exceptions, *taken):
        for point in (span.start, span.end):
            if start < point < end:
                points.add(point)
    lowest: int | None = None
    for moment in sorted(points):
        seats = _seats_at(moment, plan, exceptions)
        seats -= sum(t.seats for t in taken if t.start <= moment < t.end)
        lowest = seats if lowest is None else min(lowest, seats)
        if lowest <= 0:
            return 0
    return max(lowest or 0, 0)


# Bookings live in commerce, which registers how to read them; catalog imports no commerce.
TakenProvider = Callable[[list[Any], datetime, datetime], dict[Any, list[Span]]]
_taken_providers: list[TakenProvider] = []


def register_taken_provider(provider: TakenProvider) -> None:
    """`provider(calendar_ids, start, end)` returns the seats already taken, per calendar."""
    if provider not in _taken_providers:
        _taken_providers.append(provider)


def taken_for(calendar_ids: Iterable[Any], start: datetime, end: datetime) -> dict[Any, list[Span]]:
    ids = [c for c in calendar_ids if c is not None]
    found: dict[Any, list[Span]] = {}
    for provider in _taken_providers:
        for calendar_id, spans in provider(ids, start, end).items():
            found.setdefault(calendar_id, []).extend(spans)
    return found


def _pieces(
    start: datetime, end: datetime, plan: Sequence[Span], exceptions: Sequence[Span], taken: Sequence[Span]
) -> list[tuple[datetime, datetime, int]]:
    """[start, end) cut where the plan, an exception or a booking begins or ends: each piece
    with the seats free all through it."""
    points = {start, end}
    for span in (*plan, *exceptions, *taken):
        for point in (span.start, span.end):
            if start < point < end:
                points.add(point)
    edges = sorted(points)
    pieces = []
    for begin, finish in pairwise(edges):
        seats = _seats_at(begin, plan, exceptions) - sum(t.seats for t in taken if t.start <= begin < t.end)
        pieces.append((begin, finish, max(seats, 0)))
    return pieces


def day_seats(
    *,
    slots: Sequence[Slot],
    exceptions: Sequence[Span],
    zone: ZoneInfo,
    day: date,
    taken: Sequence[Span] = (),
    whole_day: bool = False,
    shortest: timedelta = timedelta(minutes=1),
    earliest: datetime | None = None,
) -> int:
    """The most seats one booking can take on the local `day`.

    `whole_day` (rentals by the day or night): the seats free for the whole day, as a booking
    of it counts them. Otherwise (by the hour, by the job): the most seats free through some
    stretch of at least `shortest` within the day, from `earliest` on if that is later.
    """
    start, end = local_date_range(day, day + timedelta(days=1), zone)
    if whole_day:
        if earliest is not None and earliest > start:
            return 0
        return free_seats(slots=slots, exceptions=exceptions, zone=zone, start=start, end=end, taken=taken)
    if earliest is not None:
        start = max(start, earliest)
    if end <= start:
        return 0
    pieces = _pieces(start, end, plan_spans(slots, zone, start, end), exceptions, taken)
    best = 0
    for first, (begin, _end, seats) in enumerate(pieces):
        low = seats
        for _begin, finish, more in pieces[first:]:  # the stretch from `begin`, piece by piece
            low = min(low, more)
            if low <= best:
                break
            if finish - begin >= shortest:
                best = low
                break
    return best


def day_starts(
    *,
    slots: Sequence[Slot],
    exceptions: Sequence[Span],
    zone: ZoneInfo,
    day: date,
    taken: Sequence[Span] = (),
    step: timedelta = timedelta(hours=1),
    earliest: datetime | None = None,
    longest: timedelta = timedelta(hours=24),
) -> list[tuple[datetime, timedelta]]:
    """The times on the local `day`, every `step` from midnight, at which a booking of one seat
    can start, each with how long it can last from there (at most `longest`, in whole steps):
    what a customer picks an hourly booking from."""
    day_start, day_end = local_date_range(day, day + timedelta(days=1), zone)
    reach = day_end + longest
    pieces = _pieces(day_start, reach, plan_spans(slots, zone, day_start, reach), exceptions, taken)
    starts = []
    begin = day_start
    while begin < day_end:
        if earliest is None or begin >= earliest:
            free_until = begin
            for piece_start, piece_end, seats in pieces:
                if piece_end <= free_until:
                    continue
                if piece_start > free_until or seats < 1:
                    break
                free_until = piece_end
            steps = min(free_until - begin, longest) // step
            if steps >= 1:
                starts.append((begin.astimezone(zone), step * steps))
        begin += step
    return starts
