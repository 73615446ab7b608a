"""The load of `barnraise bench bookings`: 32 clients, each a thread with its own connection,
spread over forked processes, all starting together; and the windows they book."""

import multiprocessing
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

CLIENTS = 32


@dataclass(frozen=True)
class Target:
    vendor: str
    url: str
    admin_url: str = ""


# Windows are spread over most of a year (a listing takes bookings 365 days ahead), so that the
# calendars stay mostly free for the whole run even at the floor's pace: over 30 days, the
# floor filled two thirds of them and most of its attempts became cheap refusals, which the
# slower engine never met. The 100 calendars stay hot: every client locks one of them.
WINDOW_DAYS = 360


def window(rng: random.Random, base: datetime) -> tuple[datetime, datetime]:
    start = base + timedelta(days=rng.randrange(WINDOW_DAYS), hours=rng.randrange(8, 20))
    return start, start + timedelta(hours=1)


@dataclass
class Tally:
    outcomes: Counter[str]
    latencies_ms: list[float]
    seconds: float


def run_clients(
    work: Callable[[int, float], tuple[Counter[str], list[float]]], seconds: float, processes: int = 1
) -> Tally:
    """Run `work(client, deadline)` for CLIENTS clients, one thread each, spread over
    `processes` forked processes (as gunicorn's workers would be), all starting together."""
    if processes > 1:
        from django.db import connections

        connections.close_all()  # a forked child must open its own
    start_at = time.time() + 0.5 + 0.1 * processes
    mine = [list(range(CLIENTS))[p::processes] for p in range(processes)]
    if processes == 1:
        parts = [clients_in_process(work, mine[0], start_at, seconds)]
    else:
        fork = multiprocessing.get_context("fork")  # the child inherits `work`, a closure
        answers = fork.SimpleQueue()
        children = [
            fork.Process(target=lambda c=clients: answers.put(clients_in_process(work, c, start_at, seconds)))
            for clients in mine
        ]
        for child in children:
            child.start()
        parts = [answers.get() for _child in children]
        for child in children:
            child.join()
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    for counted, timed in parts:
        outcomes.update(counted)
        latencies.extend(timed)
    return Tally(outcomes, latencies, seconds)


def clients_in_process(
    work: Callable[[int, float], tuple[Counter[str], list[float]]],
    clients: list[int],
    start_at: float,
    seconds: float,
) -> tuple[Counter[str], list[float]]:
    results: dict[int, tuple[Counter[str], list[float]]] = {}

    def run(index: int) -> None:
        time.sleep(max(0.0, start_at - time.time()))
        results[index] = work(index, time.monotonic() + seconds)

    threads = [threading.Thread(target=run, args=(i,)) for i in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    for counted, timed in results.values():
        outcomes.update(counted)
        latencies.extend(timed)
    return outcomes, latencies
